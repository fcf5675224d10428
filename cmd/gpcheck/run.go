package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/engine"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/reporters"
	"github.com/gpcheck/gpcheck/suites"
)

// runCLI are gpcheck run's flags that are not part of the run's Spec.
type runCLI struct {
	configFile  string
	rerunFailed string
	dryRun      bool
	noProgress  bool
	heartbeat   time.Duration
	ci          ciFlag
	telemetry   engine.Telemetry
}

// runFlags binds gpcheck run's flags to spec (whose current values are
// the defaults shown) and c.
func runFlags(spec *engine.Spec, c *runCLI, stderr io.Writer) *flag.FlagSet {
	fs := newFlags("run", stderr)
	fs.StringVar(&spec.Target, "target", spec.Target, "where the system under test is: "+strings.Join(engine.TargetKinds(), ", "))
	fs.Var(newListFlag(&spec.Faults), "fault", "local and containers targets: switch on a fault mode of the reference services (repeatable)")
	fs.Var(&imageFlag{&spec.Images}, "image", "containers target: prebuilt images, auth=REF,backend=REF,ws=REF or one REF for all (default: build one from this repository)")
	fs.Var(newListFlag(&spec.ComposeFiles), "compose-file", "compose target: a Compose file of the platform (repeatable; merged in order)")
	fs.Var(&roleFlag{&spec.Roles}, "role", "compose target: the service of each role, auth=SERVICE[:PORT],backend=SERVICE[:PORT],ws=SERVICE[:PORT] (PORT: the container port, when the service declares several)")
	fs.StringVar(&spec.EnvFile, "env-file", spec.EnvFile, "compose target: the project's variable file (default: the .env beside the first Compose file)")
	fs.Var(newListFlag(&spec.ComposeProfiles), "compose-profile", "compose target: activate a Compose profile (repeatable)")
	fs.BoolVar(&spec.Build, "build", spec.Build, "compose target: build the services that have a build: section, locally (nothing is pulled)")
	fs.StringVar(&spec.SigningKeyVar, "signing-key-var", spec.SigningKeyVar, "compose target: the variable of the env file (or GPCHECK_* environment) holding the signing key, read per --signing-key-format")
	fs.IntVar(&spec.Users, "users", spec.Users, "virtual users driving the golden path")
	fs.IntVar(&spec.Concurrency, "concurrency", spec.Concurrency, "agent runs in flight at once; every user stays connected (0: one per user)")
	fs.IntVar(&spec.Messages, "messages", spec.Messages, "messages each user sends; each is one flow (with --duration: 0 means as many as fit)")
	fs.Var((*durationFlag)(&spec.Ramp), "ramp", "spread the users' starts evenly over this time")
	fs.Var((*durationFlag)(&spec.Duration), "duration", "keep users sending messages until this much time has passed")
	fs.Var((*durationFlag)(&spec.KeepAlive), "keepalive", "ping interval of connections waiting for a run slot")
	fs.IntVar(&spec.CollideEvery, "collide-every", spec.CollideEvery, "every n-th user counts its request ids (req-1, req-2, …) so that they collide with other users' (0: every third; 1: all; -1: none)")
	fs.IntVar(&spec.Churn, "churn", spec.Churn, "churn groups: a user drops mid-stream and reconnects while another connects for the first time, and a third closes a second tab (0: one per 10 users; -1: none)")
	fs.StringVar(&spec.Shard, "shard", spec.Shard, "run shard i/n of the users (same --seed in every shard; merge with `gpcheck report merge`)")
	fs.Uint64Var(&spec.Seed, "seed", spec.Seed, "seed for users and messages (0: random; the report records it)")
	fs.StringVar(&spec.LabelFilter, "label-filter", spec.LabelFilter, "run only the specs this Ginkgo label filter selects (labels: "+strings.Join(suites.Labels(), ", ")+")")
	fs.Var((*severityFlag)(&spec.FailOn), "fail-on", "least severity that fails the run: critical, high, medium (default) or advisory")
	fs.Float64Var(&spec.MaxFailureRate, "max-failure-rate", spec.MaxFailureRate, "failure rate (percent) the golden path must show at --confidence; sizes the run and gates on the bound, not on --min-completion")
	fs.Float64Var(&spec.Confidence, "confidence", spec.Confidence, "confidence (percent) of failure-rate bounds (default 95)")
	fs.Float64Var(&spec.MinCompletion, "min-completion", spec.MinCompletion, "completion rate, in percent, the golden path needs")
	fs.StringVar(&spec.ReportDir, "report-dir", spec.ReportDir, "folder for report.json and logs")
	fs.Var((*durationFlag)(&spec.Timeout), "timeout", "bound on the whole run")
	fs.StringVar(&spec.AuthURL, "auth-url", spec.AuthURL, "remote: auth service base URL (or $GPCHECK_AUTH_URL)")
	fs.StringVar(&spec.BackendURL, "backend-url", spec.BackendURL, "remote: backend base URL (or $GPCHECK_BACKEND_URL)")
	fs.StringVar(&spec.WSURL, "ws-url", spec.WSURL, "remote: WebSocket endpoint URL (or $GPCHECK_WS_URL)")
	fs.StringVar(&spec.Origin, "origin", spec.Origin, "Origin header for WebSocket handshakes (local default: "+sut.DefaultOrigin+")")
	fs.StringVar(&spec.UserMode, "user-mode", spec.UserMode, "how test users are obtained: register, bypass (key from $GPCHECK_BYPASS_KEY) or credentials (--credentials-file); default: the profile's, register")
	fs.StringVar(&spec.SigningKeyFile, "signing-key-file", spec.SigningKeyFile, "remote: file holding the SUT's HS256 signing key, for the token cases that need it")
	fs.StringVar(&spec.SigningKeyFormat, "signing-key-format", spec.SigningKeyFormat, "how --signing-key-file holds the key: raw (its bytes, trailing newline trimmed; default), hex or base64")
	fs.StringVar(&spec.History, "history", spec.History, "append the run's summary to this file as one JSON line (for `gpcheck report trend`)")
	fs.StringVar(&spec.Profile, "profile", spec.Profile, "remote: YAML profile of the deployment's names (see `gpcheck profile show`)")
	fs.StringVar(&spec.CredentialsFile, "credentials-file", spec.CredentialsFile, "with --user-mode credentials: a file of test accounts, one `email:password` per line, one per virtual user")
	fs.StringVar(&spec.CAFile, "ca-file", spec.CAFile, "remote: PEM file of the CAs trusted for https and wss")
	fs.Var((*durationFlag)(&spec.RequestTimeout), "request-timeout", "bound on every single HTTP request")
	fs.StringVar(&c.rerunFailed, "rerun-failed", c.rerunFailed, "run only the specs that failed in this report folder, with its target, faults, seed and shape unless flags override them")
	fs.BoolVar(&c.dryRun, "dry-run", c.dryRun, "print the specs that would run and exit, starting nothing")
	fs.StringVar(&c.configFile, "config", c.configFile, "read settings from this YAML file (gpcheck.yaml); flags override it")
	fs.BoolVar(&c.noProgress, "no-progress", c.noProgress, "never print live progress")
	fs.DurationVar(&c.heartbeat, "heartbeat", cmp.Or(c.heartbeat, engine.DefaultHeartbeat), "while the golden path runs, print a heartbeat line (flows/s, completion so far, gpcheck's RSS) to stderr this often, also kept in report.json (0: never)")
	fs.Var(&c.ci, "ci", ciUsage())
	fs.StringVar(&c.telemetry.Endpoint, "otlp-endpoint", c.telemetry.Endpoint, "trace every flow and export spans and metrics over OTLP/HTTP to this collector base URL, such as http://localhost:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT; unset: no tracing)")
	fs.BoolVar(&c.telemetry.PropagateOnly, "traceparent-only", c.telemetry.PropagateOnly, "send W3C trace context (traceparent) on every request and record the flows' trace ids in the findings, exporting nothing")
	fs.StringVar(&c.telemetry.TraceState, "tracestate", c.telemetry.TraceState, "with tracing: vendor tracestate entries (key=value,…) sent with every traceparent")
	fs.StringVar(&c.telemetry.MetricsAddr, "metrics-addr", c.telemetry.MetricsAddr, "serve the run's metrics (flows, completion, flows/s, stage latencies, findings) in the Prometheus text format on GET /metrics at this address, such as 127.0.0.1:9464, while the run goes on")
	return fs
}

