// Package engine carries out gpcheck runs: it starts or reaches the target
// a Spec names, runs the specs the Spec selects, settles the verdict and
// writes the report folder. The CLI only turns flags into a Spec, prints
// and picks exit codes; a Go program can drive a run the same way:
//
//	spec := engine.DefaultSpec()
//	spec.LabelFilter = "isolation"
//	res, err := engine.Run(ctx, spec, engine.Options{})
//
// Data flows one way: target → flow → checks → report model → writers.
package engine

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/history"
	"github.com/gpcheck/gpcheck/reports/reporters"
	"github.com/gpcheck/gpcheck/suites"
)

// Spec is the one description of a run; see reports.RunSpec, where it
// lives so that every report records it whole.
type Spec = reports.RunSpec

// DefaultSpec is the run `gpcheck run` makes with no flags.
func DefaultSpec() Spec { return reports.DefaultRunSpec() }

// Options are what a run needs besides its Spec.
type Options struct {
	// Version is recorded in the report as the tool's version.
	Version string
	// Log receives the run's progress lines (its shape, containers
	// starting); nil discards them.
	Log io.Writer
	// Progress, when set, is told of each virtual user that finishes.
	Progress func(done, total int)
	// Heartbeat is how often the golden-path load samples how it is going
	// (flows, flows/s, completion so far, gpcheck's RSS), into
	// Report.Heartbeats and OnHeartbeat; 0 means every 30 s, negative
	// never.
	Heartbeat time.Duration
	// OnHeartbeat, when set, is told of each heartbeat as it is taken.
	OnHeartbeat func(reports.Heartbeat)
	// Telemetry is how the run traces its flows and exports metrics
	// over OpenTelemetry; the zero value does so only when the standard
	// OTEL_EXPORTER_OTLP_* variables (read with Getenv) name an endpoint.
	Telemetry Telemetry
	// Getenv reads the GPCHECK_* variables that carry secrets; nil means
	// os.Getenv.
	Getenv func(string) string
	// T records Ginkgo's failures; nil uses one that only counts them
	// (the verdict comes from the report, not from T).
	T ginkgo.GinkgoTestingT
}

// Result is one carried-out run.
type Result struct {
	// Report is settled but not redacted: pass it through
	// reports.Redacted with Secrets before showing it.
	Report *reports.Report
	// Secrets are the target's and the harness's secrets.
	Secrets []string
	// Files are the report files written; LogPath is Ginkgo's log.
	Files   []string
	LogPath string
	// WriteErr is set when a report file or the history line could not
	// be written.
	WriteErr error
}

// Plan checks spec without starting anything and returns the specs it
// would run. A spec that is wrong, a profile that does not load, or a
// selection that runs nothing is a *SetupError.
func Plan(spec Spec) ([]suites.Info, error) {
	if err := spec.Validate(); err != nil {
		return nil, &SetupError{err}
	}
	if _, err := lookupTarget(spec.Target); err != nil {
		return nil, err
	}
	if _, err := faults.Parse(spec.Faults...); err != nil {
		return nil, &SetupError{err}
	}
	if spec.Shard != "" {
		if _, err := load.ParseShard(spec.Shard); err != nil {
			return nil, setupf("--shard: %v", err)
		}
		if spec.Seed == 0 {
			return nil, setupf("--shard needs an explicit --seed, the same in every shard")
		}
	}
	if spec.Profile != "" {
		if _, err := profile.Load(spec.Profile); err != nil {
			return nil, setupf("--profile: %v", err)
		}
	}
	if spec.Target == "remote" {
		t := harness.Target{AuthURL: spec.AuthURL, BackendURL: spec.BackendURL, WSURL: spec.WSURL}
		if err := t.ValidateURLs(); err != nil {
			return nil, setupf("target: %v", err)
		}
	}
	if err := checkFiles(spec); err != nil {
		return nil, err
	}
	specs, err := suites.Select(spec.LabelFilter, spec.Focus)
	if err != nil {
		return nil, &SetupError{err}
	}
	if len(specs) == 0 {
		what := fmt.Sprintf("label filter %q", spec.LabelFilter)
		if len(spec.Focus) > 0 {
			what += fmt.Sprintf(", %d focused spec(s)", len(spec.Focus))
		}
		return nil, setupf("the selection runs no spec (%s)", what)
	}
	return specs, nil
}

