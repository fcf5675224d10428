package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/suites"
)

// gpcheckBin is the real binary, built once by TestMain; the end-to-end
// tests run it as users do.
var gpcheckBin string

func TestMain(m *testing.M) {
	// What main does before anything else: testcontainers' reaper stays
	// off (it would pull an image), unless the environment chose.
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	quietTestcontainers()
	dir, err := os.MkdirTemp("", "gpcheck-e2e")
	if err != nil {
		panic(err)
	}
	gpcheckBin = filepath.Join(dir, "gpcheck")
	out, err := exec.Command("go", "build", "-o", gpcheckBin, ".").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		os.Stderr.Write(out)
		panic("build gpcheck: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
	report         map[string]any
}

// gpcheck runs the binary with args and a fresh report folder.
func gpcheck(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	if args[0] == "run" {
		given := false
		for i, a := range args {
			if a == "--report-dir" && i+1 < len(args) {
				dir, given = args[i+1], true
			}
		}
		if !given {
			args = append(args, "--report-dir", dir)
		}
	}
	r := runBinary(t, timeout, nil, args...)
	if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil {
		if err := json.Unmarshal(b, &r.report); err != nil {
			t.Fatalf("report.json is not JSON: %v", err)
		}
	}
	return r
}

// runBinary runs the binary with args within timeout and returns its exit
// code and output; env, when not nil, is its whole environment.
func runBinary(t *testing.T, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gpcheckBin, args...)
	cmd.Env = env
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("run gpcheck %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("gpcheck %v did not finish within %s\nstdout:\n%s\nstderr:\n%s", args, timeout, r.stdout, r.stderr)
	}
	return r
}