// runSpec turns gpcheck run's arguments into a Spec: the defaults (with
// the GPCHECK_*_URL variables), then the report of --rerun-failed, then
// the --config file, then the flags given.
func runSpec(args []string, stderr io.Writer) (engine.Spec, runCLI, error) {
	// First pass: find --config and --rerun-failed, and catch bad flags.
	var scratch engine.Spec
	var c runCLI
	if err := parse(runFlags(&scratch, &c, stderr), args, false); err != nil {
		return scratch, c, err
	}
	spec := engine.DefaultSpec()
	spec.AuthURL, spec.BackendURL, spec.WSURL = os.Getenv("GPCHECK_AUTH_URL"), os.Getenv("GPCHECK_BACKEND_URL"), os.Getenv("GPCHECK_WS_URL")
	var rerun *reports.Report
	if c.rerunFailed != "" {
		rep, err := readReport(c.rerunFailed)
		if err != nil {
			return spec, c, err
		}
		spec = replaySpec(rep)
		for _, s := range rep.Specs {
			if s.Failed() {
				spec.Focus = append(spec.Focus, s.Name)
			}
		}
		if len(spec.Focus) == 0 {
			return spec, c, usagef("--rerun-failed: %s has no failed spec (verdict %s); nothing to rerun", reportPath(c.rerunFailed), rep.Verdict)
		}
		spec.ReportDir = filepath.Join(reportFolder(c.rerunFailed), "rerun")
		rerun = rep
	}
	if c.configFile != "" {
		cfg, err := loadConfig(c.configFile, spec)
		if err != nil {
			return spec, c, usagef("--config: %v", err)
		}
		spec = cfg.Spec
	}
	c2 := c
	fs := runFlags(&spec, &c2, stderr)
	if err := parse(fs, args, false); err != nil {
		return spec, c, err
	}
	if spec.ReportDir == "" {
		return spec, c, usagef("--report-dir must not be empty")
	}
	if rerun != nil {
		// The report's images are replayed by digest, unless the flags
		// name other images or another project.
		set := given(fs)
		for _, f := range []string{"target", "image", "compose-file", "role", "env-file", "compose-profile", "build"} {
			if set[f] {
				spec.ImageDigests, spec.ComposeHashes = nil, nil
			}
		}
	}
	if rerun != nil && spec.Target != rerun.Spec.Target {
		// Another kind of target: the report's faults and URLs do not apply.
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if !given["fault"] {
			spec.Faults = nil
		}
		for _, u := range []struct {
			flag string
			dst  *string
		}{{"auth-url", &spec.AuthURL}, {"backend-url", &spec.BackendURL}, {"ws-url", &spec.WSURL}} {
			if !given[u.flag] {
				*u.dst = ""
			}
		}
	}
	return spec, c, nil
}

