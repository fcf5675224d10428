package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// failingDir is one `--fault ws-route-by-short-id` run's report folder,
// made once and shared by the tests that read it.
var (
	failingOnce sync.Once
	failingDir  string
	failingErr  error
)

const (
	leakSpec   = "Golden path never shows a user another user's events or data"
	goldenSpec = "Golden path completes every flow, each stage within its SLA"
)

func failingReport(t *testing.T) string {
	t.Helper()
	failingOnce.Do(func() {
		dir := filepath.Join(filepath.Dir(gpcheckBin), "failing-report") // removed with the binary
		// Unique request ids: this report is one pure leak, which only the
		// isolation spec catches. (With colliding counter ids, users who
		// receive another's events for their own request id fail their
		// golden path too: true, but not what these tests are about.)
		cmd := exec.Command(gpcheckBin, "run", "--fault", "ws-route-by-short-id", "--seed", "7", "--collide-every", "-1", "--report-dir", dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			failingErr = err
			return
		}
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			<-done
			failingErr = fmt.Errorf("the failing run did not finish within 2 min:\n%s", out.String())
			return
		}
		if code := cmd.ProcessState.ExitCode(); code != exitFailed {
			failingErr = fmt.Errorf("the failing run exited %d, want 1:\n%s", code, out.String())
			return
		}
		failingDir = dir
	})
	if failingErr != nil {
		t.Fatal(failingErr)
	}
	return failingDir
}

