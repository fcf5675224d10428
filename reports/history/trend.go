package history

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/format"
)

var (
	percent      = format.Percent
	coord        = format.Coord
	verdictClass = format.VerdictClass
)

// trendTime is how a run's time is shown: UTC, to the minute.
const trendTime = "2006-01-02 15:04"

// TrendText renders history entries as a text table, one run a line in
// file order, and a closing line on the latest run against the others.
func TrendText(entries []Entry) ([]byte, error) {
	if len(entries) == 0 {
		return nil, errors.New("trend: no runs")
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "gpcheck trend: %d run(s), %s … %s (UTC)\n\n", len(entries),
		entries[0].Time.UTC().Format(trendTime), entries[len(entries)-1].Time.UTC().Format(trendTime))
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tVERDICT\tCOMPLETION\tNEEDED\tFINDINGS\tBY KIND\tDURATION\tSEED\tTARGET")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n",
			e.Time.UTC().Format(trendTime), reports.Redact(string(e.Verdict)), trendCompletion(e.Completion), percent(e.Completion.Target),
			e.Findings, byKindText(e.FindingsByKind), format.Millis(e.DurationMS), e.Seed, reports.Redact(targetText(e)))
	}
	if err := tw.Flush(); err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	fmt.Fprintln(&buf)
	fmt.Fprintln(&buf, trendSummary(entries))
	return buf.Bytes(), nil
}

// trendCompletion is a run's completion, or "-" when no flow ran.
func trendCompletion(c reports.Completion) string {
	if c.Attempted == 0 {
		return "-"
	}
	text := fmt.Sprintf("%s (%d/%d)", percent(c.Rate), c.Completed, c.Attempted)
	if c.Confidence > 0 {
		// The failure-rate bound the run showed, as lines of newer runs keep it.
		text += fmt.Sprintf(", failures < %s", percent(c.FailureBound))
	}
	return text
}

func byKindText(m map[reports.Kind]int) string {
	var parts []string
	for _, k := range format.SortedKeys(m) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func targetText(e Entry) string {
	s := e.Target
	if len(e.Faults) > 0 {
		s += " (" + strings.Join(e.Faults, ", ") + ")"
	}
	if e.LabelFilter != "" {
		s += " [" + e.LabelFilter + "]"
	}
	return s
}

// trendSummary is one line: how many runs passed, and the completion
// rate's range over the runs that ran the golden path.
func trendSummary(entries []Entry) string {
	passed := 0
	lo, hi, n := 100.0, 0.0, 0
	for _, e := range entries {
		if e.Verdict == reports.VerdictPassed {
			passed++
		}
		if e.Completion.Attempted > 0 {
			lo, hi, n = math.Min(lo, e.Completion.Rate), math.Max(hi, e.Completion.Rate), n+1
		}
	}
	last := entries[len(entries)-1]
	s := fmt.Sprintf("passed %d of %d run(s); latest %s with %d finding(s)", passed, len(entries), reports.Redact(string(last.Verdict)), last.Findings)
	switch {
	case n > 0 && lo == hi:
		s += "; completion " + percent(lo) + " in every run of the golden path"
	case n > 0:
		s += fmt.Sprintf("; completion between %s and %s", percent(lo), percent(hi))
	}
	return s
}

// TrendHTML renders history entries as one self-contained page, like
// report.html: no script, nothing fetched, inline style only. It shows
// the completion rate against its target and the findings by kind as
// inline SVG line charts, one point per run, and the runs as a table.
func TrendHTML(entries []Entry) ([]byte, error) {
	if len(entries) == 0 {
		return nil, errors.New("trend: no runs")
	}
	v := trendView{
		Runs:    len(entries),
		First:   entries[0].Time.UTC().Format(trendTime),
		Last:    entries[len(entries)-1].Time.UTC().Format(trendTime),
		Summary: trendSummary(entries),
		Latest:  verdictClass(entries[len(entries)-1].Verdict),
	}
	v.Completion = completionChart(entries)
	v.Findings = findingsChart(entries)
	for _, e := range entries {
		v.Rows = append(v.Rows, trendRow{
			Time: e.Time.UTC().Format(trendTime), Verdict: string(e.Verdict), Class: verdictClass(e.Verdict),
			Completion: trendCompletion(e.Completion), Target: percent(e.Completion.Target),
			Findings: e.Findings, ByKind: byKindText(e.FindingsByKind), Duration: format.Millis(e.DurationMS),
			Seed: e.Seed, TargetKind: targetText(e),
		})
	}
	var buf bytes.Buffer
	if err := trendTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render trend: %w", err)
	}
	return []byte(reports.Redact(buf.String())), nil
}

