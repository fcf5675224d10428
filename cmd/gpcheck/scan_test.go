package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeScanTree writes text to dir/rel, creating folders.
func writeScanTree(t *testing.T, dir, rel, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeScanTree(t, dir, "auth/service.py", "import jwt\n\ndef issue(k):\n    return jwt.encode({}, k)\n")
	writeScanTree(t, dir, "backend/api.py", "# import jwt would be wrong here\nimport os\n\ndef handler():\n    return os.environ.get(\"APP_NAME\")\n")
	writeScanTree(t, dir, "backend/names.py", "REDACT = ['jwt_secret']\n\ndef verify_email_token(t):\n    return t in PENDING\n")

	// Only the auth service holds JWT code; names alone are low
	// confidence, hidden by default: clean.
	r := gpcheck(t, time.Minute, "scan", "--root", dir, "--auth-path", "auth/**", dir)
	if r.code != exitOK || !strings.Contains(r.stdout, "2 findings below medium confidence not listed") {
		t.Fatalf("clean tree: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// ... and shown, and failing, at --min-confidence low.
	r = gpcheck(t, time.Minute, "scan", "--root", dir, "--auth-path", "auth/**", "--min-confidence", "low", dir)
	if r.code != exitFailed || !strings.Contains(r.stdout, "validator_name") || !strings.Contains(r.stdout, "secret_mention") {
		t.Fatalf("--min-confidence low: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// JWT code in the backend: found, exit 1, in every format.
	writeScanTree(t, dir, "backend/auth_copy.py", "import jwt\nimport os\n\ndef validate_token(t):\n    return jwt.decode(t, os.environ[\"JWT_SECRET\"], algorithms=[\"HS256\"])\n")
	r = gpcheck(t, time.Minute, "scan", dir, "--root", dir, "--auth-path", "auth/**")
	if r.code != exitFailed || !strings.Contains(r.stdout, "jwt_import") || !strings.Contains(r.stdout, "backend/auth_copy.py") {
		t.Fatalf("dirty tree: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, format := range []string{"json", "sarif"} {
		r = gpcheck(t, time.Minute, "scan", "--format", format, "--root", dir, "--auth-path", "auth/**", dir)
		var doc map[string]any
		if r.code != exitFailed || json.Unmarshal([]byte(r.stdout), &doc) != nil {
			t.Errorf("--format %s: exit %d, output not JSON:\n%s", format, r.code, r.stdout)
		}
	}

	// Bad arguments, patterns, paths and baselines: exit 2 with one line.
	notJSON := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(notJSON, []byte("findings: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan"}, "at least one PATH"},
		{[]string{"scan", filepath.Join(dir, "missing")}, "missing"},
		{[]string{"scan", "--format", "xml", dir}, "--format"},
		{[]string{"scan", "--min-confidence", "sure", dir}, "--min-confidence"},
		{[]string{"scan", "--limit", "-1", dir}, "--limit"},
		{[]string{"scan", "--root", dir, "--auth-path", "auth_service/**", dir}, `auth path pattern "auth_service/**" matches no file`},
		{[]string{"scan", "--root", dir, "--auth-path", "auth/[", dir}, "not a valid glob"},
		{[]string{"scan", "--root", dir, "--test-path", "qa/**", dir}, `test path pattern "qa/**" matches no file`},
		{[]string{"scan", "--root", filepath.Join(dir, "auth"), dir}, "outside the repository root"},
		{[]string{"scan", "--root", dir, "--baseline", filepath.Join(dir, "none.json"), dir}, "--baseline"},
		{[]string{"scan", "--root", dir, "--baseline", notJSON, dir}, "not a gpcheck scan JSON report"},
	} {
		r = gpcheck(t, time.Minute, tc.args...)
		if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("gpcheck %v: exit %d, stderr %q (want exit 2, one line with %q)", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestScanBaseline is issue #16's end-to-end check on the real binary and
// a real git repository: a baseline written on one commit and checked on
// the next reports only the new finding (exit 1), though the old ones
// moved; with nothing new the scan passes (exit 0).
func TestScanBaseline(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("no git on this machine (%v): the test needs a real repository; it runs wherever git is installed, as on CI", err)
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=gpcheck", "-c", "user.email=gpcheck@example.com",
			"-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	commit := func(msg string) {
		t.Helper()
		git("add", "-A")
		git("commit", "-q", "-m", msg)
	}
	writeScanTree(t, repo, "services/auth/tokens.py", "import jwt\n\ndef validate(t, k):\n    return jwt.decode(t, k, algorithms=['HS256'])\n")
	writeScanTree(t, repo, "backend/api.py", "import jwt\n\n\ndef claims(t):\n    return jwt.decode(t, KEY, algorithms=['HS256'])\n")
	git("init", "-q")
	commit("first")

	// The repository has findings today: the scan fails and writes them.
	baseline := filepath.Join(t.TempDir(), "scan-baseline.json")
	scanArgs := []string{"scan", "--auth-path", "services/auth/**", repo}
	r := gpcheck(t, time.Minute, append(scanArgs, "--write-baseline", baseline)...)
	if r.code != exitFailed || !strings.Contains(r.stdout, "3 findings") {
		t.Fatalf("first commit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(baseline); err != nil || !strings.Contains(string(b), `"fingerprint"`) || strings.Contains(string(b), repo) {
		t.Fatalf("baseline %s: %v\n%s", baseline, err, b)
	}

	// Next commit: the old code moves down and is re-indented; one new
	// finding appears in another file.
	writeScanTree(t, repo, "backend/api.py", "\"\"\"The API.\"\"\"\nimport os\n\nimport jwt\n\n\ndef claims(t):\n        return jwt.decode(t, KEY, algorithms=['HS256'])\n")
	writeScanTree(t, repo, "backend/worker.py", "import os\n\nKEY = os.environ['JWT_SECRET']\n")
	commit("second")
	r = gpcheck(t, time.Minute, append(scanArgs, "--baseline", baseline)...)
	if r.code != exitFailed || !strings.Contains(r.stdout, "backend/worker.py:3:18") || strings.Contains(r.stdout, "backend/api.py") ||
		!strings.Contains(r.stdout, "1 finding in 1 file") || !strings.Contains(r.stdout, "baseline: 3 known findings not listed") {
		t.Fatalf("second commit: exit %d, want 1 listing only backend/worker.py\n%s%s", r.code, r.stdout, r.stderr)
	}
	for format, marker := range map[string]string{"json": `"fingerprint"`, "sarif": `"gpcheckScan/v1"`} {
		r = gpcheck(t, time.Minute, append(scanArgs, "--baseline", baseline, "--format", format)...)
		if r.code != exitFailed || strings.Count(r.stdout, marker) != 1 || strings.Contains(r.stdout, "backend/api.py") {
			t.Errorf("--format %s --baseline: exit %d, want exactly the one new finding\n%s", format, r.code, r.stdout)
		}
	}

	// Third commit: the new finding is gone again; nothing new, exit 0.
	if err := os.Remove(filepath.Join(repo, "backend", "worker.py")); err != nil {
		t.Fatal(err)
	}
	commit("third")
	r = gpcheck(t, time.Minute, append(scanArgs, "--baseline", baseline)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "gpcheck scan: no findings") {
		t.Fatalf("third commit: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestScanOwnFixtures holds our own reference services to our own rule:
// JWT code lives only under fixtures/auth. Paths and globs are relative to
// the repository root, the git top level.
func TestScanOwnFixtures(t *testing.T) {
	t.Parallel()
	r := gpcheck(t, time.Minute, "scan", "--auth-path", "fixtures/auth/**", "--min-confidence", "low", "../../fixtures")
	if r.code != exitOK {
		t.Fatalf("exit %d: JWT code outside fixtures/auth:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
