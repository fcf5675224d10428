package reporters

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/fixture"
)

// The JUnit schema, mirrored independently of the writer's own types, so
// that a change in either shows.
type (
	xmlSuites struct {
		XMLName  xml.Name   `xml:"testsuites"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Time     float64    `xml:"time,attr"`
		Suites   []xmlSuite `xml:"testsuite"`
	}
	xmlSuite struct {
		Name       string        `xml:"name,attr"`
		Tests      int           `xml:"tests,attr"`
		Failures   int           `xml:"failures,attr"`
		Errors     int           `xml:"errors,attr"`
		Skipped    int           `xml:"skipped,attr"`
		Time       float64       `xml:"time,attr"`
		Timestamp  string        `xml:"timestamp,attr"`
		Properties []xmlProperty `xml:"properties>property"`
		Cases      []xmlCase     `xml:"testcase"`
	}
	xmlProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	xmlCase struct {
		Name      string      `xml:"name,attr"`
		Classname string      `xml:"classname,attr"`
		Time      float64     `xml:"time,attr"`
		Failure   *xmlProblem `xml:"failure"`
		Error     *xmlProblem `xml:"error"`
		Skipped   *struct{}   `xml:"skipped"`
		Inner     string      `xml:",innerxml"`
	}
	xmlProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	}
)

// parseJUnit renders r as JUnit and parses it back.
func parseJUnit(t *testing.T, r *reports.Report) xmlSuites {
	t.Helper()
	b, err := JUnit(reports.Redacted(r, fixture.Secret))
	if err != nil {
		t.Fatal(err)
	}
	var doc xmlSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, b)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(doc.Suites))
	}
	return doc
}

func TestJUnitParsesAndCounts(t *testing.T) {
	tests := []struct {
		name                             string
		report                           *reports.Report
		tests, failures, errors, skipped int
		wantTypes                        map[string]string // spec -> failure type
	}{
		{name: "passing", report: fixture.Passing(), tests: 4},
		{name: "failing", report: fixture.Failing(), tests: 4, failures: 3, skipped: 1, wantTypes: map[string]string{
			fixture.SpecGolden:    "completion_below_target,stage_failure",
			fixture.SpecIsolation: "isolation_leak",
			fixture.SpecIdentity:  "identity_mismatch,token_accepted",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseJUnit(t, tt.report)
			s := doc.Suites[0]
			for _, c := range []struct {
				what      string
				got, want int
			}{
				{"testsuites tests", doc.Tests, tt.tests}, {"testsuites failures", doc.Failures, tt.failures},
				{"testsuites errors", doc.Errors, tt.errors}, {"testsuites skipped", doc.Skipped, tt.skipped},
				{"testsuite tests", s.Tests, tt.tests}, {"testsuite failures", s.Failures, tt.failures},
				{"testsuite errors", s.Errors, tt.errors}, {"testsuite skipped", s.Skipped, tt.skipped},
				{"testcases", len(s.Cases), tt.tests},
			} {
				if c.got != c.want {
					t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
				}
			}
			var failures, skipped int
			for i, c := range s.Cases {
				if i > 0 && s.Cases[i-1].Name > c.Name {
					t.Errorf("testcases not sorted by name: %q before %q", s.Cases[i-1].Name, c.Name)
				}
				if c.Classname != "gpcheck" {
					t.Errorf("classname %q", c.Classname)
				}
				if c.Skipped != nil {
					skipped++
				}
				if c.Failure == nil {
					if c.Skipped == nil && strings.TrimSpace(c.Inner) != "" {
						t.Errorf("passed case %q has a body: %q", c.Name, c.Inner)
					}
					continue
				}
				failures++
				if want := tt.wantTypes[c.Name]; c.Failure.Type != want {
					t.Errorf("%q failure type %q, want %q", c.Name, c.Failure.Type, want)
				}
				if c.Failure.Message == "" || len([]rune(c.Failure.Message)) > 300 {
					t.Errorf("%q failure message %q", c.Name, c.Failure.Message)
				}
			}
			if failures != tt.failures || skipped != tt.skipped {
				t.Errorf("cases: %d failures, %d skipped; want %d, %d", failures, skipped, tt.failures, tt.skipped)
			}
			if s.Name != "gpcheck" || s.Timestamp != "2026-03-14T09:26:53" || s.Time != float64(tt.report.DurationMS)/1000 {
				t.Errorf("suite name %q timestamp %q time %v", s.Name, s.Timestamp, s.Time)
			}
			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			for _, k := range []string{"seed", "target.kind", "faults", "verdict", "completion"} {
				if _, ok := props[k]; !ok {
					t.Errorf("no property %q in %v", k, props)
				}
			}
			if props["seed"] != "424242" || props["verdict"] != string(tt.report.Verdict) {
				t.Errorf("properties %v", props)
			}
		})
	}
}

func TestJUnitFailureBody(t *testing.T) {
	r := fixture.Failing()
	r.Findings = nil
	for i := range 25 {
		r.Findings = append(r.Findings, reports.Finding{ID: "F" + strconv.Itoa(1000+i), Kind: reports.KindIsolationLeak,
			Spec: fixture.SpecIsolation, User: "u0003", Stage: "stream", Detail: "leak\nacross lines"})
	}
	r.Specs[2].Failure = strings.Repeat("x", 500)
	doc := parseJUnit(t, r)
	var f *xmlProblem
	for _, c := range doc.Suites[0].Cases {
		if c.Name == fixture.SpecIsolation {
			f = c.Failure
		}
	}
	if f == nil {
		t.Fatal("no failure for the isolation spec")
	}
	lines := strings.Split(strings.TrimSpace(f.Body), "\n")
	if len(lines) != 21 {
		t.Fatalf("%d body lines, want 20 findings and a count:\n%s", len(lines), f.Body)
	}
	if lines[0] != "F1000 isolation_leak u0003 (stream): leak across lines" {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.Contains(lines[20], "5 more") {
		t.Errorf("last line %q", lines[20])
	}
	if n := len([]rune(f.Message)); n != 300 || !strings.HasSuffix(f.Message, "…") {
		t.Errorf("message of %d runes: %q", n, f.Message)
	}
}

func TestJUnitOddCharacters(t *testing.T) {
	r := fixture.Failing()
	r.Findings = []reports.Finding{{ID: "F0001", Kind: reports.KindProtocol, Spec: fixture.SpecIsolation,
		Detail: "frame ]]> with \x00 a NUL and \x1b an escape"}}
	doc := parseJUnit(t, r)
	for _, c := range doc.Suites[0].Cases {
		if c.Name == fixture.SpecIsolation {
			// Redaction makes control characters visible text first.
			if want := `F0001 protocol_violation: frame ]]> with \x00 a NUL and \x1b an escape` + "\n"; c.Failure.Body != want {
				t.Errorf("body %q, want %q", c.Failure.Body, want)
			}
			return
		}
	}
	t.Fatal("no isolation case")
}

func TestJUnitNeverGreenWhenRunDidNotPass(t *testing.T) {
	tests := []struct {
		name          string
		verdict       reports.Verdict
		state         reports.State
		errors, tests int
	}{
		{"error before any spec", reports.VerdictError, "", 1, 1},
		{"interrupted spec", reports.VerdictInterrupted, reports.StateInterrupted, 1, 1},
		{"failed verdict, no failed spec", reports.VerdictFailed, reports.StatePassed, 1, 2},
		{"passed", reports.VerdictPassed, reports.StatePassed, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &reports.Report{Verdict: tt.verdict, Error: "target unreachable: dial tcp " + fixture.Secret}
			if tt.state != "" {
				r.Specs = []reports.SpecReport{{Name: fixture.SpecGolden, State: tt.state}}
			}
			doc := parseJUnit(t, r)
			if doc.Errors != tt.errors || doc.Tests != tt.tests || doc.Suites[0].Timestamp != "" {
				t.Errorf("errors %d tests %d timestamp %q; want %d, %d, none",
					doc.Errors, doc.Tests, doc.Suites[0].Timestamp, tt.errors, tt.tests)
			}
		})
	}
}
