// Package load runs many virtual users' golden paths at once. Plans are
// derived from a seed, so the same seed sends the same users the same
// messages in the same shape of run.
package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/reports"
)

// Options shapes a run.
type Options struct {
	// Users is how many virtual users connect and run the golden path; at
	// least 1.
	Users int
	// Concurrency bounds the agent runs in flight; 0 means one per user.
	Concurrency int
	// Messages is how many messages each user sends, one flow each; 0
	// means 1, or, with Duration, as many as fit.
	Messages int
	// Duration, when set, keeps users sending messages until it has
	// passed (counted from the start of the run).
	Duration time.Duration
	// Ramp spreads the users' starts evenly over this time; 0 starts them
	// all at once.
	Ramp time.Duration
	// KeepAlive is how often a waiting user pings its connection; 0 means
	// the driver's default.
	KeepAlive time.Duration
	// Seed determines every user's plan.
	Seed uint64
	// Shard, when Count > 1, runs only users whose index mod Count is
	// Index: a run can be split across processes or machines, and the
	// shards' reports merged, with the same users as one unsharded run.
	Shard Shard
	// CollideEvery gives every n-th user counter request ids (req-1,
	// req-2, …) that collide with other users'; 0 means every third user,
	// 1 every user, a negative value none.
	CollideEvery int
	// Churn is how many churn groups the run has: in each, one user's
	// connection drops mid-stream and reconnects (half of them with a new
	// token), another user connects for the first time while that run is
	// in flight, and a third closes a second tab while its own run
	// streams (see flow.Churn). 0 means one group per 10 users, at most
	// 50; negative means none.
	Churn int
	// ExtraConnectionEvery gives every n-th user a second connection; 0
	// means every 5th, negative means none.
	ExtraConnectionEvery int
	// Abandoners is how many extra users leave mid-stream while the others
	// run; they are not counted in the completion rate. Negative means none,
	// 0 means 2. In a sharded run only shard 0 runs them.
	Abandoners int
	// Progress, when set, is called after each user finishes.
	Progress func(done, total int)
	// Heartbeat, when positive and OnHeartbeat is set, is how often
	// OnHeartbeat is told how the run is going (flows so far, their rate
	// and completion, gpcheck's memory), from the start of the run until
	// its users have finished: a soak run's pulse.
	Heartbeat time.Duration
	// OnHeartbeat receives each heartbeat, from one goroutine, never after
	// Run has returned.
	OnHeartbeat func(reports.Heartbeat)
	// KeepMessages keeps every message in the users' results, completed
	// or not, instead of folding the completed ones into Outcome.Folded:
	// for tests that look at each message. Memory then grows with the
	// flows.
	KeepMessages bool
}

// Shard is one slice of a sharded run: users with index % Count == Index.
type Shard struct {
	Index, Count int
}

// ParseShard parses "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	var sh Shard
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.Index, &sh.Count); err != nil || fmt.Sprintf("%d/%d", sh.Index, sh.Count) != s {
		return Shard{}, fmt.Errorf("shard %q: want i/n, such as 0/4", s)
	}
	if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return Shard{}, fmt.Errorf("shard %q: want 0 <= i < n", s)
	}
	return sh, nil
}

func (sh Shard) has(i int) bool { return sh.Count <= 1 || i%sh.Count == sh.Index }

// String is the shard as --shard takes it, "i/n"; "" when the run is not
// sharded.
func (sh Shard) String() string {
	if sh.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", sh.Index, sh.Count)
}

func (o Options) withDefaults() Options {
	if o.Messages <= 0 && o.Duration <= 0 {
		o.Messages = 1
	}
	if o.Messages < 0 {
		o.Messages = 0
	}
	if o.ExtraConnectionEvery == 0 {
		o.ExtraConnectionEvery = 5
	}
	if o.CollideEvery == 0 {
		o.CollideEvery = 3
	}
	if o.Abandoners == 0 {
		o.Abandoners = 2
	}
	if o.Churn == 0 {
		o.Churn = min(o.Users/10, maxChurnGroups)
	}
	if o.Churn < 0 {
		o.Churn = 0
	}
	if o.Abandoners < 0 || o.Shard.Index > 0 {
		o.Abandoners = 0
	}
	return o
}