type trendView struct {
	Runs        int
	First, Last string
	Summary     string
	Latest      string
	Completion  *lineChart
	Findings    *lineChart
	Rows        []trendRow
}

type trendRow struct {
	Time, Verdict, Class string
	Completion, Target   string
	Findings             int
	ByKind, Duration     string
	Seed                 uint64
	TargetKind           string
}

// Line chart geometry, in SVG user units.
const (
	lineW      = 960
	lineLeft   = 56
	lineRight  = 48 // room for the latest run's date
	lineTop    = 12
	linePlot   = 200
	lineBottom = 36
	lineTicks  = 4
	lineLabels = 8 // most x-axis labels
)

// lineChart is a chart laid out: every number is a coordinate the
// template writes as is.
type lineChart struct {
	W, H        int
	Left, Right int
	Base        int
	Ticks       []svgTick
	XLabels     []xLabel
	Series      []lineSeries
}

// svgTick is one grid line of an axis and its label.
type svgTick struct {
	Y     string
	Label string
}

type xLabel struct {
	X, Text string
	Y       int
}

// lineSeries is one line: its segments (a run without a value breaks
// it) and its points.
type lineSeries struct {
	Name     string
	Class    string
	Segments []string // each a polyline's points attribute
	Points   []linePoint
}

type linePoint struct {
	X, Y, Title string
	Class       string
}

// xFor is the x of run i of n.
func xFor(i, n int) float64 {
	plot := float64(lineW - lineLeft - lineRight)
	if n <= 1 {
		return lineLeft + plot/2
	}
	return lineLeft + plot*float64(i)/float64(n-1)
}

// lineY is the y of v on an axis from lo to hi.
func lineY(v, lo, hi float64) float64 {
	if hi <= lo || math.IsNaN(v) {
		return lineTop + linePlot
	}
	v = math.Max(lo, math.Min(v, hi))
	return lineTop + linePlot*(1-(v-lo)/(hi-lo))
}

func newLineChart(entries []Entry, lo, hi float64, unit string) *lineChart {
	c := &lineChart{W: lineW, H: lineTop + linePlot + lineBottom, Left: lineLeft, Right: lineW - lineRight, Base: lineTop + linePlot}
	for i := 0; i <= lineTicks; i++ {
		v := lo + (hi-lo)*float64(i)/lineTicks
		c.Ticks = append(c.Ticks, svgTick{Y: coord(lineY(v, lo, hi)), Label: strconv.FormatFloat(v, 'f', -1, 64) + unit})
	}
	// At most lineLabels dates, evenly spread, the first and latest run
	// always among them.
	n := len(entries)
	k := min(n, lineLabels)
	for j := 0; j < k; j++ {
		i := 0
		if k > 1 {
			i = int(math.Round(float64(j*(n-1)) / float64(k-1)))
		}
		c.XLabels = append(c.XLabels, xLabel{X: coord(xFor(i, n)), Y: c.Base + 20, Text: entries[i].Time.UTC().Format("01-02 15:04")})
	}
	return c
}

// series lays out one line: value returns a run's value and whether it
// has one.
func series(entries []Entry, name, class string, lo, hi float64, value func(Entry) (float64, bool), title func(Entry, float64) string, pointClass func(Entry) string) lineSeries {
	s := lineSeries{Name: name, Class: class}
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			s.Segments = append(s.Segments, strings.Join(seg, " "))
		}
		seg = nil
	}
	for i, e := range entries {
		v, ok := value(e)
		if !ok {
			flush()
			continue
		}
		x, y := coord(xFor(i, len(entries))), coord(lineY(v, lo, hi))
		seg = append(seg, x+","+y)
		p := linePoint{X: x, Y: y, Title: e.Time.UTC().Format(trendTime) + " " + title(e, v)}
		if pointClass != nil {
			p.Class = pointClass(e)
		}
		s.Points = append(s.Points, p)
	}
	flush()
	return s
}

