package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Fixture values shared by the writers' tests.
const (
	testJWT    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	testSecret = "s3cr3t-value"
)

var testStarted = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

const (
	specGolden    = "Golden path completes every flow, each stage within its SLA"
	specIsolation = "Golden path never shows a user another user's events or data"
	specIdentity  = "Golden path resolves each token to the same user on every path"
	specWebSocket = "WebSocket gateway refuses what the auth service refuses and keeps the frame rules"
)

func testStages(failed ...int) []Stage {
	names := []string{"login", "connect", "send", "first_event", "stream", "response", "history"}
	p50 := []float64{12.5, 4.2, 3.1, 180.4, 420.7, 22.3, 9.8}
	var out []Stage
	for i, n := range names {
		st := Stage{Name: n, Attempted: 40, P50MS: p50[i], P90MS: p50[i] * 1.8, P99MS: p50[i] * 3.1}
		if i < len(failed) {
			st.Failed = failed[i]
		}
		out = append(out, st)
	}
	return out
}

// passingReport is a clean local run: every spec passed, no finding.
func passingReport() *Report {
	return &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "gpcheck", Version: "v0.4.0"},
		Verdict:       "passed",
		StartedAt:     testStarted,
		DurationMS:    8421,
		Target: Target{Kind: "local", AuthURL: "http://127.0.0.1:40001",
			BackendURL: "http://127.0.0.1:40002", WSURL: "ws://127.0.0.1:40003/ws"},
		Config:     Config{Users: 20, Concurrency: 0, Messages: 2, Seed: 424242, MinCompletion: 100, TimeoutMS: 600000},
		Completion: Completion{Attempted: 40, Completed: 40, Rate: 100, Target: 100},
		Stages:     testStages(),
		Specs: []Spec{
			{Name: specWebSocket, Labels: []string{"websocket", "identity"}, State: "passed", DurationMS: 310},
			{Name: specGolden, Labels: []string{"golden-path"}, State: "passed", DurationMS: 6120},
			{Name: specIsolation, Labels: []string{"isolation"}, State: "passed", DurationMS: 12},
			{Name: specIdentity, Labels: []string{"identity"}, State: "passed", DurationMS: 40},
		},
		Findings:       []Finding{},
		FindingsByKind: map[string]int{},
	}
}

