package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/profile"
)

// Note says what a received frame showed when it was screened; a frame
// with no note is not kept (see Result.Settle).
type Note uint8

// The notes.
const (
	// NoteEstablished: a connection_established frame (identity evidence).
	NoteEstablished Note = 1 << iota
	// NoteForeign: another user's marker (see Result.Leaks).
	NoteForeign
	// NoteOtherUser: an event of the user's own request naming another
	// user id than the token's sub.
	NoteOtherUser
	// NoteNoOwnCanary: the first answer to one of the user's own requests,
	// without that message's canary.
	NoteNoOwnCanary
	// NoteBroken: a frame that could not be read, or an error frame.
	NoteBroken
)

// Leak is what one user received of another user's data: every marker
// found, counted, and the first frames and answers that carried them
// (kept whole in the receiver's Result).
type Leak struct {
	// Kinds are the kinds of marker found (canary, user_id, …).
	Kinds map[string]bool
	// Where names the frames and answers they were found in.
	Where map[string]bool
	// Routes are the REST routes among them.
	Routes map[string]bool
	// Markers are the markers found, up to maxLeakMarkers.
	Markers map[string]bool
	// Count is how many times a marker was found.
	Count int
	// Frames index the receiver's Result.Frames that carried markers.
	Frames []int
	// REST index the receiver's Result.REST that carried markers.
	REST []int
	// OwnerSent are the owner's sent frames that carried the markers,
	// as the owner had them when the leak was found.
	OwnerSent []Sent
}

// Bounds of what a result keeps: enough for a finding's evidence (a
// transcript shows 24 lines), never growing with the flows.
const (
	maxKept        = 256 // notable frames kept whole
	maxKeptREST    = 16  // REST answers with another user's data kept whole
	maxRecent      = 8   // plain frames of the message in flight, for the context of a failure
	maxSent        = 2   // recent sent frames
	maxLeakMarkers = 64  // distinct markers remembered per leak
	maxEventIDs    = 8   // distinct user ids remembered from own events
)

// Settle judges every frame and REST answer r has received and not yet
// screened, whatever may still be in flight: at the end of a run, when
// the ledger knows every owner. Frames received by a Result that no
// driver recorded (built by hand) are judged too, against the ledger it
// joined.
func (r *Result) Settle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settle(true)
	// Nothing arrives any more: what a busy run grew to hold frames
	// waiting for the watermark, and the ring of the last message's plain
	// frames, are let go of.
	r.Frames = slices.Clip(slices.Clone(r.Frames))
	r.REST = slices.Clip(slices.Clone(r.REST))
	r.recent, r.recentNext = nil, 0
}

// settle screens the pending frames and answers, all of them or only
// those the ledger's watermark allows; r.mu is held.
func (r *Result) settle(all bool) {
	l := r.ledger
	if l == nil {
		return
	}
	wm := int64(1<<63 - 1)
	if !all {
		wm = l.watermark()
	}
	i := r.screened
	for ; i < len(r.Frames); i++ {
		rec := r.Frames[i]
		if !rec.Frame.At.IsZero() && l.since(rec.Frame.At) >= wm {
			break
		}
		at := r.screened
		if at >= maxKept {
			at = -1 // judged and counted, but not kept
		}
		if note := r.screen(&rec, at); note != 0 && at >= 0 {
			rec.Note = note
			r.Frames[r.screened] = rec
			r.screened++
			continue
		}
		r.remember(rec)
	}
	n := copy(r.Frames[r.screened:], r.Frames[i:])
	clear(r.Frames[r.screened+n:])
	r.Frames = r.Frames[:r.screened+n]

	j := r.restScreened
	for ; j < len(r.REST); j++ {
		a := r.REST[j]
		if l.since(a.At) >= wm {
			break
		}
		at := r.restScreened
		if at >= maxKeptREST {
			at = -1
		}
		if r.screenREST(a, at) && at >= 0 {
			r.REST[r.restScreened] = a
			r.restScreened++
		}
	}
	n = copy(r.REST[r.restScreened:], r.REST[j:])
	clear(r.REST[r.restScreened+n:])
	r.REST = r.REST[:r.restScreened+n]
}

