package telemetry

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of gpcheck's spans and metrics.
const ScopeName = "github.com/gpcheck/gpcheck/harness"

// Attribute keys of gpcheck's spans and metrics.
const (
	AttrVUser     = attribute.Key("gpcheck.vuser")
	AttrUserIndex = attribute.Key("gpcheck.user.index")
	AttrSeed      = attribute.Key("gpcheck.seed")
	AttrOutcome   = attribute.Key("gpcheck.outcome")
	AttrStage     = attribute.Key("gpcheck.stage")
	AttrMessage   = attribute.Key("gpcheck.message.index")
	AttrRequestID = attribute.Key("gpcheck.request_id")
	AttrRunID     = attribute.Key("gpcheck.run_id")
	AttrThreadID  = attribute.Key("gpcheck.thread_id")
	AttrCause     = attribute.Key("gpcheck.failure.cause")
	AttrKind      = attribute.Key("gpcheck.finding.kind")
	AttrSeverity  = attribute.Key("gpcheck.finding.severity")
)

// Flow outcomes, as the gpcheck.outcome attribute and the gpcheck.flows
// metric name them.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
	// OutcomeDropped: the connection dropped on purpose mid-stream
	// (churn); the flow is not counted.
	OutcomeDropped = "dropped"
	// OutcomeAbandoned: a user who leaves mid-stream; not counted.
	OutcomeAbandoned = "abandoned"
)

// Config is what New needs.
type Config struct {
	// Tracer makes the flows' spans; nil traces nothing (no span, no
	// header). For the derived ids and tracestate, its SDK provider uses
	// IDGenerator and Sampler.
	Tracer trace.TracerProvider
	// Meter, when set, receives the flow metrics. With neither, New
	// returns nil: telemetry off.
	Meter metric.MeterProvider
	// Seed is the run's seed, from which flow ids are derived.
	Seed uint64
	// Attributes go on every flow's root span (the run's target, spec
	// and faults, say).
	Attributes []attribute.KeyValue
}

// Flows is the telemetry of one run's flows. Its methods are safe for
// concurrent use, and a nil *Flows does nothing.
type Flows struct {
	tracer trace.Tracer
	seed   uint64
	attrs  []attribute.KeyValue
	inst   *instruments

	mu   sync.Mutex
	refs map[string]Ref
}

// Ref is a flow's trace and root span ids, in hex.
type Ref struct {
	TraceID, SpanID string
}

// New returns the telemetry of a run's flows, or nil when cfg has
// neither a tracer nor a meter provider. An error means a metric
// instrument could not be made.
func New(cfg Config) (*Flows, error) {
	if cfg.Tracer == nil && cfg.Meter == nil {
		return nil, nil
	}
	tp := cfg.Tracer
	if tp == nil {
		tp = noop.NewTracerProvider() // metrics alone: spans that are not, and no header
	}
	f := &Flows{
		tracer: tp.Tracer(ScopeName),
		seed:   cfg.Seed,
		attrs:  append([]attribute.KeyValue{AttrSeed.String(strconv.FormatUint(cfg.Seed, 10))}, cfg.Attributes...),
		refs:   map[string]Ref{},
	}
	if cfg.Meter != nil {
		inst, err := newInstruments(cfg.Meter.Meter(ScopeName))
		if err != nil {
			return nil, err
		}
		f.inst = inst
	}
	return f, nil
}

// Seed is the seed the flows' ids are derived from.
func (f *Flows) Seed() uint64 {
	if f == nil {
		return 0
	}
	return f.seed
}

