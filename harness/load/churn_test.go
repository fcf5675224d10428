package load_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
)

func TestChurnPlansAreSeeded(t *testing.T) {
	o := load.Options{Users: 40, Messages: 3, Seed: 11}
	a, _ := load.Plans(o)
	b, _ := load.Plans(o)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different plans")
	}
	roles := map[flow.ChurnRole]int{}
	for _, p := range a {
		c := p.Churn
		if c == nil {
			continue
		}
		roles[c.Role]++
		switch c.Role {
		case flow.ChurnDrop:
			if p.ExtraConnection {
				t.Errorf("%s drops with a second tab open: it would keep receiving there", p.Label())
			}
			if p.Count != 4 || c.Message > 2 {
				t.Errorf("%s drops at message %d of %d: want one more than the 3 counted, and one sent after the reconnect", p.Label(), c.Message, p.Count)
			}
			if j := a[c.Partner].Churn; j == nil || j.Role != flow.ChurnJoin || j.Partner != p.Index {
				t.Errorf("%s's partner u%04d is not its joiner", p.Label(), c.Partner)
			}
		case flow.ChurnCloseTab:
			if !p.ExtraConnection {
				t.Errorf("%s closes a second tab it does not open", p.Label())
			}
		}
	}
	// 40 users: one group per 10 users.
	if want := map[flow.ChurnRole]int{flow.ChurnDrop: 4, flow.ChurnJoin: 4, flow.ChurnCloseTab: 4}; !reflect.DeepEqual(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
	none, _ := load.Plans(load.Options{Users: 40, Seed: 11, Churn: -1})
	for _, p := range none {
		if p.Churn != nil {
			t.Fatalf("--churn -1 still gave %s a churn role", p.Label())
		}
	}
}

func TestChurnPartnersShareAShard(t *testing.T) {
	plans, _ := load.Plans(load.Options{Users: 60, Seed: 3, Shard: load.Shard{Index: 1, Count: 3}})
	for _, p := range plans {
		if c := p.Churn; c != nil && c.Role != flow.ChurnCloseTab && c.Partner%3 != p.Index%3 {
			t.Errorf("%s (%s) waits for u%04d, in another shard", p.Label(), c.Role, c.Partner)
		}
	}
}

// TestChurnAgainstTheReferenceServices runs churn for real: the dropper's
// run is cut after its first event, the joiner connects only after that,
// the dropper comes back on a new connection and completes its next
// message, and the tab closer's run completes on its main connection.
func TestChurnAgainstTheReferenceServices(t *testing.T) {
	env := load.ReferenceEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// When each dropper's dropped flow ended: its connection is cut
	// right after.
	var mu sync.Mutex
	droppedAt := map[int]time.Time{}
	d := &flow.Driver{Env: env, Finished: func(p *flow.Plan, m *flow.Message) {
		if m.Dropped {
			mu.Lock()
			droppedAt[p.Index] = time.Now()
			mu.Unlock()
		}
	}}
	out, err := load.Run(ctx, d, load.Options{Users: 20, Messages: 2, Seed: 5, Abandoners: -1, KeepMessages: true})
	if err != nil {
		t.Fatal(err)
	}
	groups := 0
	for _, r := range out.Users {
		c := r.Plan.Churn
		if c == nil {
			for _, m := range r.Messages {
				if !m.Completed() {
					t.Errorf("%s message %d: %+v", r.Plan.Label(), m.Index, m.Failure)
				}
			}
			continue
		}
		switch c.Role {
		case flow.ChurnDrop:
			groups++
			dropped, after := r.Messages[c.Message], r.Messages[c.Message+1]
			if !dropped.Dropped || dropped.Failure != nil {
				t.Errorf("%s: message %d should be dropped, not failed: %+v", r.Plan.Label(), c.Message, dropped.Failure)
			}
			if !after.Completed() {
				t.Errorf("%s: the message after the reconnect failed: %+v", r.Plan.Label(), after.Failure)
			}
			if len(r.Identity.Connections) != 2 {
				t.Errorf("%s: %d connections established, want 2 (before and after the drop)", r.Plan.Label(), len(r.Identity.Connections))
			}
			joiner := out.Users[c.Partner]
			if dropAt, joinAt := droppedAt[r.Plan.Index], firstFrameOn(joiner, 0); dropAt.IsZero() || !joinAt.After(dropAt) {
				t.Errorf("%s connected at %s, before its partner %s dropped at %s", joiner.Plan.Label(), joinAt, r.Plan.Label(), dropAt)
			}
		case flow.ChurnJoin, flow.ChurnCloseTab:
			for _, m := range r.Messages {
				if !m.Completed() {
					t.Errorf("%s (%s) message %d: %+v", r.Plan.Label(), c.Role, m.Index, m.Failure)
				}
			}
		}
	}
	counted := 0
	for _, r := range out.Users {
		for _, m := range r.Messages {
			if !m.Dropped {
				counted++
			}
		}
	}
	if counted != 40 {
		t.Errorf("%d counted flows, want 20 users × 2 messages: churn must not change the count", counted)
	}
	if groups != 2 {
		t.Errorf("%d churn groups ran, want 2", groups)
	}
}

func firstFrameOn(r *flow.Result, conn int) time.Time {
	for _, rec := range r.Frames {
		if rec.Conn == conn {
			return rec.Frame.At
		}
	}
	return time.Time{}
}

// TestShardPlansCoverTheRunOnce: the shards' users are the run's users,
// each once; every shard knows every user it does not drive, and shard
// 0's abandoners, as shard 0 itself plans them.
func TestShardPlansCoverTheRunOnce(t *testing.T) {
	const n = 3
	// Churn pairs users within a shard, so the shards agree with the plans
	// of the run as n shards, whichever shard derives them.
	whole, wholeAbandoners := load.Plans(load.Options{Users: 20, Messages: 2, Seed: 8, Shard: load.Shard{Index: 0, Count: n}})
	seen := map[int]int{}
	var zeroAbandoners []*flow.Plan
	for i := 0; i < n; i++ {
		users, others, abandoners := load.ShardPlans(load.Options{Users: 20, Messages: 2, Seed: 8, Shard: load.Shard{Index: i, Count: n}})
		for _, p := range users {
			seen[p.Index]++
			if !reflect.DeepEqual(p, whole[p.Index]) {
				t.Errorf("shard %d plans %s otherwise than the run's plans", i, p.Label())
			}
		}
		known := map[int]bool{}
		for _, p := range others {
			known[p.Index] = true
		}
		for _, p := range whole {
			if p.Index%n != i && !known[p.Index] {
				t.Errorf("shard %d does not know %s", i, p.Label())
			}
		}
		if i == 0 {
			zeroAbandoners = abandoners
			continue
		}
		if len(abandoners) != 0 {
			t.Errorf("shard %d runs %d abandoners; only shard 0 does", i, len(abandoners))
		}
		for _, a := range zeroAbandoners {
			if !known[a.Index] {
				t.Errorf("shard %d does not know shard 0's abandoner %s", i, a.Label())
			}
		}
	}
	for _, p := range whole {
		if seen[p.Index] != 1 {
			t.Errorf("%s is driven by %d shards", p.Label(), seen[p.Index])
		}
	}
	if !reflect.DeepEqual(zeroAbandoners, wholeAbandoners) {
		t.Error("shard 0's abandoners differ from the run's")
	}
}
