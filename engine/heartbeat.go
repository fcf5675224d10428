package engine

import (
	"sync"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

// DefaultHeartbeat is how often a run's golden-path load takes a
// heartbeat when Options.Heartbeat is 0: often enough that a soak run's
// operator sees a leak while it grows.
const DefaultHeartbeat = 30 * time.Second

// heartbeatEvery is the load's heartbeat interval for the option: the
// default for 0, none (0) for a negative one.
func heartbeatEvery(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultHeartbeat
	case d < 0:
		return 0
	}
	return d
}

// heartbeatLog keeps a run's heartbeats for its report.
type heartbeatLog struct {
	mu    sync.Mutex
	beats []reports.Heartbeat
}

// record returns the load's heartbeat hook: it keeps each heartbeat and
// passes it on to then, when set.
func (l *heartbeatLog) record(then func(reports.Heartbeat)) func(reports.Heartbeat) {
	return func(b reports.Heartbeat) {
		l.mu.Lock()
		l.beats = append(l.beats, b)
		l.mu.Unlock()
		if then != nil {
			then(b)
		}
	}
}

// list returns the heartbeats kept so far, oldest first.
func (l *heartbeatLog) list() []reports.Heartbeat {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]reports.Heartbeat(nil), l.beats...)
}