// completionChart draws the completion rate (points coloured by verdict)
// and its target, dashed, on an axis from a round number below the
// lowest value to 100%.
func completionChart(entries []Entry) *lineChart {
	low := 100.0
	for _, e := range entries {
		if e.Completion.Attempted > 0 {
			low = math.Min(low, e.Completion.Rate)
		}
		low = math.Min(low, e.Completion.Target)
	}
	lo := math.Max(0, math.Floor((low-1)/10)*10)
	c := newLineChart(entries, lo, 100, "%")
	c.Series = append(c.Series,
		series(entries, "target", "target", lo, 100,
			func(e Entry) (float64, bool) { return e.Completion.Target, true },
			func(_ Entry, v float64) string { return "target " + percent(v) }, nil),
		series(entries, "completion", "rate", lo, 100,
			func(e Entry) (float64, bool) { return e.Completion.Rate, e.Completion.Attempted > 0 },
			func(e Entry, _ float64) string {
				return string(e.Verdict) + ", completion " + trendCompletion(e.Completion)
			},
			func(e Entry) string { return verdictClass(e.Verdict) }),
	)
	c.Series[0].Points = nil // the target needs no dots
	return c
}

// findingKindOrder gives the known kinds stable colours.
var findingKindOrder = []reports.Kind{reports.KindIsolationLeak, reports.KindIdentity, reports.KindTokenVerdict,
	reports.KindTokenAccepted, reports.KindStageFailure, reports.KindProtocol, reports.KindCompletionRate}

// findingsChart draws the total findings per run and each kind's count,
// on an axis from zero.
func findingsChart(entries []Entry) *lineChart {
	top := 0
	kinds := map[reports.Kind]bool{}
	for _, e := range entries {
		top = max(top, e.Findings)
		for k, n := range e.FindingsByKind {
			top = max(top, n)
			if n > 0 {
				kinds[k] = true
			}
		}
	}
	hi := math.Max(4, format.NiceCeil(float64(top)))
	c := newLineChart(entries, 0, hi, "")
	c.Series = append(c.Series, series(entries, "all findings", "total", 0, hi,
		func(e Entry) (float64, bool) { return float64(e.Findings), true },
		func(e Entry, _ float64) string { return fmt.Sprintf("%d finding(s)", e.Findings) }, nil))
	var names []reports.Kind
	for _, k := range findingKindOrder {
		if kinds[k] {
			names = append(names, k)
			delete(kinds, k)
		}
	}
	names = append(names, format.SortedKeys(kinds)...)
	for i, k := range names {
		c.Series = append(c.Series, series(entries, string(k), "k"+strconv.Itoa(i%len(findingKindOrder)), 0, hi,
			func(e Entry) (float64, bool) { return float64(e.FindingsByKind[k]), true },
			func(_ Entry, v float64) string { return fmt.Sprintf("%s %g", k, v) }, nil))
	}
	return c
}

var trendTemplate = template.Must(template.New("trend.html").Parse(trendSource))

