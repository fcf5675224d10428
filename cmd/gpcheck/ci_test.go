package main

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/gpcheck/gpcheck/docs/schema"
	"github.com/gpcheck/gpcheck/reports/ci"
)

// ciVariables are the variables by which `gpcheck run --ci auto` knows
// it runs in CI, and where GitHub wants the step summary.
var ciVariables = []string{"GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITLAB_CI", "CI_PROJECT_DIR"}

// init takes the CI's variables out of this test binary's environment,
// before TestMain and so before any test starts gpcheck: when gpcheck's own
// tests run under GitHub Actions or GitLab CI, the many `gpcheck run`s of
// the end-to-end tests (which inherit the environment) must not append
// their summaries to the real step summary, print annotations, or write
// Code Quality reports. The tests of --ci set the variables explicitly
// (ciRun).
func init() {
	for _, v := range ciVariables {
		os.Unsetenv(v)
	}
}

// ciRun runs the real binary with args in an environment that is this
// one without any CI's variables, plus env.
func ciRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	base := os.Environ()
	for _, v := range ciVariables {
		base = withoutEnv(base, v)
	}
	return runBinary(t, 5*time.Minute, append(base, env...), args...)
}

// readReportJSON reads the report.json of a report folder.
func readReportJSON(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// validateReport validates a report folder's report.json against the
// published schema (docs/schema/report.schema.json): what a real run
// writes, not only the fixtures, keeps the contract.
func validateReport(t *testing.T, dir string) {
	t.Helper()
	b, err := fs.ReadFile(schema.Files(), schema.Report)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schema.Report, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schema.Report)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inst, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("report.json of a real run does not validate against %s:\n%v", schema.Report, err)
	}
}

// workflowCommand is a line GitHub's runner reads as a workflow command.
var workflowCommand = regexp.MustCompile(`^\s*::`)

// TestCIGitHubActions: a failing run under GITHUB_ACTIONS=true appends
// summary.md to $GITHUB_STEP_SUMMARY (after what was there) and prints
// one annotation per defect, and no other line of its output is a
// workflow command.
func TestCIGitHubActions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	summary := filepath.Join(t.TempDir(), "step_summary.md")
	if err := os.WriteFile(summary, []byte("## an earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ciRun(t, []string{"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary},
		"run", "--fault", "ws-route-by-short-id", "--label-filter", "isolation", "--seed", "7", "--no-progress", "--report-dir", dir)
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	rep := readReportJSON(t, dir)
	validateReport(t, dir)
	defects, _ := rep["defects"].([]any)
	if len(defects) == 0 {
		t.Fatalf("no defects in the report: %v", rep["findings_by_kind"])
	}

	got, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "## an earlier step\n"+string(md) || !strings.Contains(string(md), "### Defects") {
		t.Errorf("step summary is not what was there plus summary.md:\n%s", got)
	}

	var annotations []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if workflowCommand.MatchString(line) {
			annotations = append(annotations, line)
		}
	}
	// One per defect; past 10 of a level, 10 and a notice counting the rest.
	if n := len(annotations); len(defects) <= 10 && n != len(defects) || len(defects) > 10 && (n < 10 || n > len(defects)) {
		t.Errorf("%d annotations for %d defects:\n%s", n, len(defects), r.stdout)
	}
	first := defects[0].(map[string]any)
	if len(annotations) > 0 && !strings.HasPrefix(annotations[0], "::error title=gpcheck D1%3A critical "+first["kind"].(string)+"::") {
		t.Errorf("first annotation %q, want D1's error", annotations[0])
	}
	for _, a := range annotations {
		if !regexp.MustCompile(`^::(error|warning|notice) title=gpcheck[^:]*::`).MatchString(a) {
			t.Errorf("a workflow command gpcheck did not mean to write: %q", a)
		}
		if strings.Contains(a, "eyJ") {
			t.Errorf("an annotation holds a token: %q", a)
		}
	}
	if !strings.Contains(r.stdout, "ci: "+summary) {
		t.Errorf("stdout does not say the step summary was written:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "gl-code-quality.json")); err == nil {
		t.Error("gl-code-quality.json written under GitHub Actions")
	}
}