// Validate reports the first bad option.
func (o Options) Validate() error {
	switch {
	case o.Users < 1:
		return fmt.Errorf("users must be at least 1, got %d", o.Users)
	case o.Concurrency < 0:
		return fmt.Errorf("concurrency must not be negative, got %d", o.Concurrency)
	case o.Messages < 0:
		return fmt.Errorf("messages must not be negative, got %d", o.Messages)
	case o.Duration < 0 || o.Ramp < 0:
		return fmt.Errorf("duration and ramp must not be negative")
	case o.Shard.Count > 1 && (o.Shard.Index < 0 || o.Shard.Index >= o.Shard.Count):
		return fmt.Errorf("shard %d/%d: want 0 <= i < n", o.Shard.Index, o.Shard.Count)
	}
	return nil
}

// Outcome is the result of a run.
type Outcome struct {
	// Users are the counted users' results of this shard, by index.
	Users []*flow.Result
	// Abandoners are the results of the users who left mid-stream.
	Abandoners []*flow.Result
	// Others are the plans of the run's users that other shards drive
	// (and, in shards other than 0, shard 0's abandoners); their canaries
	// and request ids are known, so a leak from them is recognised too.
	Others []*flow.Plan
	// Shard is the slice of the run this outcome is of; its Count is 0 or
	// 1 when the run was not sharded.
	Shard Shard
	// Profile names the frames the users saw.
	Profile  profile.Profile
	Started  time.Time
	Duration time.Duration
	// Folded accounts for the completed messages folded out of the
	// users' results (flow.Result.Folded counts them per user); nil when
	// none were.
	Folded *Folded

	ledger     *flow.Ledger
	ledgerOnce sync.Once
}

// Ledger returns the run's ledger of who owns which marker, every user's
// result joined to it: the one the run's flows were screened against, or,
// for an outcome put together by hand, one built from its results.
func (o *Outcome) Ledger() *flow.Ledger {
	o.ledgerOnce.Do(func() {
		if o.ledger != nil {
			return
		}
		l := flow.NewLedger(o.Profile)
		l.OtherShard(o.Others...)
		for _, r := range o.All() {
			if r == nil {
				continue
			}
			l.Join(r)
			l.Own(r.Plan.Index, "user_id", r.UserID)
			for _, m := range r.Messages {
				l.Own(r.Plan.Index, "canary", m.Canary)
				if !r.Plan.CounterIDs { // counter ids collide by design: no proof of ownership
					l.Own(r.Plan.Index, "request_id", m.RequestID)
				}
				l.Own(r.Plan.Index, "run_id", m.RunID)
				l.Own(r.Plan.Index, "thread_id", m.ThreadID)
			}
		}
		o.ledger = l
	})
	return o.ledger
}

// Settle judges whatever frames the users' results have not screened yet
// (see flow.Result.Settle), now that the run is over, and returns o.
func (o *Outcome) Settle() *Outcome {
	o.Ledger()
	for _, r := range o.All() {
		if r != nil {
			r.Settle()
		}
	}
	return o
}

// Events returns the names of the frames the users saw: the profile's,
// or the reference's when the outcome names no profile.
func (o *Outcome) Events() profile.Events {
	if o.Profile.Name == "" {
		return profile.Default().Events
	}
	return o.Profile.Events
}