// Run carries out one run: it checks spec (Plan), starts or reaches the
// target, proves the target answers, runs the selected specs, settles the
// verdict and, when spec.ReportDir is set, writes the report folder (and
// spec.History's line). Errors are *SetupError (gpcheck's own setup is
// wrong) or *UnreachableError (the target did not start or answer); a
// failed or interrupted run is a Result, not an error.
func Run(ctx context.Context, spec Spec, opts Options) (*Result, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.T == nil {
		opts.T = &silentT{}
	}
	selected, err := Plan(spec)
	if err != nil {
		return nil, err
	}
	needed := map[string]bool{}
	for _, in := range selected {
		for _, sv := range in.Needs {
			needed[string(sv)] = true
		}
	}
	shard, _ := load.ParseShard(spec.Shard) // checked by Plan
	set, _ := faults.Parse(spec.Faults...)
	spec.Faults = set.List()
	if spec.Seed == 0 {
		spec.Seed = randomSeed()
	}
	if sized, note := sizeRun(spec); note != "" {
		spec = sized
		fmt.Fprintln(opts.Log, note)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(spec.Timeout))
	defer cancel()
	started := time.Now()
	tel, err := startTelemetry(ctx, opts.Telemetry, spec, opts.Getenv, opts.Log)
	if err != nil {
		return nil, err
	}
	defer tel.shutdown() // bounded; done before the report is written when the run gets that far

	kind, _ := lookupTarget(spec.Target)
	sys, err := kind.Start(ctx, spec, Environment{Getenv: opts.Getenv, Log: opts.Log,
		OTLPEndpoint: tel.servicesEndpoint(), OnTelemetryError: tel.onServiceError()})
	if err != nil {
		return nil, err
	}
	defer func() {
		// A context of its own: this also runs after an interrupt or the
		// run's timeout.
		cctx, ccancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer ccancel()
		if err := sys.Close(cctx, spec.ReportDir); err != nil {
			fmt.Fprintf(opts.Log, "gpcheck: %v\n", err)
		}
	}()
	if sys.ImageDigests != nil || sys.ComposeHashes != nil {
		spec.ImageDigests, spec.ComposeHashes = sys.ImageDigests, sys.ComposeHashes
	}
	secrets := append([]string(nil), sys.Secrets...)
	target, more, err := prepare(sys.Target, spec, opts.Getenv)
	if err != nil {
		return nil, err
	}
	secrets = append(secrets, more...)
	env, err := harness.NewEnv(target)
	if err != nil {
		return nil, setupf("target: %v", err)
	}
	// Before the system closes (defers run last first): connections the
	// transport dialled and never used would keep a local target's
	// servers waiting out their shutdown deadline.
	defer env.HTTP.CloseIdleConnections()
	env.Trace(tel.Flows())
	if err := env.PreflightNeeded(ctx, needed); err != nil {
		return nil, &UnreachableError{err}
	}
	for _, sv := range []string{"auth", "backend", "ws"} {
		if why, ok := env.Target.Unreached[sv]; ok {
			fmt.Fprintf(opts.Log, "gpcheck: %s not reached (%s); the selected specs do without it, and its paths are left out\n", sv, reports.Printable(why))
		}
	}
	if err := calibrate(ctx, env, spec); err != nil {
		return nil, err
	}

	rep := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "gpcheck", Version: opts.Version},
		StartedAt:     started.UTC(),
		Target: reports.SUT{Kind: spec.Target, AuthURL: target.AuthURL, BackendURL: target.BackendURL, WSURL: target.WSURL, Faults: spec.Faults,
			ClockOffset: reports.Duration(env.Target.ClockOffset), Unreached: unreached(env.Target)},
		Spec:       spec,
		Completion: reports.Completion{Target: spec.MinCompletion},
	}
	fmt.Fprintf(opts.Log, "gpcheck %s: target %s (faults: %s), %d users × %d message(s), concurrency %s, seed %d\n",
		opts.Version, spec.Target, faultsText(spec.Faults), spec.Users, spec.Messages, ConcurrencyText(spec.Concurrency), spec.Seed)

	beats := &heartbeatLog{}
	logPath, restore, err := ginkgoLog(spec.ReportDir, secrets)
	if err != nil {
		return nil, err
	}
	lo := load.Options{Users: spec.Users, Concurrency: spec.Concurrency, Messages: spec.Messages, Seed: spec.Seed, CollideEvery: spec.CollideEvery, Churn: spec.Churn,
		Ramp: time.Duration(spec.Ramp), Duration: time.Duration(spec.Duration), KeepAlive: time.Duration(spec.KeepAlive), Shard: shard,
		Heartbeat: heartbeatEvery(opts.Heartbeat), OnHeartbeat: beats.record(opts.OnHeartbeat)}
	res, err := suites.Run(ctx, opts.T, suites.Config{
		Env:            env,
		Load:           lo,
		MinCompletion:  spec.MinCompletion,
		LabelFilter:    spec.LabelFilter,
		Focus:          spec.Focus,
		Timeout:        time.Duration(spec.Timeout),
		Progress:       opts.Progress,
		Controller:     sys.Controller,
		FailOn:         spec.FailOn,
		NoColor:        true,
		MaxFailureRate: spec.MaxFailureRate,
		Confidence:     spec.Confidence,
	})
	restore()
	if err != nil {
		if errors.Is(err, suites.ErrNoSpecs) || errors.Is(err, suites.ErrBadLabelFilter) {
			return nil, &SetupError{err}
		}
		return nil, err
	}

	rep.DurationMS = time.Since(started).Milliseconds()
	tel.annotate(res.Findings, lo) // the traces of the flows each finding involves
	rep.Specs, rep.Stages, rep.Findings = res.Specs, res.Stages, res.Findings
	rep.TokenMatrix, rep.Probes = res.TokenMatrix, res.Probes
	rep.Heartbeats = beats.list()
	if res.Completion.Attempted > 0 {
		rep.Completion = res.Completion
	}
	if res.Interrupted || ctx.Err() != nil {
		rep.Verdict = reports.VerdictInterrupted
		if ctx.Err() != nil {
			rep.Error = context.Cause(ctx).Error()
		}
	}
	rep.Settle()
	rep.Completion.Partial = rep.Verdict == reports.VerdictInterrupted && rep.Completion.Attempted > 0
	tel.record(rep)
	tel.shutdown() // the last spans and metrics, bounded, so that the report says whether export failed
	rep.Tracing = tel.report()

	out := &Result{Report: rep, Secrets: secrets, LogPath: logPath}
	if spec.ReportDir != "" {
		out.Files, out.WriteErr = reporters.WriteAll(spec.ReportDir, rep, secrets...)
	}
	if spec.History != "" {
		if err := history.Append(spec.History, reports.Redacted(rep, secrets...)); err != nil {
			out.WriteErr = errors.Join(out.WriteErr, fmt.Errorf("--history: %w", err))
		}
	}
	return out, nil
}

