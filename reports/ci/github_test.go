package ci

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/reports"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		in, data, property string
	}{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"k: v, w", "k: v, w", "k%3A v%2C w"},
		{"%0A", "%250A", "%250A"},
		{"::set-output name=x::y", "::set-output name=x::y", "%3A%3Aset-output name=x%3A%3Ay"},
	}
	for _, tt := range tests {
		if got := EscapeData(tt.in); got != tt.data {
			t.Errorf("EscapeData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := EscapeProperty(tt.in); got != tt.property {
			t.Errorf("EscapeProperty(%q) = %q, want %q", tt.in, got, tt.property)
		}
	}
}

func TestLevel(t *testing.T) {
	want := map[reports.Severity]string{
		reports.SeverityCritical: "error", reports.SeverityHigh: "error",
		reports.SeverityMedium: "warning", reports.SeverityAdvisory: "notice",
	}
	for _, s := range reports.Severities() {
		if got := Level(s); got != want[s] {
			t.Errorf("Level(%s) = %s, want %s", s, got, want[s])
		}
	}
}

// commandLine is a workflow command whose title holds no colon (it is
// escaped), so that the message starts at the first "::" after it.
var commandLine = regexp.MustCompile(`^::(error|warning|notice) title=[^:\r\n]*::[^\r\n]*$`)

// unescapeData is what the runner does to a command's message.
func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}

// TestAnnotationsCannotInject feeds the system under test's text —
// details, spec names, stages, users — full of line breaks, workflow
// commands, escapes and control characters: each defect stays one
// annotation line, the injected commands stay inside its message, and
// nothing else starts a line.
func TestAnnotationsCannotInject(t *testing.T) {
	hostile := []string{
		"leak\n::set-output name=token::stolen",
		"leak\r::add-mask::x",
		"leak\r\n  ::error::forged annotation",
		"%0A::warning::pre-escaped",
		"tab\tvertical\vformfeed\fnel\u0085ls\u2028ps\u2029esc\x1b[31mred nul\x00",
		"::stop-commands::abc\n::abc::",
	}
	r := &reports.Report{Verdict: reports.VerdictFailed}
	for i, h := range hostile {
		r.Defects = append(r.Defects, reports.Defect{
			ID: fmt.Sprintf("D%d", i+1), Kind: reports.KindIsolationLeak, Severity: reports.Severities()[i%4],
			Spec: "spec\n::error::" + h, Stage: "stage\n" + h, Path: h, Title: h, Count: 2,
			Users: []string{"u0001\n::x::"}, Example: "F0001\n::y::",
			Leaks: []reports.Leak{{Owner: h, Receiver: "u2\n::z::", Count: 1}}, Shape: "pairwise\n::w::",
		})
	}
	lines := Annotations(r)
	if len(lines) != len(hostile) {
		t.Fatalf("%d lines for %d defects:\n%s", len(lines), len(hostile), strings.Join(lines, "\n"))
	}
	for i, line := range lines {
		if !commandLine.MatchString(line) {
			t.Errorf("line %d is not one workflow command: %q", i, line)
		}
		if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }) {
			t.Errorf("line %d holds a control or line-separator character: %q", i, line)
		}
		// What GitHub shows is still one line: the message, unescaped,
		// holds no line break.
		msg := line[strings.Index(line[2:], "::")+4:]
		if shown := unescapeData(msg); strings.ContainsAny(shown, "\r\n") {
			t.Errorf("line %d shows a line break: %q", i, shown)
		}
	}
	if !strings.Contains(lines[3], "%250A::warning::pre-escaped") {
		t.Errorf("a literal %%0A in a title must stay literal: %q", lines[3])
	}
}

// TestAnnotationsBounded: a huge title or spec name still makes one
// bounded line that keeps the defect's id and example.
func TestAnnotationsBounded(t *testing.T) {
	huge := strings.Repeat("%é\n", 100000)
	r := &reports.Report{Verdict: reports.VerdictFailed, Defects: []reports.Defect{{
		ID: "D1", Kind: reports.KindProtocol, Severity: reports.SeverityMedium, Spec: "s", Title: huge, Count: 1, Example: "F0001"}}}
	r.Defects = append(r.Defects, r.Defects[0])
	r.Defects[1].ID, r.Defects[1].Spec, r.Defects[1].Title = "D2", huge, "short"
	lines := Annotations(r)
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	for _, line := range lines {
		// 800 characters, each at most 3 bytes escaped (%25) or 2 (é),
		// plus the command and its title.
		if len(line) > 3*annotationMessageMax+3*annotationTitleMax+32 {
			t.Errorf("line of %d bytes", len(line))
		}
		if !commandLine.MatchString(line) {
			t.Errorf("not one command: %.200q", line)
		}
	}
	if !strings.Contains(lines[0], "Example F0001") {
		t.Errorf("a long title pushed out the example: …%s", lines[0][len(lines[0])-200:])
	}
}

