package ci

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/reporters"
)

// GitLab CI: a Code Quality report, one issue per defect, written into the
// report folder; the pipeline declares it with
// artifacts:reports:codequality beside junit.xml under
// artifacts:reports:junit (deploy/gitlab-ci.yml).

// CodeQualityFile is the Code Quality report `--ci gitlab` writes into
// the report folder.
const CodeQualityFile = "gl-code-quality.json"

// codeQualityDescriptionMax bounds an issue's description, in characters.
const codeQualityDescriptionMax = 1000

// codeQualityIssue is one entry of a Code Quality report: the fields
// GitLab requires, and no more.
type codeQualityIssue struct {
	Description string              `json:"description"`
	CheckName   string              `json:"check_name"`
	Fingerprint string              `json:"fingerprint"`
	Severity    string              `json:"severity"`
	Location    codeQualityLocation `json:"location"`
}

type codeQualityLocation struct {
	Path  string           `json:"path"`
	Lines codeQualityLines `json:"lines"`
}

type codeQualityLines struct {
	Begin int `json:"begin"`
}

// CodeQualitySeverity is GitLab's severity of a gpcheck severity:
// critical is a blocker, high critical, medium major, advisory info.
func CodeQualitySeverity(s reports.Severity) string {
	switch s {
	case reports.SeverityCritical:
		return "blocker"
	case reports.SeverityHigh:
		return "critical"
	case reports.SeverityAdvisory:
		return "info"
	}
	return "major"
}

// CodeQuality renders r as a GitLab Code Quality report: a JSON array
// with one issue per defect, in report order, whose check_name is the
// defect's kind, whose location is path (the report that holds the
// defect, relative to the project) at line 1, and whose fingerprint is
// stable from run to run for the same defect (a hash of its kind, spec,
// stage, path and title with ids and numbers taken out), so that a merge
// request shows which defects are new and which were fixed. No defect is
// "[]". r must already be redacted.
func CodeQuality(r *reports.Report, path string) ([]byte, error) {
	if r == nil {
		return nil, errors.New("code quality: nil report")
	}
	issues := make([]codeQualityIssue, 0, len(r.Defects))
	seen := map[string]int{}
	for _, d := range r.Defects {
		fp := defectFingerprint(d)
		seen[fp]++
		if n := seen[fp]; n > 1 {
			fp = fmt.Sprintf("%s:%d", fp, n)
		}
		issues = append(issues, codeQualityIssue{
			Description: clean(fmt.Sprintf("%s %s %s: %s", d.ID, d.Severity, d.Kind, defectMessage(d)), codeQualityDescriptionMax),
			CheckName:   "gpcheck/" + string(d.Kind),
			Fingerprint: fp,
			Severity:    CodeQualitySeverity(d.Severity),
			Location:    codeQualityLocation{Path: path, Lines: codeQualityLines{Begin: 1}},
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(issues); err != nil {
		return nil, fmt.Errorf("code quality: %w", err)
	}
	return buf.Bytes(), nil
}

// defectFingerprint identifies a defect across runs: the hex of the
// first 16 bytes of the sha256 of what its findings share.
func defectFingerprint(d reports.Defect) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{
		string(d.Kind), d.Spec, d.Stage, d.Path, reports.Normalize(d.Title)}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// codeQualityPath is where a Code Quality issue points: the report.json
// of the report folder, relative to the project ($CI_PROJECT_DIR) when
// the folder is given as an absolute path inside it, with slashes.
func codeQualityPath(reportDir string, getenv func(string) string) string {
	p := filepath.Join(reportDir, "report.json")
	if root := lookup(getenv)("CI_PROJECT_DIR"); filepath.IsAbs(p) && root != "" {
		if rel, err := filepath.Rel(root, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			p = rel
		}
	}
	return filepath.ToSlash(p)
}

// emitGitLab writes the Code Quality report into o.ReportDir.
func emitGitLab(r *reports.Report, o Options) ([]string, error) {
	if o.ReportDir == "" {
		return nil, errors.New("ci gitlab: no report folder to write " + CodeQualityFile + " into")
	}
	b, err := CodeQuality(r, codeQualityPath(o.ReportDir, o.Getenv))
	if err != nil {
		return nil, fmt.Errorf("ci gitlab: %w", err)
	}
	path := filepath.Join(o.ReportDir, CodeQualityFile)
	if err := reporters.WriteFile(path, b); err != nil {
		return nil, fmt.Errorf("ci gitlab: %w", err)
	}
	return []string{path}, nil
}
