package reporters

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/format"
)

// Console writes the summary `gpcheck run` prints when a run ends: one
// line per spec ("✓ passed", "- skipped" or "✗ failed"; the golden-path
// spec with its completion, another with its findings and the users they
// concern), a blank line, then completion against its target, failures by
// stage, findings by kind and the verdict with the seed that replays it.
// It prints r as given: redact it first if the output is kept.
func Console(w io.Writer, r *reports.Report) {
	users := map[string]map[string]bool{}
	for _, f := range r.Findings {
		if users[f.Spec] == nil {
			users[f.Spec] = map[string]bool{}
		}
		users[f.Spec][f.User] = true
	}
	for _, s := range r.Specs {
		mark, word := "✓", "passed"
		switch {
		case s.State == reports.StateSkipped:
			mark, word = "-", "skipped"
		case s.State != reports.StatePassed:
			mark, word = "✗", "failed"
		case s.Inconclusive > 0:
			mark, word = "?", "unsure"
		}
		detail := ""
		switch {
		case slices.Contains(s.Labels, "golden-path") && s.State != reports.StateSkipped:
			c := r.Completion
			detail = fmt.Sprintf(" — %s completed (%d/%d)", Percent(c.Rate), c.Completed, c.Attempted)
		case s.Findings > 0:
			detail = fmt.Sprintf(" — %d finding(s), %d user(s)", s.Findings, len(users[s.Name]))
		}
		if s.Inconclusive > 0 && s.State != reports.StateSkipped {
			detail += fmt.Sprintf(" — %d check(s) could not be judged", s.Inconclusive)
		}
		fmt.Fprintf(w, "%s %-7s %s%s\n", mark, word, s.Name, detail)
	}
	fmt.Fprintln(w)
	if c := r.Completion; c.Attempted > 0 {
		ok := "✓"
		if c.Rate < c.Target {
			ok = "✗"
		}
		partial := ""
		if c.Partial {
			ok, partial = "?", ", partial: the run was interrupted"
		}
		gate := ", target " + Percent(c.Target)
		if c.MaxFailureRate > 0 {
			gate = ""
			ok = "✓"
			if !c.Holds() {
				ok = "✗"
			}
		}
		fmt.Fprintf(w, "completion  %s %s (%d/%d flows)%s%s\n", ok, Percent(c.Rate), c.Completed, c.Attempted, gate, partial)
		if c.Confidence > 0 {
			limit := ""
			if c.MaxFailureRate > 0 {
				limit = ", allowed " + Percent(c.MaxFailureRate)
			}
			fmt.Fprintf(w, "failure     rate below %s at %g%% confidence%s\n", Percent(c.FailureBound), c.Confidence, limit)
		}
		var byStage []string
		for _, s := range r.Stages {
			if s.Failed > 0 {
				byStage = append(byStage, fmt.Sprintf("%s %d", s.Name, s.Failed))
			}
		}
		if len(byStage) > 0 {
			fmt.Fprintf(w, "failures    by stage: %s\n", strings.Join(byStage, ", "))
		}
	}
	if n := len(r.Defects); n > 0 {
		fmt.Fprintf(w, "defects     %d, from %d finding(s); worst first (gpcheck repro --finding D1 replays the first)\n", n, len(r.Findings))
		for _, d := range r.Defects[:min(n, consoleDefects)] {
			fmt.Fprintf(w, "  %-4s %-8s %s ×%d: %s\n", d.ID, d.Severity, d.Kind, d.Count, format.Trim(format.OneLine(defectWhat(d)), 160))
			if len(d.Traces) > 0 {
				fmt.Fprintf(w, "       traces: %s\n", traceList(d.Traces, consoleTraces))
			}
		}
		if n > consoleDefects {
			fmt.Fprintf(w, "  … %d more in report.html and report.json\n", n-consoleDefects)
		}
	}
	if len(r.FindingsByKind) > 0 {
		var kinds []string
		for _, k := range format.SortedKeys(r.FindingsByKind) {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, r.FindingsByKind[k]))
		}
		fmt.Fprintf(w, "findings    %s\n", strings.Join(kinds, ", "))
		bySev := map[reports.Severity]int{}
		for _, f := range r.Findings {
			bySev[f.Severity]++
		}
		var sevs []string
		for _, sv := range reports.Severities() {
			if n := bySev[sv]; n > 0 {
				sevs = append(sevs, fmt.Sprintf("%s %d", sv, n))
			}
		}
		if len(sevs) > 0 {
			fmt.Fprintf(w, "severity    %s\n", strings.Join(sevs, ", "))
		}
	} else {
		fmt.Fprintln(w, "findings    none")
	}
	for _, u := range r.Target.Unreached {
		fmt.Fprintf(w, "unreached   %s — its paths were left out\n", format.Trim(format.OneLine(u), 160))
	}
	if n := len(r.Inconclusive); n > 0 {
		fmt.Fprintf(w, "unjudged    %d check(s) could not be judged; first: %s\n", n, format.Trim(format.OneLine(r.Inconclusive[0].Detail), 160))
	}
	fmt.Fprintf(w, "verdict     %s (seed %d)\n", strings.ToUpper(string(r.Verdict)), r.Spec.Seed)
}

// consoleDefects bounds the defects the console lists, consoleTraces
// the traces it shows of each.
const (
	consoleDefects = 10
	consoleTraces  = 2
)

// Percent formats a percentage without needless zeros, as every report
// shows one: 100%, 95%, 99.99%. Rates reach it floored to two decimals
// (reports.FloorRate), so that 100% means nothing failed.
func Percent(v float64) string { return format.Percent(v) }