// trendSource is the trend page. Like report.html it must stay
// self-contained: no <script>, nothing fetched.
const trendSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gpcheck trend: {{.Runs}} run(s)</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;margin:0 auto;max-width:1100px;padding:16px 24px 48px}
h1{font-size:2em;margin:0}
h2{font-size:1.25em;margin:2em 0 .6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.banner{border-radius:8px;padding:14px 24px;color:#fff}
.banner.passed,.passed td.v{background:#1a7f37}
.banner.failed,.failed td.v{background:#cf222e}
.banner.unfinished,.unfinished td.v{background:#bf8700}
td.v{color:#fff}
.banner p{margin:.4em 0 0;font-size:1.1em}
table{border-collapse:collapse;margin:.4em 0;width:100%}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{white-space:nowrap}
svg{max-width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:#57606a}
svg .grid{stroke:#d0d7de;stroke-width:1}
svg .axis{stroke:#57606a;stroke-width:1}
polyline{fill:none;stroke-width:2}
polyline.rate{stroke:#0969da;stroke-width:2.5}
polyline.target{stroke:#57606a;stroke-dasharray:6 4;stroke-width:1.5}
polyline.total{stroke:#1f2328;stroke-width:3}
circle{stroke:#fff;stroke-width:1}
circle.passed{fill:#1a7f37}circle.failed{fill:#cf222e}circle.unfinished{fill:#bf8700}
circle.total{fill:#1f2328}
polyline.k0{stroke:#cf222e}circle.k0{fill:#cf222e}polyline.k1{stroke:#8250df}circle.k1{fill:#8250df}
polyline.k2{stroke:#bc4c00}circle.k2{fill:#bc4c00}polyline.k3{stroke:#bf3989}circle.k3{fill:#bf3989}
polyline.k4{stroke:#0969da}circle.k4{fill:#0969da}polyline.k5{stroke:#1a7f37}circle.k5{fill:#1a7f37}
polyline.k6{stroke:#6e7781}circle.k6{fill:#6e7781}
.legend span{display:inline-block;width:14px;height:4px;margin:0 4px 3px 14px;vertical-align:middle}
.legend .rate{background:#0969da}.legend .target{background:#57606a}.legend .total{background:#1f2328}
.legend .k0{background:#cf222e}.legend .k1{background:#8250df}.legend .k2{background:#bc4c00}.legend .k3{background:#bf3989}
.legend .k4{background:#0969da}.legend .k5{background:#1a7f37}.legend .k6{background:#6e7781}
</style>
</head>
<body>
<header class="banner {{.Latest}}">
<h1>gpcheck trend</h1>
<p>{{.Runs}} run(s), {{.First}} … {{.Last}} UTC</p>
<p>{{.Summary}}</p>
</header>
{{- define "chart"}}
<svg width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img">
{{- $c := .}}
{{- range .Ticks}}
<line class="grid" x1="{{$c.Left}}" y1="{{.Y}}" x2="{{$c.Right}}" y2="{{.Y}}"/>
<text x="{{$c.Left}}" y="{{.Y}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{- end}}
<line class="axis" x1="{{.Left}}" y1="{{.Base}}" x2="{{.Right}}" y2="{{.Base}}"/>
{{- range .XLabels}}
<text x="{{.X}}" y="{{.Y}}" text-anchor="middle">{{.Text}}</text>
{{- end}}
{{- range .Series}}
<g>
{{- $s := .}}
{{- range .Segments}}
<polyline class="{{$s.Class}}" points="{{.}}"/>
{{- end}}
{{- range .Points}}
<circle class="{{if .Class}}{{.Class}}{{else}}{{$s.Class}}{{end}}" cx="{{.X}}" cy="{{.Y}}" r="4"><title>{{.Title}}</title></circle>
{{- end}}
</g>
{{- end}}
</svg>
{{- end}}

<h2>Completion rate</h2>
<p class="legend"><span class="rate"></span>completion (dots: green passed, red failed, amber unfinished)<span class="target"></span>target</p>
{{- template "chart" .Completion}}

<h2>Findings</h2>
<p class="legend">{{range .Findings.Series}}<span class="{{.Class}}"></span>{{.Name}}{{end}}</p>
{{- template "chart" .Findings}}

<h2>Runs</h2>
<table>
<thead><tr><th>Time (UTC)</th><th>Verdict</th><th>Completion</th><th>Needed</th><th>Findings</th><th>By kind</th><th>Duration</th><th>Seed</th><th>Target</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr class="{{.Class}}"><td class="t">{{.Time}}</td><td class="v">{{.Verdict}}</td><td class="n">{{.Completion}}</td><td class="n">{{.Target}}</td><td class="n">{{.Findings}}</td><td>{{.ByKind}}</td><td class="n">{{.Duration}}</td><td><code>{{.Seed}}</code></td><td>{{.TargetKind}}</td></tr>
{{- end}}
</tbody>
</table>
</body>
</html>
`
