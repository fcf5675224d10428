package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gpcheck/gpcheck/engine"
	"github.com/gpcheck/gpcheck/harness/scan"
)

// cmdScan finds JWT code outside the auth service's paths. Exit 1 when
// anything is found, 0 when clean, 2 on bad arguments.
func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	var authPaths []string
	fs.Var(newListFlag(&authPaths), "auth-path", "glob of the auth service's files, relative to each PATH (repeatable; dir/** for a whole folder)")
	includeTests := fs.Bool("include-tests", false, "scan test files too")
	format := fs.String("format", "text", "output format: text, json or sarif")
	configFile := fs.String("config", "", "read scan.auth_paths from this YAML file (gpcheck.yaml) when no --auth-path is given")
	roots, err := parseInterspersed(fs, args)
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
		write = scan.WriteText
	case "json":
		write = scan.WriteJSON
	case "sarif":
		write = scan.WriteSARIF
	default:
		return usagef("unknown --format %q (want text, json or sarif)", *format)
	}
	if len(roots) == 0 {
		return usagef("scan needs at least one PATH")
	}
	for _, r := range roots {
		if _, err := os.Stat(r); err != nil {
			return usagef("scan path %s: %v", r, err)
		}
	}
	res, err := scan.Scan(ctx, roots, scan.Options{AuthPaths: authPaths, IncludeTests: *includeTests})
	if err != nil {
		return usagef("%v", err)
	}
	if err := write(stdout, res); err != nil {
		return fmt.Errorf("write scan result: %w", err)
	}
	if len(res.Findings) > 0 {
		return exitError{exitFailed, nil}
	}
	return nil
}
