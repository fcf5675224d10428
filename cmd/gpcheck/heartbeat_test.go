package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

func TestHeartbeatLine(t *testing.T) {
	tests := []struct {
		name  string
		b     reports.Heartbeat
		shard string
		want  string
	}{
		{"soak", reports.Heartbeat{ElapsedMS: 90_400, Attempted: 2712, Completed: 2711, Rate: 99.96, FlowsPerSecond: 30.14, UsersDone: 12, Users: 50, RSSBytes: 89_443_532},
			"", "heartbeat 1m30s: 2712 flows (30.1/s), completion 99.96% (2711/2712), 12/50 users done, gpcheck rss 85.3 MiB"},
		{"nothing finished yet", reports.Heartbeat{ElapsedMS: 30_000, Users: 4, RSSBytes: 1 << 20},
			"", "heartbeat 30s: 0 flows (0.0/s), completion n/a, 0/4 users done, gpcheck rss 1.0 MiB"},
		{"a shard", reports.Heartbeat{ElapsedMS: 1_000, Attempted: 5, Completed: 5, Rate: 100, FlowsPerSecond: 5, Users: 3, RSSBytes: 3 << 20},
			"1/4", "heartbeat [shard 1/4] 1s: 5 flows (5.0/s), completion 100% (5/5), 0/3 users done, gpcheck rss 3.0 MiB"},
	}
	for _, tt := range tests {
		if got := heartbeatLine(tt.b, tt.shard); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct{ flag, want time.Duration }{{0, -1}, {-time.Second, -1}, {time.Second, time.Second}} {
		if got := heartbeatOption(tt.flag); got != tt.want {
			t.Errorf("heartbeatOption(%s) = %s, want %s", tt.flag, got, tt.want)
		}
	}
}

// TestHeartbeatNeverSharesTheProgressLine: on a terminal, the live
// progress line is cleared before a heartbeat and drawn again after it.
func TestHeartbeatNeverSharesTheProgressLine(t *testing.T) {
	var term, errs bytes.Buffer
	p := newProgress(&term, true)
	p.update(1, 4)
	p.heartbeat(&errs, "")(reports.Heartbeat{ElapsedMS: 1000, Users: 4})
	if got, want := term.String(), "\r  golden path: 1/4 users finished\r\033[K\r  golden path: 1/4 users finished"; got != want {
		t.Errorf("terminal got %q, want %q", got, want)
	}
	if !strings.HasPrefix(errs.String(), "heartbeat 1s: ") || strings.Count(errs.String(), "\n") != 1 {
		t.Errorf("stderr got %q", errs.String())
	}
}

// TestRunPrintsHeartbeats: a run bounded by time prints a heartbeat line
// to stderr every --heartbeat, never on stdout with the summary, and
// report.json keeps the series.
func TestRunPrintsHeartbeats(t *testing.T) {
	t.Parallel()
	r := gpcheck(t, 2*time.Minute, "run", "--seed", "5", "--users", "4", "--messages", "0", "--duration", "3s", "--heartbeat", "1s",
		"--churn", "-1", "--label-filter", "golden-path", "--no-progress")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "heartbeat ") {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		t.Fatalf("%d heartbeat lines in a 3 s run at 1 s, want at least 2; stderr:\n%s", len(lines), r.stderr)
	}
	for _, l := range lines {
		for _, want := range []string{" flows (", "/s), completion ", " users done, gpcheck rss ", " MiB"} {
			if !strings.Contains(l, want) {
				t.Errorf("heartbeat line lacks %q: %s", want, l)
			}
		}
	}
	if strings.Contains(r.stdout, "heartbeat") {
		t.Errorf("a heartbeat on stdout:\n%s", r.stdout)
	}
	series, _ := r.report["heartbeats"].([]any)
	if len(series) != len(lines) {
		t.Fatalf("report.json keeps %d heartbeats, %d were printed", len(series), len(lines))
	}
	prev := -1.0
	for i, v := range series {
		b, _ := v.(map[string]any)
		elapsed, _ := b["elapsed_ms"].(float64)
		rss, _ := b["rss_bytes"].(float64)
		if elapsed <= prev || rss <= 0 || b["at"] == nil || b["flows_per_second"] == nil || b["rate"] == nil {
			t.Errorf("heartbeat %d: %v", i, b)
		}
		prev = elapsed
	}

	if r := gpcheck(t, time.Minute, "run", "--heartbeat", "often"); r.code != exitUsage {
		t.Errorf("--heartbeat often: exit %d, want %d", r.code, exitUsage)
	}
}
