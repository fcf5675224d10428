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
)

// Options shapes a run.
type Options struct {
	// Users is how many virtual users run the golden path; at least 1.
	Users int
	// Concurrency is how many users run at once; 0 means all of them.
	Concurrency int
	// Messages is how many messages each user sends; 0 means 1.
	Messages int
	// Seed determines every user's plan.
	Seed uint64
	// ExtraConnectionEvery gives every n-th user a second connection; 0
	// means every 5th, negative means none.
	ExtraConnectionEvery int
	// Abandoners is how many extra users leave mid-stream while the others
	// run; they are not counted in the completion rate. Negative means none,
	// 0 means 2.
	Abandoners int
	// Progress, when set, is called after each user finishes.
	Progress func(done, total int)
}

func (o Options) withDefaults() Options {
	if o.Messages <= 0 {
		o.Messages = 1
	}
	if o.Concurrency <= 0 || o.Concurrency > o.Users {
		o.Concurrency = o.Users
	}
	if o.ExtraConnectionEvery == 0 {
		o.ExtraConnectionEvery = 5
	}
	if o.Abandoners == 0 {
		o.Abandoners = 2
	}
	if o.Abandoners < 0 {
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
	}
	return nil
}

// Outcome is the result of a run.
type Outcome struct {
	// Users are the counted users' results, by index.
	Users []*flow.Result
	// Abandoners are the results of the users who left mid-stream.
	Abandoners []*flow.Result
	Started    time.Time
	Duration   time.Duration
}

// All returns every result, counted users first.
func (o *Outcome) All() []*flow.Result {
	return append(append([]*flow.Result(nil), o.Users...), o.Abandoners...)
}

// Plans derives the users' plans from the options' seed.
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
		}
		if i%2 == 1 {
			p.Method = client.AuthSubprotocol
		}
		for m := 0; m < o.Messages; m++ {
			canary := fmt.Sprintf("gpc-%s-u%04d-m%d-%08x", tag, i, m, r.Uint32())
			p.Canaries = append(p.Canaries, canary)
			p.RequestIDs = append(p.RequestIDs, fmt.Sprintf("req-%s-u%04d-m%d", tag, i, m))
			p.Messages = append(p.Messages, fmt.Sprintf("Hello agent, please remember %s.", canary))
		}
		return p
	}
	for i := 0; i < o.Users; i++ {
		p := mk(i)
		p.ExtraConnection = o.ExtraConnectionEvery > 0 && i%o.ExtraConnectionEvery == o.ExtraConnectionEvery-1
		users = append(users, p)
	}
	for i := 0; i < o.Abandoners; i++ {
		p := mk(o.Users + i)
		p.Abandon = true
		p.Messages, p.Canaries, p.RequestIDs = p.Messages[:1], p.Canaries[:1], p.RequestIDs[:1]
		abandoners = append(abandoners, p)
	}
	return users, abandoners
}

// Run drives every plan with d, Concurrency users at a time; the abandoners
// run alongside the first wave. It returns when all users have finished or
// ctx is done.
func Run(ctx context.Context, d *flow.Driver, o Options) (*Outcome, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	users, abandoners := Plans(o)
	out := &Outcome{
		Users:      make([]*flow.Result, len(users)),
		Abandoners: make([]*flow.Result, len(abandoners)),
		Started:    time.Now(),
	}
	var wg sync.WaitGroup
	var done atomic.Int64
	sem := make(chan struct{}, o.Concurrency)
	for i, p := range abandoners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Abandoners[i] = d.Run(ctx, p)
		}()
	}
	for i, p := range users {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			out.Users[i] = d.Run(ctx, p) // records the cancellation as failures
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out.Users[i] = d.Run(ctx, p)
			n := done.Add(1)
			if o.Progress != nil {
				o.Progress(int(n), len(users))
			}
		}()
	}
	wg.Wait()
	out.Duration = time.Since(out.Started)
	return out, nil
}
