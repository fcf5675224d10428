package engine

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/telemetry"
	"github.com/gpcheck/gpcheck/reports"
)

func TestSignalURLs(t *testing.T) {
	for _, c := range []struct {
		name                 string
		endpoint             string
		env                  map[string]string
		wantTraces, wantMets string
	}{
		{"off", "", nil, "", ""},
		{"flag", "http://c:4318/", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:1"}, "http://c:4318/v1/traces", "http://c:4318/v1/metrics"},
		{"base variable", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "http://c:4318/v1/traces", "http://c:4318/v1/metrics"},
		{"per-signal variables win", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:1/t", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:1/m"}, "http://t:1/t", "http://m:1/m"},
		{"metrics exporter none", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_METRICS_EXPORTER": "none"}, "http://c:4318/v1/traces", ""},
		{"SDK disabled", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, m := signalURLs(c.endpoint, func(k string) string { return c.env[k] })
			if tr != c.wantTraces || m != c.wantMets {
				t.Errorf("got %q, %q; want %q, %q", tr, m, c.wantTraces, c.wantMets)
			}
		})
	}
}

func TestStartTelemetryModes(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	spec := DefaultSpec()
	spec.Seed = 5
	for _, c := range []struct {
		name     string
		tel      Telemetry
		env      map[string]string
		wantMode string // "" means off
		wantErr  bool
	}{
		{"off by default", Telemetry{}, nil, "", false},
		{"environment", Telemetry{}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, tracingOTLP, false},
		{"flag", Telemetry{Endpoint: "http://127.0.0.1:1"}, nil, tracingOTLP, false},
		{"propagate only wins over the environment", Telemetry{PropagateOnly: true}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, tracingPropagate, false},
		{"tracestate without tracing", Telemetry{TraceState: "a=b"}, nil, "", true},
		{"bad tracestate", Telemetry{PropagateOnly: true, TraceState: "=="}, nil, "", true},
		{"endpoint without scheme", Telemetry{Endpoint: "collector:4318"}, nil, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt, err := startTelemetry(context.Background(), c.tel, spec, env(c.env), io.Discard)
			t.Cleanup(rt.shutdown)
			if c.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				var se *SetupError
				if !errors.As(err, &se) {
					t.Errorf("error %v is not a SetupError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.wantMode == "" {
				if rt != nil || rt.Flows() != nil || rt.report() != nil {
					t.Errorf("tracing is on: %+v", rt)
				}
				return
			}
			if rt.mode != c.wantMode || rt.Flows() == nil {
				t.Errorf("mode %q (flows %v), want %q", rt.mode, rt.Flows(), c.wantMode)
			}
			if c.wantMode == tracingPropagate && rt.servicesEndpoint() != "" {
				t.Errorf("propagate-only makes the services export to %q", rt.servicesEndpoint())
			}
		})
	}
}

// TestAnnotate: a finding records its user's and its others' traces, a
// leak's owner first, as the flows ran them or, for users this process
// did not run (another shard's), as the seed derives them.
func TestAnnotate(t *testing.T) {
	spec := DefaultSpec()
	spec.Seed = 77
	rt, err := startTelemetry(context.Background(), Telemetry{PropagateOnly: true}, spec, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.shutdown)
	_, fl := rt.Flows().Start(context.Background(), telemetry.FlowInfo{VUser: "u0001", Index: 1, Counted: true})
	fl.End(nil)
	ran, _ := rt.Flows().Ref("u0001")
	tid3, sid3 := telemetry.FlowIDs(77, 3)
	fs := []reports.Finding{
		{Kind: reports.KindIsolationLeak, VUser: "u0001", Others: []string{"u0003"}},
		{Kind: reports.KindIdentity, VUser: "u0001", Others: []string{"u0003"}},
		{Kind: reports.KindTokenAccepted, User: "probe-a"},
		{Kind: reports.KindStageFailure, VUser: "u9999"},
	}
	rt.annotate(fs, load.Options{Users: 4, Seed: 77})
	want := [][]reports.TraceRef{
		{{VUser: "u0003", Role: "owner", TraceID: tid3.String(), SpanID: sid3.String()}, {VUser: "u0001", Role: "receiver", TraceID: ran.TraceID, SpanID: ran.SpanID}},
		{{VUser: "u0001", Role: "user", TraceID: ran.TraceID, SpanID: ran.SpanID}, {VUser: "u0003", Role: "other", TraceID: tid3.String(), SpanID: sid3.String()}},
		nil,
		nil,
	}
	for i, f := range fs {
		if len(f.Traces) != len(want[i]) {
			t.Errorf("finding %d: traces %+v, want %+v", i, f.Traces, want[i])
			continue
		}
		for j := range want[i] {
			if f.Traces[j] != want[i][j] {
				t.Errorf("finding %d trace %d: %+v, want %+v", i, j, f.Traces[j], want[i][j])
			}
		}
	}
	if tid1, _ := telemetry.FlowIDs(77, 1); ran.TraceID != tid1.String() {
		t.Errorf("the flow that ran has trace %s, the seed derives %s", ran.TraceID, tid1)
	}
}

// TestMetricsEndpoint: --metrics-addr alone serves the flow metrics in
// the Prometheus text format while the run goes on, and traces nothing.
func TestMetricsEndpoint(t *testing.T) {
	spec := DefaultSpec()
	spec.Seed = 3
	var log strings.Builder
	rt, err := startTelemetry(context.Background(), Telemetry{MetricsAddr: "127.0.0.1:0"}, spec, func(string) string { return "" }, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.shutdown)
	if rt.mode != "" || rt.report() != nil {
		t.Errorf("metrics alone trace: mode %q", rt.mode)
	}
	ctx, fl := rt.Flows().Start(context.Background(), telemetry.FlowInfo{VUser: "u0000", Counted: true})
	if telemetry.Carrier(ctx) != nil {
		t.Error("metrics alone send trace context")
	}
	_, end := fl.Stage(ctx, "login")
	end(nil, 40*time.Millisecond)
	_, m := fl.Message(ctx, 0, "r")
	m.End(telemetry.Outcome{Outcome: telemetry.OutcomeCompleted})
	fl.End(nil)
	rt.Flows().Finding("isolation_leak", "critical")
	if !strings.Contains(log.String(), rt.prom.URL) {
		t.Errorf("the log does not say where the metrics are: %q", log.String())
	}

	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(rt.prom.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{
		"# TYPE gpcheck_flows_total counter",
		`gpcheck_flows_total{gpcheck_outcome="completed"} 1`,
		"# TYPE gpcheck_stage_duration_seconds histogram",
		`gpcheck_stage_duration_seconds_bucket{gpcheck_stage="login",le="0.05"} 1`,
		`gpcheck_stage_duration_seconds_bucket{gpcheck_stage="login",le="+Inf"} 1`,
		`gpcheck_stage_duration_seconds_count{gpcheck_stage="login"} 1`,
		`gpcheck_completion_percent 100`,
		"# TYPE gpcheck_flows_rate_per_second gauge",
		`gpcheck_findings_total{gpcheck_finding_kind="isolation_leak",gpcheck_finding_severity="critical"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	rt.shutdown()
	if _, err := (&http.Client{Timeout: time.Second}).Get(rt.prom.URL); err == nil {
		t.Error("/metrics still answers after the run")
	}
}
