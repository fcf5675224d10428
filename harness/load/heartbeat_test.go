package load

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/reports"
)

func TestVmRSS(t *testing.T) {
	tests := []struct {
		name, status string
		want         uint64
		ok           bool
	}{
		{"linux", "Name:\tgpcheck\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t8\n", 12345 * 1024, true},
		{"no line", "Name:\tgpcheck\n", 0, false},
		{"other unit", "VmRSS:\t12 MB\n", 0, false},
		{"not a number", "VmRSS:\tlots kB\n", 0, false},
		{"overflow", "VmRSS:\t18446744073709551615 kB\n", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		got, ok := vmRSS([]byte(tt.status))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: vmRSS = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if RSS() == 0 {
		t.Error("RSS() = 0 for a running process")
	}
}

// TestTallyCountsAsCompletionDoes: live counts per finished message are
// replaced by the user's exact numbers when the user finishes; abandoners
// and dropped messages never count.
func TestTallyCountsAsCompletionDoes(t *testing.T) {
	ok := &flow.Message{}
	failed := &flow.Message{Failure: &flow.Failure{Stage: flow.StageStream}}
	dropped := &flow.Message{Dropped: true}
	u0, u1, ab := &flow.Plan{Index: 0}, &flow.Plan{Index: 1}, &flow.Plan{Index: 9, Abandon: true}
	tl := newTally()
	tl.message(u0, ok)
	tl.message(u0, dropped)
	tl.message(u1, failed)
	tl.message(ab, ok)
	if a, c, u := tl.counts(); a != 2 || c != 1 || u != 0 {
		t.Fatalf("live counts %d/%d, %d users done; want 1/2, 0", c, a, u)
	}
	// u0 finishes with a message the hook never saw (failed before it ran).
	notRun := &flow.Message{Failure: &flow.Failure{Stage: flow.StageSend}}
	tl.user(&flow.Result{Plan: u0, Messages: []*flow.Message{ok, dropped, notRun}})
	if a, c, u := tl.counts(); a != 3 || c != 1 || u != 1 {
		t.Errorf("after u0: %d/%d, %d users done; want 1/3, 1", c, a, u)
	}
	tl.user(nil) // never a panic
}

// TestHeartbeatsDuringARun: a run bounded by time beats every interval
// while it lasts, with counts that only grow and end at most at the
// run's own, and none after Run returns.
func TestHeartbeatsDuringARun(t *testing.T) {
	env := ReferenceEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var mu sync.Mutex
	var beats []reports.Heartbeat
	returned := false
	o := Options{Users: 4, Messages: 0, Duration: 1500 * time.Millisecond, Seed: 5, Abandoners: -1, Churn: -1,
		Heartbeat: 250 * time.Millisecond, OnHeartbeat: func(b reports.Heartbeat) {
			mu.Lock()
			defer mu.Unlock()
			if returned {
				t.Error("a heartbeat after Run returned")
			}
			beats = append(beats, b)
		}}
	out, err := Run(ctx, &flow.Driver{Env: env}, o)
	mu.Lock()
	returned = true
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(beats) < 4 {
		t.Fatalf("%d heartbeats in a 1.5 s run at 250 ms, want at least 4", len(beats))
	}
	total := 0
	for _, r := range out.Users {
		total += r.Folded
		for _, m := range r.Messages {
			if !m.Dropped {
				total++
			}
		}
	}
	for i, b := range beats {
		if b.Users != 4 || b.RSSBytes == 0 || b.Completed > b.Attempted || b.Attempted > total {
			t.Errorf("heartbeat %d: %+v (the run attempted %d)", i, b, total)
		}
		if i > 0 && (b.Attempted < beats[i-1].Attempted || !b.At.After(beats[i-1].At) || b.ElapsedMS <= beats[i-1].ElapsedMS) {
			t.Errorf("heartbeat %d went back: %+v after %+v", i, b, beats[i-1])
		}
	}
	if last := beats[len(beats)-1]; last.Attempted == 0 || last.FlowsPerSecond <= 0 && beats[len(beats)-2].FlowsPerSecond <= 0 || last.Rate != reports.FloorRate(last.Completed, last.Attempted) {
		t.Errorf("last heartbeats: %+v, %+v", beats[len(beats)-2], last)
	}
}
