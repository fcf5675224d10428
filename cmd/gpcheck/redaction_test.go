package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// jwtLike matches anything that looks like a compact JWT.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// checkArtefacts fails t if any file of dir holds a JWT-looking string or
// one of secrets.
func checkArtefacts(t *testing.T, dir string, secrets ...string) {
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
		if m := jwtLike.Find(b); m != nil {
			t.Errorf("%s holds a token: %.40s…", path, m)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the secret %.4s…", path, s)
			}
		}
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
