// Package reporters turns a reports.Report into the files of a report
// folder, one small file per format, as Ginkgo's reporters do for its
// types: json.go (report.json), junit.go (junit.xml), html.go
// (report.html) and markdown.go (summary.md), plus console.go, the
// summary `gpcheck run` prints.
//
// Every file format has one entry point that renders an already-redacted
// report to bytes; WriteAll redacts once (reports.Redacted) and writes
// them all, each atomically.
//
// Adding a format is one new file holding its render function, a
// func(*reports.Report) ([]byte, error), plus one line in the list All
// returns. WriteAll then writes it, and the tests that hold for every
// format (golden files, no token or secret in any output, nil and empty
// reports) cover it: create its golden files with
// `go test ./reports/reporters -update`.
package reporters

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gpcheck/gpcheck/reports"
)

// Reporter is one report format written into the report folder.
type Reporter struct {
	Name   string // "json", "junit", "html", "markdown"
	File   string // "report.json", "junit.xml", "report.html", "summary.md"
	Render func(*reports.Report) ([]byte, error)
}

// all is every format, in the order WriteAll writes them. A new format
// is one more line here.
var all = []Reporter{
	{Name: "json", File: "report.json", Render: JSON},
	{Name: "junit", File: "junit.xml", Render: JUnit},
	{Name: "html", File: "report.html", Render: HTML},
	{Name: "markdown", File: "summary.md", Render: Markdown},
}

// All returns every format, a fresh copy of the list.
func All() []Reporter { return slices.Clone(all) }

// WriteAll redacts r once (reports.Redacted with secrets: no whole token,
// none of secrets, and no URL userinfo reaches a file), renders every
// reporter and writes each file atomically into dir, creating dir if need
// be. It writes every file it can even when another fails, and returns
// the paths it wrote, in the order of All, with the first error, wrapped
// with its file's name.
func WriteAll(dir string, r *reports.Report, secrets ...string) ([]string, error) {
	if r == nil {
		return nil, errors.New("write reports: nil report")
	}
	red := reports.Redacted(r, secrets...)
	var paths []string
	var first error
	for _, rep := range all {
		path := filepath.Join(dir, rep.File)
		b, err := rep.Render(red)
		if err == nil {
			err = WriteFile(path, b)
		}
		if err != nil {
			if first == nil {
				first = fmt.Errorf("%s: %w", rep.File, err)
			}
			continue
		}
		paths = append(paths, path)
	}
	return paths, first
}

// WriteFile writes data to path through a temporary file in the same
// folder and a rename, so that a reader never sees half a file. It
// creates the folder if need be. Other artefacts of a run (a trend page,
// say) are written with it too.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	return nil
}
