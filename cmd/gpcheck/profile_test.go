package main

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness"
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
	got, err := harness.ParseProfile(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("output does not parse back: %v\n%s", err, out.String())
	}
	if want := harness.DefaultProfile(); !reflect.DeepEqual(got, want) {
		t.Errorf("profile show reads back as\n%+v\nwant\n%+v", got, want)
	}

	out.Reset()
	file := writeProfile(t, "partial.yaml", "name: partial\npaths:\n  ws: /socket\nevents:\n  pong: heartbeat\n")
	if code := report(cmdProfile([]string{"show", "--profile", file}, &out, &errOut), &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got, err = harness.ParseProfile(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("output does not parse back: %v\n%s", err, out.String())
	}
	want := harness.DefaultProfile()
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
	sut := exec.Command(gpcheckBin, "sut", "--profile", file, "--auth-addr", "127.0.0.1:0", "--backend-addr", "127.0.0.1:0", "--ws-addr", "127.0.0.1:0")
	sut.Env = append(os.Environ(), "GPCHECK_SERVICE_SECRET=e2e-harness-secret")
	out, err := sut.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sut.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sut.Process.Kill(); _ = sut.Wait() })
	urls := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var printed []string
	deadline := time.After(20 * time.Second)
	for ready := false; !ready; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("gpcheck sut ended before serving:\n%s", strings.Join(printed, "\n"))
			}
			printed = append(printed, l)
			if f := strings.Fields(l); len(f) == 2 && (f[0] == "auth" || f[0] == "backend" || f[0] == "ws") {
				urls[f[0]] = f[1]
			}
			ready = strings.HasPrefix(l, "serving")
		case <-deadline:
			t.Fatalf("gpcheck sut did not serve within 20 s:\n%s", strings.Join(printed, "\n"))
		}
	}
	stopped := make(chan bool, 1)
	go func() {
		saw := false
		for l := range lines {
			saw = saw || l == "stopped"
		}
		stopped <- saw
	}()
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
	run := exec.Command(gpcheckBin, "run", "--target", "remote", "--profile", file, "--report-dir", dir, "--users", "6", "--no-progress",
		"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"])
	run.Env = append(os.Environ(), "GPCHECK_SERVICE_SECRET=e2e-harness-secret")
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("remote run with the profile: %v\n%s", err, b)
	}

	_ = sut.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- sut.Wait() }()
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
