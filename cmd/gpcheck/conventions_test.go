package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformingPlatformPasses runs the real binary against `gpcheck sut`
// with every convention switch on (register 200, ISO-8601 expiry, one
// error code, no leeway, last duplicate claim wins, header wins over the
// subprotocol, another service id), as another conforming platform would
// behave: under a profile that declares them the run passes with no
// violation; without the service id it is told, it stops with one setup
// line naming the variable, never a finding.
func TestConformingPlatformPasses(t *testing.T) {
	t.Parallel()
	key := writeFile(t, "key", "conventions-binary-test-key-0123456789abcdef\n")
	prof := writeFile(t, "platform.yaml", "name: platform\npolicy:\n  leeway: 0s\n  duplicate_claims: last\n  two_credentials: header\n"+
		"service_auth:\n  id: platform-harness\n")
	env := []string{"GPCHECK_SERVICE_SECRET=conventions-secret"}
	urls := startSUTProcess(t, env, "--convention", "register-200,iso-expiry,one-error-code,no-leeway,last-duplicate-claim,header-wins",
		"--service-id", "platform-harness", "--signing-key-file", key).urls
	run := func(extra ...string) (int, string, map[string]any) {
		dir := t.TempDir()
		args := append([]string{"run", "--target", "remote", "--users", "4", "--seed", "3", "--no-progress", "--report-dir", dir,
			"--label-filter", "golden-path || isolation || identity || tokens || websocket", "--signing-key-file", key,
			"--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"]}, extra...)
		cmd := exec.Command(gpcheckBin, args...)
		cmd.Env = append(withoutEnv(os.Environ(), "GPCHECK_SERVICE_ID"), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		_ = cmd.Run()
		var rep map[string]any
		if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil {
			_ = json.Unmarshal(b, &rep)
		}
		return cmd.ProcessState.ExitCode(), out.String(), rep
	}
	code, out, rep := run("--profile", prof)
	if code != exitOK {
		t.Fatalf("under the matching profile: exit %d\n%s", code, out)
	}
	for _, f := range rep["findings"].([]any) {
		if f := f.(map[string]any); f["severity"] != "advisory" {
			t.Errorf("violation %v (%v): %v", f["kind"], f["severity"], f["detail"])
		}
	}
	code, out, _ = run()
	if code != exitUsage || !strings.Contains(out, "GPCHECK_SERVICE_ID") {
		t.Errorf("without the service id: exit %d, want 2 naming GPCHECK_SERVICE_ID:\n%s", code, out)
	}
	// The key file's text, read as hex, is not the key the platform uses:
	// gpcheck says which format works.
	code, out, _ = run("--profile", prof, "--signing-key-format", "base64")
	if code != exitUsage || !strings.Contains(out, "use --signing-key-format raw") {
		t.Errorf("key read in the wrong format: exit %d, want 2 naming the raw format:\n%s", code, out)
	}
}
