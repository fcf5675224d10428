package engine

import (
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

func TestHeartbeatEvery(t *testing.T) {
	tests := []struct{ opt, want time.Duration }{
		{0, DefaultHeartbeat}, {-1, 0}, {-time.Minute, 0}, {time.Second, time.Second},
	}
	for _, tt := range tests {
		if got := heartbeatEvery(tt.opt); got != tt.want {
			t.Errorf("heartbeatEvery(%s) = %s, want %s", tt.opt, got, tt.want)
		}
	}
}

// TestHeartbeatLogKeepsAndPasses: every heartbeat is kept for the report
// and passed on, and the list handed out is a copy.
func TestHeartbeatLogKeepsAndPasses(t *testing.T) {
	var l heartbeatLog
	var passed []int
	hook := l.record(func(b reports.Heartbeat) { passed = append(passed, b.Attempted) })
	hook(reports.Heartbeat{Attempted: 1})
	hook(reports.Heartbeat{Attempted: 2})
	got := l.list()
	if len(got) != 2 || got[0].Attempted != 1 || got[1].Attempted != 2 || len(passed) != 2 {
		t.Fatalf("kept %+v, passed %v", got, passed)
	}
	got[0].Attempted = 9
	if l.list()[0].Attempted != 1 {
		t.Error("list is not a copy")
	}
	l.record(nil)(reports.Heartbeat{Attempted: 3}) // no hook: kept only
	if len(l.list()) != 3 {
		t.Error("a heartbeat without a hook was not kept")
	}
}