// checkFiles reads every file the spec names (keys, secrets, accounts,
// CAs), so that a dry run finds what the real run would stop on before it
// contacts the system. Nothing read is kept.
func checkFiles(spec Spec) error {
	if spec.SigningKeyFile != "" {
		if _, err := readKeyFile(spec.SigningKeyFile, spec.SigningKeyFormat); err != nil {
			return setupf("--signing-key-file: %v", err)
		}
	}
	for _, f := range []struct{ flag, path string }{
		{"bypass_key_file", spec.BypassKeyFile}, {"service_secret_file", spec.ServiceSecretFile},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return setupf("%s: %v", f.flag, err)
		}
	}
	if spec.UserMode == string(profile.UsersCredentials) {
		creds, err := readCredentials(spec.CredentialsFile)
		if err != nil {
			return setupf("--credentials-file: %v", err)
		}
		if need := spec.Users + 2; len(creds) < need {
			return setupf("--credentials-file: %d users need %d accounts (two more leave mid-stream); %d given", spec.Users, need, len(creds))
		}
	}
	if spec.CAFile != "" {
		pem, err := os.ReadFile(spec.CAFile)
		if err != nil {
			return setupf("--ca-file: %v", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return setupf("--ca-file %s: no PEM certificate in it", spec.CAFile)
		}
	}
	return nil
}

