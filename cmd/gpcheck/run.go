package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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
	"github.com/gpcheck/gpcheck/harness/check"
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
	history       string
	rerunFailed   string
	dryRun        bool
	images        imageFlag
	configFile    string
	credsFile     string
	cfg           *fileConfig
	profileFile   string
	caFile        string
	reqTimeout    time.Duration
	ramp          time.Duration
	duration      time.Duration
	keepAlive     time.Duration
	shardText     string
	shard         load.Shard
	// given are the flags set on the command line or by the config file.
	given map[string]bool
	// focus, when set, runs only these specs (by full name).
	focus []string
}

func runFlags(stderr io.Writer) (*runOptions, *flag.FlagSet) {
	o := &runOptions{}
	fs := newFlags("run", stderr)
	fs.StringVar(&o.target, "target", "local", "where the system under test is: local (start the reference services in-process) or remote")
	fs.Var(&o.faults, "fault", "local and containers targets: switch on a fault mode of the reference services (repeatable)")
	fs.Var(&o.images, "image", "containers target: prebuilt images, auth=REF,backend=REF,ws=REF or one REF for all (default: build one from this repository)")
	fs.IntVar(&o.users, "users", 20, "virtual users driving the golden path")
	fs.IntVar(&o.concurrency, "concurrency", 0, "agent runs in flight at once; every user stays connected (0: one per user)")
	fs.IntVar(&o.messages, "messages", 1, "messages each user sends; each is one flow (with --duration: 0 means as many as fit)")
	fs.DurationVar(&o.ramp, "ramp", 0, "spread the users' starts evenly over this time")
	fs.DurationVar(&o.duration, "duration", 0, "keep users sending messages until this much time has passed")
	fs.DurationVar(&o.keepAlive, "keepalive", 15*time.Second, "ping interval of connections waiting for a run slot")
	fs.StringVar(&o.shardText, "shard", "", "run shard i/n of the users (same --seed in every shard; merge with `gpcheck report merge`)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for users and messages (0: random; the report records it)")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only the specs this Ginkgo label filter selects (labels: "+strings.Join(suites.Labels, ", ")+")")
	fs.Float64Var(&o.minCompletion, "min-completion", 100, "completion rate, in percent, the golden path needs")
	fs.StringVar(&o.reportDir, "report-dir", "gpcheck-report", "folder for report.json and logs")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.StringVar(&o.authURL, "auth-url", os.Getenv("GPCHECK_AUTH_URL"), "remote: auth service base URL (or $GPCHECK_AUTH_URL)")
	fs.StringVar(&o.backendURL, "backend-url", os.Getenv("GPCHECK_BACKEND_URL"), "remote: backend base URL (or $GPCHECK_BACKEND_URL)")
	fs.StringVar(&o.wsURL, "ws-url", os.Getenv("GPCHECK_WS_URL"), "remote: WebSocket endpoint URL (or $GPCHECK_WS_URL)")
	fs.StringVar(&o.origin, "origin", "", "Origin header for WebSocket handshakes (local default: "+sut.DefaultOrigin+")")
	fs.StringVar(&o.userMode, "user-mode", "register", "how test users are obtained: register, bypass (key from $GPCHECK_BYPASS_KEY) or credentials (--credentials-file)")
	fs.BoolVar(&o.noProgress, "no-progress", false, "never print live progress")
	fs.StringVar(&o.keyFile, "signing-key-file", "", "remote: file holding the SUT's HS256 signing key (raw bytes or hex), for the token cases that need it")
	fs.StringVar(&o.history, "history", "", "append the run's summary to this file as one JSON line (for `gpcheck report trend`)")
	fs.StringVar(&o.rerunFailed, "rerun-failed", "", "run only the specs that failed in this report folder, with its target, faults, seed and shape unless flags override them")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the specs that would run and exit, starting nothing")
	fs.StringVar(&o.configFile, "config", "", "read settings from this YAML file (gpcheck.yaml); flags override it")
	fs.StringVar(&o.profileFile, "profile", "", "remote: YAML profile of the deployment's names (see `gpcheck profile show`)")
	fs.StringVar(&o.credsFile, "credentials-file", "", "with --user-mode credentials: a file of test accounts, one `email:password` per line, one per virtual user")
	fs.StringVar(&o.caFile, "ca-file", "", "remote: PEM file of the CAs trusted for https and wss")
	fs.DurationVar(&o.reqTimeout, "request-timeout", 10*time.Second, "bound on every single HTTP request")
	return o, fs
}

