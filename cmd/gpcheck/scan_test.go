package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestScanExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("auth/service.py", "import jwt\n\ndef issue(k):\n    return jwt.encode({}, k)\n")
	write("backend/api.py", "# import jwt would be wrong here\nimport os\n\ndef handler():\n    return os.environ.get(\"APP_NAME\")\n")

	// Only the auth service holds JWT code: clean.
	r := gpcheck(t, time.Minute, "scan", "--auth-path", "auth/**", dir)
	if r.code != exitOK {
		t.Fatalf("clean tree: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// JWT code in the backend: found, exit 1, in every format.
	write("backend/auth_copy.py", "import jwt\nimport os\n\ndef validate_token(t):\n    return jwt.decode(t, os.environ[\"JWT_SECRET\"], algorithms=[\"HS256\"])\n")
	r = gpcheck(t, time.Minute, "scan", dir, "--auth-path", "auth/**")
	if r.code != exitFailed || !strings.Contains(r.stdout, "jwt_import") || !strings.Contains(r.stdout, "backend/auth_copy.py") {
		t.Fatalf("dirty tree: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, format := range []string{"json", "sarif"} {
		r = gpcheck(t, time.Minute, "scan", "--format", format, "--auth-path", "auth/**", dir)
		var doc map[string]any
		if r.code != exitFailed || json.Unmarshal([]byte(r.stdout), &doc) != nil {
			t.Errorf("--format %s: exit %d, output not JSON:\n%s", format, r.code, r.stdout)
		}
	}

	// Bad arguments: exit 2 with one line.
	for _, args := range [][]string{
		{"scan"},
		{"scan", filepath.Join(dir, "missing")},
		{"scan", "--format", "xml", dir},
	} {
		r = gpcheck(t, time.Minute, args...)
		if r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("gpcheck %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestScanOwnFixtures holds our own reference services to our own rule:
// JWT code lives only under fixtures/auth.
func TestScanOwnFixtures(t *testing.T) {
	t.Parallel()
	r := gpcheck(t, time.Minute, "scan", "--auth-path", "auth/**", "../../fixtures")
	if r.code != exitOK {
		t.Fatalf("exit %d: JWT code outside fixtures/auth:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
