package check

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/reports"
)

func TestRateIsFloored(t *testing.T) {
	tests := []struct {
		done, all int
		want      float64
	}{
		{20, 20, 100},
		{19, 20, 95},
		{9999, 10000, 99.99},
		{199999, 200000, 99.99},
		{1, 3, 33.33},
		{0, 0, 0},
	}
	for _, tt := range tests {
		if got := reports.FloorRate(tt.done, tt.all); got != tt.want {
			t.Errorf("FloorRate(%d, %d) = %v, want %v", tt.done, tt.all, got, tt.want)
		}
	}
}

// user builds a result whose user received exactly its own events.
func user(i int) *flow.Result {
	id := fmt.Sprintf("user-%d", i)
	p := &flow.Plan{Index: i, Tag: "t", Count: 1}
	text, canary, req := p.MessageAt(0)
	m := &flow.Message{RequestID: req, Canary: canary, RunID: fmt.Sprintf("run-%d", i), ThreadID: fmt.Sprintf("th-%d", i)}
	r := &flow.Result{Plan: p, UserID: id, Messages: []*flow.Message{m},
		Identity: flow.Identity{TokenSub: id, Validate: id, Profile: id, Connections: []string{id}}}
	r.Frames = append(r.Frames, flow.Received{Frame: frame("connection_established", id, "", "", "")})
	for _, typ := range profile.Default().EventTypes() {
		r.Frames = append(r.Frames, flow.Received{Frame: frame(typ, id, m.RunID, m.RequestID, `{"result":{"content":"You said: `+text+`"}}`)})
	}
	return r
}

func frame(typ, uid, run, req, data string) client.Frame {
	if data == "" {
		data = "{}"
	}
	raw := fmt.Sprintf(`{"type":%q,"user_id":%q,"run_id":%q,"request_id":%q,"data":%s}`, typ, uid, run, req, data)
	return client.Frame{Type: typ, UserID: uid, RunID: run, RequestID: req, Data: []byte(data), Raw: []byte(raw)}
}

func outcome(rs ...*flow.Result) *load.Outcome { return &load.Outcome{Users: rs} }

func TestIsolation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(a, b *flow.Result)
		want   []string // substrings of the findings' details, in order
	}{
		{"clean", func(a, b *flow.Result) {}, nil},
		{"another user's event", func(a, b *flow.Result) {
			a.Frames = append(a.Frames, b.Frames[1])
		}, []string{"received u0001 (user-1)'s data (canary, request_id, run_id, user_id) 4 time(s), in agent_started frame"}},
		{"another user's canary inside text", func(a, b *flow.Result) {
			a.Frames[5] = flow.Received{Frame: frame("agent_completed", "user-0", "run-0", a.Messages[0].RequestID, `{"result":{"content":"You said: hello `+b.Messages[0].Canary+` and hello `+a.Messages[0].Canary+`"}}`)}
		}, []string{"received u0001 (user-1)'s data (canary)"}},
		{"answer without own canary", func(a, b *flow.Result) {
			a.Frames[5] = flow.Received{Frame: frame("agent_completed", "user-0", "run-0", a.Messages[0].RequestID, `{"result":{"content":"You said: nothing"}}`)}
		}, []string{"lacks the user's own canary"}},
		{"another user's thread in a REST answer", func(a, b *flow.Result) {
			a.AddREST("GET /api/threads", client.Response{Status: 200, Body: []byte(`{"threads":[{"id":"th-1"}]}`)})
		}, []string{"(thread_id) 1 time(s), in GET /api/threads answer"}},
		{"unparsed frame with a canary", func(a, b *flow.Result) {
			a.Frames = append(a.Frames, flow.Received{Frame: client.Frame{Raw: []byte("oops " + b.Messages[0].Canary)}})
		}, []string{"(canary) 1 time(s), in unparsed frame"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := user(0), user(1)
			tt.mutate(a, b)
			fs := Isolation(outcome(a, b))
			if len(fs) != len(tt.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.want), fs)
			}
			for i, w := range tt.want {
				if fs[i].Kind != reports.KindIsolationLeak || !strings.Contains(fs[i].Detail, w) {
					t.Errorf("finding %d = %s %q, want isolation_leak containing %q", i, fs[i].Kind, fs[i].Detail, w)
				}
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *flow.Result)
		want   string
	}{
		{"clean", func(r *flow.Result) {}, ""},
		{"profile by email", func(r *flow.Result) { r.Identity.Profile = "a@x" }, `"a@x" by backend profile`},
		{"profile rejects", func(r *flow.Result) { r.Identity.Profile, r.Identity.ProfileError = "", "HTTP 401" }, "backend profile resolved no user (HTTP 401)"},
		{"event for another user", func(r *flow.Result) { r.Frames[3].Frame.UserID = "demo-user" }, `"demo-user" by events`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := user(0)
			tt.mutate(r)
			fs := Identity(outcome(r))
			if tt.want == "" {
				if len(fs) != 0 {
					t.Fatalf("findings on a clean user: %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Kind != reports.KindIdentity || !strings.Contains(fs[0].Detail, tt.want) {
				t.Fatalf("findings = %+v, want one identity_mismatch containing %q", fs, tt.want)
			}
		})
	}
}