// ShardOf returns the shard that drives p's user: the user's index mod
// the count, and shard 0 for the abandoners, which only shard 0 runs. Its
// Count is o.Shard's, so it prints as "" when the run is not sharded.
func (o *Outcome) ShardOf(p *flow.Plan) Shard {
	if o.Shard.Count <= 1 {
		return o.Shard
	}
	if p.Abandon {
		return Shard{Index: 0, Count: o.Shard.Count}
	}
	return Shard{Index: p.Index % o.Shard.Count, Count: o.Shard.Count}
}

// All returns every result, counted users first.
func (o *Outcome) All() []*flow.Result {
	return append(append([]*flow.Result(nil), o.Users...), o.Abandoners...)
}

// Plans derives the users' plans from the options' seed: every user of the
// whole run, whatever the shard, so that shards agree on who is who.
func Plans(o Options) (users, abandoners []*flow.Plan) {
	o = o.withDefaults()
	r := rand.New(rand.NewPCG(o.Seed, 0x67706368_65636b21))
	tag := fmt.Sprintf("%08x", r.Uint32())
	mk := func(i int) *flow.Plan {
		p := &flow.Plan{
			Index:    i,
			Email:    fmt.Sprintf("gpcheck-%s-u%04d@gpcheck.test", tag, i),
			Name:     fmt.Sprintf("gpcheck user %d", i),
			Password: fmt.Sprintf("pw-%016x", r.Uint64()),
			Tag:      tag,
			Seed:     o.Seed,
			Count:    o.Messages,
		}
		if i%2 == 1 {
			p.Method = client.AuthSubprotocol
		}
		return p
	}
	for i := 0; i < o.Users; i++ {
		p := mk(i)
		p.ExtraConnection = o.ExtraConnectionEvery > 0 && i%o.ExtraConnectionEvery == o.ExtraConnectionEvery-1
		p.CounterIDs = o.CollideEvery > 0 && i%o.CollideEvery == 0
		users = append(users, p)
	}
	churn(users, o, rand.New(rand.NewPCG(o.Seed, 0x63687572_6e212121)))
	for i := 0; i < o.Abandoners; i++ {
		p := mk(o.Users + i)
		p.Abandon = true
		p.Count = 1
		abandoners = append(abandoners, p)
	}
	return users, abandoners
}

// ShardPlans splits the run's plans (Plans) by o.Shard: the counted users
// this shard drives, the others (the users other shards drive, and, in
// shards other than 0, shard 0's abandoners, whose data a leak may carry
// here too), and the abandoners this shard runs.
func ShardPlans(o Options) (users, others, abandoners []*flow.Plan) {
	all, abandoners := Plans(o)
	sh := o.withDefaults().Shard
	for _, p := range all {
		if sh.has(p.Index) {
			users = append(users, p)
		} else {
			others = append(others, p)
		}
	}
	if sh.Count > 1 && sh.Index > 0 {
		zero := o
		zero.Shard.Index = 0
		_, theirs := Plans(zero)
		others = append(others, theirs...)
	}
	return users, others, abandoners
}

// maxChurnGroups bounds the default number of churn groups.
const maxChurnGroups = 50

// churn gives o.Churn groups of users their churn roles, drawn with r: a
// dropper and its joiner (in the same shard, so that they can wait for
// each other) and a user who closes a second tab. A user has one role at
// most; groups that do not fit among the users are left out.
func churn(users []*flow.Plan, o Options, r *rand.Rand) {
	step := max(1, o.Shard.Count) // dropper and joiner in the same shard
	taken := make([]bool, len(users))
	perm := r.Perm(len(users))
	next := 0
	free := func(ok func(i int) bool) int {
		for ; next < len(perm); next++ {
			if i := perm[next]; !taken[i] && ok(i) {
				taken[i] = true
				next++
				return i
			}
		}
		return -1
	}
	for g := 0; g < o.Churn; g++ {
		d := free(func(i int) bool { return i+step < len(users) && !taken[i+step] })
		if d < 0 {
			return
		}
		j := d + step
		taken[j] = true
		msg := 0
		if n := users[d].Count; n > 1 {
			msg = r.IntN(n)
		}
		gap := time.Duration(50+r.IntN(100)) * time.Millisecond
		users[d].Churn = &flow.Churn{Role: flow.ChurnDrop, Message: msg, NewToken: r.IntN(2) == 1, Partner: j, Gap: gap}
		// A dropper with a second tab open would keep receiving there:
		// the drop must leave the user without a connection.
		users[d].ExtraConnection = false
		if users[d].Count > 0 {
			// The dropped message is not counted: one more keeps the
			// user's counted flows at Messages, one of them after the
			// reconnect.
			users[d].Count++
		}
		users[j].Churn = &flow.Churn{Role: flow.ChurnJoin, Partner: d}
		if t := free(func(int) bool { return true }); t >= 0 {
			users[t].Churn = &flow.Churn{Role: flow.ChurnCloseTab, Message: r.IntN(max(1, users[t].Count))}
			users[t].ExtraConnection = true
		}
	}
}