// writeReport writes a report.json holding v into a fresh folder.
func writeReport(t *testing.T, v any) string {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func oneErrorLine(t *testing.T, r result) {
	t.Helper()
	line := strings.TrimSpace(r.stderr)
	if line == "" || strings.Contains(line, "\n") || strings.Contains(line, "panic") {
		t.Errorf("want one error line, got %q", r.stderr)
	}
}

// TestReproReproducesDeterministically replays the first finding of a
// ws-route-by-short-id run ten times, one try each, and counts how often
// it reproduces: at least 9 of 10 must.
func TestReproReproducesDeterministically(t *testing.T) {
	t.Parallel()
	dir := failingReport(t)
	const tries = 10
	reproduced, sameLeak := 0, 0
	for i := 0; i < tries; i++ {
		r := gpcheck(t, 2*time.Minute, "repro", "--report", dir, "--finding", "F0001", "--report-dir", t.TempDir())
		switch {
		case r.code == exitOK && strings.Contains(r.stdout, "REPRODUCED F0001 on try 1 of 1"):
			reproduced++
			// The same leak: u0000 received u0001's frames.
			if i := strings.Index(r.stdout, "transcript (replayed"); i >= 0 && strings.Contains(r.stdout, ", user u0000 (") &&
				strings.Contains(r.stdout[i:], "\n  received u0001 (") {
				sameLeak++
			}
		case r.code == exitFailed && strings.Contains(r.stdout, "NOT REPRODUCED F0001"):
		default:
			t.Fatalf("try %d: exit %d\nstdout:\n%s\nstderr:\n%s", i+1, r.code, r.stdout, r.stderr)
		}
		if i == 0 {
			for _, w := range []string{"repro F0001: isolation_leak in \"" + leakSpec + "\", user u0000",
				"seed 7", "faults: ws-route-by-short-id", "transcript (replayed F", "    1  ", " received (conn 0) "} {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("repro output lacks %q:\n%s", w, r.stdout)
				}
			}
			if regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`).MatchString(r.stdout) {
				t.Error("a whole token in the transcript")
			}
		}
	}
	t.Logf("F0001 reproduced in %d of %d tries (%d as the very same leak, u0000 receiving u0001's frames)", reproduced, tries, sameLeak)
	if reproduced < 9 {
		t.Errorf("F0001 reproduced in %d of %d tries, want at least 9", reproduced, tries)
	}
}

func TestReproOnlyRunsTheFindingsSpec(t *testing.T) {
	t.Parallel()
	dir := failingReport(t)
	out := t.TempDir()
	r := gpcheck(t, 2*time.Minute, "repro", "--report", dir, "--finding", "f0001", "--report-dir", out, "--repeat", "3")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Specs []struct{ Name, State string }
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Specs {
		if (s.State != "skipped") != (s.Name == leakSpec) {
			t.Errorf("replay: %s %s", s.State, s.Name)
		}
	}
}

func TestReproCleanReportHasNoFinding(t *testing.T) {
	t.Parallel()
	r := gpcheck(t, 2*time.Minute, "run", "--seed", "42", "--users", "3", "--label-filter", "isolation")
	if r.code != exitOK {
		t.Fatalf("clean run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := writeReport(t, r.report)
	rr := gpcheck(t, time.Minute, "repro", "--report", dir, "--finding", "F0001")
	if rr.code != exitUsage || !strings.Contains(rr.stderr, `unknown finding "F0001": the report has no findings`) {
		t.Errorf("exit %d, stderr %q; want 2 and unknown finding", rr.code, rr.stderr)
	}
	oneErrorLine(t, rr)
}

func TestReproUsage(t *testing.T) {
	t.Parallel()
	dir := failingReport(t)
	mars := writeReport(t, map[string]any{"schema_version": 1, "verdict": "failed",
		"target":   map[string]any{"kind": "mars"},
		"config":   map[string]any{"users": 3, "messages": 1, "seed": 7},
		"findings": []any{map[string]any{"id": "F0001", "kind": "isolation_leak", "spec": leakSpec, "detail": "x"}}})
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"repro", "--finding", "F0001"}, "needs --report"},
		{[]string{"repro", "--report", dir}, "needs --finding"},
		{[]string{"repro", "--report", t.TempDir(), "--finding", "F0001"}, "read report"},
		{[]string{"repro", "--report", dir, "--finding", "F9999"}, `unknown finding "F9999": the report's findings are F0001 … F`},
		{[]string{"repro", "--report", dir, "--finding", "F0001", "--repeat", "0"}, "--repeat must be at least 1"},
		{[]string{"repro", "--report", mars, "--finding", "F0001"}, `unknown --target "mars"`},
		{[]string{"repro", "--report", dir, "--finding", "F0001", "stray"}, "unexpected argument"},
	}
	for _, c := range cases {
		r := gpcheck(t, time.Minute, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("gpcheck %v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
			continue
		}
		oneErrorLine(t, r)
	}
}

func TestReproUnreachableRemote(t *testing.T) {
	t.Parallel()
	dir := writeReport(t, map[string]any{"schema_version": 1, "verdict": "failed",
		"target":   map[string]any{"kind": "remote", "auth_url": "http://127.0.0.1:1", "backend_url": "http://127.0.0.1:1", "ws_url": "ws://127.0.0.1:1/ws"},
		"config":   map[string]any{"users": 3, "messages": 1, "seed": 7, "timeout_ms": 20000},
		"findings": []any{map[string]any{"id": "F0001", "kind": "isolation_leak", "spec": leakSpec, "detail": "x"}}})
	r := gpcheck(t, time.Minute, "repro", "--report", dir, "--finding", "F0001", "--report-dir", t.TempDir())
	if r.code != exitUnreachable {
		t.Fatalf("exit %d, want 3\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	oneErrorLine(t, r)
}

func TestReproNotReproduced(t *testing.T) {
	t.Parallel()
	// A finding the clean reference services never produce.
	dir := writeReport(t, map[string]any{"schema_version": 1, "verdict": "failed",
		"target": map[string]any{"kind": "local"},
		"config": map[string]any{"users": 3, "messages": 1, "seed": 7},
		"findings": []any{map[string]any{"id": "F0001", "kind": "isolation_leak", "spec": leakSpec, "user": "u0001 (x)",
			"detail": "saw u0002's canary", "evidence": []string{"step one", "step two"}}}})
	r := gpcheck(t, 2*time.Minute, "repro", "--report", dir, "--finding", "F0001", "--repeat", "2", "--report-dir", t.TempDir())
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"try 1/2: not reproduced", "try 2/2: not reproduced", "transcript (original F0001; the replay did not show it)",
		"    1  step one", "    2  step two", "NOT REPRODUCED F0001 in 2 try(s)"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}
}

func TestHistoryAndTrend(t *testing.T) {
	t.Parallel()
	hist := filepath.Join(t.TempDir(), "nightly.jsonl")
	for _, seed := range []string{"11", "12"} {
		r := gpcheck(t, 2*time.Minute, "run", "--seed", seed, "--users", "3", "--label-filter", "golden-path", "--history", hist)
		if r.code != exitOK || !strings.Contains(r.stdout, "history: appended to "+hist) {
			t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d history lines, want 2:\n%s", len(lines), b)
	}
	for i, l := range lines {
		var e struct {
			Verdict    string
			Seed       uint64
			Target     string
			Completion struct{ Attempted, Completed int }
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if e.Verdict != "passed" || e.Seed != uint64(11+i) || e.Target != "local" || e.Completion.Attempted != 3 || e.Completion.Completed != 3 {
			t.Errorf("line %d: %+v", i+1, e)
		}
	}

	r := gpcheck(t, time.Minute, "report", "trend", hist)
	if r.code != exitOK {
		t.Fatalf("trend: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "2 run(s)") || strings.Count(r.stdout, "  passed  ") != 2 ||
		!strings.Contains(r.stdout, "100% (3/3)") || !strings.Contains(r.stdout, " 11 ") || !strings.Contains(r.stdout, " 12 ") {
		t.Errorf("trend does not list both runs:\n%s", r.stdout)
	}
	page := filepath.Join(t.TempDir(), "trend.html")
	r = gpcheck(t, time.Minute, "report", "trend", "--format", "html", "--out", page, hist)
	if r.code != exitOK {
		t.Fatalf("trend html: exit %d: %s", r.code, r.stderr)
	}
	if h, err := os.ReadFile(page); err != nil || strings.Count(string(h), "<svg") != 2 || strings.Contains(string(h), "<script") {
		t.Errorf("trend.html: %v, %d charts", err, strings.Count(string(h), "<svg"))
	}

	// A bad line is named; bad usage is exit 2.
	if err := os.WriteFile(hist, append(b, []byte("{oops\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "trend", hist}, "nightly.jsonl:3: bad history entry"},
		{[]string{"report", "trend", "--format", "pdf", hist}, `unknown --format "pdf"`},
		{[]string{"report", "trend"}, "needs one history file"},
		{[]string{"report", "frobnicate"}, "unknown report"},
	} {
		r := gpcheck(t, time.Minute, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("gpcheck %v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

func TestRerunFailed(t *testing.T) {
	t.Parallel()
	dir := failingReport(t)
	r := gpcheck(t, 2*time.Minute, "run", "--rerun-failed", dir)
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "rerunning 1 failed spec(s)") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	ran := 0
	for _, s := range r.report["specs"].([]any) {
		s := s.(map[string]any)
		if s["state"] != "skipped" {
			ran++
			if s["name"] != leakSpec {
				t.Errorf("ran %v, which passed in the original", s["name"])
			}
		}
	}
	if ran != 1 {
		t.Errorf("%d specs ran, want 1", ran)
	}
	cfg := r.report["spec"].(map[string]any)
	tgt := r.report["target"].(map[string]any)
	if cfg["seed"].(float64) != 7 || cfg["users"].(float64) != 20 || fmt.Sprint(tgt["faults"]) != "[ws-route-by-short-id]" {
		t.Errorf("rerun did not take the report's seed, shape and faults: %v %v", cfg, tgt)
	}

	// Flags override the report.
	r = gpcheck(t, 2*time.Minute, "run", "--rerun-failed", dir, "--users", "4", "--seed", "9")
	cfg = r.report["spec"].(map[string]any)
	if r.code != exitFailed || cfg["seed"].(float64) != 9 || cfg["users"].(float64) != 4 {
		t.Errorf("exit %d, config %v; want the flags' seed 9 and 4 users", r.code, cfg)
	}

	// A passing report has nothing to rerun.
	clean := writeReport(t, map[string]any{"schema_version": 1, "verdict": "passed", "target": map[string]any{"kind": "local"},
		"specs": []any{map[string]any{"name": leakSpec, "state": "passed"}}})
	r = gpcheck(t, time.Minute, "run", "--rerun-failed", clean)
	if r.code != exitUsage || !strings.Contains(r.stderr, "has no failed spec") {
		t.Errorf("exit %d, stderr %q; want 2", r.code, r.stderr)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	r := gpcheck(t, time.Minute, "run", "--dry-run", "--seed", "5")
	all := regexp.MustCompile(`would run (\d+) of (\d+) spec\(s\):`).FindStringSubmatch(r.stdout)
	if r.code != exitOK || all == nil || all[1] != all[2] || !strings.Contains(r.stdout, "  "+leakSpec+" [isolation]") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r.report != nil {
		t.Error("a dry run wrote a report")
	}
	r = gpcheck(t, time.Minute, "run", "--dry-run", "--label-filter", "no-such")
	if r.code != exitUsage {
		t.Errorf("--label-filter no-such: exit %d, want 2\nstdout:\n%s", r.code, r.stdout)
	}
	oneErrorLine(t, r)

	// A dry run checks what the real run would stop on before contacting
	// the system: the profile, the URLs, the files it names.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--target", "remote", "--auth-url", "ftp://x", "--backend-url", "http://127.0.0.1:1", "--ws-url", "ws://127.0.0.1:1/ws"}, "auth URL"},
		{[]string{"--target", "remote", "--auth-url", "http://127.0.0.1:1", "--backend-url", "http://127.0.0.1:1", "--ws-url", "ws://127.0.0.1:1/ws",
			"--signing-key-file", filepath.Join(t.TempDir(), "missing")}, "--signing-key-file"},
		{[]string{"--target", "remote", "--auth-url", "http://127.0.0.1:1", "--backend-url", "http://127.0.0.1:1", "--ws-url", "ws://127.0.0.1:1/ws",
			"--profile", writeFile(t, "p.yaml", "ws_auth: smoke\n")}, "ws_auth"},
		{[]string{"--user-mode", "credentials", "--credentials-file", writeFile(t, "creds", "a@x.test:pw\n")}, "accounts"},
	} {
		r := gpcheck(t, time.Minute, append([]string{"run", "--dry-run"}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("dry run %v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
		oneErrorLine(t, r)
	}

	r = gpcheck(t, time.Minute, "run", "--dry-run", "--rerun-failed", failingReport(t))
	if r.code != exitOK || !strings.Contains(r.stdout, "would run 1 of ") || !strings.Contains(r.stdout, "seed 7") ||
		!strings.Contains(r.stdout, "faults: ws-route-by-short-id") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestHTMLShowsLeakingFrame reads report.html of a ws-route-by-short-id
// run as a person would: some transcript holds a frame one user received
// that carries another user's request id.
func TestHTMLShowsLeakingFrame(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(failingReport(t), "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	pres := regexp.MustCompile(`(?s)<pre class="transcript">(.*?)</pre>`).FindAllStringSubmatch(page, -1)
	if len(pres) == 0 {
		t.Fatal(`no <pre class="transcript"> in report.html`)
	}
	// "12:00:00.000 u0000 (id) received (conn 0) {..."request_id":"req-<tag>-u0001-m0"...}"
	frame := regexp.MustCompile(`^\S+ (u\d{4}) \([^)]*\) received \(conn \d+\) \{.*"request_id":"req-[0-9a-f]+-(u\d{4})-m\d+"`)
	tags := regexp.MustCompile(`<[^>]*>`)
	for _, pre := range pres {
		text := html.UnescapeString(tags.ReplaceAllString(strings.ReplaceAll(pre[1], "</span>", "\n"), ""))
		for _, line := range strings.Split(text, "\n") {
			if m := frame.FindStringSubmatch(line); m != nil && m[1] != m[2] {
				t.Logf("leaking frame: %.160s…", line)
				return
			}
		}
	}
	t.Errorf("no transcript holds a frame with another user's request id (%d transcripts)", len(pres))
}
