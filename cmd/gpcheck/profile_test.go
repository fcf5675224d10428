package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness/profile"
)

// renamedProfileYAML renames every path, the login user-id field, the
// user-message frame and every event.
const renamedProfileYAML = `name: renamed
paths:
  register: /v2/accounts/signup
  login: /v2/accounts/signin
  validate: /v2/accounts/introspect
  refresh: /v2/accounts/renew
  logout: /v2/accounts/signout
  test_auth: /v2/testing/session
  profile: /v2/me
  threads: /v2/conversations
  thread: /v2/conversations/{id}
  messages: /v2/conversations/{id}/history
  ws: /v2/realtime
login_user_id_field: account.uid
user_message_type: chat.send
message_field: text
events:
  connection_established: hello
  agent_started: run.start
  agent_thinking: run.think
  tool_executing: run.tool.begin
  tool_completed: run.tool.end
  agent_completed: run.done
  agent_error: run.fail
  pong: heartbeat
`

func writeProfile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProfileShow prints the built-in profile as YAML that reads back to
// DefaultProfile, and a given file merged over it.
func TestProfileShow(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := report(cmdProfile([]string{"show"}, &out, &errOut), &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got, err := profile.Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("output does not parse back: %v\n%s", err, out.String())
	}
	if want := profile.Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("profile show reads back as\n%+v\nwant\n%+v", got, want)
	}

	out.Reset()
	file := writeProfile(t, "partial.yaml", "name: partial\npaths:\n  ws: /socket\nevents:\n  pong: heartbeat\n")
	if code := report(cmdProfile([]string{"show", "--profile", file}, &out, &errOut), &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got, err = profile.Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("output does not parse back: %v\n%s", err, out.String())
	}
	want := profile.Default()
	want.Name, want.Paths.WS, want.Events.Pong = "partial", "/socket", "heartbeat"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged profile reads back as\n%+v\nwant\n%+v", got, want)
	}

	for _, args := range [][]string{nil, {"edit"}, {"show", "extra"}} {
		errOut.Reset()
		if code := report(cmdProfile(args, &out, &errOut), &errOut); code != exitUsage {
			t.Errorf("profile %v: exit %d, want 2", args, code)
		}
	}
}

// TestProfileBadFile refuses a bad profile file, for profile show and for
// sut, as a one-line usage error naming the file and line.
func TestProfileBadFile(t *testing.T) {
	t.Parallel()
	for _, bad := range []struct{ name, text, want string }{
		{"unknown.yaml", "name: x\npaths:\n  bogus: /x\n", "line 3"},
		{"badvalue.yaml", "name: x\nsla:\n  connect: fast\n", "line 3"},
		{"notyaml.yaml", "name: x\n\tpaths: {}\n", "line 2"},
	} {
		file := writeProfile(t, bad.name, bad.text)
		var out, errOut bytes.Buffer
		code := report(cmdProfile([]string{"show", "--profile", file}, &out, &errOut), &errOut)
		msg := strings.TrimSpace(errOut.String())
		if code != exitUsage || !strings.Contains(msg, file) || !strings.Contains(msg, bad.want) || strings.Contains(msg, "\n") {
			t.Errorf("profile show %s: exit %d, stderr %q; want exit 2 and one line naming the file and %q", bad.name, code, msg, bad.want)
		}

		r := gpcheck(t, time.Minute, "sut", "--profile", file, "--auth-addr", "127.0.0.1:0", "--backend-addr", "127.0.0.1:0", "--ws-addr", "127.0.0.1:0")
		msg = strings.TrimSpace(r.stderr)
		if r.code != exitUsage || !strings.Contains(msg, file) || !strings.Contains(msg, bad.want) || strings.Contains(msg, "\n") {
			t.Errorf("sut --profile %s: exit %d, stderr %q; want exit 2 and one line naming the file and %q", bad.name, r.code, msg, bad.want)
		}
	}
}

