package reporters

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/format"
)

// Helpers more than one format uses.

var (
	percent = format.Percent
	trim    = format.Trim
	oneLine = format.OneLine
	millis  = format.Millis
)

// seconds formats milliseconds as the seconds JUnit's time attributes want.
func seconds(ms int64) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}

// completionText is c in one line: "99.5% (199/200), target 100%".
func completionText(c reports.Completion) string {
	return fmt.Sprintf("%s (%d/%d), target %s", percent(c.Rate), c.Completed, c.Attempted, percent(c.Target))
}

// sortedSpecs returns specs sorted by name, leaving specs as it is.
func sortedSpecs(specs []reports.SpecReport) []reports.SpecReport {
	out := append([]reports.SpecReport(nil), specs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// findingsByKind is r.FindingsByKind, or, when a report lacks it, the
// counts of r.Findings per kind.
func findingsByKind(r *reports.Report) map[reports.Kind]int {
	if len(r.FindingsByKind) > 0 {
		return r.FindingsByKind
	}
	m := map[reports.Kind]int{}
	for _, f := range r.Findings {
		m[f.Kind]++
	}
	return m
}

// faults are the fault modes the run switched on: the tested system's,
// or the spec's when the report does not say.
func faults(r *reports.Report) []string {
	if len(r.Target.Faults) > 0 {
		return r.Target.Faults
	}
	return r.Spec.Faults
}

// targetKind is the kind of target the run tested.
func targetKind(r *reports.Report) string {
	if r.Spec.Target != "" {
		return r.Spec.Target
	}
	return r.Target.Kind
}

// replayCommand is the gpcheck command line that replays r's run: the
// same target, seed, load shape, faults, label filter and, for a remote
// target, URLs. Values are quoted for a POSIX shell.
func replayCommand(r *reports.Report) string {
	s := r.Spec
	args := []string{"gpcheck", "run"}
	switch kind := targetKind(r); kind {
	case "", "local":
	case "remote":
		args = append(args, "--target", "remote")
		for _, u := range []struct{ flag, spec, sut string }{
			{"--auth-url", s.AuthURL, r.Target.AuthURL},
			{"--backend-url", s.BackendURL, r.Target.BackendURL},
			{"--ws-url", s.WSURL, r.Target.WSURL},
		} {
			if u.spec == "" {
				u.spec = u.sut
			}
			if u.spec != "" {
				args = append(args, u.flag, shellQuote(u.spec))
			}
		}
	default:
		args = append(args, "--target", shellQuote(kind))
	}
	args = append(args,
		"--seed", strconv.FormatUint(s.Seed, 10),
		"--users", strconv.Itoa(s.Users),
		"--messages", strconv.Itoa(s.Messages),
		"--concurrency", strconv.Itoa(s.Concurrency))
	if s.Ramp > 0 {
		args = append(args, "--ramp", s.Ramp.String())
	}
	if s.Duration > 0 {
		args = append(args, "--duration", s.Duration.String())
	}
	for _, f := range faults(r) {
		args = append(args, "--fault", shellQuote(f))
	}
	if s.LabelFilter != "" {
		args = append(args, "--label-filter", shellQuote(s.LabelFilter))
	}
	if s.CollideEvery != 0 {
		args = append(args, "--collide-every", strconv.Itoa(s.CollideEvery))
	}
	if s.Churn != 0 {
		args = append(args, "--churn", strconv.Itoa(s.Churn))
	}
	if s.MinCompletion != 100 {
		args = append(args, "--min-completion", strconv.FormatFloat(s.MinCompletion, 'f', -1, 64))
	}
	for _, o := range []struct{ flag, value string }{
		{"--user-mode", s.UserMode}, {"--origin", s.Origin}, {"--profile", s.Profile}, {"--shard", s.Shard},
	} {
		if o.value != "" {
			args = append(args, o.flag, shellQuote(o.value))
		}
	}
	return strings.Join(args, " ")
}

// defectWhat is what a defect is, in one line: its title, where it
// happened, how many users it touched and, for a leak, the shape of who
// received whose data. It holds values from the run: escape it for the
// format it goes into.
func defectWhat(d reports.Defect) string {
	var parts []string
	if d.Stage != "" {
		parts = append(parts, "at "+d.Stage)
	}
	if d.Path != "" {
		parts = append(parts, "on "+d.Path)
	}
	s := d.Title
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if n := len(d.Users); n > 0 {
		s += fmt.Sprintf(" — %d user(s)", n)
	}
	if len(d.Leaks) > 0 {
		owners, receivers := map[string]bool{}, map[string]bool{}
		for _, l := range d.Leaks {
			owners[l.Owner], receivers[l.Receiver] = true, true
		}
		s += fmt.Sprintf("; %s: %d owner(s) → %d receiver(s)", d.Shape, len(owners), len(receivers))
	}
	return s
}

// shellSafe matches words a POSIX shell reads as themselves.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,@%+-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// traceList is a finding's or defect's traces on one line, the first n
// of them, each whole (what a tracing UI is searched by) with whose flow
// it is: "4bf92f3577b34da6a3ce929d0e0e4736 (owner u0001), … and 3 more".
// "" when there are none.
func traceList(ts []reports.TraceRef, n int) string {
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
		parts = append(parts, fmt.Sprintf("%s (%s)", t.TraceID, who))
	}
	return strings.Join(parts, ", ")
}
