package flow_test

import (
	"context"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/harness/telemetry"
)

// memoryTracer is an SDK tracer provider recording into memory, with
// gpcheck's ids and sampling when harness is set.
func memoryTracer(t *testing.T, harness bool) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp)}
	if harness {
		opts = append(opts, sdktrace.WithIDGenerator(telemetry.IDGenerator{}), sdktrace.WithSampler(telemetry.Sampler(trace.TraceState{})))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// TestFlowIsOneTrace drives one traced flow against the reference
// services, which record their own spans: every span of the flow, the
// harness's and the services', is in the trace the seed derives, and the
// backend's agent run descends from the message's span when the profile
// names a trace field, from the connect stage's (the handshake) when not.
func TestFlowIsOneTrace(t *testing.T) {
	for _, c := range []struct {
		name, field string
		// runParent is the span the gateway's user_message span
		// continues: the harness's message span, or the gateway's own
		// handshake span (itself the child of the connect stage).
		runParent string
	}{
		{"handshake context", "", "GET /ws"},
		{"message trace field", "trace_context", "gpcheck.message"},
	} {
		t.Run(c.name, func(t *testing.T) {
			svcTP, svc := memoryTracer(t, false)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := sut.Start(ctx, sut.Options{TracerProvider: svcTP})
			if err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			closeSUT := func() { once.Do(func() { _ = s.Close() }) }
			t.Cleanup(closeSUT)
			p := profile.Default()
			p.TraceField = c.field
			env, err := harness.NewEnv(harness.Target{Kind: "local", AuthURL: s.AuthURL, BackendURL: s.BackendURL, WSURL: s.WSURL,
				Origin: sut.DefaultOrigin, ServiceID: s.HarnessServiceID, ServiceSecret: s.HarnessServiceSecret, Profile: p})
			if err != nil {
				t.Fatal(err)
			}
			harnessTP, own := memoryTracer(t, true)
			flows, err := telemetry.New(telemetry.Config{Tracer: harnessTP, Seed: 99})
			if err != nil {
				t.Fatal(err)
			}
			env.Trace(flows)
			plan := &flow.Plan{Index: 5, Email: "trace-" + c.field + "@example.test", Name: "trace", Password: "correct horse battery",
				Tag: "trace", Seed: 99, Count: 1}
			res := (&flow.Driver{Env: env}).Run(ctx, plan)
			if len(res.Messages) != 1 || !res.Messages[0].Completed() {
				t.Fatalf("the flow did not complete: %+v", res.Messages)
			}
			closeSUT() // the services' spans end with their handlers
			tid, rootID := telemetry.FlowIDs(99, 5)

			mine := map[string]trace.SpanID{}
			for _, sp := range own.GetSpans() {
				if sp.SpanContext.TraceID() != tid {
					t.Errorf("harness span %s in trace %s, want %s", sp.Name, sp.SpanContext.TraceID(), tid)
				}
				mine[sp.Name] = sp.SpanContext.SpanID()
			}
			if mine["gpcheck.flow"] != rootID {
				t.Errorf("root span id %s, want %s", mine["gpcheck.flow"], rootID)
			}
			for _, st := range flow.Stages() {
				if _, ok := mine["gpcheck.stage."+string(st)]; !ok {
					t.Errorf("no span for stage %s; spans: %v", st, mine)
				}
			}

			theirs := map[string]tracetest.SpanStub{}
			for _, sp := range svc.GetSpans() {
				if sp.SpanContext.TraceID() == tid {
					theirs[sp.Name] = sp
				}
			}
			for _, name := range []string{"POST /auth/login", "GET /ws", "user_message", "POST /internal/agent/runs", "agent run",
				"GET /api/threads/{id}/messages", "POST /auth/validate"} {
				if _, ok := theirs[name]; !ok {
					t.Errorf("the services recorded no span %q in the flow's trace; they did: %v", name, names(theirs))
				}
			}
			run, msg := theirs["agent run"], theirs["user_message"]
			if run.Parent.SpanID() != theirs["POST /internal/agent/runs"].SpanContext.SpanID() ||
				theirs["POST /internal/agent/runs"].Parent.SpanID() != msg.SpanContext.SpanID() {
				t.Error("the agent run does not descend from the gateway's user_message span")
			}
			want, ok := mine[c.runParent]
			if !ok {
				want = theirs[c.runParent].SpanContext.SpanID()
			}
			if msg.Parent.SpanID() != want {
				t.Errorf("the gateway's user_message span continues %s, want %s (%s)", msg.Parent.SpanID(), c.runParent, want)
			}
			if theirs["GET /ws"].Parent.SpanID() != mine["gpcheck.stage.connect"] {
				t.Error("the gateway's handshake span does not continue the connect stage")
			}
		})
	}
}

func names(m map[string]tracetest.SpanStub) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