// TestSUTProfileRemoteRun serves the reference services under a profile
// that renames everything and runs `gpcheck run --target remote --profile`
// against them: the run passes, and the reference names are 404.
func TestSUTProfileRemoteRun(t *testing.T) {
	t.Parallel()
	file := writeProfile(t, "renamed.yaml", renamedProfileYAML)
	sut := startSUTProcess(t, []string{"GPCHECK_SERVICE_SECRET=e2e-harness-secret"}, "--profile", file)
	urls, printed, stopped := sut.urls, sut.printed, sut.stopped
	text := strings.Join(printed, "\n")
	if !strings.HasSuffix(urls["ws"], "/v2/realtime") || !strings.Contains(text, "profile  renamed from "+file) ||
		!strings.Contains(text, "may call /v2/accounts/introspect") {
		t.Errorf("gpcheck sut --profile printed:\n%s", text)
	}

	hc := &http.Client{Timeout: 5 * time.Second}
	for _, u := range []string{urls["auth"] + "/auth/login", urls["backend"] + "/api/threads"} {
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404 under the profile", u, resp.StatusCode)
		}
	}

	dir := t.TempDir()
	caFile := writeCAFile(t)
	run := exec.Command(gpcheckBin, "run", "--target", "remote", "--profile", file, "--report-dir", dir, "--users", "6", "--no-progress",
		"--ca-file", caFile, "--request-timeout", "7s", "--keepalive", "9s",
		"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"])
	run.Env = append(os.Environ(), "GPCHECK_SERVICE_SECRET=e2e-harness-secret")
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("remote run with the profile: %v\n%s", err, b)
	}

	// repro replays a remote run with its profile, CA file, request
	// timeout and keepalive. The finding is planted (the clean services
	// make none), so the replay of the golden-path spec does not reproduce
	// it; but the replay completes every flow, which it can only do under
	// the profile's names, and its report records all four settings.
	plantFinding(t, dir, goldenSpec)
	replayDir := t.TempDir()
	repro := exec.Command(gpcheckBin, "repro", "--report", dir, "--finding", "F0001", "--report-dir", replayDir)
	repro.Env = run.Env
	b, err := repro.CombinedOutput()
	if code := repro.ProcessState.ExitCode(); code != exitFailed || !strings.Contains(string(b), "NOT REPRODUCED") {
		t.Fatalf("repro: exit %d (%v), want 1 and NOT REPRODUCED:\n%s", code, err, b)
	}
	replay := readReportMap(t, replayDir)
	spec := replay["spec"].(map[string]any)
	comp := replay["completion"].(map[string]any)
	if spec["profile"] != file || spec["ca_file"] != caFile || spec["request_timeout"] != "7s" || spec["keepalive"] != "9s" {
		t.Errorf("the replay's spec lost the run's settings: %v", spec)
	}
	if comp["attempted"].(float64) == 0 || comp["completed"] != comp["attempted"] {
		t.Errorf("the replay did not complete every flow under the profile: %v", comp)
	}

	_ = sut.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- sut.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("gpcheck sut after SIGINT: %v", err)
		}
		if !<-stopped {
			t.Error(`gpcheck sut --profile did not print "stopped"`)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("gpcheck sut --profile did not stop within 15 s of SIGINT")
	}
}

// writeCAFile writes a PEM certificate (a test server's) as a CA file.
func writeCAFile(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// plantFinding marks spec failed in the report in dir and gives it one
// finding, F0001 (a stage failure at login), as a failed run would have.
func plantFinding(t *testing.T, dir, spec string) {
	t.Helper()
	rep := readReportMap(t, dir)
	for _, s := range rep["specs"].([]any) {
		if s := s.(map[string]any); s["name"] == spec {
			s["state"], s["findings"] = "failed", 1
		}
	}
	rep["verdict"] = "failed"
	rep["findings"] = []any{map[string]any{"id": "F0001", "kind": "stage_failure", "stage": "login", "spec": spec, "user": "u0001 (x)", "vuser": "u0001", "detail": "planted"}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readReportMap reads dir/report.json as a map.
func readReportMap(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