// failingReport is a run with a fault switched on: findings of several
// kinds, evidence holding a whole token and a secret, markup in details,
// a skipped spec and a token matrix.
func failingReport() *Report {
	r := passingReport()
	r.Verdict = "failed"
	r.DurationMS = 12977
	r.Target.Faults = []string{"ws-route-by-short-id", "drop-events"}
	r.Config.LabelFilter = "!websocket && (golden-path || isolation || identity)"
	r.Completion = Completion{Attempted: 40, Completed: 37, Rate: 92.5, Target: 100}
	r.Stages = testStages(0, 0, 0, 2, 1)
	r.Specs = []Spec{
		{Name: specWebSocket, Labels: []string{"websocket", "identity"}, State: "skipped"},
		{Name: specGolden, Labels: []string{"golden-path"}, State: "failed", DurationMS: 9120, Findings: 4,
			Failure: "completion 92.5% (37/40) is below the target 100%; 3 stage failure(s)"},
		{Name: specIsolation, Labels: []string{"isolation"}, State: "failed", DurationMS: 15, Findings: 4,
			Failure: "4 isolation_leak finding(s); first: u0003 received an event for u0007 carrying token " + testJWT},
		{Name: specIdentity, Labels: []string{"identity"}, State: "failed", DurationMS: 44, Findings: 4,
			Failure: "2 identity_mismatch, 2 token_accepted finding(s)"},
	}
	long := "the backend answered <b>200</b> | *with* a [profile](http://evil.example) for another user: " +
		"expected sub u0011, got u0012; " + string(bytes.Repeat([]byte("padding "), 30))
	r.Findings = []Finding{
		{ID: "F0001", Kind: KindStageFailure, Spec: specGolden, User: "u0002", Stage: "first_event",
			Detail: "message 0 (request r-02-0): no first event within 2s"},
		{ID: "F0002", Kind: KindStageFailure, Spec: specGolden, User: "u0009", Stage: "first_event",
			Detail: "message 1 (request r-09-1): no first event within 2s"},
		{ID: "F0003", Kind: KindStageFailure, Spec: specGolden, User: "u0015", Stage: "stream",
			Detail: "message 0 (request r-15-0): stream ended after 3 of 5 events"},
		{ID: "F0004", Kind: KindCompletionRate, Spec: specGolden,
			Detail: "completion 92.5% (37/40) is below the target 100%"},
		{ID: "F0005", Kind: KindIsolationLeak, Spec: specIsolation, User: "u0003", Stage: "stream",
			Detail: "frame for user u0007 (canary c-07-0) delivered to u0003",
			Evidence: []string{
				`> {"type":"agent_request","token":"` + testJWT + `"}`,
				`< {"type":"agent_event","user_id":"u0007","canary":"c-07-0"}`,
				`< Authorization: Bearer ` + testSecret,
			}},
		{ID: "F0006", Kind: KindIsolationLeak, Spec: specIsolation, User: "u0004", Stage: "stream",
			Detail:   "frame for user u0008 (run run-08-0) delivered to u0004",
			Evidence: []string{`< {"type":"agent_event","user_id":"u0008","run_id":"run-08-0"}`}},
		{ID: "F0007", Kind: KindIsolationLeak, Spec: specIsolation, User: "u0013", Stage: "history",
			Detail: "thread history holds canary c-17-1 of u0017"},
		{ID: "F0008", Kind: KindIsolationLeak, Spec: specIsolation, User: "u0014", Stage: "response",
			Detail: "answer lacks the user's own canary c-14-0"},
		{ID: "F0009", Kind: KindIdentity, Spec: specIdentity, User: "u0011", Stage: "login",
			Detail: long, Evidence: []string{"GET /api/profile -> 200 {\"email\":\"u0012@example.test\"}"}},
		{ID: "F0010", Kind: KindIdentity, Spec: specIdentity, User: "u0012",
			Detail: "connection_established user_id u0011, token sub u0012"},
		{ID: "F0011", Kind: KindTokenAccepted, Spec: specIdentity, User: "u0005",
			Detail:   "backend accepted a token the auth service rejects (secret " + testSecret + ")",
			Evidence: []string{"token " + testJWT + " -> 200"}},
		{ID: "F0012", Kind: KindTokenAccepted, Spec: specIdentity, User: "u0006",
			Detail: "gateway accepted an expired token"},
	}
	r.FindingsByKind = map[string]int{
		KindStageFailure: 3, KindCompletionRate: 1, KindIsolationLeak: 4, KindIdentity: 2, KindTokenAccepted: 2,
	}
	r.TokenMatrix = &TokenMatrix{
		Paths: []string{"auth.validate", "backend.profile", "ws.connect"},
		Rows: []MatrixRow{
			{ID: "T01", Name: "valid", How: "issued by login", Want: "accept",
				Cells: map[string]string{"auth.validate": "accept:u0001", "backend.profile": "accept:u0001", "ws.connect": "accept:u0001"}},
			{ID: "T02", Name: "expired", How: "exp in the past", Want: "reject",
				Cells: map[string]string{"auth.validate": "reject:401", "backend.profile": "reject:401", "ws.connect": "accept"}},
			{ID: "T03", Name: "query-string token", How: "?token=", Want: "reject", Skipped: "not applicable to REST"},
		},
	}
	r.Probes = []ProbeTable{{
		Name:    "idor",
		Columns: []string{"case", "path", "answer", "verdict"},
		Rows: [][]string{
			{"u0002's thread by id", "GET /api/threads/{id}", "200 (token " + testJWT + ")", "idor"},
			{"an id that does not exist", "GET /api/threads/{id}", "404 not_found", "reference"},
		},
	}}
	return r
}

// fixtures are the reports the golden files are made from.
var fixtures = []struct {
	name   string
	report func() *Report
}{
	{"passing", passingReport},
	{"failing", failingReport},
}

// golden compares got with testdata/name, byte for byte, or rewrites the
// file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./reports -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (run go test ./reports -update if the change is meant):\n%s",
			name, firstDiff(want, got))
	}
}

