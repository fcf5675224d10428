// Package ci writes what a CI system shows of a run, beside the report
// folder: one file per CI system. Under GitHub Actions (github.go) that
// is the step summary (summary.md, appended to $GITHUB_STEP_SUMMARY) and
// one workflow-command annotation per defect; under GitLab CI (gitlab.go)
// a Code Quality report, gl-code-quality.json, in the report folder, to
// pair with junit.xml.
//
// It is not a reporter of reports/reporters: those render files that
// every run writes into its report folder, whatever runs gpcheck, while
// this output depends on where gpcheck runs (which variables are set,
// where the CI wants a file) and goes partly to standard output. It
// renders only a redacted report: Emit redacts once, as
// reporters.WriteAll does, and everything from the system under test is
// escaped for the CI that reads it, so that no finding can inject a
// workflow command.
package ci

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gpcheck/gpcheck/reports"
)

// Mode says which CI system's output to write.
type Mode string

// The modes of `gpcheck run --ci`.
const (
	// Auto picks GitHub when GITHUB_ACTIONS=true, GitLab when
	// GITLAB_CI=true, and None otherwise (Resolve).
	Auto   Mode = "auto"
	GitHub Mode = "github"
	GitLab Mode = "gitlab"
	None   Mode = "none"
)

// Modes lists the modes, in the order --ci's help names them.
func Modes() []Mode { return []Mode{Auto, GitHub, GitLab, None} }

// ParseMode reads a mode by name; the empty string is Auto.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Auto, nil
	}
	for _, m := range Modes() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown CI %q (want auto, github, gitlab or none)", s)
}

// Resolve turns Auto (or the empty mode) into the CI system the
// environment names: GitHub when GITHUB_ACTIONS is "true", GitLab when
// GITLAB_CI is "true", None otherwise. Any other mode is returned as it
// is. A nil getenv is an empty environment.
func (m Mode) Resolve(getenv func(string) string) Mode {
	if m != Auto && m != "" {
		return m
	}
	env := lookup(getenv)
	switch {
	case strings.TrimSpace(env("GITHUB_ACTIONS")) == "true":
		return GitHub
	case strings.TrimSpace(env("GITLAB_CI")) == "true":
		return GitLab
	}
	return None
}

// Options say where the CI output of one run goes.
type Options struct {
	// Mode is the CI system; Auto is resolved against Getenv.
	Mode Mode
	// Getenv reads the environment (os.Getenv); nil is an empty
	// environment, so that nothing is read behind the caller's back.
	Getenv func(string) string
	// Out receives what the CI reads from the job's log: GitHub's
	// workflow commands (annotations).
	Out io.Writer
	// ReportDir is the run's report folder, where GitLab's Code Quality
	// report is written.
	ReportDir string
}

// Emit writes r's CI output for o.Mode: nothing for None; for GitHub,
// the annotations to o.Out and, when $GITHUB_STEP_SUMMARY is set, the
// Markdown summary appended to that file; for GitLab, the Code Quality
// report into o.ReportDir. It redacts r first (reports.Redacted with
// secrets), so that no output holds a whole token or secret. It returns
// the files it wrote or appended to and the first error, with its
// context; it does everything it can even when one part fails.
func Emit(r *reports.Report, secrets []string, o Options) ([]string, error) {
	if r == nil {
		return nil, errors.New("ci: nil report")
	}
	mode := o.Mode.Resolve(o.Getenv)
	if mode == None {
		return nil, nil
	}
	red := reports.Redacted(r, secrets...)
	switch mode {
	case GitHub:
		return emitGitHub(red, o)
	case GitLab:
		return emitGitLab(red, o)
	}
	return nil, fmt.Errorf("ci: unknown mode %q", mode)
}

// lookup is getenv, or an empty environment when it is nil.
func lookup(getenv func(string) string) func(string) string {
	if getenv == nil {
		return func(string) string { return "" }
	}
	return getenv
}
