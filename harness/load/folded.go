package load

import (
	"sync"
	"time"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/reports"
)

// maxExact bounds the latencies kept exactly per stage: beyond, they are
// counted in a histogram, whose percentiles are within one bucket (6.25%)
// of the exact ones.
const maxExact = 1 << 14

// Folded is the account of the completed messages a run folded out of
// its users' results: how many, and each stage's latencies — exactly up
// to maxExact per stage, then in a histogram — so that a run's memory
// does not grow with its flows.
type Folded struct {
	mu     sync.Mutex
	flows  int
	stages map[flow.Stage]*latencies
	order  []flow.Stage
}

type latencies struct {
	exact []time.Duration
	hist  *reports.Histogram // latencies beyond maxExact
}

// add counts completed message m.
func (f *Folded) add(m *flow.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flows++
	if f.stages == nil {
		f.stages = map[flow.Stage]*latencies{}
	}
	if f.order == nil {
		f.order = flow.Stages()
	}
	for _, st := range f.order {
		d, ok := m.Timings.Get(st)
		if !ok {
			continue
		}
		l := f.stages[st]
		if l == nil {
			l = &latencies{}
			f.stages[st] = l
		}
		if len(l.exact) == maxExact {
			l.hist = l.hist.Add(reports.NewHistogram(l.exact))
			l.exact = l.exact[:0]
		}
		l.exact = append(l.exact, d)
	}
}

// Flows is how many completed messages were folded.
func (f *Folded) Flows() int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flows
}

// Latencies returns stage st's folded latencies: those kept exactly, and
// the histogram of the rest (nil when every one was kept exactly).
func (f *Folded) Latencies(st flow.Stage) (exact []time.Duration, rest *reports.Histogram) {
	if f == nil {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.stages[st]
	if l == nil {
		return nil, nil
	}
	return append([]time.Duration(nil), l.exact...), l.hist
}
