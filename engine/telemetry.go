package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	fixtel "github.com/gpcheck/gpcheck/fixtures/telemetry"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/telemetry"
	"github.com/gpcheck/gpcheck/reports"
)

// Telemetry is how a run traces its flows and exports its metrics over
// OpenTelemetry (README, "Tracing"). The zero value traces only when the
// standard OTEL_EXPORTER_OTLP_* variables name an endpoint.
type Telemetry struct {
	// Endpoint is the OTLP/HTTP base URL (http://collector:4318) that
	// spans (/v1/traces) and metrics (/v1/metrics) go to; it overrides
	// OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal variables.
	Endpoint string
	// PropagateOnly sends the W3C trace context on every request, the
	// flows' ids recorded in the findings, and exports nothing
	// (--traceparent-only): for a platform that exports its own spans.
	PropagateOnly bool
	// TraceState is the vendor tracestate ("vendor=value,…") sent with
	// every traceparent; empty sends none.
	TraceState string
	// MetricsInterval is how often metrics are exported while the run
	// goes on; 0 means OTEL_METRIC_EXPORT_INTERVAL, else 15 s.
	MetricsInterval time.Duration
	// MetricsAddr, when set, is where GET /metrics serves the run's
	// metrics in the Prometheus text format while it goes on
	// (--metrics-addr), with or without tracing.
	MetricsAddr string
}

// The modes of reports.Tracing.
const (
	tracingOTLP      = "otlp"
	tracingPropagate = "propagate"
)

// runTelemetry is one run's OpenTelemetry: the SDK's providers (never the
// global ones), the flows' telemetry handed to the harness, and the first
// export failure.
type runTelemetry struct {
	mode      string // "" when the run serves metrics only
	tracesURL string // where the local reference services export too
	flows     *telemetry.Flows
	tp        *sdktrace.TracerProvider
	mp        *sdkmetric.MeterProvider
	prom      *metricsServer
	log       io.Writer
	errOnce   sync.Once
	mu        sync.Mutex
	exportErr error
	stopOnce  sync.Once
}

// exportTimeout bounds one export; shutdownBudget bounds the final
// flush of a run whose exports went well (one that already failed gets
// a tenth of it): a collector that is slow or down never holds up a
// run's end for long.
const (
	exportTimeout  = 5 * time.Second
	shutdownBudget = 3 * time.Second
)

// startTelemetry sets up the run's telemetry from t and the OTEL_*
// variables getenv reads: nil when the run neither traces nor serves
// metrics. An error is a setting gpcheck cannot use (a malformed endpoint
// or tracestate, a metrics address it cannot listen on).
func startTelemetry(ctx context.Context, t Telemetry, spec Spec, getenv func(string) string, log io.Writer) (*runTelemetry, error) {
	state, err := trace.ParseTraceState(t.TraceState)
	if err != nil {
		return nil, setupf("--tracestate %q: %v", t.TraceState, err)
	}
	tracesURL, metricsURL := signalURLs(t.Endpoint, getenv)
	rt := &runTelemetry{log: log}
	switch {
	case t.PropagateOnly:
		rt.mode = tracingPropagate
		tracesURL, metricsURL = "", ""
	case tracesURL != "" || metricsURL != "":
		rt.mode = tracingOTLP
	case t.TraceState != "":
		return nil, setupf("--tracestate needs tracing: --otlp-endpoint, OTEL_EXPORTER_OTLP_ENDPOINT or --traceparent-only")
	case t.MetricsAddr == "":
		return nil, nil
	}
	for _, u := range []string{tracesURL, metricsURL} {
		if u == "" {
			continue
		}
		if err := fixtel.CheckEndpoint(u); err != nil {
			return nil, setupf("%v", err)
		}
	}
	res := resource.NewSchemaless(attribute.String("service.name", "gpcheck"))
	cfg := telemetry.Config{Seed: spec.Seed, Attributes: runAttributes(spec)}
	if rt.mode != "" {
		topts := []sdktrace.TracerProviderOption{
			sdktrace.WithResource(res),
			sdktrace.WithIDGenerator(telemetry.IDGenerator{}),
			sdktrace.WithSampler(telemetry.Sampler(state)),
		}
		if tracesURL != "" {
			exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tracesURL), otlptracehttp.WithTimeout(exportTimeout),
				otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
			if err != nil {
				return nil, setupf("OTLP trace exporter: %v", err)
			}
			// Batched and bounded: a full queue drops spans rather than
			// slowing a flow down.
			topts = append(topts, sdktrace.WithBatcher(&spanExporter{SpanExporter: exp, fail: rt.fail},
				sdktrace.WithMaxQueueSize(16384), sdktrace.WithMaxExportBatchSize(1024),
				sdktrace.WithBatchTimeout(2*time.Second), sdktrace.WithExportTimeout(exportTimeout)))
			rt.tracesURL = tracesURL
		}
		rt.tp = sdktrace.NewTracerProvider(topts...)
		cfg.Tracer = rt.tp
	}
	var readers []sdkmetric.Option
	if metricsURL != "" {
		exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(metricsURL), otlpmetrichttp.WithTimeout(exportTimeout),
			otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: false}))
		if err != nil {
			rt.shutdown()
			return nil, setupf("OTLP metric exporter: %v", err)
		}
		ropts := []sdkmetric.PeriodicReaderOption{sdkmetric.WithTimeout(exportTimeout)}
		if iv := metricsInterval(t.MetricsInterval, getenv); iv > 0 {
			ropts = append(ropts, sdkmetric.WithInterval(iv))
		}
		readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(&metricExporter{Exporter: exp, fail: rt.fail}, ropts...)))
	}
	if t.MetricsAddr != "" {
		manual := sdkmetric.NewManualReader()
		if rt.prom, err = startMetricsServer(ctx, t.MetricsAddr, manual); err != nil {
			rt.shutdown()
			return nil, err
		}
		readers = append(readers, sdkmetric.WithReader(manual))
		fmt.Fprintf(log, "metrics: %s while the run goes on\n", rt.prom.URL)
	}
	if len(readers) > 0 {
		rt.mp = sdkmetric.NewMeterProvider(append(readers, sdkmetric.WithResource(res))...)
		cfg.Meter = rt.mp
	}
	rt.flows, err = telemetry.New(cfg)
	if err != nil {
		rt.shutdown()
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	return rt, nil
}