// newMessage empties the ring of recent frames for the next message: it
// holds the frames of the message in flight (and of the one before that
// were screened since), so that what a user holds is the same after one
// message as after a thousand.
func (r *Result) newMessage() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.recent)
	r.recent, r.recentNext = r.recent[:0], 0
}

// remember puts a frame that showed nothing into the ring of recent ones.
func (r *Result) remember(rec Received) {
	p := plain{conn: rec.Conn, at: rec.Frame.At.UnixNano(), raw: rec.Frame.Raw}
	if len(r.recent) < maxRecent {
		if r.recent == nil {
			r.recent = make([]plain, 0, maxRecent)
		}
		r.recent = append(r.recent, p)
		return
	}
	r.recent[r.recentNext] = p
	r.recentNext = (r.recentNext + 1) % maxRecent
}

// plain is a frame that showed nothing, as the ring of recent frames
// keeps it: a quarter of a Received. Such a frame was valid JSON and no
// error (those are kept whole): received reads its envelope again.
type plain struct {
	conn int
	at   int64 // Unix nanoseconds
	raw  []byte
}

func (p plain) received() Received {
	var env struct {
		Type         string `json:"type"`
		RequestID    string `json:"request_id"`
		ConnectionID string `json:"connection_id"`
	}
	_ = json.Unmarshal(p.raw, &env)
	return Received{Conn: p.conn, Frame: client.Frame{Type: env.Type, RequestID: env.RequestID, ConnectionID: env.ConnectionID, Raw: p.raw, At: time.Unix(0, p.at)}}
}

// recentFrames are the ring's frames, oldest first; r.mu is held.
func (r *Result) recentFrames() []Received {
	out := make([]Received, 0, len(r.recent))
	for _, p := range r.recent[r.recentNext:] {
		out = append(out, p.received())
	}
	for _, p := range r.recent[:r.recentNext] {
		out = append(out, p.received())
	}
	return out
}

// screen returns what rec shows, recording any leak and identity it
// carries; at is where rec will be kept if it is (-1: it will not).
func (r *Result) screen(rec *Received, at int) Note {
	f := &rec.Frame
	ev := r.ledger.events
	var note Note
	if f.Type == ev.ConnectionEstablished || f.ConnectionID != "" {
		note |= NoteEstablished
	}
	if f.Err != nil || f.Type == "error" {
		note |= NoteBroken
	}
	if k, ok := r.ownRequest(f.RequestID); ok {
		if f.UserID != "" {
			r.eventUser(f.UserID)
			if f.UserID != r.UserID {
				note |= NoteOtherUser
			}
		}
		if f.Type == ev.Completed && !r.answered(k) && !bytes.Contains(f.Data, []byte(r.canary(k))) {
			note |= NoteNoOwnCanary
		}
	}
	if found := r.ledger.Foreign(f.Raw, r.Plan.Index); len(found) > 0 {
		where := fmt.Sprintf("%s frame on connection %d", frameName(f.Type), rec.Conn)
		for _, o := range found {
			l := r.leak(o, where)
			if n := len(l.Frames); at >= 0 && (n == 0 || l.Frames[n-1] != at) {
				l.Frames = append(l.Frames, at)
			}
		}
		note |= NoteForeign
	}
	return note
}

// screenREST records any leak answer a carries; at is where a will be
// kept (-1: it will not). It reports whether a carried another user's data.
func (r *Result) screenREST(a REST, at int) bool {
	found := r.ledger.Foreign(a.Resp.Body, r.Plan.Index)
	for _, o := range found {
		l := r.leak(o, a.Route+" answer")
		l.Routes[a.Route] = true
		if n := len(l.REST); at >= 0 && (n == 0 || l.REST[n-1] != at) {
			l.REST = append(l.REST, at)
		}
	}
	return len(found) > 0
}