func TestCompletionAttributesStages(t *testing.T) {
	a, b, c := user(0), user(1), user(2)
	b.Messages[0].Failure = &flow.Failure{Stage: flow.StageStream, Cause: "got agent_completed, want tool_completed"}
	c.Messages[0].Failure = &flow.Failure{Stage: flow.StageLogin, Cause: "HTTP 500"}
	comp, stages, fs := Completion(outcome(a, b, c), 100)
	if comp.Attempted != 3 || comp.Completed != 1 || comp.Rate != 33.33 {
		t.Errorf("completion = %+v", comp)
	}
	failed := map[string]int{}
	for _, s := range stages {
		failed[s.Name] = s.Failed
	}
	if failed["stream"] != 1 || failed["login"] != 1 || failed["history"] != 0 {
		t.Errorf("failures by stage = %v", failed)
	}
	if len(fs) != 2 || fs[0].Stage != "stream" || fs[1].Stage != "login" {
		t.Errorf("findings = %+v", fs)
	}
}

// TestIsolationAcrossShards: a user of this shard who receives the data of
// a user another shard drives is caught by the seeded canary or request id
// alone, whatever the message, and the finding names the owner and both
// shards; what the seed would not make is nobody's.
func TestIsolationAcrossShards(t *testing.T) {
	other := &flow.Plan{Index: 1, Tag: "t", Count: 1}
	counter := &flow.Plan{Index: 3, Tag: "t", Count: 1, CounterIDs: true}
	abandoner := &flow.Plan{Index: 10, Tag: "t", Count: 1, Abandon: true}
	_, canary5, req5 := other.MessageAt(5) // further than this shard's users went
	_, abandonerCanary, _ := abandoner.MessageAt(0)
	_, _, counterReq := counter.MessageAt(0)
	forged := canary5[:len(canary5)-1] + "0" // another hash
	if forged == canary5 {
		forged = canary5[:len(canary5)-1] + "1"
	}
	tests := []struct {
		name      string
		shard     load.Shard
		req, text string
		owner     string   // "" when nothing may be reported
		shards    []string // the finding's Shard, then its OtherShards
		detail    string
	}{
		{"canary, unsharded wording", load.Shard{}, "req-x", canary5, "u0001", []string{""}, "u0001 (another shard)"},
		{"canary of a later message", load.Shard{Index: 0, Count: 2}, "req-x", canary5, "u0001", []string{"0/2", "1/2"}, "u0001 runs in shard 1/2, this user in shard 0/2"},
		{"request id alone", load.Shard{Index: 0, Count: 2}, req5, "nothing", "u0001", []string{"0/2", "1/2"}, "request_id"},
		{"shard 0's abandoner, seen from shard 1", load.Shard{Index: 1, Count: 2}, "req-x", abandonerCanary, "u0010", []string{"1/2", "0/2"}, "u0010 runs in shard 0/2, this user in shard 1/2"},
		{"colliding counter request id", load.Shard{Index: 0, Count: 2}, counterReq, "nothing", "", nil, ""},
		{"a canary the seed would not make", load.Shard{Index: 0, Count: 2}, "req-x", forged, "", nil, ""},
		{"another run's tag", load.Shard{Index: 0, Count: 2}, "req-x", strings.Replace(canary5, "-t-", "-s-", 1), "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := user(0)
			if tt.shard.Index == 1 {
				a = user(1)
				a.Plan.Index = 5 // a user of shard 1/2 besides u0001
			}
			a.Frames = append(a.Frames, flow.Received{Frame: frame("agent_completed", "user-x", "run-x", tt.req, `{"result":{"content":"You said: `+tt.text+`"}}`)})
			fs := Isolation(&load.Outcome{Users: []*flow.Result{a}, Others: []*flow.Plan{other, counter, abandoner}, Shard: tt.shard})
			if tt.owner == "" {
				if len(fs) != 0 {
					t.Fatalf("findings = %+v, want none", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("findings = %+v, want one", fs)
			}
			f := fs[0]
			if len(f.Others) != 1 || f.Others[0] != tt.owner || !strings.Contains(f.Detail, tt.detail) {
				t.Errorf("others %v, detail %q; want %s and %q", f.Others, f.Detail, tt.owner, tt.detail)
			}
			if got := append([]string{f.Shard}, f.OtherShards...); strings.Join(got, ",") != strings.Join(tt.shards, ",") {
				t.Errorf("shards %v, want %v", got, tt.shards)
			}
		})
	}
}

// TestIsolationKeepsTransientRESTLeaks: a REST answer that carried
// another user's data once, followed by many clean answers of the same
// route, is judged and kept whole; the clean ones are not kept.
func TestIsolationKeepsTransientRESTLeaks(t *testing.T) {
	a, b := user(0), user(1)
	route := "GET /api/threads/{id}/messages"
	a.AddREST(route, client.Response{Status: 200, Body: []byte(`{"messages":[{"content":"You said: hello ` + b.Messages[0].Canary + `"}]}`)})
	for i := 0; i < 50; i++ {
		a.AddREST(route, client.Response{Status: 200, Body: []byte(`{"messages":[{"content":"You said: hello ` + a.Messages[0].Canary + `"}]}`)})
	}
	fs := Isolation(outcome(a, b))
	if len(fs) != 1 || !strings.Contains(fs[0].Detail, "received u0001 (user-1)'s data (canary) 1 time(s), in "+route+" answer") {
		t.Fatalf("findings %+v", fs)
	}
	if ev := strings.Join(fs[0].Evidence, "\n"); !strings.Contains(ev, route+" → ") || !strings.Contains(ev, b.Messages[0].Canary) {
		t.Errorf("evidence does not show the leaked answer:\n%s", ev)
	}
	if len(a.REST) != 1 {
		t.Errorf("%d answers kept, want the one that leaked", len(a.REST))
	}
}