// signalURLs are the OTLP/HTTP URLs of traces and metrics: endpoint's
// /v1/traces and /v1/metrics when given, else the standard variables'
// (the per-signal ones as they are, OTEL_EXPORTER_OTLP_ENDPOINT with the
// signal's path), each "" when switched off (OTEL_SDK_DISABLED,
// OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER none) or not named.
func signalURLs(endpoint string, getenv func(string) string) (traces, metrics string) {
	if endpoint != "" {
		return fixtel.SignalURL(endpoint, "traces"), fixtel.SignalURL(endpoint, "metrics")
	}
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return "", ""
	}
	base := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	pick := func(signal, specific, exporter string) string {
		if strings.EqualFold(getenv(exporter), "none") {
			return ""
		}
		if u := strings.TrimSpace(getenv(specific)); u != "" {
			return u
		}
		if base != "" {
			return fixtel.SignalURL(base, signal)
		}
		return ""
	}
	return pick("traces", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER"),
		pick("metrics", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_METRICS_EXPORTER")
}

// metricsInterval is the metric export interval: given, else
// OTEL_METRIC_EXPORT_INTERVAL (milliseconds), else 15 s.
func metricsInterval(given time.Duration, getenv func(string) string) time.Duration {
	if given > 0 {
		return given
	}
	if ms, err := strconv.Atoi(strings.TrimSpace(getenv("OTEL_METRIC_EXPORT_INTERVAL"))); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return 15 * time.Second
}

// runAttributes are the run's spec, on every flow's root span.
func runAttributes(spec Spec) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("gpcheck.target", spec.Target),
		attribute.Int("gpcheck.users", spec.Users),
		attribute.Int("gpcheck.messages", spec.Messages),
	}
	if len(spec.Faults) > 0 {
		attrs = append(attrs, attribute.StringSlice("gpcheck.faults", spec.Faults))
	}
	if spec.LabelFilter != "" {
		attrs = append(attrs, attribute.String("gpcheck.label_filter", spec.LabelFilter))
	}
	if spec.Shard != "" {
		attrs = append(attrs, attribute.String("gpcheck.shard", spec.Shard))
	}
	return attrs
}

// fail notes an export failure: the first is told once to the log and
// kept for the report; none is a finding, and none stops the run.
func (rt *runTelemetry) fail(err error) {
	if rt == nil || err == nil {
		return
	}
	rt.errOnce.Do(func() {
		rt.mu.Lock()
		rt.exportErr = err
		rt.mu.Unlock()
		fmt.Fprintf(rt.log, "gpcheck: telemetry export failed, the run goes on without it (further failures not shown): %s\n", reports.Printable(err.Error()))
	})
}

// firstError is the first export failure, or nil.
func (rt *runTelemetry) firstError() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.exportErr
}

// Flows is the flows' telemetry for the harness; nil when the run traces
// nothing.
func (rt *runTelemetry) Flows() *telemetry.Flows {
	if rt == nil {
		return nil
	}
	return rt.flows
}