// TestCIGitLab: --ci gitlab wins over GITHUB_ACTIONS and writes the Code
// Quality report, one issue per defect, into the report folder; nothing
// goes to the step summary and no annotation is printed.
func TestCIGitLab(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	summary := filepath.Join(t.TempDir(), "step_summary.md")
	r := ciRun(t, []string{"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary},
		"run", "--ci", "gitlab", "--fault", "ws-route-by-short-id", "--label-filter", "isolation", "--seed", "7", "--no-progress", "--report-dir", dir)
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	rep := readReportJSON(t, dir)
	b, err := os.ReadFile(filepath.Join(dir, "gl-code-quality.json"))
	if err != nil {
		t.Fatal(err)
	}
	var issues []map[string]any
	if err := json.Unmarshal(b, &issues); err != nil {
		t.Fatalf("gl-code-quality.json: %v", err)
	}
	if defects, _ := rep["defects"].([]any); len(issues) != len(defects) || len(issues) == 0 {
		t.Errorf("%d issues for %d defects", len(issues), len(defects))
	}
	if _, err := os.Stat(summary); err == nil {
		t.Error("--ci gitlab wrote the GitHub step summary")
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if workflowCommand.MatchString(line) {
			t.Errorf("--ci gitlab printed a workflow command: %q", line)
		}
	}
	if !strings.Contains(r.stdout, "ci: "+filepath.Join(dir, "gl-code-quality.json")) {
		t.Errorf("stdout does not name gl-code-quality.json:\n%s", r.stdout)
	}
}

func TestCIBadFlag(t *testing.T) {
	t.Parallel()
	r := ciRun(t, nil, "run", "--ci", "jenkins", "--report-dir", t.TempDir())
	line := strings.TrimSpace(r.stderr)
	if r.code != exitUsage || !strings.Contains(line, `unknown CI "jenkins"`) {
		t.Errorf("exit %d, stderr %q; want exit 2 naming the CI", r.code, line)
	}
}

// TestCISamples: the sample pipelines under deploy/ run a gpcheck command
// line that parses, with the --ci they are about, and hand the CI the
// files that command writes.
func TestCISamples(t *testing.T) {
	tests := []struct {
		file  string
		mode  ci.Mode
		files []string // paths the pipeline must name, relative to the report folder
	}{
		{"../../deploy/github-workflow.yml", ci.GitHub, []string{""}},
		{"../../deploy/gitlab-ci.yml", ci.GitLab, []string{"", "junit.xml", ci.CodeQualityFile}},
	}
	expr := regexp.MustCompile(`\$\{\{[^}]*\}\}|"\$[A-Z_]+"`)
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			b, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("%s is not YAML: %v", tt.file, err)
			}
			var texts []string
			var walk func(any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					for _, x := range v {
						walk(x)
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				case string:
					texts = append(texts, v)
				}
			}
			walk(doc)
			var runs []string
			for _, s := range texts {
				if strings.HasPrefix(strings.TrimSpace(s), "gpcheck run ") {
					runs = append(runs, s)
				}
			}
			if len(runs) != 1 {
				t.Fatalf("%d gpcheck run command lines, want 1: %q", len(runs), runs)
			}
			args := strings.Fields(expr.ReplaceAllString(runs[0], "1"))[2:]
			spec, c, err := runSpec(args, io.Discard)
			if err != nil {
				t.Fatalf("%q does not parse: %v", runs[0], err)
			}
			if ci.Mode(c.ci) != tt.mode {
				t.Errorf("--ci %q, want %q", c.ci, tt.mode)
			}
			for _, f := range tt.files {
				want := filepath.ToSlash(filepath.Join(spec.ReportDir, f))
				found := false
				for _, s := range texts {
					found = found || strings.TrimSuffix(s, "/") == want
				}
				if !found {
					t.Errorf("the pipeline does not hand %q to the CI", want)
				}
			}
		})
	}
}
