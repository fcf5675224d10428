package telemetry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/gpcheck/gpcheck/harness/telemetry"
)

// newFlows returns Flows recording into an in-memory exporter and a
// manual metric reader, with gpcheck's id generator and sampler.
func newFlows(t *testing.T, seed uint64, state string) (*telemetry.Flows, *tracetest.InMemoryExporter, *sdkmetric.ManualReader) {
	t.Helper()
	ts, err := trace.ParseTraceState(state)
	if err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithIDGenerator(telemetry.IDGenerator{}),
		sdktrace.WithSampler(telemetry.Sampler(ts)))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	f, err := telemetry.New(telemetry.Config{Tracer: tp, Meter: mp, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return f, exp, reader
}

func TestFlowIDs(t *testing.T) {
	tid, sid := telemetry.FlowIDs(42, 3)
	if !tid.IsValid() || !sid.IsValid() {
		t.Fatalf("invalid ids %s %s", tid, sid)
	}
	tid2, sid2 := telemetry.FlowIDs(42, 3)
	if tid != tid2 || sid != sid2 {
		t.Errorf("the same seed and user gave %s/%s, then %s/%s", tid, sid, tid2, sid2)
	}
	seen := map[trace.TraceID]string{}
	for _, c := range []struct {
		seed  uint64
		index int
	}{{42, 3}, {42, 4}, {43, 3}, {0, 0}, {1, 0}, {0, 1}} {
		id, _ := telemetry.FlowIDs(c.seed, c.index)
		name := fmt.Sprintf("%d/%d", c.seed, c.index)
		if prev, dup := seen[id]; dup {
			t.Errorf("seed/user %s and %s share trace id %s", name, prev, id)
		}
		seen[id] = name
	}
}

func TestTransport(t *testing.T) {
	ctxWith := func(state string) context.Context {
		ts, _ := trace.ParseTraceState(state)
		tid, sid := telemetry.FlowIDs(7, 1)
		return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts}))
	}
	tid, sid := telemetry.FlowIDs(7, 1)
	want := "00-" + tid.String() + "-" + sid.String() + "-01"
	for _, c := range []struct {
		name                  string
		ctx                   context.Context
		preset                string
		wantParent, wantState string
	}{
		{"no span: no header", context.Background(), "", "", ""},
		{"a span: its traceparent", ctxWith(""), "", want, ""},
		{"with tracestate", ctxWith("vendor=abc"), "", want, "vendor=abc"},
		{"the caller's own header is kept", ctxWith(""), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
			t.Cleanup(srv.Close)
			hc := &http.Client{Transport: telemetry.Transport(srv.Client().Transport), Timeout: 5 * time.Second}
			req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.preset != "" {
				req.Header.Set("traceparent", c.preset)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if g := got.Get("traceparent"); g != c.wantParent {
				t.Errorf("traceparent %q, want %q", g, c.wantParent)
			}
			if g := got.Get("tracestate"); g != c.wantState {
				t.Errorf("tracestate %q, want %q", g, c.wantState)
			}
			if c.preset == "" && req.Header.Get("traceparent") != "" {
				t.Error("the caller's request was changed")
			}
		})
	}
}

func TestInjectField(t *testing.T) {
	tid, sid := telemetry.FlowIDs(9, 2)
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	frame := `{"type":"user_message","payload":{"message":"hi","thread_id":"","request_id":"r1"}}`
	for _, c := range []struct {
		name, field, in string
		ctx             context.Context
		want            bool // the field is added
	}{
		{"no field named", "", frame, traced, false},
		{"no span", "trace_context", frame, context.Background(), false},
		{"the frame gpcheck writes", "trace_context", frame, traced, true},
		{"an empty payload", "tc", `{"type":"user_message","payload":{}}`, traced, true},
		{"payload not last", "tc", `{"payload":{"message":"hi"},"type":"user_message"}`, traced, true},
		{"not JSON", "tc", `not json}}`, traced, false},
		{"no payload object", "tc", `{"type":"user_message","payload":"x"}`, traced, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := telemetry.InjectField(c.ctx, []byte(c.in), c.field)
			if !c.want {
				if string(out) != c.in {
					t.Errorf("frame changed: %s", out)
				}
				return
			}
			var f struct {
				Type    string                     `json:"type"`
				Payload map[string]json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal(out, &f); err != nil {
				t.Fatalf("not JSON: %v: %s", err, out)
			}
			var carrier map[string]string
			if err := json.Unmarshal(f.Payload[c.field], &carrier); err != nil {
				t.Fatalf("payload.%s is not a carrier: %s", c.field, out)
			}
			if want := "00-" + tid.String() + "-" + sid.String() + "-01"; carrier["traceparent"] != want {
				t.Errorf("traceparent %q, want %q", carrier["traceparent"], want)
			}
			if f.Type != "user_message" {
				t.Errorf("type %q lost: %s", f.Type, out)
			}
			if c.in == frame && !strings.HasPrefix(string(out), strings.TrimSuffix(frame, "}}")) {
				t.Errorf("the frame's own bytes changed: %s", out)
			}
		})
	}
}

