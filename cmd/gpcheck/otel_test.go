package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gpcheck/gpcheck/reports"
)

// otlpSpan is one span an in-process collector received.
type otlpSpan struct {
	service, name           string
	traceID, spanID, parent string
	attrs                   map[string]string
}

// otlpReceiver is a real OTLP/HTTP collector in the test process: it
// decodes every protobuf export request with the OTLP proto types (the
// ones the exporters themselves encode with) and keeps the spans and the
// names of the metrics. Nothing is pulled.
type otlpReceiver struct {
	URL     string
	mu      sync.Mutex
	spans   []otlpSpan
	metrics map[string]bool
	bad     []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{metrics: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *otlpReceiver) serve(w http.ResponseWriter, req *http.Request) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(io.LimitReader(body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var out []byte
	switch req.URL.Path {
	case "/v1/traces":
		var er coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &er); err != nil {
			r.fail("traces: " + err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.addTraces(&er)
		out, _ = proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	case "/v1/metrics":
		var er colmetricpb.ExportMetricsServiceRequest
		if err := proto.Unmarshal(b, &er); err != nil {
			r.fail("metrics: " + err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.addMetrics(&er)
		out, _ = proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
	default:
		r.fail("unexpected path " + req.URL.Path)
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *otlpReceiver) fail(s string) {
	r.mu.Lock()
	r.bad = append(r.bad, s)
	r.mu.Unlock()
}

func (r *otlpReceiver) addTraces(er *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range er.GetResourceSpans() {
		svc := stringAttrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, otlpSpan{service: svc, name: s.GetName(), traceID: hex.EncodeToString(s.GetTraceId()),
					spanID: hex.EncodeToString(s.GetSpanId()), parent: hex.EncodeToString(s.GetParentSpanId()),
					attrs: stringAttrs(s.GetAttributes())})
			}
		}
	}
}

// stringAttrs are the string-valued attributes of kvs.
func stringAttrs(kvs []*commonpb.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		if v, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_StringValue); ok {
			out[kv.GetKey()] = v.StringValue
		}
	}
	return out
}

func (r *otlpReceiver) addMetrics(er *colmetricpb.ExportMetricsServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rm := range er.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				r.metrics[m.GetName()] = true
			}
		}
	}
}

// received returns what the collector has so far.
func (r *otlpReceiver) received() ([]otlpSpan, map[string]bool, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans), maps.Clone(r.metrics), slices.Clone(r.bad)
}

// otelRun runs the gpcheck binary with args and extra environment
// variables, with a fresh report folder, and reads its report.
func otelRun(t *testing.T, timeout time.Duration, env []string, args ...string) (result, *reports.Report, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	args = append(args, "--report-dir", dir, "--no-progress")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gpcheckBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	res := result{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("gpcheck %v did not finish within %s\nstdout:\n%s\nstderr:\n%s", args, timeout, res.stdout, res.stderr)
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run gpcheck %v: %v", args, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("no report (exit %d): %v\nstdout:\n%s\nstderr:\n%s", res.code, err, res.stdout, res.stderr)
	}
	rep, err := reports.ReadJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return res, rep, wall
}

// leakArgs is a run whose gateway routes every user's events to every
// user: isolation findings, each with an owner and a receiver.
var leakArgs = []string{"run", "--seed", "1811", "--users", "4", "--fault", "ws-route-by-short-id", "--label-filter", "isolation"}

// cleanArgs is a short run of the clean reference services.
var cleanArgs = []string{"run", "--seed", "1811", "--users", "4", "--label-filter", "golden-path || isolation"}

// runIDPattern matches the reference backend's run ids.
var runIDPattern = regexp.MustCompile(`run_[0-9a-f]{16}`)