// prepare completes the system's harness target with what the spec
// says about users, Origin, names, CAs and timeouts, returning the
// secrets it read.
func prepare(t harness.Target, spec Spec, getenv func(string) string) (harness.Target, []string, error) {
	var secrets []string
	if spec.Origin != "" {
		t.Origin = spec.Origin
	}
	t.RequestTimeout = time.Duration(spec.RequestTimeout)
	t.CAFile = spec.CAFile
	mode := profile.UserMode(spec.UserMode)
	if spec.Profile != "" {
		prof, err := profile.Load(spec.Profile)
		if err != nil {
			return t, nil, setupf("--profile: %v", err)
		}
		t.Profile = prof
		if mode == "" {
			mode = prof.Users
		}
	}
	if mode == "" {
		mode = profile.UsersRegister
	}
	if t.ServiceID == "" && t.ServiceSecret != "" {
		// The id the profile says the deployment expects, else gpcheck's.
		t.ServiceID = t.Profile.ServiceAuth.ID
		if t.ServiceID == "" {
			t.ServiceID = "gpcheck"
		}
	}
	t.Users = mode
	switch mode {
	case profile.UsersBypass:
		if t.BypassKey == "" {
			key, err := secretFromFileOrEnv(spec.BypassKeyFile, "GPCHECK_BYPASS_KEY", getenv)
			if err != nil {
				return t, nil, setupf("bypass key: %v", err)
			}
			t.BypassKey = key
			secrets = append(secrets, key)
		}
	case profile.UsersCredentials:
		creds, err := readCredentials(spec.CredentialsFile)
		if err != nil {
			return t, nil, setupf("--credentials-file: %v", err)
		}
		if need := spec.Users + 2; len(creds) < need { // two more users leave mid-stream
			return t, nil, setupf("--credentials-file: %d users need %d accounts (two more leave mid-stream); %d given", spec.Users, need, len(creds))
		}
		t.Credentials = creds
		for _, c := range creds {
			secrets = append(secrets, c.Password)
		}
	}
	return t, secrets, nil
}

// ginkgoLog points Ginkgo's own reporter at dir/ginkgo.log (gpcheck
// prints its own lines instead), through redaction of secrets and
// tokens, until restore is called. Ginkgo keeps its
// output writer in a package variable; runs are not concurrent.
func ginkgoLog(dir string, secrets []string) (path string, restore func(), err error) {
	prev := formatter.ColorableStdOut
	if dir == "" {
		formatter.ColorableStdOut = io.Discard
		return "", func() { formatter.ColorableStdOut = prev }, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, setupf("--report-dir: %v", err)
	}
	path = filepath.Join(dir, "ginkgo.log")
	f, err := os.Create(path)
	if err != nil {
		return "", nil, setupf("--report-dir: %v", err)
	}
	rw := newRedactingWriter(f, secrets)
	formatter.ColorableStdOut = rw
	return path, func() {
		formatter.ColorableStdOut = prev
		_ = rw.Flush()
		_ = f.Close()
	}, nil
}

// ConcurrencyText is a concurrency as the console shows it.
func ConcurrencyText(c int) string {
	if c == 0 {
		return "all"
	}
	return fmt.Sprint(c)
}

func faultsText(fs []string) string {
	if len(fs) == 0 {
		return "none"
	}
	return strings.Join(fs, ",")
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) | 1
}

// silentT is the GinkgoTestingT of runs whose caller gave none: the
// outcome is read from the report, so a failure only needs recording.
type silentT struct {
	mu     sync.Mutex
	failed bool
}

func (t *silentT) Fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

// unreached lists the services preflight did not reach, with why.
func unreached(t harness.Target) []string {
	var out []string
	for _, sv := range []string{"auth", "backend", "ws"} {
		if why, ok := t.Unreached[sv]; ok {
			out = append(out, sv+": "+why)
		}
	}
	return out
}

// sizeRun gives a run with a MaxFailureRate the flows that can show it:
// with no failure, FlowsToShow flows bound the failure rate to it. A run
// bounded by time keeps its duration. The note says what was done.
func sizeRun(spec Spec) (Spec, string) {
	if spec.MaxFailureRate <= 0 || spec.Duration > 0 {
		return spec, ""
	}
	conf := spec.Confidence
	if conf == 0 {
		conf = reports.DefaultConfidence
	}
	need := reports.FlowsToShow(spec.MaxFailureRate, conf)
	if spec.Users*spec.Messages >= need {
		return spec, fmt.Sprintf("sizing: %d flows can show a failure rate below %g%% at %g%% confidence (%d needed)",
			spec.Users*spec.Messages, spec.MaxFailureRate, conf, need)
	}
	spec.Messages = (need + spec.Users - 1) / spec.Users
	return spec, fmt.Sprintf("sizing: a failure rate below %g%% at %g%% confidence needs at least %d flows: %d users × %d messages",
		spec.MaxFailureRate, conf, need, spec.Users, spec.Messages)
}
