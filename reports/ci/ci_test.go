package ci

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/fixture"
	"github.com/gpcheck/gpcheck/reports/reporters"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// env is a getenv over a fixed set of variables.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"", Auto, false},
		{"auto", Auto, false},
		{"github", GitHub, false},
		{"gitlab", GitLab, false},
		{"none", None, false},
		{"GitHub", "", true},
		{"jenkins", "", true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseMode(%q): error is not one line: %q", tt.in, err)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		env  map[string]string
		want Mode
	}{
		{"auto, no CI", Auto, nil, None},
		{"empty mode is auto", "", map[string]string{"GITHUB_ACTIONS": "true"}, GitHub},
		{"auto, GitHub", Auto, map[string]string{"GITHUB_ACTIONS": "true"}, GitHub},
		{"auto, GitLab", Auto, map[string]string{"GITLAB_CI": "true"}, GitLab},
		{"auto, both: GitHub first", Auto, map[string]string{"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"}, GitHub},
		{"auto, GITHUB_ACTIONS not true", Auto, map[string]string{"GITHUB_ACTIONS": "false", "CI": "true"}, None},
		{"explicit github outside CI", GitHub, nil, GitHub},
		{"explicit none under GitHub", None, map[string]string{"GITHUB_ACTIONS": "true"}, None},
		{"explicit gitlab under GitHub", GitLab, map[string]string{"GITHUB_ACTIONS": "true"}, GitLab},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.mode.Resolve(env(tt.env)); got != tt.want {
				t.Errorf("Resolve = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Auto.Resolve(nil); got != None {
		t.Errorf("Auto.Resolve(nil) = %q, want none (a nil getenv is an empty environment)", got)
	}
}

// TestGoldenFiles renders every fixture's annotations and Code Quality
// report and compares each with testdata/<fixture>/.
func TestGoldenFiles(t *testing.T) {
	for _, fx := range fixture.Reports {
		red := reports.Redacted(fx.Report(), fixture.Secret)
		t.Run(fx.Name+"/annotations", func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteAnnotations(&b, red); err != nil {
				t.Fatal(err)
			}
			fixture.Golden(t, filepath.Join("testdata", fx.Name, "annotations.txt"), b.Bytes(), *update)
		})
		t.Run(fx.Name+"/codequality", func(t *testing.T) {
			got, err := CodeQuality(red, "gpcheck-report/report.json")
			if err != nil {
				t.Fatal(err)
			}
			fixture.Golden(t, filepath.Join("testdata", fx.Name, CodeQualityFile), got, *update)
		})
	}
}

