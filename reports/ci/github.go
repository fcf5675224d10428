package ci

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/format"
	"github.com/gpcheck/gpcheck/reports/reporters"
)

// GitHub Actions: one workflow command per defect, and the Markdown
// summary in the step summary.
//
// A workflow command is a line of the job's log, "::LEVEL
// title=T::MESSAGE". The runner reads any log line that starts with "::"
// (after leading space) as one, so a line break inside a value would let
// the system under test write its own command; every value is therefore
// folded to one line, stripped of control characters and escaped as
// GitHub's toolkit escapes (EscapeData, EscapeProperty).

const (
	// AnnotationsPerLevel is how many annotations of one level (error,
	// warning, notice) GitHub shows per step; more are dropped without a
	// word, so Annotations writes at most this many of each and one notice
	// that counts the rest.
	AnnotationsPerLevel = 10
	// annotationTitleMax and annotationMessageMax bound an annotation's
	// title and message, in characters before escaping; a defect's title
	// is cut at annotationWhatMax first so that its counts and example
	// survive.
	annotationTitleMax   = 120
	annotationMessageMax = 800
	annotationWhatMax    = 400
)

// Annotation levels, as GitHub names the commands.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// Level is the annotation level of a severity: critical and high are
// errors, medium a warning, advisory a notice.
func Level(s reports.Severity) string {
	switch s {
	case reports.SeverityCritical, reports.SeverityHigh:
		return LevelError
	case reports.SeverityAdvisory:
		return LevelNotice
	}
	return LevelWarning
}

// EscapeData escapes a workflow command's message as GitHub's toolkit
// does: % as %25, carriage return as %0D, line feed as %0A.
func EscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// EscapeProperty escapes a workflow command's property value: as
// EscapeData, and also : as %3A and , as %2C.
func EscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// Annotations returns r's workflow commands, one line each (no line
// break): one annotation per defect, in report order (worst first), at
// the level of its severity, at most AnnotationsPerLevel of each level,
// then a notice counting the defects left out. A run that did not pass
// and has no defect (an error, an interruption, checks that could not be
// judged, a failed spec without findings) gets one annotation that says
// so, so that the job never looks clean. r must already be redacted.
func Annotations(r *reports.Report) []string {
	if r == nil {
		return nil
	}
	type note struct{ level, title, message string }
	var notes []note
	for _, d := range r.Defects {
		notes = append(notes, note{Level(d.Severity),
			fmt.Sprintf("gpcheck %s: %s %s", d.ID, d.Severity, d.Kind), defectMessage(d)})
	}
	if len(notes) == 0 && r.Verdict != reports.VerdictPassed {
		level := LevelError
		if r.Verdict == reports.VerdictInconclusive {
			level = LevelWarning
		}
		notes = append(notes, note{level, "gpcheck: " + string(r.Verdict), verdictMessage(r)})
	}

	limit := map[string]int{LevelError: AnnotationsPerLevel, LevelWarning: AnnotationsPerLevel, LevelNotice: AnnotationsPerLevel}
	count := map[string]int{}
	for _, n := range notes {
		count[n.level]++
	}
	if count[LevelError] > limit[LevelError] || count[LevelWarning] > limit[LevelWarning] || count[LevelNotice] > limit[LevelNotice] {
		limit[LevelNotice]-- // room for the notice that counts the rest
	}
	var out []string
	shown, left := map[string]int{}, 0
	for _, n := range notes {
		if shown[n.level] == limit[n.level] {
			left++
			continue
		}
		shown[n.level]++
		out = append(out, annotation(n.level, n.title, n.message))
	}
	if left > 0 {
		out = append(out, annotation(LevelNotice, "gpcheck: more defects",
			fmt.Sprintf("%d more defect(s) not annotated: GitHub shows %d annotations of a level per step. The step summary, report.html and report.json list them all.",
				left, AnnotationsPerLevel)))
	}
	return out
}

// WriteAnnotations writes Annotations(r) to w, one line each.
func WriteAnnotations(w io.Writer, r *reports.Report) error {
	for _, line := range Annotations(r) {
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return fmt.Errorf("write annotations: %w", err)
		}
	}
	return nil
}

// annotation is one workflow command: its title and message made one
// line, bounded and escaped.
func annotation(level, title, message string) string {
	return "::" + level + " title=" + EscapeProperty(clean(title, annotationTitleMax)) + "::" + EscapeData(clean(message, annotationMessageMax))
}

// clean folds s into one line without control characters, at most n
// characters long.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return format.Trim(format.OneLine(s), n)
}

// defectMessage is what an annotation says of d: what happened, where,
// how often and to whom, and how to replay it.
func defectMessage(d reports.Defect) string {
	var where []string
	if d.Stage != "" {
		where = append(where, "at "+d.Stage)
	}
	if d.Path != "" {
		where = append(where, "on "+d.Path)
	}
	s := clean(d.Title, annotationWhatMax)
	if len(where) > 0 {
		s += " (" + strings.Join(where, ", ") + ")"
	}
	s += fmt.Sprintf(" — %d finding(s)", d.Count)
	if n := len(d.Users); n > 0 {
		s += fmt.Sprintf(", %d user(s)", n)
	}
	if len(d.Leaks) > 0 {
		owners, receivers := map[string]bool{}, map[string]bool{}
		for _, l := range d.Leaks {
			owners[l.Owner], receivers[l.Receiver] = true, true
		}
		s += fmt.Sprintf("; leak %s: %d owner(s) → %d receiver(s)", d.Shape, len(owners), len(receivers))
	}
	s += fmt.Sprintf(". Spec: %s. Example %s; `gpcheck repro --finding %s` replays it.", d.Spec, d.Example, d.ID)
	return s
}

// verdictMessage says why a run without defects did not pass.
func verdictMessage(r *reports.Report) string {
	switch {
	case r.Error != "":
		return r.Error
	case r.Verdict == reports.VerdictInconclusive && len(r.Inconclusive) > 0:
		return fmt.Sprintf("no violation was proven, but %d check(s) could not be judged; first: %s", len(r.Inconclusive), r.Inconclusive[0].Detail)
	}
	for _, s := range r.Specs {
		if s.State.Failed() {
			return fmt.Sprintf("spec %q %s: %s", s.Name, s.State, s.Failure)
		}
	}
	return "the run did not pass; see the step summary and report.html"
}

// AppendStepSummary appends r's Markdown summary (summary.md, as
// reporters.Markdown renders it) to the step summary file at path
// ($GITHUB_STEP_SUMMARY), after a line break when the file does not end
// in one. r must already be redacted.
func AppendStepSummary(path string, r *reports.Report) error {
	md, err := reporters.Markdown(r)
	if err != nil {
		return fmt.Errorf("step summary: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("step summary: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			md = append([]byte{'\n'}, md...)
		}
	}
	_, werr := f.Write(md)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("step summary: append to %s: %w", path, err)
	}
	return nil
}

// emitGitHub writes the annotations to o.Out and appends the summary to
// $GITHUB_STEP_SUMMARY when it is set.
func emitGitHub(r *reports.Report, o Options) ([]string, error) {
	var files []string
	var first error
	if o.Out != nil {
		if err := WriteAnnotations(o.Out, r); err != nil {
			first = fmt.Errorf("ci github: %w", err)
		}
	}
	if path := lookup(o.Getenv)("GITHUB_STEP_SUMMARY"); path != "" {
		if err := AppendStepSummary(path, r); err != nil {
			if first == nil {
				first = fmt.Errorf("ci github: %w", err)
			}
		} else {
			files = append(files, path)
		}
	}
	return files, first
}