// TestOTelLeakTraceLeadsToBackendSpans is issue #18's proof: one run with
// a cross-user fault, exporting to a real OTLP/HTTP collector in this
// process, yields an isolation finding whose owner trace id is the trace
// of the spans the reference backend exported for the leaked run — the
// gateway passed the owner's context on to the backend — and the root
// span id the finding names is gpcheck's flow span. The run's metrics
// reach the collector too.
func TestOTelLeakTraceLeadsToBackendSpans(t *testing.T) {
	t.Parallel()
	col := newOTLPReceiver(t)
	res, rep, _ := otelRun(t, 2*time.Minute, nil, append(slices.Clone(leakArgs), "--otlp-endpoint", col.URL)...)
	if res.code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, exitFailed, res.stdout, res.stderr)
	}
	if rep.Tracing == nil || rep.Tracing.Mode != "otlp" || rep.Tracing.ExportError != "" {
		t.Fatalf("report tracing %+v, want otlp without export error", rep.Tracing)
	}
	spans, metrics, bad := col.received()
	if len(bad) > 0 {
		t.Fatalf("the collector could not decode: %v", bad)
	}

	// Every leak names its owner's and receiver's traces; find one whose
	// leaked run the backend exported spans for in the owner's trace.
	backendRuns := map[string]map[string]bool{} // trace id → run ids of the backend's agent run spans
	gpcheckSpans := map[string]bool{}           // trace id/span id of gpcheck's flow spans
	for _, s := range spans {
		switch {
		case s.service == "gpcheck-reference-backend" && s.name == "agent run":
			if backendRuns[s.traceID] == nil {
				backendRuns[s.traceID] = map[string]bool{}
			}
			backendRuns[s.traceID][s.attrs["gp.run_id"]] = true
		case s.service == "gpcheck" && s.name == "gpcheck.flow":
			gpcheckSpans[s.traceID+"/"+s.spanID] = true
		}
	}
	leaks, proven := 0, 0
	for _, f := range rep.Findings {
		if f.Kind != reports.KindIsolationLeak || len(f.Others) == 0 {
			continue
		}
		leaks++
		var owner, receiver reports.TraceRef
		for _, tr := range f.Traces {
			switch tr.Role {
			case "owner":
				owner = tr
			case "receiver":
				receiver = tr
			}
		}
		if owner.TraceID == "" || receiver.TraceID == "" || owner.VUser != f.Others[0] || receiver.VUser != f.VUser {
			t.Fatalf("finding %s traces %+v: want the owner %s's and the receiver %s's", f.ID, f.Traces, f.Others[0], f.VUser)
		}
		for _, tr := range []reports.TraceRef{owner, receiver} {
			if !gpcheckSpans[tr.TraceID+"/"+tr.SpanID] {
				t.Errorf("finding %s names %s/%s, which is no flow span gpcheck exported", f.ID, tr.TraceID, tr.SpanID)
			}
		}
		for _, id := range runIDPattern.FindAllString(strings.Join(f.Evidence, "\n"), -1) {
			if backendRuns[owner.TraceID][id] {
				proven++
				break
			}
		}
	}
	if leaks == 0 {
		t.Fatalf("no isolation leak with an owner; findings by kind %v", rep.FindingsByKind)
	}
	t.Logf("%d leaks, %d proven by the backend's spans in the owner's trace; %d spans received", leaks, proven, len(spans))
	if proven == 0 {
		t.Errorf("no leak's owner trace holds the backend's agent run span for a run its evidence shows (%d leaks; backend runs by trace: %v)", leaks, backendRuns)
	}
	for _, d := range rep.Defects {
		if d.Kind == reports.KindIsolationLeak && len(d.Traces) == 0 {
			t.Errorf("defect %s records no trace", d.ID)
		}
	}
	for _, m := range []string{"gpcheck.flows", "gpcheck.stage.duration", "gpcheck.completion", "gpcheck.flows.rate", "gpcheck.findings"} {
		if !metrics[m] {
			t.Errorf("metric %s never reached the collector; got %v", m, metrics)
		}
	}
	for _, want := range []string{"traces: "} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the console shows no trace ids (%q):\n%s", want, res.stdout)
		}
	}
}

