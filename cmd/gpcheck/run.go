package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/formatter"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/local"
	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/suites"
)

// runOptions are gpcheck run's flags.
type runOptions struct {
	target        string
	faults        listFlag
	users         int
	concurrency   int
	messages      int
	seed          uint64
	labelFilter   string
	minCompletion float64
	reportDir     string
	timeout       time.Duration
	authURL       string
	backendURL    string
	wsURL         string
	origin        string
	userMode      string
	noProgress    bool
	keyFile       string
}

func runFlags(stderr io.Writer) (*runOptions, *flag.FlagSet) {
	o := &runOptions{}
	fs := newFlags("run", stderr)
	fs.StringVar(&o.target, "target", "local", "where the system under test is: local (start the reference services in-process) or remote")
	fs.Var(&o.faults, "fault", "local target only: switch on a fault mode of the reference services (repeatable)")
	fs.IntVar(&o.users, "users", 20, "virtual users driving the golden path")
	fs.IntVar(&o.concurrency, "concurrency", 0, "users running at once (0: all)")
	fs.IntVar(&o.messages, "messages", 1, "messages each user sends; each is one flow")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for users and messages (0: random; the report records it)")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only the specs this Ginkgo label filter selects (labels: "+strings.Join(suites.Labels, ", ")+")")
	fs.Float64Var(&o.minCompletion, "min-completion", 100, "completion rate, in percent, the golden path needs")
	fs.StringVar(&o.reportDir, "report-dir", "gpcheck-report", "folder for report.json and logs")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.StringVar(&o.authURL, "auth-url", os.Getenv("GPCHECK_AUTH_URL"), "remote: auth service base URL (or $GPCHECK_AUTH_URL)")
	fs.StringVar(&o.backendURL, "backend-url", os.Getenv("GPCHECK_BACKEND_URL"), "remote: backend base URL (or $GPCHECK_BACKEND_URL)")
	fs.StringVar(&o.wsURL, "ws-url", os.Getenv("GPCHECK_WS_URL"), "remote: WebSocket endpoint URL (or $GPCHECK_WS_URL)")
	fs.StringVar(&o.origin, "origin", "", "Origin header for WebSocket handshakes (local default: "+sut.DefaultOrigin+")")
	fs.StringVar(&o.userMode, "user-mode", "register", "how test users are obtained: register, or bypass (key from $GPCHECK_BYPASS_KEY)")
	fs.BoolVar(&o.noProgress, "no-progress", false, "never print live progress")
	fs.StringVar(&o.keyFile, "signing-key-file", "", "remote: file holding the SUT's HS256 signing key (raw bytes or hex), for the token cases that need it")
	return o, fs
}