// leak counts marker o found where, and returns the leak from its owner.
func (r *Result) leak(o Owner, where string) *Leak {
	if r.Leaks == nil {
		r.Leaks = map[int]*Leak{}
	}
	l := r.Leaks[o.User]
	if l == nil {
		l = &Leak{Kinds: map[string]bool{}, Where: map[string]bool{}, Routes: map[string]bool{}, Markers: map[string]bool{}}
		r.Leaks[o.User] = l
	}
	l.Kinds[o.Kind] = true
	l.Where[where] = true
	l.Count++
	if !l.Markers[o.Value] && len(l.Markers) < maxLeakMarkers {
		l.Markers[o.Value] = true
		if owner := r.ledger.Result(o.User); owner != nil && len(l.OwnerSent) < maxSent {
			for _, s := range owner.SentFrames() {
				if bytes.Contains(s.Raw, []byte(o.Value)) && !hasSent(l.OwnerSent, s) {
					l.OwnerSent = append(l.OwnerSent, s)
				}
			}
		}
	}
	return l
}

func hasSent(ss []Sent, s Sent) bool {
	for _, x := range ss {
		if x.At.Equal(s.At) && x.Conn == s.Conn {
			return true
		}
	}
	return false
}

// canary returns the canary of r's message k: the message's own, while
// it is kept, or derived again.
func (r *Result) canary(k int) string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if m := r.Messages[i]; m.Index == k {
			return m.Canary
		}
	}
	_, c, _ := r.Plan.MessageAt(k)
	return c
}

// eventUser remembers a user id an event of r's own request named.
func (r *Result) eventUser(id string) {
	for _, u := range r.Identity.Events {
		if u == id {
			return
		}
	}
	if len(r.Identity.Events) < maxEventIDs {
		r.Identity.Events = append(r.Identity.Events, id)
	}
}

// answered reports whether r's message k had an answer before, and marks
// it answered.
func (r *Result) answered(k int) bool {
	w, b := k/64, uint64(1)<<(k%64)
	for len(r.answers) <= w {
		r.answers = append(r.answers, 0)
	}
	was := r.answers[w]&b != 0
	r.answers[w] |= b
	return was
}

// SentFrames returns the frames r sent most recently (at most maxSent).
func (r *Result) SentFrames() []Sent {
	r.sentMu.Lock()
	defer r.sentMu.Unlock()
	return append([]Sent(nil), r.Sent...)
}

// addSent records a frame r sent, keeping the latest maxSent.
func (r *Result) addSent(s Sent) {
	r.sentMu.Lock()
	defer r.sentMu.Unlock()
	if r.Sent == nil {
		r.Sent = make([]Sent, 0, maxSent)
	}
	if len(r.Sent) == maxSent {
		copy(r.Sent, r.Sent[1:])
		r.Sent = r.Sent[:maxSent-1]
	}
	r.Sent = append(r.Sent, s)
}

// Recent returns the plain frames r received most recently, of its
// latest message, oldest first (at most maxRecent).
func (r *Result) Recent() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recentFrames()
}

// snapshot keeps with m, a message that failed, what r has of its
// request: the frames naming it, greetings, error and unreadable frames
// (kept, recent and pending), and the frame that sent it.
func (r *Result) snapshot(m *Message) {
	r.mu.Lock()
	r.settle(false)
	want := func(rec Received) bool {
		f := rec.Frame
		return f.RequestID == m.RequestID || f.ConnectionID != "" || f.Type == "error" || f.Err != nil
	}
	for _, rec := range append(r.recentFrames(), r.Frames...) {
		if want(rec) {
			m.Frames = append(m.Frames, rec)
		}
	}
	r.mu.Unlock()
	for _, s := range r.SentFrames() {
		if bytes.Contains(s.Raw, []byte(m.RequestID)) {
			m.Sent = append(m.Sent, s)
		}
	}
}

func frameName(t string) string {
	if t == "" {
		return "unparsed"
	}
	return t
}

// eventsOf returns the profile's frame names, or the reference's.
func eventsOf(p profile.Profile) profile.Events {
	if p.Name == "" {
		return profile.Default().Events
	}
	return p.Events
}