// TestOTelUnreachableEndpointChangesNothing: with the collector refusing
// connections, or accepting them and never answering, a run's verdict,
// counts and timing are those of the same run without tracing; the
// failure is told once, on the log and in the report, never as a
// finding. (The run is of the clean services, whose outcome does not
// depend on timing.)
func TestOTelUnreachableEndpointChangesNothing(t *testing.T) {
	t.Parallel()
	refused := func() string { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	hanging := func() string { // accepts, reads, never answers
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { _, _ = io.Copy(io.Discard, c) }()
			}
		}()
		return "http://" + l.Addr().String()
	}()

	base, baseRep, baseWall := otelRun(t, 2*time.Minute, nil, cleanArgs...)
	if base.code != exitOK || baseRep.Completion.Attempted == 0 {
		t.Fatalf("the untraced run: exit %d, completion %+v\n%s", base.code, baseRep.Completion, base.stdout)
	}
	if baseRep.Tracing != nil {
		t.Fatalf("a run without tracing reports tracing %+v", baseRep.Tracing)
	}
	for _, c := range []struct {
		name string
		env  []string
		args []string
		// slack is how much later than the untraced run the process may
		// end: the reference services' shutdown alone varies by 2 s, and
		// the final flushes wait, bounded, on a collector that never
		// answers (gpcheck's 3 s, the services' 2 s); the run's own
		// duration gets none of it.
		slack time.Duration
	}{
		{"connection refused, by flag", nil, []string{"--otlp-endpoint", refused}, 3 * time.Second},
		{"connection refused, by OTEL_EXPORTER_OTLP_ENDPOINT", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + refused}, nil, 3 * time.Second},
		{"never answers", nil, []string{"--otlp-endpoint", hanging}, 10 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, rep, wall := otelRun(t, 2*time.Minute, c.env, append(slices.Clone(cleanArgs), c.args...)...)
			if res.code != base.code || rep.Verdict != baseRep.Verdict {
				t.Errorf("exit %d verdict %s, want %d %s as without tracing\nstdout:\n%s", res.code, rep.Verdict, base.code, baseRep.Verdict, res.stdout)
			}
			if rep.Completion.Attempted != baseRep.Completion.Attempted || rep.Completion.Completed != baseRep.Completion.Completed {
				t.Errorf("completion %+v, want %+v", rep.Completion, baseRep.Completion)
			}
			if len(rep.Findings) != 0 || len(rep.Inconclusive) != 0 {
				t.Errorf("%d findings, %d unjudged; want none, as without tracing", len(rep.Findings), len(rep.Inconclusive))
			}
			// Timing: the run itself within noise of the untraced one.
			if limit := baseRep.DurationMS*3/2 + 2000; rep.DurationMS > limit {
				t.Errorf("the run took %d ms, the untraced one %d ms (limit %d)", rep.DurationMS, baseRep.DurationMS, limit)
			}
			t.Logf("run %d ms (untraced %d ms), process %s (untraced %s)", rep.DurationMS, baseRep.DurationMS, wall, baseWall)
			if limit := baseWall*3/2 + c.slack; wall > limit {
				t.Errorf("gpcheck ran %s, the untraced one %s (limit %s)", wall, baseWall, limit)
			}
			if c.name != "never answers" {
				if rep.Tracing == nil || rep.Tracing.ExportError == "" {
					t.Errorf("report tracing %+v: want the export failure recorded", rep.Tracing)
				}
				if n := strings.Count(res.stdout+res.stderr, "telemetry export failed"); n != 1 {
					t.Errorf("the export failure was told %d times, want once\nstdout:\n%s\nstderr:\n%s", n, res.stdout, res.stderr)
				}
			}
		})
	}
}

// TestOTelTraceparentOnly: --traceparent-only records the flows' traces
// in the findings and exports nothing, even where the environment names
// a collector.
func TestOTelTraceparentOnly(t *testing.T) {
	t.Parallel()
	col := newOTLPReceiver(t)
	res, rep, _ := otelRun(t, 2*time.Minute, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL},
		append(slices.Clone(leakArgs), "--traceparent-only", "--tracestate", "gpcheck=run1811")...)
	if res.code != exitFailed {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if rep.Tracing == nil || rep.Tracing.Mode != "propagate" {
		t.Errorf("report tracing %+v, want propagate", rep.Tracing)
	}
	traced := 0
	for _, f := range rep.Findings {
		if len(f.Traces) > 0 {
			traced++
		}
	}
	if traced == 0 {
		t.Error("no finding records a trace")
	}
	spans, metrics, _ := col.received()
	if len(spans) > 0 || len(metrics) > 0 {
		t.Errorf("exported %d spans and %d metrics; want nothing", len(spans), len(metrics))
	}
	b, _ := json.Marshal(rep.Findings[0].Traces)
	if !regexp.MustCompile(`"trace_id":"[0-9a-f]{32}"`).Match(b) {
		t.Errorf("trace refs %s", b)
	}
}

// TestOTelFlagErrors: tracing settings gpcheck cannot use are usage
// errors, found before anything starts.
func TestOTelFlagErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"tracestate without tracing", []string{"--tracestate", "a=b"}, "--tracestate needs tracing"},
		{"malformed tracestate", []string{"--traceparent-only", "--tracestate", "not a state"}, "--tracestate"},
		{"endpoint not a URL", []string{"--otlp-endpoint", "collector:4318"}, "OTLP endpoint"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := gpcheck(t, time.Minute, append([]string{"run", "--label-filter", "isolation"}, c.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr+r.stdout, c.want) {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", r.code, exitUsage, c.want, r.stdout, r.stderr)
			}
		})
	}
}
