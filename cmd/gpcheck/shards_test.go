package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

// readReportFile reads dir's report.json with the model's own reader.
func readReportFile(t *testing.T, dir string) *reports.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("read report: %v", err)
	}
	r, err := reports.ReadJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return r
}

// runShards runs `gpcheck run --shard i/n` for every i at once, with
// args and env, each into a report folder of its own, and returns the
// folders and each process's exit code and output. Every process is
// bounded by timeout.
func runShards(t *testing.T, n int, timeout time.Duration, env []string, args ...string) (dirs []string, codes []int, outputs []string) {
	t.Helper()
	dirs, codes, outputs = make([]string, n), make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		dirs[i] = t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		t.Cleanup(cancel)
		cmd := exec.CommandContext(ctx, gpcheckBin, append([]string{"run", "--shard", fmt.Sprintf("%d/%d", i, n), "--report-dir", dirs[i], "--no-progress"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = cmd.Wait()
			codes[i], outputs[i] = cmd.ProcessState.ExitCode(), out.String()
			if ctx.Err() != nil {
				outputs[i] += fmt.Sprintf("\n(killed: not done within %s)", timeout)
			}
		}()
	}
	wg.Wait()
	return dirs, codes, outputs
}

// vuserIndex is a virtual user's index: 7 for "u0007".
func vuserIndex(t *testing.T, v string) int {
	t.Helper()
	i, err := strconv.Atoi(strings.TrimPrefix(v, "u"))
	if err != nil || !strings.HasPrefix(v, "u") {
		t.Fatalf("%q is not a virtual user", v)
	}
	return i
}

// TestShardsAttributeCrossShardLeaks runs two shard processes at once,
// with the same seed, against one reference system (a separate `gpcheck
// sut` process) whose gateway routes events by a short user id: users of
// both shards receive each other's events. Each shard must report an
// isolation_leak whose owner is a user of the other shard, with both
// shards named; the merged report keeps them.
func TestShardsAttributeCrossShardLeaks(t *testing.T) {
	t.Parallel()
	secrets := []string{"GPCHECK_BYPASS_KEY=shards-bypass-key", "GPCHECK_SERVICE_SECRET=shards-service-secret"}
	urls := startSUTProcess(t, secrets, "--fault", "ws-route-by-short-id").urls
	// Users keep sending for a few seconds, so that both shards' users
	// are connected at once whichever process starts first.
	dirs, codes, outputs := runShards(t, 2, 2*time.Minute, secrets,
		"--target", "remote", "--auth-url", urls["auth"], "--backend-url", urls["backend"], "--ws-url", urls["ws"],
		"--user-mode", "bypass", "--seed", "31", "--users", "8", "--messages", "0", "--duration", "4s",
		"--collide-every", "-1", "--churn", "-1", "--label-filter", "isolation")
	// A user's shard is its index mod 2; the abandoners, past the 8
	// counted users, are shard 0's.
	shardOf := func(user int) string {
		if user >= 8 {
			return "0/2"
		}
		return fmt.Sprintf("%d/2", user%2)
	}
	for i, dir := range dirs {
		me, other := fmt.Sprintf("%d/2", i), fmt.Sprintf("%d/2", 1-i)
		if codes[i] != exitFailed {
			t.Fatalf("shard %s: exit %d, want %d\n%s", me, codes[i], exitFailed, outputs[i])
		}
		rep := readReportFile(t, dir)
		var cross []reports.Finding
		for _, f := range rep.Findings {
			if f.Kind != reports.KindIsolationLeak || len(f.Others) == 0 {
				continue
			}
			if f.Shard != me || len(f.OtherShards) != len(f.Others) {
				t.Errorf("shard %s: leak %s names shards %q and %v", me, f.ID, f.Shard, f.OtherShards)
				continue
			}
			if shardOf(vuserIndex(t, f.VUser)) != me {
				t.Errorf("shard %s reports a leak to %s, a user it does not drive", me, f.VUser)
			}
			if want := shardOf(vuserIndex(t, f.Others[0])); f.OtherShards[0] != want {
				t.Errorf("shard %s: leak %s from %s names its shard %s, want %s", me, f.ID, f.Others[0], f.OtherShards[0], want)
			}
			if f.OtherShards[0] == other {
				cross = append(cross, f)
			}
		}
		if len(cross) == 0 {
			t.Fatalf("shard %s reports no leak from a user of shard %s; findings by kind %v\n%s", me, other, rep.FindingsByKind, outputs[i])
		}
		if f := cross[0]; !strings.Contains(f.Detail, f.Others[0]+" runs in shard "+other+", this user in shard "+me) {
			t.Errorf("shard %s: the leak's detail does not name both shards: %q", me, f.Detail)
		}
	}

	out := filepath.Join(t.TempDir(), "merged")
	m := gpcheck(t, time.Minute, append([]string{"report", "merge", "--out", out}, dirs...)...)
	if m.code != exitFailed {
		t.Fatalf("merge: exit %d\n%s%s", m.code, m.stdout, m.stderr)
	}
	merged := readReportFile(t, out)
	byShard := map[string]int{}
	for _, f := range merged.Findings {
		if f.Kind == reports.KindIsolationLeak && len(f.OtherShards) > 0 && f.OtherShards[0] != f.Shard {
			byShard[f.Shard]++
		}
	}
	if byShard["0/2"] == 0 || byShard["1/2"] == 0 {
		t.Errorf("the merged report lost cross-shard leaks: %v", byShard)
	}
}

// TestMergedPercentilesComeFromHistograms runs two shards and merges
// them: every stage's merged percentiles are those of the sum of the
// shards' histograms (one histogram of all the run's latencies), and lie
// between the shards' exact percentiles, up to one bucket above — where
// the exact percentile of all the run's latencies lies. (An unsharded run
// of its own times other flows, so its latencies are not comparable to a
// bucket; reports' TestMergedHistogramsEqualTheUnshardedOne compares the
// same latencies recorded whole and split, exactly.)
func TestMergedPercentilesComeFromHistograms(t *testing.T) {
	t.Parallel()
	dirs, codes, outputs := runShards(t, 2, 2*time.Minute, nil,
		"--seed", "53", "--users", "12", "--messages", "3", "--label-filter", "golden-path")
	for i := range dirs {
		if codes[i] != exitOK {
			t.Fatalf("shard %d/2: exit %d\n%s", i, codes[i], outputs[i])
		}
	}
	out := filepath.Join(t.TempDir(), "merged")
	if m := gpcheck(t, time.Minute, append([]string{"report", "merge", "--out", out}, dirs...)...); m.code != exitOK {
		t.Fatalf("merge: exit %d\n%s%s", m.code, m.stdout, m.stderr)
	}
	merged := readReportFile(t, out)
	shards := []*reports.Report{readReportFile(t, dirs[0]), readReportFile(t, dirs[1])}
	timed := 0
	for si, s := range merged.Stages {
		var sum *reports.Histogram
		var parts []reports.Stage
		for _, sh := range shards {
			p := sh.Stages[si]
			if p.Name != s.Name {
				t.Fatalf("stage %d: %s in a shard, %s merged", si, p.Name, s.Name)
			}
			if p.Histogram == nil {
				continue
			}
			// A shard's own histogram is within one bucket of its exact
			// percentiles.
			for _, q := range []struct{ exact, hist float64 }{{p.P50MS, p.Histogram.Quantile(.5)}, {p.P90MS, p.Histogram.Quantile(.9)}, {p.P99MS, p.Histogram.Quantile(.99)}} {
				if !sameBucket(q.exact, q.hist) {
					t.Errorf("%s: a shard's exact %v ms and histogram %v ms are not in one bucket", s.Name, q.exact, q.hist)
				}
			}
			sum = sum.Add(p.Histogram)
			parts = append(parts, p)
		}
		if sum == nil {
			if s.Histogram != nil {
				t.Errorf("%s: merged histogram %+v from shards with none", s.Name, s.Histogram)
			}
			continue
		}
		timed++
		if s.Histogram == nil || s.Histogram.Count != sum.Count {
			t.Fatalf("%s: merged histogram %+v, want %d latencies", s.Name, s.Histogram, sum.Count)
		}
		w50, w90, w99 := sum.Percentiles()
		if s.P50MS != w50 || s.P90MS != w90 || s.P99MS != w99 {
			t.Errorf("%s: merged p50/p90/p99 %v/%v/%v, the summed histogram's %v/%v/%v", s.Name, s.P50MS, s.P90MS, s.P99MS, w50, w90, w99)
		}
		for _, q := range []struct {
			got    float64
			shards func(reports.Stage) float64
		}{{s.P50MS, func(p reports.Stage) float64 { return p.P50MS }}, {s.P90MS, func(p reports.Stage) float64 { return p.P90MS }}, {s.P99MS, func(p reports.Stage) float64 { return p.P99MS }}} {
			lo, hi := q.shards(parts[0]), q.shards(parts[0])
			for _, p := range parts[1:] {
				lo, hi = min(lo, q.shards(p)), max(hi, q.shards(p))
			}
			// The whole run's exact quantile lies between the shards'; the
			// merged one is within one bucket above it.
			if q.got < lo || q.got > bucketTop(hi) {
				t.Errorf("%s: merged %v ms outside the shards' [%v, %v] ms (and one bucket)", s.Name, q.got, lo, hi)
			}
		}
	}
	if timed < 5 {
		t.Errorf("only %d stages timed anything", timed)
	}
}

// sameBucket reports whether a and b (milliseconds) fall in one bucket of
// reports.HistogramScheme.
func sameBucket(a, b float64) bool {
	ha := reports.NewHistogram([]time.Duration{time.Duration(a*1000+0.5) * time.Microsecond})
	hb := reports.NewHistogram([]time.Duration{time.Duration(b*1000+0.5) * time.Microsecond})
	return ha.Buckets[0].LoUS == hb.Buckets[0].LoUS
}

// bucketTop is the largest value (ms) of the bucket that holds v ms.
func bucketTop(v float64) float64 {
	h := reports.NewHistogram([]time.Duration{time.Duration(v*1000+0.5) * time.Microsecond})
	return float64(h.Buckets[0].HiUS-1) / 1000
}