// firstDiff shows where got first departs from want.
func firstDiff(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	lo := max(0, i-80)
	return "at byte " + strconv.Itoa(i) + "\nwant: …" + string(want[lo:min(len(want), i+80)]) +
		"\ngot:  …" + string(got[lo:min(len(got), i+80)])
}

// writers are every report writer, JSON included, for tests that hold
// for all of them.
var writers = []struct {
	name, ext string
	render    func(*Report, ...string) ([]byte, error)
}{
	{"json", "json", JSON},
	{"junit", "xml", JUnit},
	{"markdown", "md", Markdown},
	{"html", "html", HTML},
}

func TestGoldenFiles(t *testing.T) {
	for _, fx := range fixtures {
		for _, w := range writers[1:] { // report.json's writer is tested with the model
			t.Run(fx.name+"/"+w.name, func(t *testing.T) {
				got, err := w.render(fx.report(), testSecret)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, fx.name+"."+w.ext, got)
			})
		}
	}
}

func TestNoTokenOrSecretInAnyOutput(t *testing.T) {
	// A secret made of markup characters must go too, though escaping
	// would change how it appears in the output.
	const markupSecret = `<a&"b'>`
	for _, fx := range fixtures {
		for _, w := range writers {
			t.Run(fx.name+"/"+w.name, func(t *testing.T) {
				r := fx.report()
				if len(r.Findings) > 0 {
					r.Findings[0].Detail += " " + markupSecret
				}
				got, err := w.render(r, testSecret, markupSecret)
				if err != nil {
					t.Fatal(err)
				}
				for _, bad := range []string{testJWT, testSecret, "eyJhbGciOiJIUzI1NiJ9", markupSecret,
					"&lt;a&amp;", `\<a\&`} {
					if bytes.Contains(got, []byte(bad)) {
						t.Errorf("output holds %q", bad)
					}
				}
			})
		}
	}
}

func TestRedactedLeavesReportAlone(t *testing.T) {
	r := failingReport()
	_ = redacted(r, []string{testSecret})
	if r.Findings[4].Evidence[0] == Redact(r.Findings[4].Evidence[0]) {
		t.Fatal("fixture evidence holds no token")
	}
	if r.TokenMatrix.Rows[0].Cells["auth.validate"] != "accept:u0001" {
		t.Error("redacted changed the report it copied")
	}
}

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
func parseJUnit(t *testing.T, r *Report) xmlSuites {
	t.Helper()
	b, err := JUnit(r, testSecret)
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
		report                           *Report
		tests, failures, errors, skipped int
		wantTypes                        map[string]string // spec -> failure type
	}{
		{name: "passing", report: passingReport(), tests: 4},
		{name: "failing", report: failingReport(), tests: 4, failures: 3, skipped: 1, wantTypes: map[string]string{
			specGolden:    "completion_below_target,stage_failure",
			specIsolation: "isolation_leak",
			specIdentity:  "identity_mismatch,token_accepted",
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
			if props["seed"] != "424242" || props["verdict"] != tt.report.Verdict {
				t.Errorf("properties %v", props)
			}
		})
	}
}