func (o *runOptions) validate(given map[string]bool) error {
	switch {
	case o.users < 1:
		return usagef("--users must be at least 1, got %d", o.users)
	case o.concurrency < 0:
		return usagef("--concurrency must not be negative, got %d", o.concurrency)
	case o.messages < 1:
		return usagef("--messages must be at least 1, got %d", o.messages)
	case o.minCompletion < 0 || o.minCompletion > 100:
		return usagef("--min-completion must be within 0..100, got %g", o.minCompletion)
	case o.timeout <= 0:
		return usagef("--timeout must be positive, got %s", o.timeout)
	case o.reportDir == "":
		return usagef("--report-dir must not be empty")
	}
	switch o.target {
	case "local":
		for _, f := range []string{"auth-url", "backend-url", "ws-url", "signing-key-file"} {
			if given[f] {
				return usagef("--%s needs --target remote", f)
			}
		}
	case "remote":
		if len(o.faults) > 0 {
			return usagef("--fault works only with --target local")
		}
	case "containers":
		return usagef("--target containers is not available in this build (want local or remote)")
	default:
		return usagef("unknown --target %q (want local or remote)", o.target)
	}
	return nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, fs := runFlags(stderr)
	if err := parse(fs, args, false); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if err := o.validate(given); err != nil {
		return err
	}
	set, err := faults.Parse(o.faults...)
	if err != nil {
		return usagef("%v", err)
	}
	if o.seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.seed = binary.LittleEndian.Uint64(b[:]) | 1
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	started := time.Now()

	var secrets []string
	target := harness.Target{Kind: o.target, Origin: o.origin}
	switch o.target {
	case "local":
		lt, err := local.Start(ctx, sut.Options{Faults: set})
		if err != nil {
			return exitError{exitUnreachable, err}
		}
		defer lt.Close()
		origin := target.Origin
		target = lt.Target
		if origin != "" {
			target.Origin = origin
		}
		secrets = append(secrets, lt.Secrets()...)
	case "remote":
		target.AuthURL, target.BackendURL, target.WSURL = o.authURL, o.backendURL, o.wsURL
		// Service credentials come from the environment only, never flags
		// that land in shell history.
		target.ServiceID, target.ServiceSecret = os.Getenv("GPCHECK_SERVICE_ID"), os.Getenv("GPCHECK_SERVICE_SECRET")
		if target.ServiceID == "" && target.ServiceSecret != "" {
			target.ServiceID = "gpcheck"
		}
		secrets = append(secrets, target.ServiceSecret)
		if o.keyFile != "" {
			key, err := readKeyFile(o.keyFile)
			if err != nil {
				return usagef("--signing-key-file: %v", err)
			}
			target.SigningKey = key
			secrets = append(secrets, string(key), hex.EncodeToString(key))
		}
	}
	switch o.userMode {
	case "register":
		target.Users = harness.UsersRegister
	case "bypass":
		target.Users = harness.UsersBypass
		if o.target == "remote" {
			target.BypassKey = os.Getenv("GPCHECK_BYPASS_KEY")
			secrets = append(secrets, target.BypassKey)
		}
	default:
		return usagef("unknown --user-mode %q (want register or bypass)", o.userMode)
	}
	env, err := harness.NewEnv(target)
	if err != nil {
		return usagef("target: %v", err)
	}
	if err := env.Preflight(ctx); err != nil {
		return exitError{exitUnreachable, err}
	}

	rep := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "gpcheck", Version: version},
		StartedAt:     started.UTC(),
		Target:        reports.Target{Kind: o.target, AuthURL: target.AuthURL, BackendURL: target.BackendURL, WSURL: target.WSURL, Faults: set.List()},
		Config: reports.Config{Users: o.users, Concurrency: o.concurrency, Messages: o.messages, Seed: o.seed,
			LabelFilter: o.labelFilter, MinCompletion: o.minCompletion, TimeoutMS: o.timeout.Milliseconds()},
		Completion: reports.Completion{Target: o.minCompletion},
	}
	fmt.Fprintf(stdout, "gpcheck %s: target %s (faults: %s), %d users × %d message(s), concurrency %s, seed %d\n",
		version, o.target, set, o.users, o.messages, concurrencyText(o.concurrency), o.seed)

	// Ginkgo's own reporter writes to its log, not the terminal: gpcheck
	// prints one line per check instead.
	if err := os.MkdirAll(o.reportDir, 0o755); err != nil {
		return usagef("--report-dir: %v", err)
	}
	logPath := filepath.Join(o.reportDir, "ginkgo.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return usagef("--report-dir: %v", err)
	}
	defer logFile.Close()
	prevOut := formatter.ColorableStdOut
	formatter.ColorableStdOut = logFile
	defer func() { formatter.ColorableStdOut = prevOut }()

	prog := newProgress(stdout, !o.noProgress && isTerminal(stdout))
	res, err := suites.Run(ctx, &testingT{}, suites.Config{
		Env:           env,
		Load:          load.Options{Users: o.users, Concurrency: o.concurrency, Messages: o.messages, Seed: o.seed},
		MinCompletion: o.minCompletion,
		LabelFilter:   o.labelFilter,
		Timeout:       o.timeout,
		Progress:      prog.update,
	})
	prog.clear()
	if err != nil {
		if errors.Is(err, suites.ErrNoSpecs) || errors.Is(err, suites.ErrBadLabelFilter) {
			return usagef("%v", err)
		}
		return err
	}

	rep.DurationMS = time.Since(started).Milliseconds()
	rep.Specs = res.Specs
	rep.Stages = res.Stages
	rep.Findings = res.Findings
	if rep.Findings == nil {
		rep.Findings = []reports.Finding{} // an empty list, never null
	}
	if res.Completion.Attempted > 0 {
		rep.Completion = res.Completion
	}
	rep.FindingsByKind = map[string]int{}
	for i := range rep.Findings {
		rep.Findings[i].ID = fmt.Sprintf("F%04d", i+1)
		rep.FindingsByKind[rep.Findings[i].Kind]++
	}
	interrupted := res.Interrupted || ctx.Err() != nil
	switch {
	case interrupted:
		rep.Verdict = "interrupted"
		if ctx.Err() != nil {
			rep.Error = context.Cause(ctx).Error()
		}
	case res.Passed:
		rep.Verdict = "passed"
	default:
		rep.Verdict = "failed"
	}
	rep.TokenMatrix = res.TokenMatrix
	paths, werr := reports.WriteAll(o.reportDir, rep, secrets...)
	printSummary(stdout, rep, o)
	if werr != nil {
		return exitError{exitFailed, werr}
	}
	fmt.Fprintf(stdout, "reports: %s (Ginkgo log: %s)\n", strings.Join(paths, ", "), logPath)
	switch rep.Verdict {
	case "interrupted":
		return exitError{exitInterrupted, errors.New("interrupted before the run finished")}
	case "failed":
		return exitError{exitFailed, nil}
	}
	return nil
}

