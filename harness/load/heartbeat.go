package load

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/reports"
)

// tally counts the counted users' flows while they run, for heartbeats:
// each message as its flow ends (flow.Driver.Finished), replaced by the
// user's exact numbers once the user has finished, so that what a
// heartbeat says is what Completion will count for every finished user.
type tally struct {
	mu                   sync.Mutex
	attempted, completed int
	usersDone            int
	live                 map[int][2]int // unfinished users' counts so far, by user index
}

func newTally() *tally { return &tally{live: map[int][2]int{}} }

// message counts one message whose flow ended (abandoners and dropped
// messages are not counted, as Completion does not count them).
func (t *tally) message(p *flow.Plan, m *flow.Message) {
	if p.Abandon || m.Dropped {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.live[p.Index]
	c[0]++
	t.attempted++
	if m.Completed() {
		c[1]++
		t.completed++
	}
	t.live[p.Index] = c
}

// user replaces a finished user's live counts by its result's.
func (t *tally) user(r *flow.Result) {
	if r == nil || r.Plan == nil {
		return
	}
	a, c := r.Folded, r.Folded
	for _, m := range r.Messages {
		if m.Dropped {
			continue
		}
		a++
		if m.Completed() {
			c++
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	live := t.live[r.Plan.Index]
	delete(t.live, r.Plan.Index)
	t.attempted += a - live[0]
	t.completed += c - live[1]
	t.usersDone++
}

func (t *tally) counts() (attempted, completed, usersDone int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.attempted, t.completed, t.usersDone
}

// heartbeats tells o.OnHeartbeat how the run is going every o.Heartbeat
// until stop is called or ctx is done; stop returns once no heartbeat is
// being delivered, so none comes after it.
func heartbeats(ctx context.Context, o Options, t *tally, started time.Time, users int) (stop func()) {
	if o.Heartbeat <= 0 || o.OnHeartbeat == nil {
		return func() {}
	}
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(o.Heartbeat)
		defer tick.Stop()
		prevAt, prevFlows := started, 0
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				a, c, u := t.counts()
				perSec := 0.0
				if s := now.Sub(prevAt).Seconds(); s > 0 {
					perSec = math.Round(float64(a-prevFlows)/s*100) / 100
				}
				prevAt, prevFlows = now, a
				o.OnHeartbeat(reports.Heartbeat{
					At: now.UTC(), ElapsedMS: now.Sub(started).Milliseconds(),
					Attempted: a, Completed: c, Rate: reports.FloorRate(c, a), FlowsPerSecond: perSec,
					UsersDone: u, Users: users, RSSBytes: RSS(),
				})
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-ended
	}
}

// RSS returns gpcheck's resident set size in bytes: VmRSS of
// /proc/self/status where there is one (Linux), else the memory the Go
// runtime holds from the system (mapped, less what it released), the
// closest portable measure.
func RSS() uint64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if v, ok := vmRSS(b); ok {
			return v
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	total, released := s[0].Value.Uint64(), s[1].Value.Uint64()
	if released > total {
		return 0
	}
	return total - released
}

// vmRSS reads the VmRSS line of a /proc/<pid>/status ("VmRSS:  1234 kB").
func vmRSS(status []byte) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil || kb > math.MaxUint64/1024 {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}
