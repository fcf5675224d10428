package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gpcheck/gpcheck/engine"
	"github.com/gpcheck/gpcheck/reports/ci"
)

// ciFlag is --ci: which CI system's output gpcheck run writes (auto,
// github, gitlab or none). It is not part of the run's Spec: it says
// where gpcheck runs, not what the run does, so a replay does not repeat
// it.
type ciFlag ci.Mode

func (f *ciFlag) String() string {
	if *f == "" {
		return string(ci.Auto)
	}
	return string(*f)
}

func (f *ciFlag) Set(v string) error {
	m, err := ci.ParseMode(v)
	if err != nil {
		return err
	}
	*f = ciFlag(m)
	return nil
}

// ciUsage is --ci's help.
func ciUsage() string {
	return "CI output: auto (github when GITHUB_ACTIONS=true, gitlab when GITLAB_CI=true, else none), github (annotations, and the summary appended to $GITHUB_STEP_SUMMARY), gitlab (" + ci.CodeQualityFile + " in --report-dir) or none"
}

// emitCI writes the CI output of a finished run (ci.Emit, from the
// redacted report) and says which files it wrote. CI output never changes
// the exit code: a failure to write it is one line on stderr.
func emitCI(stdout, stderr io.Writer, mode ciFlag, reportDir string, res *engine.Result) {
	if res == nil || res.Report == nil {
		return
	}
	files, err := ci.Emit(res.Report, res.Secrets, ci.Options{
		Mode: ci.Mode(mode), Getenv: os.Getenv, Out: stdout, ReportDir: reportDir,
	})
	if len(files) > 0 {
		fmt.Fprintf(stdout, "ci: %s\n", strings.Join(files, ", "))
	}
	if err != nil {
		fmt.Fprintln(stderr, "gpcheck: warning:", oneLine(err.Error()))
	}
}
