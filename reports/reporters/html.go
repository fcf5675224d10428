package reporters

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/format"
)

// HTML renders r as report.html: one self-contained page a person can
// open from a CI artifact. It holds the verdict, completion against its
// target, failures and latency by stage (the latency as an inline SVG bar
// chart), the specs, every finding with its evidence as a transcript, the
// token matrix when there is one, the attack-surface probe tables, and
// the run spec with the command that replays the run. r must already be
// redacted (reports.Redacted), as WriteAll does.
//
// The page loads nothing: no script, no external style sheet, font or
// image; its only style is inline. html/template escapes every value.
func HTML(r *reports.Report) ([]byte, error) {
	if r == nil {
		return nil, errors.New("html: nil report")
	}
	v := htmlView{
		R:           r,
		Verdict:     strings.ToUpper(string(r.Verdict)),
		VerdictCls:  format.VerdictClass(r.Verdict),
		Completion:  completionText(r.Completion),
		BelowTarget: r.Completion.Rate < r.Completion.Target,
		Duration:    millis(r.DurationMS),
		Chart:       latencyChart(r.Stages),
		Specs:       sortedSpecs(r.Specs),
		Faults:      faults(r),
		RunSpec:     specRows(r.Spec),
		Replay:      replayCommand(r),
		Matrix:      matrixView(r.TokenMatrix),
		Defects:     defectViews(r),
	}
	if !r.StartedAt.IsZero() {
		v.Started = r.StartedAt.UTC().Format(time.RFC3339)
	}
	byKind := findingsByKind(r)
	for _, k := range format.SortedKeys(byKind) {
		v.ByKind = append(v.ByKind, kindCount{k, byKind[k]})
	}
	for _, st := range r.Stages {
		v.Stages = append(v.Stages, stageRow{Stage: st,
			P50: msText(st.P50MS), P90: msText(st.P90MS), P99: msText(st.P99MS)})
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	return buf.Bytes(), nil
}

// htmlView is what the template shows: r, redacted, and what is worked
// out from it in Go so that the template only lays it out.
type htmlView struct {
	R           *reports.Report
	Verdict     string
	VerdictCls  string
	Completion  string
	BelowTarget bool
	Started     string
	Duration    string
	Stages      []stageRow
	Chart       *svgChart
	Specs       []reports.SpecReport
	ByKind      []kindCount
	Faults      []string
	RunSpec     []specRow
	Replay      string
	Matrix      *matrixTable
	Defects     []defectView
}

// defectView is one defect as the page shows it: with its example
// finding and, for a leak, who received whose data as a matrix.
type defectView struct {
	reports.Defect
	What                string
	FirstSeen, LastSeen string
	Example             *reports.Finding
	Leaks               *leakMatrix
}

// leakMatrix is an isolation leak's owners (columns) × receivers (rows):
// a broadcast fills it, a pairwise collision draws a permutation, a
// stray frame is one cell.
type leakMatrix struct {
	Owners []string
	Rows   []leakRow
	// Cut says how much was left out of a matrix too large to draw.
	Cut string
}

type leakRow struct {
	Receiver string
	Cells    []leakCell
}

type leakCell struct {
	Count int
	Class string
}

// maxLeakAxis bounds the owners and the receivers a matrix draws.
const maxLeakAxis = 60

func defectViews(r *reports.Report) []defectView {
	byID := map[string]*reports.Finding{}
	for i := range r.Findings {
		byID[r.Findings[i].ID] = &r.Findings[i]
	}
	var out []defectView
	for _, d := range r.Defects {
		v := defectView{Defect: d, What: defectWhat(d), Example: byID[d.Example], Leaks: leakMatrixOf(d.Leaks)}
		if d.FirstSeen != nil {
			v.FirstSeen = d.FirstSeen.UTC().Format("15:04:05.000")
		}
		if d.LastSeen != nil {
			v.LastSeen = d.LastSeen.UTC().Format("15:04:05.000")
		}
		out = append(out, v)
	}
	return out
}

func leakMatrixOf(leaks []reports.Leak) *leakMatrix {
	if len(leaks) == 0 {
		return nil
	}
	count := map[[2]string]int{}
	owners, receivers := map[string]bool{}, map[string]bool{}
	for _, l := range leaks {
		count[[2]string{l.Owner, l.Receiver}] += l.Count
		owners[l.Owner], receivers[l.Receiver] = true, true
	}
	m := &leakMatrix{Owners: format.SortedKeys(owners)}
	rs := format.SortedKeys(receivers)
	if len(m.Owners) > maxLeakAxis || len(rs) > maxLeakAxis {
		m.Cut = fmt.Sprintf("the first %d of %d owners and %d of %d receivers are drawn; report.json lists every pair",
			min(len(m.Owners), maxLeakAxis), len(m.Owners), min(len(rs), maxLeakAxis), len(rs))
		m.Owners = m.Owners[:min(len(m.Owners), maxLeakAxis)]
		rs = rs[:min(len(rs), maxLeakAxis)]
	}
	for _, rc := range rs {
		row := leakRow{Receiver: rc}
		for _, o := range m.Owners {
			n := count[[2]string{o, rc}]
			c := leakCell{Count: n}
			switch {
			case o == rc:
				c.Class = "self"
			case n == 0:
				c.Class = "none"
			case n == 1:
				c.Class = "l1"
			case n < 5:
				c.Class = "l2"
			default:
				c.Class = "l3"
			}
			row.Cells = append(row.Cells, c)
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

type stageRow struct {
	reports.Stage
	P50, P90, P99 string
}

type kindCount struct {
	Kind  reports.Kind
	Count int
}

// specRow is one setting of the run spec: its report.json name and its
// value as text.
type specRow struct {
	Name, Value string
}

// specRows lists the settings of s as report.json holds them: by their
// JSON names, in the order RunSpec declares them, leaving out an
// omitempty setting that is empty. It walks the struct, so that a setting
// added to RunSpec shows without a line here.
func specRows(s reports.RunSpec) []specRow {
	var rows []specRow
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || fv.IsZero() && strings.Contains(","+opts+",", ",omitempty,") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		rows = append(rows, specRow{Name: name, Value: settingText(fv)})
	}
	return rows
}

// settingText is one setting's value as people read it: durations as Go
// writes them, lists joined with commas, maps as sorted key=value pairs.
func settingText(v reflect.Value) string {
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = settingText(v.Index(i))
		}
		return strings.Join(parts, ", ")
	case reflect.Map:
		parts := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			parts = append(parts, settingText(k)+"="+settingText(v.MapIndex(k)))
		}
		slices.Sort(parts)
		return strings.Join(parts, ", ")
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

// msText formats a latency in milliseconds.
func msText(ms float64) string {
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// Chart geometry, in SVG user units (pixels at 100%).
const (
	chartLeft    = 64  // room for the axis labels
	chartRight   = 16  //
	chartTop     = 12  //
	chartPlot    = 200 // plot height
	chartBottom  = 28  // room for the stage names
	chartBar     = 18  // one bar's width
	chartBarGap  = 4   // between a group's bars
	chartGroup   = 3*chartBar + 2*chartBarGap
	chartGroupGp = 28 // between groups
	chartTicks   = 4  // grid lines above zero
	chartMinW    = 320
)

// svgChart is the latency chart, laid out: every number is a coordinate
// the template writes as is.
type svgChart struct {
	W, H   int
	Scale  string // the top of the axis, for the chart's label
	Ticks  []svgTick
	Groups []svgGroup
	Left   int
	Right  int
	Base   int // the y of the zero line
}

type svgTick struct {
	Y     string
	Label string
}

type svgGroup struct {
	Name   string
	LabelX string
	LabelY int
	Bars   []svgBar
}

type svgBar struct {
	Class, Title string
	X, Y, W, H   string
}

// latencyChart lays out one group of three bars (p50, p90, p99) per
// stage, on a shared axis from zero to a round number at or above the
// slowest value. It returns nil when there is no stage to draw.
func latencyChart(stages []reports.Stage) *svgChart {
	if len(stages) == 0 {
		return nil
	}
	top := 0.0
	for _, st := range stages {
		top = math.Max(top, math.Max(st.P50MS, math.Max(st.P90MS, st.P99MS)))
	}
	top = format.NiceCeil(top)
	w := chartLeft + len(stages)*(chartGroup+chartGroupGp) + chartRight
	w = max(w, chartMinW)
	c := &svgChart{
		W: w, H: chartTop + chartPlot + chartBottom,
		Scale: msText(top), Left: chartLeft, Right: w - chartRight, Base: chartTop + chartPlot,
	}
	for i := 0; i <= chartTicks; i++ {
		v := top * float64(i) / chartTicks
		c.Ticks = append(c.Ticks, svgTick{Y: format.Coord(yFor(v, top)), Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	for i, st := range stages {
		x0 := float64(chartLeft + chartGroupGp/2 + i*(chartGroup+chartGroupGp))
		g := svgGroup{Name: st.Name, LabelX: format.Coord(x0 + chartGroup/2.0), LabelY: chartTop + chartPlot + 18}
		for j, b := range []struct {
			cls string
			v   float64
		}{{"p50", st.P50MS}, {"p90", st.P90MS}, {"p99", st.P99MS}} {
			y := yFor(b.v, top)
			g.Bars = append(g.Bars, svgBar{
				Class: b.cls, Title: st.Name + " " + b.cls + ": " + msText(b.v),
				X: format.Coord(x0 + float64(j*(chartBar+chartBarGap))), Y: format.Coord(y),
				W: strconv.Itoa(chartBar), H: format.Coord(float64(chartTop+chartPlot) - y),
			})
		}
		c.Groups = append(c.Groups, g)
	}
	return c
}

// yFor is the y of value v on an axis whose top is top.
func yFor(v, top float64) float64 {
	if top <= 0 || v <= 0 || math.IsNaN(v) {
		return chartTop + chartPlot
	}
	return chartTop + chartPlot*(1-math.Min(v, top)/top)
}

// matrixTable is the token matrix laid out as rows of cells in the
// order of its paths.
type matrixTable struct {
	Paths []string
	Rows  []matrixRowView
}

type matrixRowView struct {
	reports.MatrixRow
	Cells []matrixCell
}

type matrixCell struct {
	Text string
	// Off says the cell's verdict is not the wanted one.
	Off bool
}

func matrixView(m *reports.TokenMatrix) *matrixTable {
	if m == nil || len(m.Rows) == 0 {
		return nil
	}
	t := &matrixTable{Paths: m.Paths}
	for _, row := range m.Rows {
		rv := matrixRowView{MatrixRow: row}
		for _, p := range m.Paths {
			cell := row.Cells[p]
			off := cell != "" && row.Want != "" && !strings.HasPrefix(cell, row.Want)
			rv.Cells = append(rv.Cells, matrixCell{Text: cell, Off: off})
		}
		t.Rows = append(t.Rows, rv)
	}
	return t
}

var htmlTemplate = template.Must(template.New("report.html").Parse(htmlSource))

// htmlSource is report.html. It must stay self-contained: no <script>, and
// no attribute that fetches anything (src, href to a resource, url() in
// style).
const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gpcheck report: {{.R.Verdict}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;margin:0 auto;max-width:1100px;padding:16px 24px 48px}
h1{font-size:2.6em;margin:0;letter-spacing:.04em}
h2{font-size:1.25em;margin:2em 0 .6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.verdict{border-radius:8px;padding:18px 24px;color:#fff}
.verdict.passed{background:#1a7f37}
.verdict.failed{background:#cf222e}
.verdict.unfinished{background:#bf8700}
.verdict p{margin:.4em 0 0;font-size:1.15em}
.below{font-weight:bold}
table{border-collapse:collapse;margin:.4em 0;width:100%}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.bad td{background:#ffebe9}
td.off{background:#ffebe9;font-weight:bold}
td.spec{min-width:18em}
.state-passed{color:#1a7f37}.state-failed{color:#cf222e}
.sev{font-size:.75em;border-radius:4px;padding:1px 6px;color:#fff;background:#6e7781;vertical-align:middle}.sev-critical{background:#a40e26}.sev-high{background:#cf222e}.sev-medium{background:#bc4c00}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px;overflow:auto;max-height:24em;white-space:pre-wrap;overflow-wrap:anywhere}
pre.transcript{padding:0;max-height:48em}
pre.transcript .step{display:block;padding:3px 8px 3px 3.2em;text-indent:-2.4em;border-bottom:1px solid #eaeef2}
pre.transcript .step:last-child{border-bottom:0}
details>summary{color:#57606a;cursor:pointer;margin:.3em 0}
.wide{overflow-x:auto}
table.matrix{font-size:12px}
table.matrix td{overflow-wrap:anywhere}
table.matrix td:first-child,table.matrix td:nth-child(3){white-space:nowrap}
table.matrix td:nth-child(2){overflow-wrap:normal;min-width:11em}
.finding{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:.8em 0}
.finding h3{font-size:1em;margin:0 0 .3em}
.finding .detail{margin:.3em 0}
.meta{color:#57606a}
.empty{color:#57606a;font-style:italic}
table.leaks{width:auto;border-collapse:collapse;font-size:10px}
table.leaks th,table.leaks td{padding:0;border:1px solid #eaeef2;width:14px;height:14px;text-align:center}
table.leaks thead th{writing-mode:vertical-rl;transform:rotate(180deg);height:auto;padding:2px 0;font-weight:normal}
table.leaks tbody th{white-space:nowrap;padding:0 4px;width:auto;text-align:right;font-weight:normal}
.leaklegend .l1{background:#ffb8b0}.leaklegend .l2{background:#ff6a5c}.leaklegend .l3{background:#a40e26}.leaklegend .self{background:#eaeef2}
table.leaks td.self{background:#eaeef2}table.leaks td.l1{background:#ffb8b0}table.leaks td.l2{background:#ff6a5c}table.leaks td.l3{background:#a40e26}
.defect{border:2px solid #cf222e;border-radius:6px;padding:8px 12px;margin:.8em 0}
.defect h3{font-size:1.05em;margin:0 0 .3em}
svg{max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#57606a}
svg .grid{stroke:#d0d7de;stroke-width:1}
svg .axis{stroke:#57606a;stroke-width:1}
.p50{fill:#54aeff}.p90{fill:#0969da}.p99{fill:#0a3069}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
.legend .p50{background:#54aeff}.legend .p90{background:#0969da}.legend .p99{background:#0a3069}
</style>
</head>
<body>
<header class="verdict {{.VerdictCls}}">
<h1>{{.Verdict}}</h1>
<p>Completion {{.Completion}}{{if .BelowTarget}} — <span class="below">below target</span>{{end}}</p>
{{- if .R.Error}}
<p>{{.R.Error}}</p>
{{- end}}
<p>{{.R.Tool.Name}} {{.R.Tool.Version}} · {{.R.Target.Kind}} target · seed {{.R.Spec.Seed}}{{if .Started}} · started {{.Started}}{{end}} · {{.Duration}}</p>
</header>

{{- if .Defects}}
<h2>Defects</h2>
<p>{{len .Defects}} defect(s) from {{len .R.Findings}} finding(s): findings that share a kind, spec, stage or path and what happened are one defect, worst first. <code>gpcheck repro --finding D1</code> replays a defect's example.</p>
{{- range $i, $d := .Defects}}
<section class="defect" id="{{.ID}}">
<h3>{{.ID}} <code>{{.Kind}}</code> <span class="sev sev-{{.Severity}}">{{.Severity}}</span> × {{.Count}}</h3>
<p class="detail">{{.What}}</p>
<div class="meta">spec: {{.Spec}}{{if .FirstSeen}} · first seen {{.FirstSeen}}, last {{.LastSeen}} (UTC){{end}}{{if .Example}} · example {{.Example.ID}}{{end}}</div>
{{- if .Traces}}
<div class="meta">traces: {{range $j, $t := .Traces}}{{if $j}}, {{end}}<code>{{$t.TraceID}}</code> ({{if $t.Role}}{{$t.Role}} {{end}}{{$t.VUser}}){{end}}</div>
{{- end}}
{{- with .Leaks}}
<p>Who received whose data: owners across, receivers down; a cell counts the frames or answers that carried the owner's data (hover for the count).{{if .Cut}} ({{.Cut}}){{end}}</p>
<p class="legend leaklegend"><span class="l1"></span>1<span class="l2"></span>2–4<span class="l3"></span>5 or more<span class="self"></span>the receiver itself</p>
<div class="wide">
<table class="leaks">
<thead><tr><th></th>{{range .Owners}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr><th>{{.Receiver}}</th>{{range .Cells}}<td class="{{.Class}}"{{if .Count}} title="{{.Count}}"{{end}}></td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
{{- with .Example}}{{if .Evidence}}
<details{{if lt $i 3}} open{{end}}><summary>example {{.ID}}: {{.Detail}}</summary>
<pre class="transcript">{{range .Evidence}}<span class="step">{{.}}</span>{{end}}</pre>
</details>
{{- end}}{{end}}
</section>
{{- end}}
{{- end}}

<h2>Stages: failures and latency</h2>
{{- if .Stages}}
<table>
<thead><tr><th>Stage</th><th>Attempted</th><th>Failed</th><th>p50</th><th>p90</th><th>p99</th></tr></thead>
<tbody>
{{- range .Stages}}
<tr{{if .Failed}} class="bad"{{end}}><td><code>{{.Name}}</code></td><td class="n">{{.Attempted}}</td><td class="n">{{.Failed}}</td><td class="n">{{.P50}}</td><td class="n">{{.P90}}</td><td class="n">{{.P99}}</td></tr>
{{- end}}
</tbody>
</table>
{{- with .Chart}}
<p class="legend">Latency per stage, 0 to {{.Scale}}:<span class="p50"></span>p50<span class="p90"></span>p90<span class="p99"></span>p99</p>
<svg width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="Latency per stage: p50, p90 and p99 in milliseconds">
{{- $c := .}}
{{- range .Ticks}}
<line class="grid" x1="{{$c.Left}}" y1="{{.Y}}" x2="{{$c.Right}}" y2="{{.Y}}"/>
<text x="{{$c.Left}}" y="{{.Y}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{- end}}
<line class="axis" x1="{{.Left}}" y1="{{.Base}}" x2="{{.Right}}" y2="{{.Base}}"/>
{{- range .Groups}}
<g>
{{- range .Bars}}
<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Title}}</title></rect>
{{- end}}
<text x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="middle">{{.Name}}</text>
</g>
{{- end}}
</svg>
{{- end}}
{{- else}}
<p class="empty">No golden-path stage ran.</p>
{{- end}}

<h2>Specs</h2>
{{- if .Specs}}
<table>
<thead><tr><th>State</th><th>Spec</th><th>Labels</th><th>Findings</th><th>Time</th><th>Failure</th></tr></thead>
<tbody>
{{- range .Specs}}
<tr><td class="state-{{.State}}">{{.State}}</td><td class="spec">{{.Name}}{{if .ID}}<div class="meta"><code>{{.ID}}</code></div>{{end}}</td><td>{{range $i, $l := .Labels}}{{if $i}}, {{end}}<code>{{$l}}</code>{{end}}</td><td class="n">{{.Findings}}</td><td class="n">{{.DurationMS}} ms</td><td>{{.Failure}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="empty">No spec ran.</p>
{{- end}}

<h2>Findings</h2>
{{- if .ByKind}}
<table>
<thead><tr><th>Kind</th><th>Count</th></tr></thead>
<tbody>
{{- range .ByKind}}
<tr><td><code>{{.Kind}}</code></td><td class="n">{{.Count}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- range $i, $f := .R.Findings}}
<section class="finding" id="{{.ID}}">
<h3>{{.ID}} <code>{{.Kind}}</code>{{if .Severity}} <span class="sev sev-{{.Severity}}">{{.Severity}}</span>{{end}}</h3>
<div class="meta">{{if .Defect}}defect {{.Defect}} · {{end}}spec: {{.Spec}}{{if .User}} · user: <code>{{.User}}</code>{{end}}{{if .Others}} · involves: {{range $j, $o := .Others}}{{if $j}}, {{end}}<code>{{$o}}</code>{{end}}{{end}}{{if .Stage}} · stage: <code>{{.Stage}}</code>{{end}}{{if .Path}} · path: <code>{{.Path}}</code>{{end}}{{if .Traces}} · traces: {{range $j, $t := .Traces}}{{if $j}}, {{end}}<code>{{$t.TraceID}}</code> ({{if $t.Role}}{{$t.Role}} {{end}}{{$t.VUser}}){{end}}{{end}}</div>
<p class="detail">{{.Detail}}</p>
{{- if .Evidence}}
<details{{if lt $i 10}} open{{end}}><summary>transcript, {{len .Evidence}} step(s)</summary>
<pre class="transcript">{{range .Evidence}}<span class="step">{{.}}</span>{{end}}</pre>
</details>
{{- end}}
</section>
{{- else}}
<p class="empty">No findings.</p>
{{- end}}
{{- if .R.Inconclusive}}

<h2>Not judged</h2>
<p>Checks whose answers proved nothing either way (a transport error, a timeout, an unexpected status, an answer that does not parse): neither passed nor failed.</p>
<table>
<thead><tr><th>ID</th><th>Spec</th><th>Path</th><th>Why</th></tr></thead>
<tbody>
{{- range .R.Inconclusive}}
<tr><td><code>{{.ID}}</code></td><td>{{.Spec}}</td><td><code>{{.Path}}</code></td><td>{{.Detail}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- with .Matrix}}

<h2>Token matrix</h2>
<div class="wide">
<table class="matrix">
<thead><tr><th>ID</th><th>Case</th><th>Want</th>{{range .Paths}}<th>{{.}}</th>{{end}}<th>Skipped</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><td>{{.ID}}</td><td>{{.Name}}{{if .How}}<div class="meta">{{.How}}</div>{{end}}</td><td>{{.Want}}</td>{{range .Cells}}<td{{if .Off}} class="off"{{end}}>{{.Text}}</td>{{end}}<td>{{.Skipped}}</td></tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}
{{- range .R.Probes}}

<h2>Probes: {{.Name}}</h2>
<div class="wide">
<table class="matrix probes">
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</div>
{{- end}}

<h2>Run</h2>
<table>
<tbody>
<tr><th>Target</th><td>{{.R.Target.Kind}}</td></tr>
<tr><th>Auth URL</th><td><code>{{.R.Target.AuthURL}}</code></td></tr>
<tr><th>Backend URL</th><td><code>{{.R.Target.BackendURL}}</code></td></tr>
<tr><th>WebSocket URL</th><td><code>{{.R.Target.WSURL}}</code></td></tr>
<tr><th>Faults</th><td>{{range $i, $f := .Faults}}{{if $i}}, {{end}}<code>{{$f}}</code>{{else}}none{{end}}</td></tr>
<tr><th>Schema version</th><td>{{.R.SchemaVersion}}</td></tr>
</tbody>
</table>
<p>Run spec:</p>
<table>
<tbody>
{{- range .RunSpec}}
<tr><th><code>{{.Name}}</code></th><td><code>{{.Value}}</code></td></tr>
{{- end}}
</tbody>
</table>
<p>Replay:</p>
<pre>{{.Replay}}</pre>
</body>
</html>
`
