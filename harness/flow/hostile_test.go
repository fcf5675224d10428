package flow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/harness/tokens"
)

// startSUT starts the reference services with the given faults.
func startSUT(t *testing.T, fs ...faults.Name) *sut.SUT {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := sut.Start(ctx, sut.Options{Faults: faults.Of(fs...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newEnv targets s, with the backend and gateway URLs replaced when given.
func newEnv(t *testing.T, s *sut.SUT, backendURL, wsURL string, edit func(*profile.Profile)) *harness.Env {
	t.Helper()
	if backendURL == "" {
		backendURL = s.BackendURL
	}
	if wsURL == "" {
		wsURL = s.WSURL
	}
	p := profile.Default()
	if edit != nil {
		edit(&p)
	}
	env, err := harness.NewEnv(harness.Target{
		Kind: "local", AuthURL: s.AuthURL, BackendURL: backendURL, WSURL: wsURL, Origin: sut.DefaultOrigin,
		ServiceID: s.HarnessServiceID, ServiceSecret: s.HarnessServiceSecret, Profile: p,
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func plan(tag string) *flow.Plan {
	return &flow.Plan{Email: tag + "@example.test", Name: tag, Password: "correct horse battery", Tag: tag, Seed: 7, Count: 1}
}

func run(t *testing.T, env *harness.Env, p *flow.Plan) *flow.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return (&flow.Driver{Env: env}).Run(ctx, p)
}

// script writes what a scripted gateway sends after one user_message.
type script func(ctx context.Context, ws *websocket.Conn, ev func(typ string, edit func(map[string]any)) []byte) error

// fakeGateway greets every connection as its token's sub and answers each
// user_message with run.
func fakeGateway(t *testing.T, run script) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, err := tokens.Subject(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			http.Error(w, `{"error":"malformed"}`, http.StatusUnauthorized)
			return
		}
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // any Origin
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		hello := fmt.Appendf(nil, `{"type":"connection_established","user_id":%q,"connection_id":"c1","timestamp":1}`, sub)
		if ws.Write(ctx, websocket.MessageText, hello) != nil {
			return
		}
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var m struct {
				Payload struct {
					RequestID string `json:"request_id"`
				} `json:"payload"`
			}
			_ = json.Unmarshal(b, &m)
			ev := func(typ string, edit func(map[string]any)) []byte {
				e := map[string]any{"type": typ, "run_id": "run_1", "thread_id": "th_1", "request_id": m.Payload.RequestID,
					"user_id": sub, "agent_name": "gp-agent", "timestamp": 1, "data": map[string]any{}}
				if typ == "tool_executing" || typ == "tool_completed" {
					e["tool_name"] = "lookup_thread_history"
				}
				if typ == "agent_completed" {
					e["data"] = map[string]any{"result": map[string]any{"content": "ok"}}
				}
				if edit != nil {
					edit(e)
				}
				out, _ := json.Marshal(e)
				return out
			}
			if run(ctx, ws, ev) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

// events sends the five events, each edited by edits[type] when present.
func events(edits map[string]func(map[string]any)) script {
	return func(ctx context.Context, ws *websocket.Conn, ev func(string, func(map[string]any)) []byte) error {
		for _, typ := range profile.Default().EventTypes() {
			if err := ws.Write(ctx, websocket.MessageText, ev(typ, edits[typ])); err != nil {
				return err
			}
		}
		return nil
	}
}

func set(k string, v any) func(map[string]any) { return func(e map[string]any) { e[k] = v } }
func del(k string) func(map[string]any)        { return func(e map[string]any) { delete(e, k) } }

// TestFlowRequiresIDs: an event without the ids the golden path relies on
// fails the stage that carried it, with a cause naming the id and how it is
// missing.
func TestFlowRequiresIDs(t *testing.T) {
	s := startSUT(t)
	tests := []struct {
		name  string
		edits map[string]func(map[string]any)
		stage flow.Stage
		cause string
	}{
		{"first event request_id null", map[string]func(map[string]any){"agent_started": set("request_id", nil)},
			flow.StageFirstEvent, "agent_started has request_id null"},
		{"first event without run_id", map[string]func(map[string]any){"agent_started": del("run_id")},
			flow.StageFirstEvent, "first event agent_started has no run_id"},
		{"thread_id null on every event", map[string]func(map[string]any){
			"agent_started": set("thread_id", nil), "agent_thinking": set("thread_id", nil), "tool_executing": set("thread_id", nil),
			"tool_completed": set("thread_id", nil), "agent_completed": set("thread_id", nil)},
			flow.StageFirstEvent, "first event agent_started has thread_id null"},
		{"first event thread_id empty", map[string]func(map[string]any){"agent_started": set("thread_id", "")},
			flow.StageFirstEvent, `has an empty thread_id ("")`},
		{"later event thread_id empty", map[string]func(map[string]any){"agent_thinking": set("thread_id", "")},
			flow.StageStream, `agent_thinking has an empty thread_id ("")`},
		{"later event without request_id", map[string]func(map[string]any){"tool_executing": del("request_id")},
			flow.StageStream, "tool_executing has no request_id"},
		{"later event run_id null", map[string]func(map[string]any){"tool_completed": set("run_id", nil)},
			flow.StageStream, "tool_completed has run_id null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, s, "", fakeGateway(t, events(tt.edits)), nil)
			res := run(t, env, plan(strings.ReplaceAll(tt.name, " ", "-")))
			if len(res.Messages) != 1 || res.Messages[0].Failure == nil {
				t.Fatalf("flow did not fail: %+v", res.Messages)
			}
			f := res.Messages[0].Failure
			if f.Stage != tt.stage || !strings.Contains(f.Cause, tt.cause) {
				t.Errorf("failed at %s: %q; want %s: %q", f.Stage, f.Cause, tt.stage, tt.cause)
			}
			if f.Budget() != nil {
				t.Errorf("a missing id is reported as a budget: %v", f.Budget())
			}
		})
	}
}

// TestFlowNullThreadIDNeverReadsEmptyHistory runs the golden path against
// fault null-thread-id behind a backend that, like the staging system of
// the issue, answers GET /api/threads//messages with the caller's latest
// thread: the flow fails at the first event and never asks for that path.
func TestFlowNullThreadIDNeverReadsEmptyHistory(t *testing.T) {
	s := startSUT(t, faults.NullThreadID)
	target, err := url.Parse(s.BackendURL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var paths []string
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/api/threads//messages" {
			// Lenient staging: no id means the caller's latest thread.
			latest := latestThread(t, s.BackendURL, r.Header.Get("Authorization"))
			r.URL.Path = "/api/threads/" + latest + "/messages"
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	env := newEnv(t, s, srv.URL, "", nil)
	res := run(t, env, plan("nullthread"))
	f := res.Messages[0].Failure
	if f == nil || f.Stage != flow.StageFirstEvent || !strings.Contains(f.Cause, "thread_id null") {
		t.Fatalf("failure %+v, want first_event: thread_id null", f)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if strings.Contains(p, "//") || strings.HasSuffix(p, "/threads/") {
			t.Errorf("the flow asked for %s, a path with an empty id", p)
		}
	}
}

func latestThread(t *testing.T, backendURL, authorization string) string {
	req, _ := http.NewRequest(http.MethodGet, backendURL+"/api/threads", nil)
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	var body struct {
		Threads []struct {
			ID string `json:"id"`
		} `json:"threads"`
	}
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, &body) != nil || len(body.Threads) == 0 {
		return ""
	}
	return body.Threads[len(body.Threads)-1].ID
}

// TestFlowBudgets: a gateway over a budget fails the flow at the stage
// that was waiting, with the *client.BudgetError behind it, and gpcheck
// keeps no frame beyond the budget. The budgets come from the profile.
func TestFlowBudgets(t *testing.T) {
	s := startSUT(t)
	flood := func(ctx context.Context, ws *websocket.Conn, _ func(string, func(map[string]any)) []byte) error {
		for i := 0; ; i++ {
			if err := ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"heartbeat","seq":%d}`, i)); err != nil {
				return err
			}
		}
	}
	tests := []struct {
		name   string
		budget profile.Budgets
		run    script
		stage  flow.Stage
		what   string
	}{
		{"flood before the first event", profile.Budgets{MaxFramesPerRun: 100}, flood, flow.StageFirstEvent, client.BudgetMaxFramesPerRun},
		{"flood mid-stream", profile.Budgets{MaxFramesPerRun: 100},
			func(ctx context.Context, ws *websocket.Conn, ev func(string, func(map[string]any)) []byte) error {
				if err := ws.Write(ctx, websocket.MessageText, ev("agent_started", nil)); err != nil {
					return err
				}
				return flood(ctx, ws, ev)
			}, flow.StageStream, client.BudgetMaxFramesPerRun},
		{"flood over the rate", profile.Budgets{MaxFramesPerSecond: 50, MaxFramesPerRun: 1 << 30, MaxBytesPerRun: 1 << 40},
			flood, flow.StageFirstEvent, client.BudgetMaxFramesPerSecond},
		{"bytes", profile.Budgets{MaxBytesPerRun: 4096}, flood, flow.StageFirstEvent, client.BudgetMaxBytesPerRun},
		{"oversized first event", profile.Budgets{MaxFrameBytes: 64 << 10},
			func(ctx context.Context, ws *websocket.Conn, ev func(string, func(map[string]any)) []byte) error {
				return ws.Write(ctx, websocket.MessageText, ev("agent_started", set("data", strings.Repeat("x", 128<<10))))
			}, flow.StageFirstEvent, client.BudgetMaxFrameBytes},
		{"oversized tool_completed", profile.Budgets{MaxFrameBytes: 64 << 10},
			events(map[string]func(map[string]any){"tool_completed": set("data", strings.Repeat("x", 128<<10))}),
			flow.StageStream, client.BudgetMaxFrameBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, s, "", fakeGateway(t, tt.run), func(p *profile.Profile) {
				// The case's budgets over the defaults.
				for _, f := range []struct{ dst, v *int64 }{
					{&p.Budgets.MaxFrameBytes, &tt.budget.MaxFrameBytes}, {&p.Budgets.MaxFramesPerRun, &tt.budget.MaxFramesPerRun},
					{&p.Budgets.MaxBytesPerRun, &tt.budget.MaxBytesPerRun}, {&p.Budgets.MaxFramesPerSecond, &tt.budget.MaxFramesPerSecond},
				} {
					if *f.v > 0 {
						*f.dst = *f.v
					}
				}
			})
			p := plan(strings.ReplaceAll(tt.name, " ", "-"))
			p.Count = 2
			res := run(t, env, p)
			f := res.Messages[0].Failure
			if f == nil {
				t.Fatal("flow passed")
			}
			be := f.Budget()
			if f.Stage != tt.stage || be == nil || be.What != tt.what {
				t.Fatalf("failed at %s (%q, budget %v); want %s over %s", f.Stage, f.Cause, be, tt.stage, tt.what)
			}
			if !strings.Contains(f.Cause, tt.what) {
				t.Errorf("cause %q does not name the budget", f.Cause)
			}
			// The next message cannot run on the closed connection: it
			// fails at send, as a consequence, not as a second violation.
			if f2 := res.Messages[1].Failure; f2 == nil || f2.Stage != flow.StageSend || f2.Budget() != nil ||
				!strings.Contains(f2.Cause, "connection closed earlier") {
				t.Errorf("second message: %+v", f2)
			}
			if n := len(res.Frames); n > 1+int(env.Target.Profile.Budgets.MaxFramesPerRun) {
				t.Errorf("%d frames kept, beyond the budget of %d", n, env.Target.Profile.Budgets.MaxFramesPerRun)
			}
		})
	}
}

// TestDefaultBudgetsAgree keeps the profile's default budgets and the
// client's the same.
func TestDefaultBudgetsAgree(t *testing.T) {
	if got, want := flow.Budgets(profile.Default().Budgets), client.DefaultBudgets(); got != want {
		t.Errorf("profile default budgets %+v, client defaults %+v", got, want)
	}
}