// TestEmitGitHub runs Emit as gpcheck run does under GitHub Actions: the
// annotations go to Out, the summary is appended to the step summary
// file (after what earlier steps wrote), and nothing holds a whole token
// or a secret of the unredacted report.
func TestEmitGitHub(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "step_summary.md")
	if err := os.WriteFile(summary, []byte("earlier step, no newline"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := fixture.Failing()
	files, err := Emit(r, []string{fixture.Secret}, Options{
		Mode:   Auto,
		Getenv: env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}),
		Out:    &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0] != summary {
		t.Errorf("files = %q, want the step summary", files)
	}
	got, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	md, err := reporters.Markdown(reports.Redacted(r, fixture.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if want := "earlier step, no newline\n" + string(md); string(got) != want {
		t.Errorf("step summary:\n%s\nwant what was there, a line break and summary.md:\n%s", got, want)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(r.Defects) {
		t.Errorf("%d annotation lines for %d defects:\n%s", len(lines), len(r.Defects), out.String())
	}
	for _, text := range []string{string(got), out.String()} {
		for _, leak := range []string{fixture.JWT, fixture.Secret} {
			if strings.Contains(text, leak) {
				t.Errorf("CI output holds %q:\n%s", leak, text)
			}
		}
	}
	if r.Findings[10].Detail == "" || !strings.Contains(r.Findings[10].Detail, fixture.Secret) {
		t.Error("Emit changed the report it was given")
	}
}

// TestEmitGitHubWithoutStepSummary: explicit --ci github outside Actions
// prints the annotations and appends nothing.
func TestEmitGitHubWithoutStepSummary(t *testing.T) {
	var out bytes.Buffer
	files, err := Emit(fixture.Failing(), nil, Options{Mode: GitHub, Out: &out})
	if err != nil || len(files) != 0 {
		t.Fatalf("files %q, error %v; want none", files, err)
	}
	if !strings.HasPrefix(out.String(), "::error title=gpcheck D1%3A critical isolation_leak::") {
		t.Errorf("annotations:\n%s", out.String())
	}
}

func TestEmitGitHubSummaryUnwritable(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	_, err := Emit(fixture.Failing(), nil, Options{Mode: GitHub, Out: &out,
		Getenv: env(map[string]string{"GITHUB_STEP_SUMMARY": dir})}) // a folder
	if err == nil || !strings.Contains(err.Error(), "ci github: step summary") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v; want one line naming the step summary", err)
	}
	if out.Len() == 0 {
		t.Error("the annotations were not written although only the summary failed")
	}
}

// TestEmitGitLab writes gl-code-quality.json into the report folder, and
// nothing to Out.
func TestEmitGitLab(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	files, err := Emit(fixture.Failing(), []string{fixture.Secret}, Options{
		Mode: Auto, Getenv: env(map[string]string{"GITLAB_CI": "true", "CI_PROJECT_DIR": filepath.Dir(dir)}),
		Out: &out, ReportDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, CodeQualityFile)
	if len(files) != 1 || files[0] != path {
		t.Errorf("files = %q, want %s", files, path)
	}
	if out.Len() != 0 {
		t.Errorf("GitLab output on stdout: %q", out.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var issues []map[string]any
	if err := json.Unmarshal(b, &issues); err != nil {
		t.Fatalf("%s is not a JSON array: %v", CodeQualityFile, err)
	}
	if len(issues) != len(fixture.Failing().Defects) {
		t.Errorf("%d issues, want one per defect", len(issues))
	}
	wantPath := filepath.Base(dir) + "/report.json"
	fps := map[any]bool{}
	for _, is := range issues {
		for _, k := range []string{"description", "check_name", "fingerprint", "severity", "location"} {
			if is[k] == nil || is[k] == "" {
				t.Errorf("issue lacks %s: %v", k, is)
			}
		}
		loc, _ := is["location"].(map[string]any)
		lines, _ := loc["lines"].(map[string]any)
		if loc["path"] != wantPath || lines["begin"] != float64(1) {
			t.Errorf("location %v, want %s line 1", loc, wantPath)
		}
		if fps[is["fingerprint"]] {
			t.Errorf("fingerprint %v repeated", is["fingerprint"])
		}
		fps[is["fingerprint"]] = true
	}
	for _, leak := range []string{fixture.JWT, fixture.Secret} {
		if bytes.Contains(b, []byte(leak)) {
			t.Errorf("%s holds %q", CodeQualityFile, leak)
		}
	}
}

func TestEmitGitLabNeedsReportDir(t *testing.T) {
	_, err := Emit(fixture.Failing(), nil, Options{Mode: GitLab})
	if err == nil || !strings.Contains(err.Error(), CodeQualityFile) {
		t.Errorf("error %v; want one naming %s", err, CodeQualityFile)
	}
}

func TestEmitNone(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	for _, m := range []Mode{None, Auto} {
		files, err := Emit(fixture.Failing(), nil, Options{Mode: m, Getenv: env(map[string]string{"CI": "true"}), Out: &out, ReportDir: dir})
		if err != nil || len(files) != 0 || out.Len() != 0 {
			t.Errorf("%s: files %q, error %v, output %q; want nothing", m, files, err, out.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("report folder holds %d entries, want none", len(entries))
	}
	if _, err := Emit(nil, nil, Options{Mode: GitHub}); err == nil {
		t.Error("no error for a nil report")
	}
}

func TestCodeQualityPath(t *testing.T) {
	root := filepath.FromSlash("/builds/group/project")
	tests := []struct {
		dir, root, want string
	}{
		{"gpcheck-report", root, "gpcheck-report/report.json"},
		{filepath.Join(root, "out", "gpcheck"), root, "out/gpcheck/report.json"},
		{filepath.FromSlash("/tmp/gpcheck"), root, "/tmp/gpcheck/report.json"},
		{filepath.Join(root, "out"), "", "/builds/group/project/out/report.json"},
	}
	for _, tt := range tests {
		if got := codeQualityPath(tt.dir, env(map[string]string{"CI_PROJECT_DIR": tt.root})); got != tt.want {
			t.Errorf("codeQualityPath(%q, root %q) = %q, want %q", tt.dir, tt.root, got, tt.want)
		}
	}
}

// TestCodeQualityFingerprints: a defect keeps its fingerprint from run to
// run when only ids and numbers differ, and fingerprints are unique
// within a report.
func TestCodeQualityFingerprints(t *testing.T) {
	defect := func(title string) reports.Defect {
		return reports.Defect{ID: "D1", Kind: reports.KindStageFailure, Severity: reports.SeverityMedium,
			Spec: "golden", Stage: "stream", Title: title, Count: 1}
	}
	a := defectFingerprint(defect("message 0 (request r-15-0): stream ended after 3 of 5 events"))
	b := defectFingerprint(defect("message 1 (request r-12-1): stream ended after 2 of 5 events"))
	c := defectFingerprint(defect("answer lacks the user's own canary"))
	if a != b || a == c {
		t.Errorf("fingerprints %s %s %s: want the first two equal and the third different", a, b, c)
	}
	r := &reports.Report{Defects: []reports.Defect{defect("x 1"), defect("x 2"), defect("x 3")}}
	got, err := CodeQuality(r, "report.json")
	if err != nil {
		t.Fatal(err)
	}
	var issues []codeQualityIssue
	if err := json.Unmarshal(got, &issues); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, is := range issues {
		if seen[is.Fingerprint] {
			t.Errorf("fingerprint %s repeated", is.Fingerprint)
		}
		seen[is.Fingerprint] = true
	}
	if empty, _ := CodeQuality(&reports.Report{}, "report.json"); string(empty) != "[]\n" {
		t.Errorf("no defect renders %q, want []", empty)
	}
	if _, err := CodeQuality(nil, "x"); err == nil {
		t.Error("no error for a nil report")
	}
}

func TestCodeQualitySeverity(t *testing.T) {
	want := map[reports.Severity]string{
		reports.SeverityCritical: "blocker", reports.SeverityHigh: "critical",
		reports.SeverityMedium: "major", reports.SeverityAdvisory: "info",
	}
	for _, s := range reports.Severities() {
		if got := CodeQualitySeverity(s); got != want[s] {
			t.Errorf("CodeQualitySeverity(%s) = %s, want %s", s, got, want[s])
		}
	}
}
