package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// maxHostileRSS bounds gpcheck's peak resident set, in KiB, while a hostile
// gateway attacks it. The run includes the in-process reference services;
// before the budgets, a flood drove 3 users past 13 GB.
const maxHostileRSS = 200 << 10

// hostileRun runs the real binary against the reference services with one
// hostile fault mode and returns its exit code, stdout, report and peak
// RSS in KiB (0 when the platform does not tell).
func hostileRun(t *testing.T, fault string) (code int, stdout string, report map[string]any, rssKiB int64) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gpcheckBin, "run", "--fault", fault, "--users", "3", "--label-filter", "golden-path",
		"--seed", "7", "--report-dir", dir, "--no-progress")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run gpcheck: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("gpcheck --fault %s did not finish within 2 minutes\nstdout:\n%s\nstderr:\n%s", fault, so.String(), se.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("no report: %v\nstdout:\n%s\nstderr:\n%s", err, so.String(), se.String())
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatalf("report.json is not JSON: %v", err)
	}
	return code, so.String(), report, peakRSSKiB(cmd.ProcessState)
}

type hostileFinding struct{ kind, spec, stage, detail string }

func hostileFindings(t *testing.T, report map[string]any) []hostileFinding {
	t.Helper()
	var out []hostileFinding
	list, _ := report["findings"].([]any)
	for _, f := range list {
		m, _ := f.(map[string]any)
		s := func(k string) string { v, _ := m[k].(string); return v }
		out = append(out, hostileFinding{s("kind"), s("spec"), s("stage"), s("detail")})
	}
	if len(out) == 0 {
		t.Fatalf("no findings in the report: %v", report)
	}
	return out
}

func checkRSS(t *testing.T, fault string, rss int64) {
	t.Helper()
	if rss == 0 {
		t.Logf("peak RSS not checked: this platform's rusage does not give it in KiB (Linux does)")
		return
	}
	t.Logf("gpcheck --fault %s: peak RSS %d KiB (%.1f MiB)", fault, rss, float64(rss)/1024)
	if rss > maxHostileRSS {
		t.Errorf("peak RSS %d KiB, over the %d KiB bound", rss, maxHostileRSS)
	}
}

// TestHostileFrameFlood: a gateway that streams frames without end after
// a user_message fails every flow with a protocol_violation naming the
// budget it exceeded, at the stage that was waiting, and gpcheck's memory
// stays bounded.
func TestHostileFrameFlood(t *testing.T) {
	t.Parallel()
	code, stdout, report, rss := hostileRun(t, "ws-frame-flood")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s", code, stdout)
	}
	fs := hostileFindings(t, report)
	if len(fs) != 3 {
		t.Errorf("%d findings, want one per user's flow: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.kind != "protocol_violation" || (f.stage != "first_event" && f.stage != "stream") || !strings.Contains(f.detail, "budget max_frames_") {
			t.Errorf("finding %+v, want a protocol_violation at first_event or stream naming a frames budget", f)
		}
	}
	if !strings.Contains(stdout, "protocol_violation") {
		t.Errorf("stdout does not name the protocol_violation:\n%s", stdout)
	}
	checkRSS(t, "ws-frame-flood", rss)
}

// TestHostileOversizedFrame: a 50 MiB tool_completed frame fails the flow
// at the stream stage, which was waiting for it (not at send), as a
// protocol_violation of max_frame_bytes.
func TestHostileOversizedFrame(t *testing.T) {
	t.Parallel()
	code, stdout, report, rss := hostileRun(t, "ws-oversized-frame")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s", code, stdout)
	}
	for _, f := range hostileFindings(t, report) {
		if f.kind != "protocol_violation" || f.stage != "stream" || !strings.Contains(f.detail, "max_frame_bytes") ||
			!strings.Contains(f.detail, "tool_completed") {
			t.Errorf("finding %+v, want a protocol_violation at stream: max_frame_bytes while waiting for tool_completed", f)
		}
	}
	checkRSS(t, "ws-oversized-frame", rss)
}

// TestHostileNullThreadID: events with "thread_id": null fail the golden
// path at the first event, which carried the null id, never at history
// (gpcheck asks for no /api/threads//messages).
func TestHostileNullThreadID(t *testing.T) {
	t.Parallel()
	code, stdout, report, _ := hostileRun(t, "null-thread-id")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s", code, stdout)
	}
	for _, f := range hostileFindings(t, report) {
		if f.kind != "stage_failure" || f.stage != "first_event" || !strings.Contains(f.detail, "thread_id null") {
			t.Errorf("finding %+v, want a stage_failure at first_event: thread_id null", f)
		}
	}
}