// given returns the flags set on fs's command line.
func given(fs *flag.FlagSet) map[string]bool {
	out := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { out[f.Name] = true })
	return out
}

// replaySpec is the spec that replays rep's run: its own spec, with what
// a replay must not repeat (appending to the history) taken out and any
// setting an old report lacks set to its default.
func replaySpec(rep *reports.Report) engine.Spec {
	spec, def := rep.Spec, engine.DefaultSpec()
	spec.History, spec.Focus, spec.Shards = "", nil, nil
	if spec.Target == "" {
		spec.Target = def.Target
	}
	if spec.RequestTimeout <= 0 {
		spec.RequestTimeout = def.RequestTimeout
	}
	if spec.KeepAlive <= 0 {
		spec.KeepAlive = def.KeepAlive
	}
	if spec.Timeout <= 0 {
		spec.Timeout = def.Timeout
	}
	if spec.Users <= 0 {
		spec.Users = def.Users
	}
	if spec.Messages <= 0 && spec.Duration <= 0 {
		spec.Messages = def.Messages
	}
	return spec
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	spec, c, err := runSpec(args, stderr)
	if err != nil {
		return err
	}
	if c.dryRun {
		return dryRun(spec, stdout)
	}
	if c.rerunFailed != "" {
		fmt.Fprintf(stdout, "rerunning %d failed spec(s) of %s\n", len(spec.Focus), reportPath(c.rerunFailed))
	}
	prog := newProgress(stdout, !c.noProgress && isTerminal(stdout))
	res, err := engine.Run(ctx, spec, engine.Options{Version: version, Log: stdout, Progress: prog.update,
		Heartbeat: heartbeatOption(c.heartbeat), OnHeartbeat: prog.heartbeat(stderr, spec.Shard), Telemetry: c.telemetry})
	prog.clear()
	if err != nil {
		return runError(err)
	}
	printOutcome(stdout, res)
	emitCI(stdout, stderr, c.ci, spec.ReportDir, res)
	if spec.History != "" && res.WriteErr == nil {
		fmt.Fprintf(stdout, "history: appended to %s\n", spec.History)
	}
	if res.WriteErr != nil {
		return exitError{exitFailed, res.WriteErr}
	}
	switch res.Report.Verdict {
	case reports.VerdictInterrupted:
		return exitError{exitInterrupted, errors.New("interrupted before the run finished")}
	case reports.VerdictFailed:
		return exitError{exitFailed, nil}
	case reports.VerdictInconclusive:
		return exitError{exitUnjudged, nil}
	}
	return nil
}