func TestJUnitFailureBody(t *testing.T) {
	r := failingReport()
	r.Findings = nil
	for i := range 25 {
		r.Findings = append(r.Findings, Finding{ID: "F" + strconv.Itoa(1000+i), Kind: KindIsolationLeak,
			Spec: specIsolation, User: "u0003", Stage: "stream", Detail: "leak\nacross lines"})
	}
	r.Specs[2].Failure = strings.Repeat("x", 500)
	doc := parseJUnit(t, r)
	var f *xmlProblem
	for _, c := range doc.Suites[0].Cases {
		if c.Name == specIsolation {
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
	r := failingReport()
	r.Findings = []Finding{{ID: "F0001", Kind: KindProtocol, Spec: specIsolation,
		Detail: "frame ]]> with \x00 a NUL and \x1b an escape"}}
	doc := parseJUnit(t, r)
	for _, c := range doc.Suites[0].Cases {
		if c.Name == specIsolation {
			if want := "F0001 protocol_violation: frame ]]> with \uFFFD a NUL and \uFFFD an escape\n"; c.Failure.Body != want {
				t.Errorf("body %q, want %q", c.Failure.Body, want)
			}
			return
		}
	}
	t.Fatal("no isolation case")
}

func TestJUnitNeverGreenWhenRunDidNotPass(t *testing.T) {
	tests := []struct {
		name, verdict, state string
		errors, tests        int
	}{
		{"error before any spec", "error", "", 1, 1},
		{"interrupted spec", "interrupted", "interrupted", 1, 1},
		{"failed verdict, no failed spec", "failed", "passed", 1, 2},
		{"passed", "passed", "passed", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Verdict: tt.verdict, Error: "target unreachable: dial tcp " + testSecret}
			if tt.state != "" {
				r.Specs = []Spec{{Name: specGolden, State: tt.state}}
			}
			doc := parseJUnit(t, r)
			if doc.Errors != tt.errors || doc.Tests != tt.tests || doc.Suites[0].Timestamp != "" {
				t.Errorf("errors %d tests %d timestamp %q; want %d, %d, none",
					doc.Errors, doc.Tests, doc.Suites[0].Timestamp, tt.errors, tt.tests)
			}
		})
	}
}

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	paths, err := WriteAll(dir, failingReport(), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"report.json", "junit.xml", "report.html", "summary.md"}
	if len(paths) != len(want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	for i, p := range paths {
		if p != filepath.Join(dir, want[i]) {
			t.Errorf("path %d = %s, want %s", i, p, want[i])
		}
		if b, err := os.ReadFile(p); err != nil || len(b) == 0 {
			t.Errorf("%s: %d bytes, %v", p, len(b), err)
		}
	}
	assertEntries(t, dir, want...)
}

func TestWriteAllWritesWhatItCan(t *testing.T) {
	dir := t.TempDir()
	// A non-empty folder where report.html goes: the rename onto it fails.
	if err := os.MkdirAll(filepath.Join(dir, "report.html", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	paths, err := WriteAll(dir, passingReport())
	if err == nil || !strings.Contains(err.Error(), "report.html") {
		t.Fatalf("error %v, want one about report.html", err)
	}
	var pe *fs.PathError
	var le *os.LinkError
	if !errors.As(err, &pe) && !errors.As(err, &le) {
		t.Errorf("error %v does not wrap the file system's error", err)
	}
	if len(paths) != 3 {
		t.Errorf("paths %v, want the three other files", paths)
	}
	assertEntries(t, dir, "report.json", "junit.xml", "report.html", "summary.md")
}

func TestWriteAllNilReport(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteAll(dir, nil); err == nil {
		t.Error("no error for a nil report")
	}
	assertEntries(t, dir)
}

// assertEntries checks that dir holds exactly names: no temporary file
// left behind.
func assertEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		got[e.Name()] = true
	}
	for _, n := range names {
		if !got[n] {
			t.Errorf("%s missing from %s", n, dir)
		}
		delete(got, n)
	}
	for n := range got {
		t.Errorf("unexpected %s left in %s", n, dir)
	}
}

// TestRedactedCoversEveryField fills every string in the model with a
// secret and checks that redacted leaves none, so that a field added to
// the model without a line in redacted fails here rather than leaking.
func TestRedactedCoversEveryField(t *testing.T) {
	r := &Report{}
	fill(reflect.ValueOf(r).Elem())
	red := redacted(r, []string{testSecret})
	var leak func(v reflect.Value, path string)
	leak = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.String:
			if strings.Contains(v.String(), testSecret) {
				t.Errorf("%s is not redacted", path)
			}
		case reflect.Pointer:
			if !v.IsNil() {
				leak(v.Elem(), path)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				leak(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			for i := range v.Len() {
				leak(v.Index(i), path+"[]")
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				leak(k, path+"{key}")
				leak(v.MapIndex(k), path+"{}")
			}
		}
	}
	leak(reflect.ValueOf(red).Elem(), "Report")
}

// fill sets every string reachable from v to one holding testSecret, and
// gives every slice, map and pointer one element.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x " + testSecret)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		e := reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}
