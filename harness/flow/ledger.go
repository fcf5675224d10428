package flow

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/gpcheck/gpcheck/harness/profile"
)

// Owner says whose a marker is: the user's index (negative for a user of
// another shard, see Ledger.Others) and what kind of marker it is
// (user_id, run_id, thread_id, canary or request_id).
type Owner struct {
	User  int
	Kind  string
	Value string
}

// owned is an owner as the ledger keeps it, small: every run of every
// user has an entry.
type owned struct {
	user int32
	kind kind
}

// kind is a kind of marker, as Owner.Kind names it.
type kind uint8

const (
	kindUser kind = iota
	kindRun
	kindThread
	kindCanary
	kindRequest
)

func (k kind) String() string {
	return [...]string{"user_id", "run_id", "thread_id", "canary", "request_id"}[k]
}

func kindOf(s string) (kind, bool) {
	for k := kindUser; k <= kindRequest; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// Ledger is a run's account of who owns which marker, shared by all its
// users' flows, so that each frame can be judged as it arrives instead of
// every frame being kept until the end of the run:
//
//   - user ids, as each user's login names them;
//   - run and thread ids, as each run's first event names them to its
//     owner (the latest keptRuns run ids of each user);
//   - canaries and request ids, derived from the seed for every user of
//     the run, whatever its shard (Plan.MessageAt).
//
// A frame is judged (screened, see Result.Settle) only once every owner
// that could appear in it is known: no login and no first event that was
// awaited when the frame arrived is still awaited. Until then it waits in
// its receiver's result. So the verdicts are those of judging every frame
// after the run, with memory bounded by what is in flight.
type Ledger struct {
	base   time.Time
	events profile.Events

	mu      sync.RWMutex
	owners  map[string]owned
	plans   map[int]*Plan    // every user of the run, by Owner.User
	results map[int]*Result  // this process's users, by index
	runs    map[int][]string // each user's latest run ids (keptRuns)

	// The awaits in flight, in the order they began (so by time): the
	// watermark is the first unresolved one's start.
	amu     sync.Mutex
	awaits  []await // awaits[head:] may be unresolved
	head    int
	awaited int64 // the sequence number of awaits[0]
}

// await is one login or first event awaited, from start (the ledger's
// clock).
type await struct {
	start int64
	done  bool
}

// NewLedger returns the ledger of a run whose frames are named by p's
// events and whose users are plans (more can be added with Plans and
// OtherShard).
func NewLedger(p profile.Profile, plans ...*Plan) *Ledger {
	l := &Ledger{base: time.Now(), events: eventsOf(p), owners: map[string]owned{}, plans: map[int]*Plan{}, results: map[int]*Result{}}
	l.Plans(plans...)
	return l
}

// Plans adds the plans of users whose canaries and request ids the
// ledger recognises.
func (l *Ledger) Plans(plans ...*Plan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range plans {
		if p != nil {
			l.plans[p.Index] = p
		}
	}
}

// OtherShard marks plans as users another shard drives: their owner is
// numbered -1-index, so that a check can tell them from this shard's.
func (l *Ledger) OtherShard(plans ...*Plan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range plans {
		if p != nil {
			delete(l.plans, p.Index)
			l.plans[-1-p.Index] = p
		}
	}
}

// Join registers r's user, whose flow this process drives.
func (l *Ledger) Join(r *Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.plans[r.Plan.Index] = r.Plan
	l.results[r.Plan.Index] = r
	r.ledger = l
	r.awaiting = -1
}

// Result returns the result of user i of this process, or nil.
func (l *Ledger) Result(i int) *Result {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.results[i]
}

// Plan returns the plan of user i (Owner.User), or nil.
func (l *Ledger) Plan(i int) *Plan {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.plans[i]
}

// keptRuns is how many of a user's latest run ids the ledger remembers.
// An older run's id is forgotten, so that the ledger does not grow with
// the flows: whatever could still carry it (a replayed event, a thread's
// history) carries the thread id, the user id, the request id or the
// canary too, which the ledger keeps or derives.
const keptRuns = 4

// Own records that value, a marker of kind, is user's. The first owner
// stays: a system that hands one id to two users shows as a leak to the
// second.
func (l *Ledger) Own(user int, kind, value string) {
	k, ok := kindOf(kind)
	if blank(value) || !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.owners[value]; ok {
		return
	}
	l.owners[value] = owned{user: int32(user), kind: k}
	if k != kindRun {
		return
	}
	if l.runs == nil {
		l.runs = map[int][]string{}
	}
	runs := append(l.runs[user], value)
	if len(runs) > keptRuns {
		delete(l.owners, runs[0])
		runs = append(runs[:0], runs[1:]...)
	}
	l.runs[user] = runs
}

// Find returns the owner of marker s, if it is one.
func (l *Ledger) Find(s string) (Owner, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.find([]byte(s), -1<<62)
}

// find is Find under l.mu, with b as bytes. A canary or request id of
// user self is taken as its own without deriving it again (nothing can
// leak to a user from itself).
func (l *Ledger) find(b []byte, self int) (Owner, bool) {
	if o, ok := l.owners[string(b)]; ok {
		if int(o.user) == self {
			return Owner{User: self, Kind: o.kind.String()}, true // no Value: a copy per frame that nobody needs
		}
		return Owner{User: int(o.user), Kind: o.kind.String(), Value: string(b)}, true
	}
	return l.derive(b, self)
}

// derive recognises b as a canary ("gpc-TAG-uINDEX-mMESSAGE-HASH") or a
// request id ("req-TAG-uINDEX-mMESSAGE") of a user of the run: it parses
// the user and message out of b and derives that message's markers from
// the user's plan, so that only a marker the seed would make is
// attributed, to whichever message it is of. Counter request ids (req-1)
// prove no ownership and are never attributed.
func (l *Ledger) derive(b []byte, self int) (Owner, bool) {
	var kind string
	var rest []byte
	switch {
	case bytes.HasPrefix(b, []byte(CanaryPrefix)):
		kind, rest = "canary", b[len(CanaryPrefix):]
	case bytes.HasPrefix(b, []byte("req-")):
		kind, rest = "request_id", b[len("req-"):]
	default:
		return Owner{}, false
	}
	tag, rest, ok1 := bytes.Cut(rest, []byte("-u"))
	user, rest, ok2 := bytes.Cut(rest, []byte("-m"))
	msg, hash, ok3 := bytes.Cut(rest, []byte("-"))
	if kind == "request_id" {
		msg, hash, ok3 = rest, nil, !bytes.Contains(rest, []byte("-"))
	}
	i, n := digits(user), digits(msg)
	if !ok1 || !ok2 || !ok3 || i < 0 || n < 0 || kind == "canary" && len(hash) == 0 {
		return Owner{}, false
	}
	for _, u := range []int{i, -1 - i} { // this shard's user, or another's
		p := l.plans[u]
		if p == nil || string(tag) != p.Tag {
			continue
		}
		if kind == "request_id" && p.CounterIDs {
			return Owner{}, false
		}
		if u == self {
			return Owner{User: u, Kind: kind}, true // no Value: nobody needs it, and it would cost a copy per frame
		}
		_, canary, req := p.MessageAt(n)
		if kind == "canary" && string(b) == canary || kind == "request_id" && string(b) == req {
			return Owner{User: u, Kind: kind, Value: string(b)}, true
		}
	}
	return Owner{}, false
}

// digits parses b as a non-negative decimal number; -1 if it is not one.
func digits(b []byte) int {
	if len(b) == 0 || len(b) > 9 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Foreign finds every marker of a user other than self in a JSON
// document (or, when it is not JSON, in its raw text): string values that
// equal a marker, and canaries anywhere inside string values.
func (l *Ledger) Foreign(raw []byte, self int) []Owner {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Owner
	add := func(o Owner) {
		if o.User != self {
			out = append(out, o)
		}
	}
	if !json.Valid(raw) {
		l.canariesIn(raw, self, add)
		return out
	}
	eachString(raw, func(s []byte) {
		if o, ok := l.find(s, self); ok {
			add(o)
			return
		}
		l.canariesIn(s, self, add)
	})
	return out
}

// canariesIn calls fn with the owner of each canary in s.
func (l *Ledger) canariesIn(s []byte, self int, fn func(Owner)) {
	eachCanary(s, func(c []byte) {
		if o, ok := l.find(c, self); ok && o.Kind == "canary" {
			fn(o)
		}
	})
}

// eachString calls fn with every string literal of the JSON document
// doc, keys too, unescaped. It does not decode the document: the
// literals of a valid document are found by their quotes.
func eachString(doc []byte, fn func([]byte)) {
	for i := 0; i < len(doc); i++ {
		if doc[i] != '"' {
			continue
		}
		j, escaped := i+1, false
		for ; j < len(doc) && doc[j] != '"'; j++ {
			if doc[j] == '\\' {
				escaped = true
				j++
			}
		}
		if j >= len(doc) {
			return
		}
		if !escaped {
			fn(doc[i+1 : j])
		} else {
			var v string
			if json.Unmarshal(doc[i:j+1], &v) == nil {
				fn([]byte(v))
			}
		}
		i = j
	}
}

// eachCanary calls fn with each canary-shaped word in b: CanaryPrefix
// followed by letters, digits and dashes. Whose it is, if anyone's, is the
// ledger's to say.
func eachCanary(b []byte, fn func([]byte)) {
	prefix := []byte(CanaryPrefix)
	for {
		i := bytes.Index(b, prefix)
		if i < 0 {
			return
		}
		b = b[i:]
		end := bytes.IndexFunc(b, func(r rune) bool { return !canaryRune(r) })
		if end < 0 {
			end = len(b)
		}
		fn(b[:end])
		b = b[len(prefix):]
	}
}

// canaryRune reports whether r may be part of a canary.
func canaryRune(r rune) bool {
	return r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// since is t as the ledger's clock: nanoseconds since its base, plus one
// so that 0 means "never".
func (l *Ledger) since(t time.Time) int64 { return int64(t.Sub(l.base)) + 1 }

// await marks r's user as waiting for something that will name owners
// (its login's user id, a run's first event): frames that arrive from
// now on wait to be judged until resolve.
func (r *Result) await() {
	l := r.ledger
	if l == nil {
		return
	}
	r.resolve()
	l.amu.Lock()
	defer l.amu.Unlock()
	// The clock is read under the lock, so awaits are in time order.
	l.awaits = append(l.awaits, await{start: l.since(time.Now())})
	r.awaiting = l.awaited + int64(len(l.awaits)) - 1
}

// resolve ends r's user's await, if any.
func (r *Result) resolve() {
	l := r.ledger
	if l == nil || r.awaiting < 0 {
		return
	}
	l.amu.Lock()
	defer l.amu.Unlock()
	l.awaits[r.awaiting-l.awaited].done = true
	r.awaiting = -1
	for l.head < len(l.awaits) && l.awaits[l.head].done {
		l.head++
	}
	if l.head > len(l.awaits)/2 { // drop the resolved head, at most as often as it doubles
		l.awaited += int64(l.head)
		l.awaits = append(l.awaits[:0], l.awaits[l.head:]...)
		l.head = 0
	}
}

// watermark returns a time (the ledger's clock) before which every frame
// may be judged: the start of the oldest await still unresolved, or, when
// none is, the end of time. An await that begins after a frame was
// received cannot be the frame's source: what it waits for is requested
// only once it has begun.
func (l *Ledger) watermark() int64 {
	l.amu.Lock()
	defer l.amu.Unlock()
	if l.head == len(l.awaits) {
		return 1<<63 - 1
	}
	return l.awaits[l.head].start
}

// ownRequest returns the index of r's message that requestID names, if
// it names one of the messages r has sent.
func (r *Result) ownRequest(requestID string) (int, bool) {
	p := r.Plan
	var m int
	if p.CounterIDs {
		n, ok := strings.CutPrefix(requestID, "req-")
		if m = digits([]byte(n)) - 1; !ok || m < 0 {
			return 0, false
		}
	} else {
		if r.reqPrefix == "" {
			_, _, req := p.MessageAt(0)
			r.reqPrefix = strings.TrimSuffix(req, "0")
		}
		n, ok := strings.CutPrefix(requestID, r.reqPrefix)
		if m = digits([]byte(n)); !ok || m < 0 {
			return 0, false
		}
	}
	if m >= max(r.started, len(r.Messages)) {
		return 0, false
	}
	return m, true
}
