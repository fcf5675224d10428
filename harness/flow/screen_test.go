package flow

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/profile"
)

// screened returns a ledger with users 0 and 1 joined, their user ids
// owned, and their results.
func screened(t *testing.T) (*Ledger, *Result, *Result) {
	t.Helper()
	l := NewLedger(profile.Default())
	a := &Result{Plan: &Plan{Index: 0, Tag: "t", Count: 1}, UserID: "user-a"}
	b := &Result{Plan: &Plan{Index: 1, Tag: "t", Count: 1}, UserID: "user-b"}
	l.Join(a)
	l.Join(b)
	l.Own(0, "user_id", "user-a")
	l.Own(1, "user_id", "user-b")
	a.started, b.started = 1, 1
	return l, a, b
}

func event(typ, user, run, req, content string) client.Frame {
	raw := fmt.Sprintf(`{"type":%q,"user_id":%q,"run_id":%q,"request_id":%q,"data":{"result":{"content":%q}}}`, typ, user, run, req, content)
	return client.Frame{Type: typ, UserID: user, RunID: run, RequestID: req, Raw: []byte(raw), At: time.Now(),
		Data: []byte(fmt.Sprintf(`{"result":{"content":%q}}`, content))}
}

// TestSettleKeepsOnlyWhatShowedSomething: of thousands of a user's own
// frames, screening keeps none whole (but a few recent ones); a frame
// with another user's canary is kept, counted and attributed.
func TestSettleKeepsOnlyWhatShowedSomething(t *testing.T) {
	l, a, b := screened(t)
	text, _, req := a.Plan.MessageAt(0)
	_, bCanary, _ := b.Plan.MessageAt(0)
	l.Own(0, "run_id", "run-a")
	for i := 0; i < 5000; i++ {
		a.record(0, event("agent_thinking", "user-a", "run-a", req, text))
	}
	a.record(1, event("agent_thinking", "user-a", "run-a", req, "hello "+bCanary))
	if n := len(a.Recent()); n != maxRecent {
		t.Errorf("%d recent frames, want %d", n, maxRecent)
	}
	a.Settle()
	if len(a.Frames) != 1 || a.Frames[0].Note != NoteForeign || a.Frames[0].Conn != 1 {
		t.Fatalf("kept %d frames (%+v), want the one with another user's canary", len(a.Frames), a.Frames)
	}
	if n := len(a.Recent()); n != 0 {
		t.Errorf("%d recent frames kept once settled, want none", n)
	}
	lk := a.Leaks[1]
	if lk == nil || lk.Count != 1 || !lk.Kinds["canary"] || len(lk.Frames) != 1 || lk.Frames[0] != 0 || !lk.Where["agent_thinking frame on connection 1"] {
		t.Fatalf("leak %+v", lk)
	}
	if len(a.Leaks) != 1 {
		t.Errorf("leaks from %d users, want 1", len(a.Leaks))
	}
}

// TestSettleWaitsForOwners: a frame that carries another user's run id
// before that user's first event has named it waits, and is judged once
// the owner is known. Judging it on arrival would miss the leak.
func TestSettleWaitsForOwners(t *testing.T) {
	l, a, b := screened(t)
	_, _, req := a.Plan.MessageAt(0)
	b.await() // b has sent; its first event is on its way
	a.record(0, event("agent_started", "user-x", "run-b", req, ""))
	if a.screened != 0 || len(a.Frames) != 1 {
		t.Fatalf("a frame was judged while its owner was unknown: %d screened of %d", a.screened, len(a.Frames))
	}
	l.Own(1, "run_id", "run-b")
	b.resolve()
	a.record(0, event("agent_thinking", "user-a", "", req, ""))
	if a.Leaks[1] == nil || !a.Leaks[1].Kinds["run_id"] {
		t.Fatalf("the frame with b's run id was not attributed once b named it: %+v", a.Leaks)
	}
}