// servicesEndpoint is where the local reference services export their
// spans: gpcheck's own traces URL, "" when gpcheck exports none.
func (rt *runTelemetry) servicesEndpoint() string {
	if rt == nil {
		return ""
	}
	return rt.tracesURL
}

// onServiceError is the reference services' export failure sink: the
// run's, so that it is told once in all.
func (rt *runTelemetry) onServiceError() func(error) {
	if rt == nil {
		return nil
	}
	return rt.fail
}

// annotate records in each finding the traces of the flows it involves:
// its user's and its others', as the flows ran them in this process or,
// for users other shards ran, as their seed derives them.
func (rt *runTelemetry) annotate(fs []reports.Finding, o load.Options) {
	if rt == nil || rt.flows == nil || rt.mode == "" {
		return
	}
	var index map[string]int // the run's users by label, made when needed
	ref := func(vuser, role string) (reports.TraceRef, bool) {
		if r, ok := rt.flows.Ref(vuser); ok {
			return reports.TraceRef{VUser: vuser, Role: role, TraceID: r.TraceID, SpanID: r.SpanID}, true
		}
		if index == nil {
			index = map[string]int{}
			users, abandoners := load.Plans(o)
			for _, p := range append(users, abandoners...) {
				index[p.Label()] = p.Index
			}
		}
		i, ok := index[vuser]
		if !ok {
			return reports.TraceRef{}, false
		}
		tid, sid := telemetry.FlowIDs(rt.flows.Seed(), i)
		return reports.TraceRef{VUser: vuser, Role: role, TraceID: tid.String(), SpanID: sid.String()}, true
	}
	for i := range fs {
		f := &fs[i]
		user, other := "user", "other"
		if f.Kind == reports.KindIsolationLeak {
			user, other = "receiver", "owner"
		}
		var refs []reports.TraceRef
		for _, v := range f.Others {
			if r, ok := ref(v, other); ok {
				refs = append(refs, r)
			}
		}
		if f.VUser != "" {
			if r, ok := ref(f.VUser, user); ok {
				refs = append(refs, r)
			}
		}
		if f.Kind != reports.KindIsolationLeak && len(refs) > 1 {
			// The user's own flow first; a leak leads with the owner's,
			// whose trace holds the leaked run.
			refs = append(refs[len(refs)-1:], refs[:len(refs)-1]...)
		}
		f.Traces = refs
	}
}

// record counts the report's findings in the findings metric.
func (rt *runTelemetry) record(r *reports.Report) {
	if rt == nil {
		return
	}
	for _, f := range r.Findings {
		rt.flows.Finding(string(f.Kind), string(f.Severity))
	}
}

// report is the report's account of the run's tracing.
func (rt *runTelemetry) report() *reports.Tracing {
	if rt == nil || rt.mode == "" {
		return nil
	}
	t := &reports.Tracing{Mode: rt.mode}
	if err := rt.firstError(); err != nil {
		t.ExportError = reports.Printable(err.Error())
	}
	return t
}

// shutdown exports what is queued and stops the providers, within
// shutdownBudget, or a tenth of it once an export has failed (the
// collector is not there: waiting would only slow the run's end). Only
// the first call does anything.
func (rt *runTelemetry) shutdown() {
	if rt == nil {
		return
	}
	rt.stopOnce.Do(rt.stop)
}

func (rt *runTelemetry) stop() {
	budget := shutdownBudget
	if rt.firstError() != nil {
		budget /= 10
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	rt.prom.stop(ctx)
	var wg sync.WaitGroup
	if rt.mp != nil {
		wg.Go(func() { _ = rt.mp.Shutdown(ctx) })
	}
	if rt.tp != nil {
		wg.Go(func() { _ = rt.tp.Shutdown(ctx) })
	}
	wg.Wait()
}

// spanExporter hands every export failure to fail and reports none to
// the SDK, whose global error handler would print one line per batch.
type spanExporter struct {
	sdktrace.SpanExporter
	fail func(error)
}

func (e *spanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := e.SpanExporter.ExportSpans(ctx, spans); err != nil && !errors.Is(err, context.Canceled) {
		e.fail(fmt.Errorf("export spans: %w", err))
	}
	return nil
}

// metricExporter is spanExporter for metrics.
type metricExporter struct {
	sdkmetric.Exporter
	fail func(error)
}

func (e *metricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if err := e.Exporter.Export(ctx, rm); err != nil && !errors.Is(err, context.Canceled) {
		e.fail(fmt.Errorf("export metrics: %w", err))
	}
	return nil
}