// Run drives this shard's users with d: all of them connect (spread over
// Ramp), at most Concurrency runs are in flight, and the abandoners run
// alongside. It returns when all users have finished or ctx is done.
func Run(ctx context.Context, d *flow.Driver, o Options) (*Outcome, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	users, others, abandoners := ShardPlans(o)
	o = o.withDefaults()
	if t := d.Env.Target; t.Users == profile.UsersCredentials && o.Users+o.Abandoners > len(t.Credentials) {
		return nil, fmt.Errorf("%d users (and %d who leave mid-stream) need as many credentials; %d given", o.Users, o.Abandoners, len(t.Credentials))
	}
	out := &Outcome{
		Profile:    d.Env.Target.Profile,
		Others:     others,
		Shard:      o.Shard,
		Users:      make([]*flow.Result, len(users)),
		Abandoners: make([]*flow.Result, len(abandoners)),
		Started:    time.Now(),
	}
	dd := *d
	if o.Concurrency > 0 {
		dd.Gate = make(chan struct{}, o.Concurrency)
	}
	if o.Duration > 0 {
		dd.Until = out.Started.Add(o.Duration)
	}
	if o.KeepAlive > 0 {
		dd.KeepAlive = o.KeepAlive
	}
	dd.Cues = &flow.Cues{}
	// One ledger for the run: every user's frames are judged against it
	// as they arrive, so that the results keep only what showed something.
	out.ledger = flow.NewLedger(out.Profile, append(append([]*flow.Plan(nil), users...), abandoners...)...)
	out.ledger.OtherShard(others...)
	dd.Ledger = out.ledger
	if !o.KeepMessages {
		out.Folded = &Folded{}
		dd.Fold = func(p *flow.Plan, m *flow.Message) {
			if !p.Abandon {
				out.Folded.add(m)
			}
		}
	}
	tally := newTally()
	dd.Finished = func(p *flow.Plan, m *flow.Message) {
		tally.message(p, m)
		if d.Finished != nil {
			d.Finished(p, m)
		}
	}
	stopBeats := heartbeats(ctx, o, tally, out.Started, len(users))
	defer stopBeats()
	var wg sync.WaitGroup
	var done atomic.Int64
	for i, p := range abandoners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Abandoners[i] = dd.Run(ctx, p)
		}()
	}
	for i, p := range users {
		if o.Ramp > 0 && len(users) > 1 {
			at := out.Started.Add(o.Ramp * time.Duration(i) / time.Duration(len(users)))
			select {
			case <-time.After(time.Until(at)):
			case <-ctx.Done():
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Users[i] = dd.Run(ctx, p)
			tally.user(out.Users[i])
			n := done.Add(1)
			if o.Progress != nil {
				o.Progress(int(n), len(users))
			}
		}()
	}
	wg.Wait()
	out.Duration = time.Since(out.Started)
	// Every user has finished: nothing is awaited, so what the results
	// still hold unjudged is judged now, and let go of.
	out.Settle()
	return out, nil
}