// TestAnnotationsPerLevel: at most 10 annotations of a level, worst
// first, and a notice counting the rest.
func TestAnnotationsPerLevel(t *testing.T) {
	mk := func(counts map[reports.Severity]int) *reports.Report {
		r := &reports.Report{Verdict: reports.VerdictFailed}
		for _, s := range reports.Severities() {
			for range counts[s] {
				r.Defects = append(r.Defects, reports.Defect{ID: fmt.Sprintf("D%d", len(r.Defects)+1),
					Kind: reports.KindIDOR, Severity: s, Spec: "s", Title: "t", Count: 1})
			}
		}
		return r
	}
	tests := []struct {
		name                      string
		counts                    map[reports.Severity]int
		errors, warnings, notices int
		more                      int // the count the last notice gives; 0: no such notice
	}{
		{"few", map[reports.Severity]int{reports.SeverityCritical: 2, reports.SeverityMedium: 3, reports.SeverityAdvisory: 1}, 2, 3, 1, 0},
		{"ten of each", map[reports.Severity]int{reports.SeverityHigh: 10, reports.SeverityMedium: 10, reports.SeverityAdvisory: 10}, 10, 10, 10, 0},
		{"too many errors", map[reports.Severity]int{reports.SeverityCritical: 8, reports.SeverityHigh: 7, reports.SeverityMedium: 1}, 10, 1, 1, 5},
		{"too many notices", map[reports.Severity]int{reports.SeverityAdvisory: 12}, 0, 0, 10, 3},
		{"too many of all", map[reports.Severity]int{reports.SeverityCritical: 11, reports.SeverityMedium: 12, reports.SeverityAdvisory: 13}, 10, 10, 10, 1 + 2 + 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := Annotations(mk(tt.counts))
			got := map[string]int{}
			for _, l := range lines {
				got[strings.TrimPrefix(l[:strings.Index(l, " ")], "::")]++
			}
			if got["error"] != tt.errors || got["warning"] != tt.warnings || got["notice"] != tt.notices {
				t.Errorf("%v annotations, want %d errors, %d warnings, %d notices", got, tt.errors, tt.warnings, tt.notices)
			}
			last := lines[len(lines)-1]
			more := strings.Contains(last, "more defect(s) not annotated")
			if more != (tt.more > 0) || more && !strings.Contains(last, fmt.Sprintf("::%d more", tt.more)) {
				t.Errorf("last line %q; want a notice counting %d more", last, tt.more)
			}
			if tt.errors > 0 && !strings.HasPrefix(lines[0], "::error title=gpcheck D1%3A") {
				t.Errorf("first line %q, want D1 (the worst) first", lines[0])
			}
		})
	}
}

// TestAnnotationsWithoutDefects: a run that did not pass always gets an
// annotation, even with no defect; a passing run gets none.
func TestAnnotationsWithoutDefects(t *testing.T) {
	tests := []struct {
		name string
		r    reports.Report
		want string // "" for no annotation
	}{
		{"passed", reports.Report{Verdict: reports.VerdictPassed}, ""},
		{"error", reports.Report{Verdict: reports.VerdictError, Error: "backend refused\n::set-env name=X::y"},
			"::error title=gpcheck%3A error::backend refused ::set-env name=X::y"},
		{"interrupted", reports.Report{Verdict: reports.VerdictInterrupted, Error: "interrupted by SIGTERM"},
			"::error title=gpcheck%3A interrupted::interrupted by SIGTERM"},
		{"inconclusive", reports.Report{Verdict: reports.VerdictInconclusive,
			Inconclusive: []reports.Finding{{Kind: reports.KindInconclusive, Detail: "T07: HTTP 404"}}},
			"::warning title=gpcheck%3A inconclusive::no violation was proven, but 1 check(s) could not be judged; first: T07: HTTP 404"},
		{"failed spec without findings", reports.Report{Verdict: reports.VerdictFailed,
			Specs: []reports.SpecReport{{Name: "ok", State: reports.StatePassed}, {Name: "tokens", State: reports.StatePanicked, Failure: "nil map"}}},
			`::error title=gpcheck%3A failed::spec "tokens" panicked: nil map`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(Annotations(&tt.r), "\n")
			if got != tt.want {
				t.Errorf("annotations %q, want %q", got, tt.want)
			}
		})
	}
	if Annotations(nil) != nil {
		t.Error("annotations for a nil report")
	}
}
