package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// jwtLike matches anything that looks like a compact JWT.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// checkArtefacts fails t if any file of dir holds a JWT-looking string or
// one of secrets.
func checkArtefacts(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	eachArtefact(t, dir, func(path string, b []byte) {
		if m := jwtLike.Find(b); m != nil {
			t.Errorf("%s holds a token: %.40s…", path, m)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the secret %.4s…", path, s)
			}
		}
	})
}

// eachArtefact calls check with every file of the report folder dir, and
// fails t when there are fewer than five (a run writes more).
func eachArtefact(t *testing.T, dir string, check func(path string, b []byte)) {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		check(path, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d artefacts in %s", n, dir)
	}
}

// TestArtefactsHoldNoTokenOrSecret scans every file a run leaves, with and
// without faults, for whole tokens and for the secrets the run used.
func TestArtefactsHoldNoTokenOrSecret(t *testing.T) {
	t.Parallel()
	t.Run("local with a fault", func(t *testing.T) {
		dir := t.TempDir()
		r := gpcheck(t, 3*time.Minute, "run", "--fault", "ws-route-by-short-id", "--report-dir", dir)
		if r.code != exitFailed {
			t.Fatalf("exit %d", r.code)
		}
		checkArtefacts(t, dir)
	})
	t.Run("remote with known secrets", func(t *testing.T) {
		const bypass, service = "redaction-bypass-key-0123", "redaction-service-secret-4567"
		sut := exec.Command(gpcheckBin, "sut", "--auth-addr", "127.0.0.1:0", "--backend-addr", "127.0.0.1:0", "--ws-addr", "127.0.0.1:0")
		sut.Env = append(os.Environ(), "GPCHECK_BYPASS_KEY="+bypass, "GPCHECK_SERVICE_SECRET="+service)
		out, err := sut.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := sut.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sut.Process.Kill(); _ = sut.Wait() })
		urls := map[string]string{}
		sc := bufio.NewScanner(out)
		deadline := time.Now().Add(20 * time.Second)
		for len(urls) < 3 && time.Now().Before(deadline) && sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 {
				urls[f[0]] = f[1]
			}
		}
		go func() {
			for sc.Scan() {
			}
		}()
		if len(urls) < 3 {
			t.Fatal("gpcheck sut printed no URLs")
		}
		dir := t.TempDir()
		run := exec.Command(gpcheckBin, "run", "--target", "remote", "--user-mode", "bypass", "--users", "8", "--report-dir", dir,
			"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"])
		run.Env = append(os.Environ(), "GPCHECK_BYPASS_KEY="+bypass, "GPCHECK_SERVICE_SECRET="+service)
		if b, err := run.CombinedOutput(); err != nil {
			t.Fatalf("run: %v\n%s", err, b)
		} else if strings.Contains(string(b), bypass) || strings.Contains(string(b), service) || jwtLike.Match(b) {
			t.Error("gpcheck's own output holds a secret or a token")
		}
		checkArtefacts(t, dir, bypass, service)
	})
}

// b64JWT matches a base64- or base64url-encoded JWT ("eyJ" encodes as
// "ZXlK"), as in the jwt.<base64url> subprotocol.
var b64JWT = regexp.MustCompile(`ZXlK[A-Za-z0-9+/_-]{16,}`)

// TestHostileEchoLeavesNothingRaw runs against a gateway that echoes each
// connection's token back in every encoding, with terminal escape
// sequences, and ends each run with a frame that is not UTF-8: the run
// fails with a protocol_violation, and no file of the report folder, nor
// stdout or stderr, holds a token in any encoding, a raw escape byte or
// invalid UTF-8.
func TestHostileEchoLeavesNothingRaw(t *testing.T) {
	t.Parallel()
	// The hostile services run apart, as staging would, and gpcheck is
	// given secrets: its service secret and the bypass key.
	const serviceSecret, bypassKey = "echo-test-service-secret-0123", "echo-test-bypass-key-4567"
	secretsEnv := []string{"GPCHECK_SERVICE_SECRET=" + serviceSecret, "GPCHECK_BYPASS_KEY=" + bypassKey}
	urls := startSUTProcess(t, secretsEnv, "--fault", "ws-echo-hostile").urls
	dir := t.TempDir()
	run := exec.Command(gpcheckBin, "run", "--target", "remote", "--user-mode", "bypass", "--users", "3", "--seed", "7",
		"--label-filter", "golden-path", "--report-dir", dir, "--no-progress", "--origin", "http://localhost:3000",
		"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"])
	run.Env = append(os.Environ(), secretsEnv...)
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	_ = run.Run()
	r := result{code: run.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil {
		_ = json.Unmarshal(b, &r.report)
	}
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var secretForms []string
	for _, sec := range []string{serviceSecret, bypassKey} {
		secretForms = append(secretForms, sec, base64.StdEncoding.EncodeToString([]byte(sec)), base64.RawURLEncoding.EncodeToString([]byte(sec)),
			url.QueryEscape(sec))
	}
	if byKind, _ := r.report["findings_by_kind"].(map[string]any); byKind["protocol_violation"] == nil {
		t.Errorf("no protocol_violation: %v", byKind)
	}
	check := func(name string, b []byte) {
		t.Helper()
		if m := jwtLike.Find(b); m != nil {
			t.Errorf("%s holds a token: %.24s…", name, m)
		}
		if m := b64JWT.Find(b); m != nil {
			t.Errorf("%s holds an encoded token: %.24s…", name, m)
		}
		if i := bytes.IndexAny(b, "\x1b\x07"); i >= 0 {
			t.Errorf("%s holds a raw control byte at %d: %q", name, i, b[max(0, i-20):min(len(b), i+20)])
		}
		if !utf8.Valid(b) {
			t.Errorf("%s is not valid UTF-8", name)
		}
		for _, f := range secretForms {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("%s holds a secret (%.6s…)", name, f)
			}
		}
	}
	eachArtefact(t, dir, check)
	check("stdout", []byte(r.stdout))
	check("stderr", []byte(r.stderr))
	// The echo did reach the report: its raw escape sequence, shown as text.
	if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err != nil || !bytes.Contains(b, []byte(`\\x1b]0;pwned-raw\\x07`)) {
		t.Errorf("report.json does not show the echoed escapes as text (err %v)", err)
	}
}
