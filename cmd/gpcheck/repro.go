package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gpcheck/gpcheck/engine"
	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/suites"
)

// cmdRepro replays one finding of a report: the same run shape against
// the same kind of target, only the finding's spec, until the finding
// reproduces or the tries run out.
func cmdRepro(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("repro", stderr)
	dir := fs.String("report", "", "report folder (or its report.json) holding the finding")
	id := fs.String("finding", "", "the finding's id (F0001), or a defect's (D1: its example finding)")
	repeat := fs.Int("repeat", 1, "tries: rerun until the finding reproduces or this many runs pass")
	reportDir := fs.String("report-dir", "", "folder for the replay's report (default: REPORT/repro-ID)")
	userMode := fs.String("user-mode", "", "how test users are obtained, as for run (default: the report's; bypass reads $GPCHECK_BYPASS_KEY)")
	origin := fs.String("origin", "", "Origin header for WebSocket handshakes, as for run")
	keyFile := fs.String("signing-key-file", "", "remote and compose: file holding the SUT's HS256 signing key, as for run")
	envFile := fs.String("env-file", "", "compose: the project's variable file, when it is no longer where the report says")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usagef("repro needs --report DIR")
	case *id == "":
		return usagef("repro needs --finding ID")
	case *repeat < 1:
		return usagef("--repeat must be at least 1, got %d", *repeat)
	}
	rep, err := readReport(*dir)
	if err != nil {
		return err
	}
	orig, err := findFinding(rep, *id)
	if err != nil {
		return err
	}
	if _, ok := suites.Lookup(orig.Spec); !ok {
		return usagef("the finding's spec %q is not among this gpcheck's specs", orig.Spec)
	}

	// The report's own spec, then what the report cannot hold (how users
	// are made, the key), then only the finding's spec.
	spec := replaySpec(rep)
	spec.Focus = []string{orig.Spec}
	if *userMode != "" {
		spec.UserMode = *userMode
	}
	if *origin != "" {
		spec.Origin = *origin
	}
	if *envFile != "" {
		spec.EnvFile = *envFile
	}
	if *keyFile != "" {
		spec.SigningKeyFile, spec.SigningKeyVar = *keyFile, ""
	}
	spec.ReportDir = *reportDir
	if spec.ReportDir == "" {
		spec.ReportDir = filepath.Join(reportFolder(*dir), "repro-"+orig.ID)
	}
	if _, err := engine.Plan(spec); err != nil {
		return runError(err)
	}

	fmt.Fprintf(stdout, "repro %s: %s in %q%s\n", orig.ID, orig.Kind, orig.Spec, findingWhere(orig))
	fmt.Fprintf(stdout, "  %s\n", trimLine(orig.Detail, 300))
	fmt.Fprintf(stdout, "replaying: target %s (faults: %s), %d users × %d message(s), concurrency %s, seed %d; report folder %s\n",
		spec.Target, strings.Join(append([]string{}, spec.Faults...), ","), spec.Users, spec.Messages, engine.ConcurrencyText(spec.Concurrency), spec.Seed, spec.ReportDir)

	for try := 1; try <= *repeat; try++ {
		opts := engine.Options{Version: version}
		if spec.Target == "containers" || spec.Target == "compose" {
			// Starting images takes a while; and the replay says which
			// images (by digest) it runs.
			opts.Log = stdout
		}
		out, err := engine.Run(ctx, spec, opts)
		if err != nil {
			return runError(err)
		}
		r := out.Report
		if r.Verdict == reports.VerdictInterrupted {
			return exitError{exitInterrupted, fmt.Errorf("try %d was interrupted: %s", try, oneLine(r.Error))}
		}
		if got := replayMatch(orig, r.Findings); got != nil {
			fmt.Fprintf(stdout, "try %d/%d: reproduced as %s%s (%d finding(s) in the replay)\n", try, *repeat, got.ID, findingWhere(*got), len(r.Findings))
			fmt.Fprintln(stdout)
			printTranscript(stdout, fmt.Sprintf("replayed %s", got.ID), *got, out.Secrets)
			fmt.Fprintln(stdout)
			fmt.Fprintf(stdout, "REPRODUCED %s on try %d of %d (replay report: %s)\n", orig.ID, try, *repeat, spec.ReportDir)
			return nil
		}
		fmt.Fprintf(stdout, "try %d/%d: not reproduced (verdict %s, %d finding(s))\n", try, *repeat, r.Verdict, len(r.Findings))
	}
	fmt.Fprintln(stdout)
	printTranscript(stdout, fmt.Sprintf("original %s; the replay did not show it", orig.ID), orig, nil)
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "NOT REPRODUCED %s in %d try(s)\n", orig.ID, *repeat)
	return exitError{exitFailed, nil}
}

// findFinding returns the finding of rep with id (case-insensitive), or
// the example finding of the defect with that id.
func findFinding(rep *reports.Report, id string) (reports.Finding, error) {
	if d, ok := rep.DefectByID(strings.ToUpper(id)); ok {
		id = d.Example // a defect replays through its example
	}
	for _, f := range rep.Findings {
		if strings.EqualFold(f.ID, id) {
			return f, nil
		}
	}
	switch n := len(rep.Findings); n {
	case 0:
		return reports.Finding{}, usagef("unknown finding %q: the report has no findings (verdict %s)", id, rep.Verdict)
	default:
		return reports.Finding{}, usagef("unknown finding %q: the report's findings are %s … %s", id, rep.Findings[0].ID, rep.Findings[n-1].ID)
	}
}

// replayMatch returns the replay's finding that reproduces orig: the same
// kind in the same spec (and, for a stage failure, the same stage). Among
// those it prefers the same virtual user, then the same other virtual
// users involved (server ids differ from run to run; virtual users do not).
func replayMatch(orig reports.Finding, got []reports.Finding) *reports.Finding {
	var best *reports.Finding
	bestScore := -1
	for i := range got {
		f := &got[i]
		if f.Kind != orig.Kind || f.Spec != orig.Spec {
			continue
		}
		if orig.Kind == reports.KindStageFailure && f.Stage != orig.Stage {
			continue
		}
		score := 0
		if f.VUser == orig.VUser {
			score += 2
		}
		if slices.Equal(f.Others, orig.Others) {
			score++
		}
		if score > bestScore {
			best, bestScore = f, score
		}
		if score == 3 {
			break
		}
	}
	return best
}

func findingWhere(f reports.Finding) string {
	var parts []string
	switch {
	case f.VUser != "":
		parts = append(parts, "user "+f.VUser)
	case f.User != "":
		parts = append(parts, "user "+f.User)
	}
	if f.Stage != "" {
		parts = append(parts, "stage "+f.Stage)
	}
	if f.Path != "" {
		parts = append(parts, "path "+f.Path)
	}
	if len(parts) == 0 {
		return ""
	}
	return reports.Printable(", " + strings.Join(parts, ", "))
}

// printTranscript prints f's evidence, one numbered step a line, redacted.
func printTranscript(w io.Writer, title string, f reports.Finding, secrets []string) {
	fmt.Fprintf(w, "transcript (%s):\n", title)
	fmt.Fprintf(w, "  %s\n", reports.Redact(trimLine(f.Detail, 400), secrets...))
	if len(f.Evidence) == 0 {
		fmt.Fprintln(w, "  (no evidence recorded)")
		return
	}
	for i, line := range f.Evidence {
		fmt.Fprintf(w, "  %3d  %s\n", i+1, reports.Redact(oneLine(line), secrets...))
	}
}

// trimLine puts s on one line of at most n runes.
func trimLine(s string, n int) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