func TestRunCleanPasses(t *testing.T) {
	t.Parallel()
	r := gpcheck(t, 2*time.Minute, "run", "--seed", "42")
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	comp := r.report["completion"].(map[string]any)
	if comp["rate"].(float64) != 100 || comp["attempted"].(float64) != 20 || comp["target"].(float64) != 100 {
		t.Errorf("completion = %v, want 20/20 at 100%% of a 100%% target", comp)
	}
	if n := len(r.report["findings"].([]any)); n != 0 {
		t.Errorf("%d findings on the clean system: %v", n, r.report["findings"])
	}
	if r.report["schema_version"].(float64) != 3 || r.report["verdict"] != "passed" {
		t.Errorf("schema_version %v verdict %v", r.report["schema_version"], r.report["verdict"])
	}
	for _, want := range []string{"✓ passed", "completion  ✓ 100% (20/20 flows)", "verdict     PASSED"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestRunCatchesFaults runs the real binary against every fault mode of
// the catalogue: each spec the mode names must report the finding kind it
// names, and the run must fail.
func TestRunCatchesFaults(t *testing.T) {
	type want struct{ spec, kind string }
	type tc struct {
		fault   string
		wants   []want
		maxRate float64 // the --max-failure-rate a catch needs, if any
	}
	var cases []tc
	for _, in := range faults.All() {
		c := tc{fault: string(in.Name)}
		for _, cb := range in.CaughtBy {
			info, ok := suites.Lookup(cb.Spec)
			if !ok {
				t.Fatalf("fault %s names unknown spec %q", in.Name, cb.Spec)
			}
			c.wants = append(c.wants, want{info.Name(), cb.Kind})
			c.maxRate = max(c.maxRate, cb.MaxFailureRate)
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			t.Parallel()
			args := []string{"run", "--fault", c.fault, "--seed", "7"}
			if c.maxRate > 0 {
				// A rare fault: the default run of 20 flows misses it, which
				// is why --max-failure-rate exists.
				if r := gpcheck(t, 5*time.Minute, "run", "--fault", c.fault, "--seed", "7", "--label-filter", "golden-path"); r.code != exitOK {
					t.Errorf("a default run caught the rare fault %s (exit %d): it is meant to need a sized run", c.fault, r.code)
				}
				args = append(args, "--max-failure-rate", fmt.Sprint(c.maxRate), "--label-filter", "golden-path")
			}
			r := gpcheck(t, 5*time.Minute, args...)
			if r.code != exitFailed {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			found := map[want]bool{}
			for _, f := range r.report["findings"].([]any) {
				f := f.(map[string]any)
				found[want{f["spec"].(string), f["kind"].(string)}] = true
			}
			for _, w := range c.wants {
				if !found[w] {
					t.Errorf("no %s finding from %q; findings by kind: %v", w.kind, w.spec, r.report["findings_by_kind"])
				}
			}
			if r.report["verdict"] != "failed" || !strings.Contains(r.stdout, "✗ failed") {
				t.Errorf("verdict %v; stdout:\n%s", r.report["verdict"], r.stdout)
			}
		})
	}
}

func TestBadUsage(t *testing.T) {
	t.Parallel()
	cases := [][]string{
		{"frobnicate"},
		{"run", "--users", "0"},
		{"run", "--users", "many"},
		{"run", "--fault", "no-such-fault"},
		{"run", "--target", "mars"},
		{"run", "--label-filter", "no-such-label"},
		{"run", "--label-filter", "isolation &&"},
		{"run", "--min-completion", "101"},
		{"run", "--target", "remote", "--auth-url", "ftp://x", "--backend-url", "http://127.0.0.1:1", "--ws-url", "ws://127.0.0.1:1/ws"},
		{"run", "--target", "remote", "--fault", "drop-events"},
		{"run", "stray"},
		{"list", "things"},
	}
	for _, args := range cases {
		r := gpcheck(t, time.Minute, args...)
		if r.code != exitUsage {
			t.Errorf("gpcheck %v: exit %d, want 2\nstderr: %s", args, r.code, r.stderr)
			continue
		}
		line := strings.TrimSpace(r.stderr)
		if line == "" || strings.Contains(line, "\n") || strings.Contains(line, "panic") {
			t.Errorf("gpcheck %v: want one error line, got %q", args, r.stderr)
		}
	}
}

func TestUnreachableTarget(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := gpcheck(t, time.Minute, "run", "--target", "remote", "--timeout", "20s",
		"--auth-url", "http://127.0.0.1:1", "--backend-url", "http://127.0.0.1:1", "--ws-url", "ws://127.0.0.1:1/ws")
	if r.code != exitUnreachable {
		t.Fatalf("exit %d, want 3\nstderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "auth service at http://127.0.0.1:1 is unreachable") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("want one line naming the auth service, got %q", r.stderr)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s, beyond the timeout", d)
	}
}

func TestInterruptExits4(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(gpcheckBin, "run", "--fault", "slow-first-event", "--report-dir", dir)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the flows are waiting for their slow first event
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("gpcheck did not stop within 30 s of SIGINT\nstdout:\n%s", so.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d, want 4\nstdout:\n%s\nstderr:\n%s", code, so.String(), se.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("no report after an interrupt: %v", err)
	}
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil || rep["verdict"] != "interrupted" {
		t.Errorf("report verdict %v (%v), want interrupted", rep["verdict"], err)
	}
}

func TestListSpecs(t *testing.T) {
	t.Parallel()
	r := gpcheck(t, time.Minute, "list", "specs", "--label-filter", "isolation")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "will run     isolation            Golden path never shows a user another user's events or data [isolation]") ||
		!strings.Contains(r.stdout, "filtered out golden-path") || strings.Count(r.stdout, "will run") != 1 {
		t.Errorf("unexpected listing:\n%s", r.stdout)
	}
}

// TestRemoteAgainstSUT starts `gpcheck sut` as a separate process, as a
// user would, and runs `gpcheck run --target remote` against it: the
// golden path passes, and the token cases that need the signing key are
// reported as skipped rather than run.
func TestRemoteAgainstSUT(t *testing.T) {
	t.Parallel()
	sut := startSUTProcess(t, []string{"GPCHECK_SERVICE_SECRET=e2e-harness-secret"})
	urls := sut.urls

	dir := t.TempDir()
	run := exec.Command(gpcheckBin, "run", "--target", "remote", "--report-dir", dir, "--users", "10",
		"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"])
	run.Env = append(os.Environ(), "GPCHECK_SERVICE_SECRET=e2e-harness-secret")
	b, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("remote run: %v\n%s", err, b)
	}

	// gpcheck's own setup is checked before judging: without the service
	// secret, or with a signing key the service does not use, the run is
	// one line and exit 2, never findings.
	for _, c := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no service secret", nil, nil, "GPCHECK_SERVICE_SECRET"},
		{"wrong signing key", []string{"--signing-key-file", writeFile(t, "key", "not-the-key\n")}, []string{"GPCHECK_SERVICE_SECRET=e2e-harness-secret"}, "signing key does not match the auth service"},
		{"backend URL pointing at the auth service", []string{"--backend-url", urls["auth"]}, []string{"GPCHECK_SERVICE_SECRET=e2e-harness-secret"}, "does not look like the backend"},
		{"a profile path that 404s", []string{"--profile", writeFile(t, "p.yaml", "paths:\n  validate: /auth/no-such-route\n")}, []string{"GPCHECK_SERVICE_SECRET=e2e-harness-secret"}, "validate path is wrong"},
	} {
		args := append([]string{"run", "--target", "remote", "--report-dir", t.TempDir(), "--users", "2",
			"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"]}, c.args...)
		bad := exec.Command(gpcheckBin, args...)
		bad.Env = append(withoutEnv(os.Environ(), "GPCHECK_SERVICE_SECRET"), c.env...)
		var stderr bytes.Buffer
		bad.Stderr = &stderr
		_ = bad.Run()
		line := strings.TrimSpace(stderr.String())
		if code := bad.ProcessState.ExitCode(); code != exitUsage || !strings.Contains(line, c.want) || strings.Contains(line, "\n") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", c.name, code, line, c.want)
		}
	}
	// An auth-only deployment: the token matrix runs on the auth service
	// alone and passes; the report says what was not reached.
	authOnly := exec.Command(gpcheckBin, "run", "--target", "remote", "--report-dir", t.TempDir(), "--users", "2", "--label-filter", "tokens",
		"--auth-url", urls["auth"], "--backend-url", "http://127.0.0.1:1", "--ws-url", "ws://127.0.0.1:1/ws", "--no-progress")
	authOnly.Env = append(os.Environ(), "GPCHECK_SERVICE_SECRET=e2e-harness-secret")
	if b, err := authOnly.CombinedOutput(); err != nil || !strings.Contains(string(b), "unreached   backend") || !strings.Contains(string(b), "verdict     PASSED") {
		t.Errorf("auth-only run with --label-filter tokens: %v\n%s", err, b)
	}

	rep, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rep), `"skipped": "needs the SUT's signing key (not given)"`) {
		t.Error("keyed token cases were not reported as skipped on a remote target")
	}
	if strings.Contains(string(rep), "e2e-harness-secret") {
		t.Error("the service secret leaked into report.json")
	}

	// Given credentials: accounts made beforehand, one per virtual user.
	var accounts []string
	ac := &client.Auth{BaseURL: urls["auth"], HTTP: client.NewHTTPClient(10 * time.Second)}
	for i := 0; i < 7; i++ {
		email, pw := fmt.Sprintf("given-%d@gpcheck.test", i), fmt.Sprintf("given-password-%d", i)
		if _, err := ac.Register(context.Background(), email, pw, "given"); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, email+":"+pw)
	}
	creds := filepath.Join(t.TempDir(), "accounts.txt")
	if err := os.WriteFile(creds, []byte(strings.Join(accounts, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	run = exec.Command(gpcheckBin, "run", "--target", "remote", "--report-dir", dir, "--users", "5",
		"--user-mode", "credentials", "--credentials-file", creds, "--label-filter", "golden-path || isolation || identity",
		"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"])
	run.Env = append(os.Environ(), "GPCHECK_SERVICE_SECRET=e2e-harness-secret")
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("remote run with given credentials: %v\n%s", err, b)
	}
	rep, _ = os.ReadFile(filepath.Join(dir, "report.json"))
	if strings.Contains(string(rep), "given-password-") {
		t.Error("a given password leaked into report.json")
	}

	// SIGINT stops the services cleanly.
	_ = sut.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- sut.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("gpcheck sut after SIGINT: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("gpcheck sut did not stop within 15 s of SIGINT")
	}
}

// writeFile writes text to a file in a fresh temporary folder.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// withoutEnv returns env without the variable name.
func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