func TestNilFlowsDoNothing(t *testing.T) {
	var f *telemetry.Flows
	ctx := context.Background()
	ctx2, fl := f.Start(ctx, telemetry.FlowInfo{VUser: "u0000"})
	if ctx2 != ctx || fl != nil {
		t.Fatal("a nil Flows started a flow")
	}
	sctx, end := fl.Stage(ctx, "login")
	end(nil, time.Second)
	mctx, m := fl.Message(ctx, 0, "r")
	m.End(telemetry.Outcome{Outcome: telemetry.OutcomeCompleted})
	fl.Count(telemetry.OutcomeFailed, "login")
	fl.End(nil)
	f.Finding("idor", "high")
	if sctx != ctx || mctx != ctx {
		t.Error("a nil flow changed the context")
	}
	if _, ok := f.Ref("u0000"); ok {
		t.Error("a nil Flows has a ref")
	}
	if tf, err := telemetry.New(telemetry.Config{}); tf != nil || err != nil {
		t.Errorf("New without a tracer = %v, %v; want nil, nil", tf, err)
	}
}

// TestFlowSpans: a flow is a trace with the derived ids and the given
// tracestate, its stages and messages are spans inside it, and the
// metrics count what the report counts.
func TestFlowSpans(t *testing.T) {
	f, exp, reader := newFlows(t, 42, "vendor=gpcheck")
	ctx, fl := f.Start(context.Background(), telemetry.FlowInfo{VUser: "u0003", Index: 3, Counted: true})
	lctx, endLogin := fl.Stage(ctx, "login")
	if !trace.SpanContextFromContext(lctx).IsValid() {
		t.Fatal("the login stage's context holds no span")
	}
	endLogin(nil, 20*time.Millisecond)
	mctx, m := fl.Message(ctx, 0, "req-1")
	sent := m.Start()
	carrier := telemetry.Carrier(mctx)
	m.End(telemetry.Outcome{Outcome: telemetry.OutcomeCompleted, RunID: "run_1", ThreadID: "th_1", Stages: []telemetry.StageTiming{
		{Name: "send", Start: sent, End: sent.Add(time.Millisecond), Latency: time.Millisecond},
		{Name: "first_event", Start: sent.Add(time.Millisecond), End: sent.Add(30 * time.Millisecond), Latency: 30 * time.Millisecond},
	}})
	_, m2 := fl.Message(ctx, 1, "req-2")
	m2.End(telemetry.Outcome{Outcome: telemetry.OutcomeFailed, Stages: []telemetry.StageTiming{
		{Name: "send", Start: sent, End: sent, Cause: "write: broken pipe"},
	}})
	fl.End(nil)
	f.Finding("isolation_leak", "critical")

	tid, sid := telemetry.FlowIDs(42, 3)
	if r, ok := f.Ref("u0003"); !ok || r.TraceID != tid.String() || r.SpanID != sid.String() {
		t.Errorf("Ref = %+v, %v; want %s/%s", r, ok, tid, sid)
	}
	if !strings.Contains(carrier["traceparent"], tid.String()) || carrier["tracestate"] != "vendor=gpcheck" {
		t.Errorf("the message's carrier %v lacks trace %s or the tracestate", carrier, tid)
	}
	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		if s.SpanContext.TraceID() != tid {
			t.Errorf("span %s is in trace %s, not the flow's %s", s.Name, s.SpanContext.TraceID(), tid)
		}
		if _, dup := byName[s.Name]; !dup {
			byName[s.Name] = s
		}
	}
	root, ok := byName["gpcheck.flow"]
	if !ok || root.SpanContext.SpanID() != sid || root.Parent.IsValid() {
		t.Fatalf("root span %+v: want span id %s and no parent", root.SpanContext, sid)
	}
	for name, parent := range map[string]string{"gpcheck.stage.login": "gpcheck.flow", "gpcheck.message": "gpcheck.flow",
		"gpcheck.stage.send": "gpcheck.message", "gpcheck.stage.first_event": "gpcheck.message"} {
		s, ok := byName[name]
		if !ok {
			t.Errorf("no span %s among %d", name, len(spans))
			continue
		}
		if s.Parent.SpanID() != byName[parent].SpanContext.SpanID() {
			t.Errorf("span %s's parent is not %s", name, parent)
		}
	}
	if got := attr(root, "gpcheck.outcome"); got != "failed" {
		t.Errorf("root outcome %q, want failed (message 1 failed)", got)
	}
	if got := attr(root, "gpcheck.vuser"); got != "u0003" {
		t.Errorf("root vuser %q", got)
	}
	if got := attr(root, "gpcheck.seed"); got != "42" {
		t.Errorf("root seed %q", got)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] += float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					got[m.Name] = p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name] += float64(p.Count)
				}
			}
		}
	}
	for name, want := range map[string]float64{"gpcheck.flows": 2, "gpcheck.completion": 50, "gpcheck.findings": 1,
		"gpcheck.stage.duration": 3} { // login, send, first_event: the failed send is not a latency
		if got[name] != want {
			t.Errorf("metric %s = %v, want %v (all: %v)", name, got[name], want, got)
		}
	}
	if got["gpcheck.flows.rate"] <= 0 {
		t.Errorf("gpcheck.flows.rate = %v, want > 0", got["gpcheck.flows.rate"])
	}
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}