// TestSettleJudgesRESTAnswers: a thread's history answers are screened
// like frames: clean ones are not kept (they repeat the whole thread,
// and would grow with its square), one with another user's data is kept
// whole, however many clean ones follow.
func TestSettleJudgesRESTAnswers(t *testing.T) {
	l, a, b := screened(t)
	_, bCanary, _ := b.Plan.MessageAt(0)
	l.Own(1, "thread_id", "th-b")
	route := "GET /api/threads/{id}/messages"
	var msgs []string
	a.AddREST(route, client.Response{Status: 200, Body: []byte(`{"messages":[{"content":"hello ` + bCanary + `"}]}`)})
	for i := 0; i < 200; i++ {
		msgs = append(msgs, fmt.Sprintf(`{"role":"user","content":"message %d"}`, i))
		a.AddREST(route, client.Response{Status: 200, Body: []byte(`{"thread_id":"th-a","messages":[` + strings.Join(msgs, ",") + `]}`)})
	}
	a.AddREST("GET /api/threads", client.Response{Status: 200, Body: []byte(`{"threads":[{"id":"th-b"}]}`)})
	a.Settle()
	if len(a.REST) != 2 {
		t.Fatalf("%d answers kept, want the two with b's data", len(a.REST))
	}
	lk := a.Leaks[1]
	if lk == nil || lk.Count != 2 || !lk.Routes[route] || !lk.Routes["GET /api/threads"] || len(lk.REST) != 2 || len(lk.Frames) != 0 {
		t.Fatalf("leak %+v", lk)
	}
}

// TestSettleMarksIdentityAndAnswers: screening remembers the user ids
// the user's own events name, keeps one that is not the token's, and
// marks a first answer without the message's canary.
func TestSettleMarksIdentityAndAnswers(t *testing.T) {
	_, a, _ := screened(t)
	text, _, req := a.Plan.MessageAt(0)
	a.record(0, client.Frame{Type: "connection_established", ConnectionID: "c1", UserID: "user-a", Raw: []byte(`{}`), At: time.Now()})
	a.record(0, event("agent_started", "user-a", "", req, ""))
	a.record(0, event("agent_thinking", "demo-user", "", req, ""))
	a.record(0, event("agent_completed", "user-a", "", req, "You said: nothing"))
	a.record(0, event("agent_completed", "user-a", "", req, "You said: "+text)) // a second answer: not the first
	a.record(0, event("agent_completed", "demo-user", "", "req-someone-else", "x"))
	a.Settle()
	var notes []Note
	for _, rec := range a.Frames {
		notes = append(notes, rec.Note)
	}
	want := []Note{NoteEstablished, NoteOtherUser, NoteNoOwnCanary}
	if fmt.Sprint(notes) != fmt.Sprint(want) {
		t.Errorf("notes %v, want %v", notes, want)
	}
	if got := strings.Join(a.Identity.Events, ","); got != "user-a,demo-user" {
		t.Errorf("event user ids %q", got)
	}
}

// TestLedgerDerivesMarkers: canaries and request ids of any user of the
// run are recognised from the seed, a forged one is not, and counter ids
// are nobody's.
func TestLedgerDerivesMarkers(t *testing.T) {
	p := &Plan{Index: 7, Tag: "t", Seed: 3}
	c := &Plan{Index: 8, Tag: "t", Seed: 3, CounterIDs: true}
	l := NewLedger(profile.Default(), p, c)
	_, canary, req := p.MessageAt(41)
	_, cCanary, cReq := c.MessageAt(2)
	for _, tt := range []struct {
		s    string
		user int
		kind string
	}{
		{canary, 7, "canary"}, {req, 7, "request_id"}, {cCanary, 8, "canary"},
		{cReq, -1, ""}, {canary[:len(canary)-1] + "0", -1, ""}, {strings.Replace(req, "-t-", "-s-", 1), -1, ""},
		{"req-t-u0007-m41-x", -1, ""}, {"gpc-t-u0007-m", -1, ""}, {"req-t-u9999-m1", -1, ""},
	} {
		o, ok := l.Find(tt.s)
		if ok != (tt.kind != "") || ok && (o.User != tt.user || o.Kind != tt.kind) {
			t.Errorf("Find(%q) = %+v, %v; want user %d %s", tt.s, o, ok, tt.user, tt.kind)
		}
	}
}

// TestLedgerForgetsOldRuns: the ledger keeps each user's latest run ids
// only, so that it does not grow with the flows; thread and user ids stay.
func TestLedgerForgetsOldRuns(t *testing.T) {
	l := NewLedger(profile.Default())
	l.Own(0, "thread_id", "th-0")
	for i := 0; i < 3*keptRuns; i++ {
		l.Own(0, "run_id", fmt.Sprintf("run-%d", i))
	}
	l.Own(1, "run_id", "run-of-1")
	for i := 0; i < 3*keptRuns; i++ {
		_, ok := l.Find(fmt.Sprintf("run-%d", i))
		if want := i >= 2*keptRuns; ok != want {
			t.Errorf("run-%d known: %v, want %v", i, ok, want)
		}
	}
	for _, s := range []string{"th-0", "run-of-1"} {
		if _, ok := l.Find(s); !ok {
			t.Errorf("%s forgotten", s)
		}
	}
}