// Ref returns the ids of vuser's flow, when one was started.
func (f *Flows) Ref(vuser string) (Ref, bool) {
	if f == nil {
		return Ref{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.refs[vuser]
	return r, ok
}

// FlowInfo describes the flow Start begins.
type FlowInfo struct {
	// VUser names the virtual user ("u0003"); Index is its index.
	VUser string
	Index int
	// Counted is false for users whose flows the completion rate leaves
	// out (those who leave mid-stream).
	Counted bool
	// Attributes go on the flow's root span.
	Attributes []attribute.KeyValue
}

// Start begins a flow: its root span, with the ids FlowIDs derives,
// returned in a context every request of the flow must be made with.
func (f *Flows) Start(ctx context.Context, info FlowInfo) (context.Context, *Flow) {
	if f == nil {
		return ctx, nil
	}
	tid, sid := FlowIDs(f.seed, info.Index)
	attrs := append(append([]attribute.KeyValue{AttrVUser.String(info.VUser), AttrUserIndex.Int(info.Index)}, f.attrs...), info.Attributes...)
	// A flow is a trace of its own, whatever ctx already carries.
	ctx, span := f.tracer.Start(withRootIDs(ctx, tid, sid), "gpcheck.flow", trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if sc := span.SpanContext(); sc.IsValid() {
		f.mu.Lock()
		f.refs[info.VUser] = Ref{TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String()}
		f.mu.Unlock()
	}
	return ctx, &Flow{fs: f, span: span, counted: info.Counted}
}

// Flow is one virtual user's trace in progress. A nil *Flow does nothing.
type Flow struct {
	fs      *Flows
	span    trace.Span
	counted bool
	// outcome is the worst message outcome so far: completed, then failed.
	outcome atomic.Value
}

// Stage begins a live span for a stage of the flow's own (login,
// connect); the requests made with the returned context are its
// children. end finishes it: err, when not nil, fails it; latency, when
// positive and the flow is counted, goes into the stage's latency
// histogram, as the report counts it.
func (f *Flow) Stage(ctx context.Context, stage string) (_ context.Context, end func(err error, latency time.Duration)) {
	if f == nil {
		return ctx, func(error, time.Duration) {}
	}
	ctx, span := f.fs.tracer.Start(ctx, "gpcheck.stage."+stage, trace.WithAttributes(AttrStage.String(stage)))
	return ctx, func(err error, latency time.Duration) {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
			span.SetAttributes(AttrOutcome.String(OutcomeFailed))
		}
		span.End()
		if f.counted && latency > 0 {
			f.fs.inst.stageLatency(stage, latency)
		}
	}
}

// Message begins the span of one message's flow; the user message and
// the requests made with the returned context (the history check) are its
// children, and so, when the platform continues the trace, is the agent
// run it starts.
func (f *Flow) Message(ctx context.Context, index int, requestID string) (context.Context, *Message) {
	if f == nil {
		return ctx, nil
	}
	ctx, span := f.fs.tracer.Start(ctx, "gpcheck.message",
		trace.WithAttributes(AttrMessage.Int(index), AttrRequestID.String(requestID)))
	return ctx, &Message{f: f, ctx: ctx, span: span, start: time.Now()}
}

// Message is one message's span in progress.
type Message struct {
	f     *Flow
	ctx   context.Context
	span  trace.Span
	start time.Time
}

// Start is when the message's span began, which its stages' timings
// count from.
func (m *Message) Start() time.Time {
	if m == nil {
		return time.Time{}
	}
	return m.start
}

// StageTiming is one stage of a message as it ran.
type StageTiming struct {
	Name       string
	Start, End time.Time
	// Latency is the stage's latency as the report counts it; recorded in
	// the stage's histogram when positive and the stage held.
	Latency time.Duration
	// Cause, when set, is why the stage failed.
	Cause string
}

// Outcome is how a message's flow ended.
type Outcome struct {
	// Outcome is one of the Outcome* constants.
	Outcome string
	// Stages are the stages that ran, in order; the failed one last.
	Stages          []StageTiming
	RunID, ThreadID string
}

// End finishes the message: a span per stage that ran (timed as it ran),
// its metrics, and its outcome on the span.
func (m *Message) End(o Outcome) {
	if m == nil {
		return
	}
	t := m.f.fs.tracer
	for _, st := range o.Stages {
		_, s := t.Start(m.ctx, "gpcheck.stage."+st.Name, trace.WithTimestamp(st.Start), trace.WithAttributes(AttrStage.String(st.Name)))
		if st.Cause != "" {
			s.SetStatus(codes.Error, st.Cause)
		} else if m.f.counted && st.Latency > 0 {
			m.f.fs.inst.stageLatency(st.Name, st.Latency)
		}
		s.End(trace.WithTimestamp(st.End))
	}
	attrs := []attribute.KeyValue{AttrOutcome.String(o.Outcome)}
	if o.RunID != "" {
		attrs = append(attrs, AttrRunID.String(o.RunID))
	}
	if o.ThreadID != "" {
		attrs = append(attrs, AttrThreadID.String(o.ThreadID))
	}
	m.span.SetAttributes(attrs...)
	failed := ""
	if o.Outcome == OutcomeFailed && len(o.Stages) > 0 {
		last := o.Stages[len(o.Stages)-1]
		failed = last.Name
		m.span.SetStatus(codes.Error, last.Name+": "+last.Cause)
	}
	m.span.End()
	m.f.Count(o.Outcome, failed)
}

// Count records one message's flow in the flow metrics without a span:
// for messages that never ran (the login failed, say). failedStage names
// where a failed flow failed.
func (f *Flow) Count(outcome, failedStage string) {
	if f == nil {
		return
	}
	if !f.counted && outcome != OutcomeDropped {
		outcome = OutcomeAbandoned
	}
	if outcome == OutcomeFailed {
		f.outcome.Store(OutcomeFailed)
	} else if f.outcome.Load() == nil && outcome == OutcomeCompleted {
		f.outcome.Store(OutcomeCompleted)
	}
	f.fs.inst.flow(outcome, failedStage)
}

// End finishes the flow's root span. err, when not nil, is why the flow
// could not go on (a failed login or connect); otherwise its outcome is
// the worst of its messages'.
func (f *Flow) End(err error) {
	if f == nil {
		return
	}
	outcome, _ := f.outcome.Load().(string)
	switch {
	case err != nil:
		outcome = OutcomeFailed
		f.span.SetStatus(codes.Error, err.Error())
	case !f.counted:
		outcome = OutcomeAbandoned
	case outcome == OutcomeFailed:
		f.span.SetStatus(codes.Error, "a message's flow failed")
	}
	if outcome != "" { // "": no counted message ended
		f.span.SetAttributes(AttrOutcome.String(outcome))
	}
	f.span.End()
}

// Finding records one finding in the gpcheck.findings metric.
func (f *Flows) Finding(kind, severity string) {
	if f == nil {
		return
	}
	f.inst.finding(kind, severity)
}

// instruments are the flow metrics. A nil *instruments records nothing.
type instruments struct {
	flows    metric.Int64Counter
	stage    metric.Float64Histogram
	findings metric.Int64Counter

	start               time.Time
	attempted, complete atomic.Int64
}

// stageBuckets are the latency histogram's bounds, in seconds: from a
// loopback request to the 60 s total SLA.
var stageBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func newInstruments(m metric.Meter) (*instruments, error) {
	in := &instruments{start: time.Now()}
	var errs []error
	var err error
	in.flows, err = m.Int64Counter("gpcheck.flows", metric.WithUnit("{flow}"),
		metric.WithDescription("Flows (one user message each) that ended, by outcome and, for failed ones, the stage that failed."))
	errs = append(errs, err)
	in.stage, err = m.Float64Histogram("gpcheck.stage.duration", metric.WithUnit("s"),
		metric.WithDescription("Golden-path stage latency, as the report counts it."), metric.WithExplicitBucketBoundaries(stageBuckets...))
	errs = append(errs, err)
	in.findings, err = m.Int64Counter("gpcheck.findings", metric.WithUnit("{finding}"),
		metric.WithDescription("Findings of the run, by kind and severity."))
	errs = append(errs, err)
	completion, err := m.Float64ObservableGauge("gpcheck.completion", metric.WithUnit("%"),
		metric.WithDescription("Completed flows among the counted flows that ended so far, in percent."))
	errs = append(errs, err)
	rate, err := m.Float64ObservableGauge("gpcheck.flows.rate", metric.WithUnit("{flow}/s"),
		metric.WithDescription("Counted flows that ended per second since the run's flows began."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		n, ok := in.attempted.Load(), in.complete.Load()
		if n > 0 {
			o.ObserveFloat64(completion, 100*float64(ok)/float64(n))
		}
		if s := time.Since(in.start).Seconds(); s > 0 {
			o.ObserveFloat64(rate, float64(n)/s)
		}
		return nil
	}, completion, rate)
	if err != nil {
		return nil, err
	}
	return in, nil
}

func (in *instruments) stageLatency(stage string, d time.Duration) {
	if in == nil {
		return
	}
	in.stage.Record(context.Background(), d.Seconds(), metric.WithAttributes(AttrStage.String(stage)))
}

func (in *instruments) flow(outcome, failedStage string) {
	if in == nil {
		return
	}
	switch outcome {
	case OutcomeCompleted:
		in.attempted.Add(1)
		in.complete.Add(1)
	case OutcomeFailed:
		in.attempted.Add(1)
	}
	attrs := []attribute.KeyValue{AttrOutcome.String(outcome)}
	if failedStage != "" {
		attrs = append(attrs, AttrStage.String(failedStage))
	}
	in.flows.Add(context.Background(), 1, metric.WithAttributes(attrs...))
}

func (in *instruments) finding(kind, severity string) {
	if in == nil {
		return
	}
	in.findings.Add(context.Background(), 1, metric.WithAttributes(AttrKind.String(kind), AttrSeverity.String(severity)))
}