// readKeyFile reads a signing key: a file of hex digits is decoded, any
// other content is taken as raw bytes (trailing newline trimmed).
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\r\n")
	if k, err := hex.DecodeString(string(b)); err == nil && len(k) > 0 {
		return k, nil
	}
	if len(b) == 0 {
		return nil, errors.New("the file is empty")
	}
	return b, nil
}

func concurrencyText(c int) string {
	if c == 0 {
		return "all"
	}
	return fmt.Sprint(c)
}

// testingT is the GinkgoTestingT of in-process runs: gpcheck reads the
// outcome from the report, so a failure only needs recording.
type testingT struct {
	mu     sync.Mutex
	failed bool
}

func (t *testingT) Fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

// printSummary prints one line per check and the run's summary.
func printSummary(w io.Writer, r *reports.Report, o *runOptions) {
	users := map[string]map[string]bool{}
	for _, f := range r.Findings {
		if users[f.Spec] == nil {
			users[f.Spec] = map[string]bool{}
		}
		users[f.Spec][f.User] = true
	}
	for _, s := range r.Specs {
		mark, word := "✓", "passed"
		switch {
		case s.State == "skipped":
			mark, word = "-", "skipped"
		case s.State != "passed":
			mark, word = "✗", "failed"
		}
		detail := ""
		switch {
		case contains(s.Labels, "golden-path") && s.State != "skipped":
			c := r.Completion
			detail = fmt.Sprintf(" — %s completed (%d/%d)", percent(c.Rate), c.Completed, c.Attempted)
		case s.Findings > 0:
			detail = fmt.Sprintf(" — %d finding(s), %d user(s)", s.Findings, len(users[s.Name]))
		}
		fmt.Fprintf(w, "%s %-7s %s%s\n", mark, word, s.Name, detail)
	}
	fmt.Fprintln(w)
	c := r.Completion
	if c.Attempted > 0 {
		ok := "✓"
		if c.Rate < c.Target {
			ok = "✗"
		}
		fmt.Fprintf(w, "completion  %s %s (%d/%d flows), target %s\n", ok, percent(c.Rate), c.Completed, c.Attempted, percent(c.Target))
		var byStage []string
		for _, s := range r.Stages {
			if s.Failed > 0 {
				byStage = append(byStage, fmt.Sprintf("%s %d", s.Name, s.Failed))
			}
		}
		if len(byStage) > 0 {
			fmt.Fprintf(w, "failures    by stage: %s\n", strings.Join(byStage, ", "))
		}
	}
	if len(r.FindingsByKind) > 0 {
		kinds := make([]string, 0, len(r.FindingsByKind))
		for k, n := range r.FindingsByKind {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(w, "findings    %s\n", strings.Join(kinds, ", "))
	} else {
		fmt.Fprintln(w, "findings    none")
	}
	fmt.Fprintf(w, "verdict     %s (seed %d)\n", strings.ToUpper(r.Verdict), o.seed)
}

// percent formats a rate already floored to two decimals, dropping
// needless zeros: 100%, 95%, 99.99%.
func percent(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
