package reporters

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/format"
)

const (
	// mdFindings bounds the findings summary.md lists; the rest are in
	// report.json and report.html.
	mdFindings = 10
	// mdDetailMax bounds a finding's detail in summary.md.
	mdDetailMax = 200
	// mdFailureMax bounds a spec's failure text in summary.md.
	mdFailureMax = 300
	// mdTraceMax bounds the trace ids shown per finding or defect.
	mdTraceMax = 3
)

// mdTraces renders traces (traceList's) with each id as code, "—" for
// none.
func mdTraces(ts []reports.TraceRef, n int) string {
	if len(ts) == 0 {
		return "—"
	}
	var parts []string
	for i, t := range ts {
		if i == n {
			parts = append(parts, fmt.Sprintf("… and %d more", len(ts)-n))
			break
		}
		who := t.VUser
		if t.Role != "" {
			who = t.Role + " " + t.VUser
		}
		parts = append(parts, mdCode(t.TraceID)+" ("+mdText(who)+")")
	}
	return strings.Join(parts, ", ")
}

// Markdown renders r as summary.md: a short GitHub-flavoured Markdown
// summary for a CI step summary or a pull-request comment. It holds the
// verdict, completion against its target, the specs, failures by stage,
// findings by kind, the first findings, and the command that replays the
// run. It holds no HTML, and every value from the run is escaped so that
// none of it renders as markup, links or HTML. r must already be redacted
// (reports.Redacted), as WriteAll does.
func Markdown(r *reports.Report) ([]byte, error) {
	if r == nil {
		return nil, errors.New("markdown: nil report")
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("## %s gpcheck: %s\n\n", verdictEmoji(r.Verdict), mdText(string(r.Verdict)))
	if r.Error != "" {
		p("> %s\n\n", mdText(trim(oneLine(r.Error), mdFailureMax)))
	}
	p("- **Completion:** %s (%d/%d completed), target %s", mdText(percent(r.Completion.Rate)),
		r.Completion.Completed, r.Completion.Attempted, mdText(percent(r.Completion.Target)))
	if r.Completion.Rate < r.Completion.Target {
		p(" — **below target**")
	}
	p("\n- **Target:** %s", mdCode(r.Target.Kind))
	if fs := faults(r); len(fs) > 0 {
		p(" with faults ")
		for i, f := range fs {
			if i > 0 {
				p(", ")
			}
			p("%s", mdCode(f))
		}
	}
	p("\n- **Seed:** %s · **duration** %s\n", mdCode(strconv.FormatUint(r.Spec.Seed, 10)), millis(r.DurationMS))

	if n := len(r.Defects); n > 0 {
		shown := min(n, mdFindings)
		p("\n### Defects (%d, from %d findings)\n\n", n, len(r.Findings))
		p("| Defect | Severity | Kind | Findings | What | Example |\n|---|---|---|---:|---|---|\n")
		for _, d := range r.Defects[:shown] {
			p("| %s | %s | %s | %d | %s | %s |\n", mdCode(d.ID), mdText(string(d.Severity)), mdCode(string(d.Kind)), d.Count,
				mdText(trim(oneLine(defectWhat(d)), mdDetailMax)), mdCode(d.Example))
		}
		if shown < n {
			p("\n%d more in `report.json` and `report.html`.\n", n-shown)
		}
		p("\n`gpcheck repro --finding D1` replays the first defect's example.\n")
		traced := false
		for _, d := range r.Defects[:shown] {
			if len(d.Traces) == 0 {
				continue
			}
			if !traced {
				p("\nTrace ids of the flows involved, to search in the platform's tracing UI:\n\n")
				traced = true
			}
			p("- %s: %s\n", mdCode(d.ID), mdTraces(d.Traces, mdTraceMax))
		}
	}

	if len(r.Specs) > 0 {
		p("\n### Specs\n\n| State | Spec | Findings |\n|---|---|---:|\n")
		for _, sp := range sortedSpecs(r.Specs) {
			p("| %s %s | %s | %d |\n", stateEmoji(sp.State), mdText(string(sp.State)), mdText(sp.Name), sp.Findings)
		}
		for _, sp := range sortedSpecs(r.Specs) {
			if sp.Failure != "" && sp.State != reports.StatePassed {
				p("\n**%s:** %s\n", mdText(sp.Name), mdText(trim(oneLine(sp.Failure), mdFailureMax)))
			}
		}
	}

	var failing []reports.Stage
	for _, st := range r.Stages {
		if st.Failed > 0 {
			failing = append(failing, st)
		}
	}
	if len(failing) > 0 {
		p("\n### Failures by stage\n\n| Stage | Failed | Attempted |\n|---|---:|---:|\n")
		for _, st := range failing {
			p("| %s | %d | %d |\n", mdCode(st.Name), st.Failed, st.Attempted)
		}
	}

	if byKind := findingsByKind(r); len(byKind) > 0 {
		p("\n### Findings by kind\n\n| Kind | Count |\n|---|---:|\n")
		for _, k := range format.SortedKeys(byKind) {
			p("| %s | %d |\n", mdCode(string(k)), byKind[k])
		}
	}

	if n := len(r.Findings); n > 0 {
		shown := min(n, mdFindings)
		if shown < n {
			p("\n### Findings (first %d of %d)\n\n", shown, n)
		} else {
			p("\n### Findings\n\n")
		}
		traced := false
		for _, f := range r.Findings[:shown] {
			traced = traced || len(f.Traces) > 0
		}
		if traced {
			p("| ID | Kind | Severity | User | Detail | Traces |\n|---|---|---|---|---|---|\n")
		} else {
			p("| ID | Kind | Severity | User | Detail |\n|---|---|---|---|---|\n")
		}
		for _, f := range r.Findings[:shown] {
			p("| %s | %s | %s | %s | %s |", mdCode(f.ID), mdCode(string(f.Kind)), mdText(string(f.Severity)), mdCode(f.User),
				mdText(trim(oneLine(f.Detail), mdDetailMax)))
			if traced {
				p(" %s |", mdTraces(f.Traces, mdTraceMax))
			}
			p("\n")
		}
		if shown < n {
			p("\n%d more in `report.json` and `report.html`.\n", n-shown)
		}
	}
	if n := len(r.Inconclusive); n > 0 {
		shown := min(n, mdFindings)
		p("\n### Not judged (%d)\n\nChecks whose answers proved nothing either way (a transport error, a timeout, an unexpected status, an answer that does not parse): neither passed nor failed.\n\n", n)
		p("| ID | Spec | Path | Why |\n|---|---|---|---|\n")
		for _, f := range r.Inconclusive[:shown] {
			p("| %s | %s | %s | %s |\n", mdCode(f.ID), mdText(f.Spec), mdCode(f.Path), mdText(trim(oneLine(f.Detail), mdDetailMax)))
		}
		if shown < n {
			p("\n%d more in `report.json` and `report.html`.\n", n-shown)
		}
	}

	cmd := replayCommand(r)
	fence := strings.Repeat("`", max(3, longestRun(cmd, '`')+1))
	p("\n### Replay\n\nSeed %s. To replay this run:\n\n%ssh\n%s\n%s\n", mdCode(strconv.FormatUint(r.Spec.Seed, 10)), fence, cmd, fence)
	return b.Bytes(), nil
}

// verdictEmoji is the mark before a verdict: a pass, a failure, or a run
// that did not finish (interrupted, error).
func verdictEmoji(verdict reports.Verdict) string {
	switch verdict {
	case reports.VerdictPassed:
		return "✅"
	case reports.VerdictFailed:
		return "❌"
	default:
		return "⚠️"
	}
}

// stateEmoji is the mark before a spec's state.
func stateEmoji(state reports.State) string {
	switch state {
	case reports.StatePassed:
		return "✅"
	case reports.StateFailed:
		return "❌"
	case reports.StateSkipped, reports.StatePending:
		return "⏭️"
	default:
		return "⚠️"
	}
}

// mdSpecial is every character that Markdown (CommonMark and GitHub's
// tables, autolinks and HTML) could read as markup.
var mdSpecial = regexp.MustCompile("[\\\\`*_\\[\\]<>|~&!#]")

// mdText escapes s, folded to one line, so that it renders as the literal
// text it is: no emphasis, link, HTML or table cell break.
func mdText(s string) string {
	return mdSpecial.ReplaceAllString(oneLine(s), `\$0`)
}

// mdCode renders s as an inline code span, which shows it verbatim; an
// empty s is a dash. Pipes are escaped because GitHub splits table cells on
// them even inside code spans.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return "—"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