// runError maps the engine's errors to exit codes.
func runError(err error) error {
	var se *engine.SetupError
	var ue *engine.UnreachableError
	switch {
	case errors.As(err, &se):
		return usagef("%v", se.Err)
	case errors.As(err, &ue):
		return exitError{exitUnreachable, ue.Err}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return exitError{exitInterrupted, err}
	}
	return err
}

// printOutcome prints the run's console summary, redacted, and where its
// files went.
func printOutcome(w io.Writer, res *engine.Result) {
	reporters.Console(w, reports.Redacted(res.Report, res.Secrets...))
	if res.WriteErr == nil && len(res.Files) > 0 {
		fmt.Fprintf(w, "reports: %s (Ginkgo log: %s)\n", strings.Join(res.Files, ", "), res.LogPath)
	}
}

// dryRun prints the specs spec would run, and refuses an empty selection.
func dryRun(spec engine.Spec, stdout io.Writer) error {
	run, err := engine.Plan(spec)
	if err != nil {
		return runError(err)
	}
	seed := "random"
	if spec.Seed != 0 {
		seed = fmt.Sprint(spec.Seed)
	}
	faults := "none"
	if len(spec.Faults) > 0 {
		faults = strings.Join(spec.Faults, ",")
	}
	fmt.Fprintf(stdout, "dry run: target %s (faults: %s), %d users × %d message(s), concurrency %s, seed %s\n",
		spec.Target, faults, spec.Users, spec.Messages, engine.ConcurrencyText(spec.Concurrency), seed)
	fmt.Fprintf(stdout, "would run %d of %d spec(s):\n", len(run), len(suites.Specs()))
	for _, s := range run {
		fmt.Fprintf(stdout, "  %s [%s]\n", s.Name(), strings.Join(s.Labels, ", "))
	}
	return nil
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
	rep, err := reports.ReadJSON(b)
	if err != nil {
		return nil, usagef("read report %s: %v", path, err)
	}
	return rep, nil
}