func (o *runOptions) validate(given map[string]bool) error {
	switch {
	case o.users < 1:
		return usagef("--users must be at least 1, got %d", o.users)
	case o.concurrency < 0:
		return usagef("--concurrency must not be negative, got %d", o.concurrency)
	case o.messages < 0 || o.messages == 0 && o.duration == 0:
		return usagef("--messages must be at least 1 (0 only with --duration), got %d", o.messages)
	case o.ramp < 0 || o.duration < 0 || o.keepAlive <= 0:
		return usagef("--ramp and --duration must not be negative, --keepalive must be positive")
	case o.minCompletion < 0 || o.minCompletion > 100:
		return usagef("--min-completion must be within 0..100, got %g", o.minCompletion)
	case o.timeout <= 0:
		return usagef("--timeout must be positive, got %s", o.timeout)
	case o.reportDir == "":
		return usagef("--report-dir must not be empty")
	}
	switch o.target {
	case "local":
		for _, f := range []string{"auth-url", "backend-url", "ws-url", "signing-key-file", "profile", "ca-file"} {
			if given[f] {
				return usagef("--%s needs --target remote", f)
			}
		}
	case "remote":
		if o.reqTimeout <= 0 {
			return usagef("--request-timeout must be positive")
		}
		if len(o.faults) > 0 {
			return usagef("--fault works only with --target local or containers")
		}
	case "containers":
		for _, f := range []string{"auth-url", "backend-url", "ws-url", "signing-key-file", "profile", "ca-file"} {
			if given[f] {
				return usagef("--%s needs --target remote", f)
			}
		}
	default:
		return usagef("unknown --target %q (want local, containers or remote)", o.target)
	}
	if o.shardText != "" {
		sh, err := load.ParseShard(o.shardText)
		if err != nil {
			return usagef("--shard: %v", err)
		}
		if !given["seed"] {
			return usagef("--shard needs an explicit --seed, the same in every shard")
		}
		o.shard = sh
	}
	if o.images.given() && o.target != "containers" {
		return usagef("--image needs --target containers")
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
	if o.configFile != "" {
		cfg, err := loadConfig(o.configFile)
		if err != nil {
			return usagef("--config: %v", err)
		}
		if err := cfg.apply(fs, given, o.configFile); err != nil {
			return usagef("--config %v", err)
		}
		o.cfg = cfg
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	}
	o.given = given
	if o.rerunFailed != "" {
		if err := o.rerunFrom(o.rerunFailed, given); err != nil {
			return err
		}
	}
	if err := o.validate(given); err != nil {
		return err
	}
	set, err := faults.Parse(o.faults...)
	if err != nil {
		return usagef("%v", err)
	}
	if o.dryRun {
		return dryRun(o, set, stdout)
	}
	if o.rerunFailed != "" {
		fmt.Fprintf(stdout, "rerunning %d failed spec(s) of %s\n", len(o.focus), reportPath(o.rerunFailed))
	}
	out, err := execute(ctx, o, set, stdout)
	if err != nil {
		return err
	}
	if o.history != "" {
		if err := reports.AppendHistory(o.history, out.Report); err != nil {
			return exitError{exitFailed, fmt.Errorf("--history: %w", err)}
		}
		fmt.Fprintf(stdout, "history: appended to %s\n", o.history)
	}
	if out.WriteErr != nil {
		return exitError{exitFailed, out.WriteErr}
	}
	switch out.Report.Verdict {
	case "interrupted":
		return exitError{exitInterrupted, errors.New("interrupted before the run finished")}
	case "failed":
		return exitError{exitFailed, nil}
	}
	return nil
}

// rerunFrom points o at the failed specs of the report in dir and takes
// that report's target, faults, seed and shape for every flag not given.
func (o *runOptions) rerunFrom(dir string, given map[string]bool) error {
	rep, err := readReport(dir)
	if err != nil {
		return err
	}
	for _, s := range rep.Specs {
		if specFailed(s) {
			o.focus = append(o.focus, s.Name)
		}
	}
	if len(o.focus) == 0 {
		return usagef("--rerun-failed: %s has no failed spec (verdict %s); nothing to rerun", reportPath(dir), rep.Verdict)
	}
	o.fromReport(rep, given)
	if !given["report-dir"] {
		o.reportDir = filepath.Join(reportFolder(dir), "rerun")
	}
	return nil
}

// specFailed reports whether a spec of a report did not pass: failed,
// panicked, timed out, interrupted or aborted, or holding findings.
func specFailed(s reports.Spec) bool {
	switch s.State {
	case "passed", "skipped", "pending":
		return s.Findings > 0
	}
	return true
}

// fromReport takes rep's target, faults, URLs, seed and run shape for
// every flag not given.
func (o *runOptions) fromReport(rep *reports.Report, given map[string]bool) {
	if !given["target"] && rep.Target.Kind != "" {
		o.target = rep.Target.Kind
	}
	if o.target == rep.Target.Kind {
		if !given["fault"] && o.target == "local" {
			o.faults = append(listFlag(nil), rep.Target.Faults...)
		}
		if o.target == "remote" {
			for _, u := range []struct {
				flag string
				dst  *string
				url  string
			}{{"auth-url", &o.authURL, rep.Target.AuthURL}, {"backend-url", &o.backendURL, rep.Target.BackendURL}, {"ws-url", &o.wsURL, rep.Target.WSURL}} {
				if !given[u.flag] && u.url != "" {
					*u.dst = u.url
				}
			}
		}
	}
	c := rep.Config
	if !given["users"] && c.Users > 0 {
		o.users = c.Users
	}
	if !given["concurrency"] {
		o.concurrency = c.Concurrency
	}
	if !given["messages"] && c.Messages > 0 {
		o.messages = c.Messages
	}
	if !given["seed"] && c.Seed != 0 {
		o.seed = c.Seed
	}
	if !given["label-filter"] {
		o.labelFilter = c.LabelFilter
	}
	if !given["min-completion"] && c.MinCompletion > 0 {
		o.minCompletion = c.MinCompletion
	}
	if !given["timeout"] && c.TimeoutMS > 0 {
		o.timeout = time.Duration(c.TimeoutMS) * time.Millisecond
	}
	if !given["ramp"] {
		o.ramp = time.Duration(c.RampMS) * time.Millisecond
	}
	if !given["duration"] {
		o.duration = time.Duration(c.DurationMS) * time.Millisecond
	}
	if !given["user-mode"] && c.UserMode != "" {
		o.userMode = c.UserMode
	}
	if !given["origin"] && c.Origin != "" {
		o.origin = c.Origin
	}
}

// dryRun prints the specs o would run, and refuses an empty selection.
func dryRun(o *runOptions, set faults.Set, stdout io.Writer) error {
	specs, err := suites.Preview(o.labelFilter)
	if err != nil {
		return usagef("%v", err)
	}
	var run []reports.Spec
	for _, s := range specs {
		if s.State == "will run" && (len(o.focus) == 0 || contains(o.focus, s.Name)) {
			run = append(run, s)
		}
	}
	if len(run) == 0 {
		return usagef("the selection runs no spec (label filter %q%s)", o.labelFilter, focusText(o.focus))
	}
	seed := "random"
	if o.seed != 0 {
		seed = fmt.Sprint(o.seed)
	}
	fmt.Fprintf(stdout, "dry run: target %s (faults: %s), %d users × %d message(s), concurrency %s, seed %s\n",
		o.target, set, o.users, o.messages, concurrencyText(o.concurrency), seed)
	fmt.Fprintf(stdout, "would run %d of %d spec(s):\n", len(run), len(specs))
	for _, s := range run {
		fmt.Fprintf(stdout, "  %s [%s]\n", s.Name, strings.Join(s.Labels, ", "))
	}
	return nil
}

func focusText(focus []string) string {
	if len(focus) == 0 {
		return ""
	}
	return fmt.Sprintf(", %d focused spec(s)", len(focus))
}

// runOutcome is one carried-out run.
type runOutcome struct {
	Report *reports.Report
	// Secrets are the target's secrets, for redacting anything printed
	// from Report, which is not redacted itself.
	Secrets []string
	// WriteErr is set when a report file could not be written.
	WriteErr error
}

// execute starts (or reaches) the target o names, runs the specs it
// selects, writes the report folder and prints the per-check summary on
// stdout. Errors are usage (2) or unreachable target (3); a failed or
// interrupted run is a report, not an error.
func execute(ctx context.Context, o *runOptions, set faults.Set, stdout io.Writer) (*runOutcome, error) {
	if o.seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.seed = binary.LittleEndian.Uint64(b[:]) | 1
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	started := time.Now()

	var secrets []string
	var controller check.Controller // set by targets whose services can be broken on purpose
	target := harness.Target{Kind: o.target, Origin: o.origin}
	switch o.target {
	case "local":
		lt, err := local.Start(ctx, sut.Options{Faults: set})
		if err != nil {
			return nil, exitError{exitUnreachable, err}
		}
		defer lt.Close()
		origin := target.Origin
		target = lt.Target
		if origin != "" {
			target.Origin = origin
		}
		secrets = append(secrets, lt.Secrets()...)
	case "containers":
		ct, err := startContainers(ctx, set, o.images.Images, stdout)
		if err != nil {
			return nil, err
		}
		controller = ct
		defer stopContainers(ct, o.reportDir, os.Stderr)
		origin := target.Origin
		target = ct.Target
		if origin != "" {
			target.Origin = origin
		}
		secrets = append(secrets, ct.Secrets()...)
	case "remote":
		target.AuthURL, target.BackendURL, target.WSURL = o.authURL, o.backendURL, o.wsURL
		// Service credentials come from the environment or files named in
		// the config, never from flags that land in shell history.
		target.ServiceID = os.Getenv("GPCHECK_SERVICE_ID")
		secretFile := ""
		if o.cfg != nil {
			secretFile = o.cfg.ServiceSecretF
			if target.ServiceID == "" {
				target.ServiceID = o.cfg.ServiceID
			}
		}
		secret, err := secretFromFileOrEnv(secretFile, "GPCHECK_SERVICE_SECRET")
		if err != nil {
			return nil, usagef("service secret: %v", err)
		}
		target.ServiceSecret = secret
		if target.ServiceID == "" && target.ServiceSecret != "" {
			target.ServiceID = "gpcheck"
		}
		secrets = append(secrets, target.ServiceSecret)
		if o.keyFile != "" {
			key, err := readKeyFile(o.keyFile)
			if err != nil {
				return nil, usagef("--signing-key-file: %v", err)
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
			keyFile := ""
			if o.cfg != nil {
				keyFile = o.cfg.BypassKeyFile
			}
			key, err := secretFromFileOrEnv(keyFile, "GPCHECK_BYPASS_KEY")
			if err != nil {
				return nil, usagef("bypass key: %v", err)
			}
			target.BypassKey = key
			secrets = append(secrets, target.BypassKey)
		}
	case "credentials":
		target.Users = harness.UsersCredentials
		file := o.credsFile
		if file == "" && o.cfg != nil {
			file = o.cfg.CredentialsFile
		}
		creds, err := readCredentials(file)
		if err != nil {
			return nil, usagef("--credentials-file: %v", err)
		}
		if need := o.users + 2; len(creds) < need { // two more users leave mid-stream
			return nil, usagef("--credentials-file: %d users need %d accounts (two more leave mid-stream); %d given", o.users, need, len(creds))
		}
		target.Credentials = creds
		for _, c := range creds {
			secrets = append(secrets, c.Password)
		}
	default:
		return nil, usagef("unknown --user-mode %q (want register, bypass or credentials)", o.userMode)
	}
	target.RequestTimeout = o.reqTimeout
	target.CAFile = o.caFile
	if o.profileFile != "" {
		prof, err := harness.LoadProfile(o.profileFile)
		if err != nil {
			return nil, usagef("--profile: %v", err)
		}
		target.Profile = prof
		if !o.given["user-mode"] {
			target.Users = prof.Users
		}
	}
	env, err := harness.NewEnv(target)
	if err != nil {
		return nil, usagef("target: %v", err)
	}
	if err := env.Preflight(ctx); err != nil {
		return nil, exitError{exitUnreachable, err}
	}

	rep := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "gpcheck", Version: version},
		StartedAt:     started.UTC(),
		Target:        reports.Target{Kind: o.target, AuthURL: target.AuthURL, BackendURL: target.BackendURL, WSURL: target.WSURL, Faults: set.List()},
		Config: reports.Config{Users: o.users, Concurrency: o.concurrency, Messages: o.messages, Seed: o.seed,
			LabelFilter: o.labelFilter, MinCompletion: o.minCompletion, TimeoutMS: o.timeout.Milliseconds(),
			Shard: o.shardText, RampMS: o.ramp.Milliseconds(), DurationMS: o.duration.Milliseconds(), UserMode: o.userMode, Origin: o.origin},
		Completion: reports.Completion{Target: o.minCompletion},
	}
	fmt.Fprintf(stdout, "gpcheck %s: target %s (faults: %s), %d users × %d message(s), concurrency %s, seed %d\n",
		version, o.target, set, o.users, o.messages, concurrencyText(o.concurrency), o.seed)

	// Ginkgo's own reporter writes to its log, not the terminal: gpcheck
	// prints one line per check instead.
	if err := os.MkdirAll(o.reportDir, 0o755); err != nil {
		return nil, usagef("--report-dir: %v", err)
	}
	logPath := filepath.Join(o.reportDir, "ginkgo.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, usagef("--report-dir: %v", err)
	}
	defer logFile.Close()
	prevOut := formatter.ColorableStdOut
	formatter.ColorableStdOut = logFile
	defer func() { formatter.ColorableStdOut = prevOut }()

	prog := newProgress(stdout, !o.noProgress && isTerminal(stdout))
	res, err := suites.Run(ctx, &testingT{}, suites.Config{
		Env: env,
		Load: load.Options{Users: o.users, Concurrency: o.concurrency, Messages: o.messages, Seed: o.seed,
			Ramp: o.ramp, Duration: o.duration, KeepAlive: o.keepAlive, Shard: o.shard},
		MinCompletion: o.minCompletion,
		LabelFilter:   o.labelFilter,
		Focus:         o.focus,
		Timeout:       o.timeout,
		Progress:      prog.update,
		Controller:    controller,
	})
	prog.clear()
	if err != nil {
		if errors.Is(err, suites.ErrNoSpecs) || errors.Is(err, suites.ErrBadLabelFilter) {
			return nil, usagef("%v%s", err, focusText(o.focus))
		}
		return nil, err
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
	rep.Probes = res.Probes
	paths, werr := reports.WriteAll(o.reportDir, rep, secrets...)
	printSummary(stdout, rep, o)
	if werr == nil {
		fmt.Fprintf(stdout, "reports: %s (Ginkgo log: %s)\n", strings.Join(paths, ", "), logPath)
	}
	return &runOutcome{Report: rep, Secrets: secrets, WriteErr: werr}, nil
}

// reportFolder is the folder of a report given as a folder or as its
// report.json.
func reportFolder(dirOrFile string) string {
	if strings.HasSuffix(dirOrFile, ".json") {
		if st, err := os.Stat(dirOrFile); err == nil && !st.IsDir() {
			return filepath.Dir(dirOrFile)
		}
	}
	return dirOrFile
}

// reportPath is the report.json of a report folder (or the file itself).
func reportPath(dirOrFile string) string {
	return filepath.Join(reportFolder(dirOrFile), "report.json")
}

// readReport reads the report.json of a report folder. Every problem is
// a usage error: the folder is what the user pointed at.
func readReport(dirOrFile string) (*reports.Report, error) {
	path := reportPath(dirOrFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("read report: %v", err)
	}
	var rep reports.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, usagef("read report %s: %v", path, err)
	}
	if rep.SchemaVersion > reports.SchemaVersion {
		return nil, usagef("report %s has schema_version %d, newer than this gpcheck reads (%d)", path, rep.SchemaVersion, reports.SchemaVersion)
	}
	return &rep, nil
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
