package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/history"
	"github.com/gpcheck/gpcheck/reports/reporters"
)

// cmdReport works on what runs left behind: the trend of a history file,
// and the merge of a sharded run's reports.
func cmdReport(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("report needs a kind: trend or merge")
	}
	switch args[0] {
	case "trend":
		return cmdTrend(args[1:], stdout, stderr)
	case "merge":
		return cmdMerge(args[1:], stdout, stderr)
	}
	return usagef("unknown report %q (want trend or merge)", args[0])
}

// cmdMerge merges the reports of the shards of one run into one report
// folder, with every format written; exit 1 when the merged run failed.
func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report merge", stderr)
	out := fs.String("out", "gpcheck-report-merged", "folder for the merged report")
	dirs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return usagef("report merge needs the shards' report folders")
	}
	var shards []*reports.Report
	for _, d := range dirs {
		r, err := readReport(d)
		if err != nil {
			return usagef("%v", err)
		}
		shards = append(shards, r)
	}
	m, err := reports.Merge(shards)
	if err != nil {
		return usagef("%v", err)
	}
	paths, err := reporters.WriteAll(*out, m)
	if err != nil {
		return fmt.Errorf("write merged report: %w", err)
	}
	c := m.Completion
	fmt.Fprintf(stdout, "merged %d shard(s): %d/%d flows completed (%s), %d finding(s), verdict %s\nreports: %s\n",
		len(shards), c.Completed, c.Attempted, reporters.Percent(c.Rate), len(m.Findings), strings.ToUpper(string(m.Verdict)), strings.Join(paths, ", "))
	switch m.Verdict {
	case reports.VerdictPassed:
	case reports.VerdictInconclusive:
		return exitError{exitUnjudged, nil}
	default:
		return exitError{exitFailed, nil}
	}
	return nil
}

// cmdTrend renders a history file (`gpcheck run --history FILE`) as a
// text table or an HTML page with line charts.
func cmdTrend(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report trend", stderr)
	format := fs.String("format", "text", "text or html")
	out := fs.String("out", "", "write to this file instead of standard output")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("report trend needs one history file, got %d argument(s)", len(pos))
	}
	var render func([]history.Entry) ([]byte, error)
	switch *format {
	case "text":
		render = history.TrendText
	case "html":
		render = history.TrendHTML
	default:
		return usagef("unknown --format %q (want text or html)", *format)
	}
	entries, err := history.Read(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	if len(entries) == 0 {
		return usagef("history %s holds no runs", pos[0])
	}
	b, err := render(entries)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(b)
		return err
	}
	if err := reporters.WriteFile(*out, b); err != nil {
		return exitError{exitFailed, fmt.Errorf("--out: %w", err)}
	}
	fmt.Fprintf(stdout, "trend of %d run(s): %s\n", len(entries), *out)
	return nil
}
