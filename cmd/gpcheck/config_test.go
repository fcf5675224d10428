package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("gpcheck.yaml", "target: local\nusers: 10\nlabel_filter: golden-path\nfaults: [drop-events]\n")
	r := gpcheck(t, 2*time.Minute, "run", "--config", good, "--seed", "4")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1 (drop-events from the config)\n%s%s", r.code, r.stdout, r.stderr)
	}
	cfg := r.report["spec"].(map[string]any)
	if cfg["users"].(float64) != 10 || !strings.Contains(r.stdout, "faults: drop-events") {
		t.Errorf("config not applied: %v\n%s", cfg, r.stdout)
	}
	// A flag overrides the file.
	r = gpcheck(t, 2*time.Minute, "run", "--config", good, "--users", "3", "--seed", "4")
	if r.report["spec"].(map[string]any)["users"].(float64) != 3 {
		t.Errorf("--users did not override the config file")
	}
	for _, bad := range []struct{ name, text, want string }{
		{"unknown.yaml", "users: 5\nbogus: 1\n", "line 2"},
		{"badvalue.yaml", "users: many\n", "line 1"},
		{"badflag.yaml", "target: mars\n", "unknown --target"},
	} {
		r := gpcheck(t, time.Minute, "run", "--config", write(bad.name, bad.text))
		if r.code != exitUsage || !strings.Contains(r.stderr, bad.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", bad.name, r.code, r.stderr, bad.want)
		}
	}
}
