package flow

import (
	"context"
	"sync"
	"time"
)

// ChurnRole is what a churning user does while other users' runs stream.
type ChurnRole string

// The churn roles.
const (
	// ChurnDrop drops the main connection right after the first event of
	// message Churn.Message, waits until its partner (a ChurnJoin user)
	// has connected, then reconnects — with a fresh login when
	// Churn.NewToken — and sends its next message on the new connection.
	// The dropped message is not counted: its remaining events may reach
	// the user's new connection, or nobody, but never anyone else.
	ChurnDrop ChurnRole = "drop"
	// ChurnJoin connects for the first time only once its partner (a
	// ChurnDrop user) has dropped, so that it arrives while the partner's
	// run is still in flight. Its own flows are counted as usual.
	ChurnJoin ChurnRole = "join"
	// ChurnCloseTab opens a second connection and closes it right after
	// the first event of message Churn.Message, while that run streams:
	// the run must still complete on the main connection.
	ChurnCloseTab ChurnRole = "close-tab"
)

// Churn is one user's part in a churn scenario: connections that drop,
// reconnect, arrive late or close while runs are in flight. It is derived
// from the seed like the rest of the plan, and the partners wait for each
// other's cues rather than for the clock, so a replay (gpcheck repro)
// interleaves them the same way.
type Churn struct {
	Role ChurnRole
	// Message is the message during whose stream the drop or the tab
	// close happens.
	Message int
	// NewToken makes a ChurnDrop user log in again before it reconnects.
	NewToken bool
	// Partner is the index of the user this one waits for: the joiner of
	// a ChurnDrop user, the dropper of a ChurnJoin user.
	Partner int
	// Gap is how long a ChurnDrop user stays away before its partner may
	// connect: the time a real client takes to notice and come back,
	// long enough for the server to notice the drop.
	Gap time.Duration
}

// cueDropped and cueJoined name the cues of a churn pair by the user who
// fires them.
func cueDropped(user int) cue { return cue{"dropped", user} }
func cueJoined(user int) cue  { return cue{"joined", user} }

type cue struct {
	what string
	user int
}

// Cues let the users of one run wait for each other: a churn joiner
// connects only after its partner dropped, and the dropper reconnects
// only after the joiner connected. A cue fires once; waiting for one that
// already fired returns at once. The zero value is ready to use; a nil
// *Cues never waits.
type Cues struct {
	mu sync.Mutex
	ch map[cue]chan struct{}
}

func (c *Cues) get(k cue) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = map[cue]chan struct{}{}
	}
	ch := c.ch[k]
	if ch == nil {
		ch = make(chan struct{})
		c.ch[k] = ch
	}
	return ch
}

// fire marks k as happened. Firing twice is harmless.
func (c *Cues) fire(k cue) {
	if c == nil {
		return
	}
	ch := c.get(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// wait returns when k has fired or ctx is done. The partner fires its cues
// on every path out of its flow, so a wait ends at the latest when the
// partner's flow does, and every one of its network waits has a deadline.
func (c *Cues) wait(ctx context.Context, k cue) error {
	if c == nil {
		return nil
	}
	select {
	case <-c.get(k):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
