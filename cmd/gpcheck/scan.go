package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gpcheck/gpcheck/engine"
	"github.com/gpcheck/gpcheck/harness/scan"
)

// cmdScan finds JWT code outside the auth service's paths. Exit 1 when it
// finds anything at or above --min-confidence (with --baseline: anything
// new), 0 when clean, 2 on bad arguments, patterns, paths or baselines, 4
// when interrupted. The behaviour is harness/scan's; this only wires flags.
func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	var authPaths, testPaths []string
	fs.Var(newListFlag(&authPaths), "auth-path", "glob of the auth service's files, relative to --root (repeatable; ** is any depth; dir/** for a whole folder)")
	fs.Var(newListFlag(&testPaths), "test-path", "glob of more test code, relative to --root (repeatable); skipped unless --include-tests")
	root := fs.String("root", "", "repository root that paths and globs are relative to (default: the git top level of the first PATH, or the current directory)")
	includeTests := fs.Bool("include-tests", false, "scan test code too")
	minConf := fs.String("min-confidence", string(scan.DefaultMinConfidence), "lowest confidence reported: high, medium or low")
	format := fs.String("format", "text", "output format: text, json or sarif")
	limit := fs.Int("limit", 10, "text format: most findings listed per rule and directory (0: all)")
	baseline := fs.String("baseline", "", "a previous JSON report: report and fail only on findings not in it")
	writeBaseline := fs.String("write-baseline", "", "write this scan's findings to FILE as a JSON report, for --baseline")
	configFile := fs.String("config", "", "read scan.auth_paths from this YAML file (gpcheck.yaml) when no --auth-path is given")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *configFile != "" && len(authPaths) == 0 {
		cfg, err := loadConfig(*configFile, engine.DefaultSpec())
		if err != nil {
			return usagef("--config: %v", err)
		}
		authPaths = cfg.Scan.AuthPaths
	}
	var write func(io.Writer, scan.Result) error
	switch *format {
	case "text":
		write = func(w io.Writer, r scan.Result) error { return scan.WriteText(w, r, scan.TextOptions{Limit: *limit}) }
	case "json":
		write = scan.WriteJSON
	case "sarif":
		write = scan.WriteSARIF
	default:
		return usagef("unknown --format %q (want text, json or sarif)", *format)
	}
	conf, err := scan.ParseConfidence(*minConf)
	if err != nil {
		return usagef("--min-confidence: %v", err)
	}
	if *limit < 0 {
		return usagef("--limit %d: want 0 (all) or more", *limit)
	}
	if len(paths) == 0 {
		return usagef("scan needs at least one PATH")
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return usagef("scan path %s: %v", p, err)
		}
	}
	var base *scan.Baseline
	if *baseline != "" {
		f, err := os.Open(*baseline)
		if err != nil {
			return usagef("--baseline: %v", err)
		}
		base, err = scan.ReadBaseline(f)
		f.Close()
		if err != nil {
			return usagef("--baseline %s: %v", *baseline, err)
		}
	}
	res, err := scan.Scan(ctx, paths, scan.Options{
		Root: *root, AuthPaths: authPaths, TestPaths: testPaths, IncludeTests: *includeTests, MinConfidence: conf,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return exitError{exitInterrupted, err}
		}
		return usagef("%v", err)
	}
	if *writeBaseline != "" {
		if err := writeScanReport(*writeBaseline, func(w io.Writer) error { return scan.WriteJSON(w, res) }); err != nil {
			return usagef("--write-baseline: %v", err)
		}
	}
	if base != nil {
		if res, err = res.Subtract(base); err != nil {
			return fmt.Errorf("compare with the baseline: %w", err)
		}
	}
	if err := write(stdout, res); err != nil {
		return fmt.Errorf("write scan result: %w", err)
	}
	if len(res.Findings) > 0 {
		return exitError{exitFailed, nil}
	}
	return nil
}

// writeScanReport writes a file through fn, reporting a failed close.
func writeScanReport(name string, fn func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Close()
}
