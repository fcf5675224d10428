package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShardsMergeToTheUnshardedTotals runs one seeded run whole and as two
// shards, merges the shards, and compares the totals.
func TestShardsMergeToTheUnshardedTotals(t *testing.T) {
	t.Parallel()
	shape := []string{"--seed", "77", "--users", "12", "--messages", "2", "--label-filter", "golden-path || isolation || identity"}
	whole := gpcheck(t, 2*time.Minute, append([]string{"run"}, shape...)...)
	if whole.code != exitOK {
		t.Fatalf("unsharded run: exit %d\n%s%s", whole.code, whole.stdout, whole.stderr)
	}
	var dirs []string
	for _, sh := range []string{"0/2", "1/2"} {
		dir := t.TempDir()
		r := gpcheck(t, 2*time.Minute, append([]string{"run", "--shard", sh, "--report-dir", dir}, shape...)...)
		if r.code != exitOK {
			t.Fatalf("shard %s: exit %d\n%s%s", sh, r.code, r.stdout, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
			t.Fatalf("shard %s left no report: %v", sh, err)
		}
		dirs = append(dirs, dir)
	}
	out := filepath.Join(t.TempDir(), "merged")
	m := gpcheck(t, time.Minute, append([]string{"report", "merge", "--out", out}, dirs...)...)
	if m.code != exitOK || !strings.Contains(m.stdout, "merged 2 shard(s): 24/24 flows completed (100%)") {
		t.Fatalf("merge: exit %d\n%s%s", m.code, m.stdout, m.stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	wc := whole.report["completion"].(map[string]any)
	for _, want := range []string{
		`"attempted": ` + jsonNumber(wc["attempted"]),
		`"completed": ` + jsonNumber(wc["completed"]),
		`"shards": [`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("merged report lacks %s", want)
		}
	}

	// A shard without an explicit seed is refused: shards must agree.
	if r := gpcheck(t, time.Minute, "run", "--shard", "0/2"); r.code != exitUsage {
		t.Errorf("--shard without --seed: exit %d", r.code)
	}
	if r := gpcheck(t, time.Minute, "run", "--shard", "2/2", "--seed", "1"); r.code != exitUsage {
		t.Errorf("--shard 2/2: exit %d", r.code)
	}
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return fmt.Sprint(int(f))
}
