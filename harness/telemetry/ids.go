// Package telemetry gives gpcheck's virtual users OpenTelemetry traces and
// metrics. Each user's flow (Driver.Run of harness/flow) is one trace:
// every HTTP request and WebSocket handshake of the flow carries its W3C
// trace context (Transport), and so does each user message where the
// profile names a field for it (InjectField); the flow, each of its
// messages and each golden-path stage is a span. Flows, completion, the
// flow rate, stage latencies and findings are metrics.
//
// A flow's trace id and root span id are derived from the run's seed and
// the user's index (FlowIDs): a finding can name the traces of the flows
// it involves without the checks recording anything, users of other
// shards included, and a replay with the same seed sends the same ids, so
// that its spans sit beside the original run's in the platform's tracing
// UI. Runs with a random seed (the default) get fresh ids.
//
// The package holds no global state: the engine builds the SDK's
// providers and passes them to New (with IDGenerator and Sampler, which
// make the derived ids and the tracestate real). A nil *Flows is tracing
// switched off: every method is a no-op and no header is sent.
package telemetry

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// FlowIDs returns the trace id and root span id of the flow of virtual
// user index in a run with seed: the first 24 bytes of
// SHA-256("gpcheck flow", seed, index). The same seed and user always
// give the same ids; different users or seeds, different ones.
func FlowIDs(seed uint64, index int) (trace.TraceID, trace.SpanID) {
	var in [12 + 16]byte
	copy(in[:], "gpcheck flow")
	binary.BigEndian.PutUint64(in[12:], seed)
	binary.BigEndian.PutUint64(in[20:], uint64(index))
	sum := sha256.Sum256(in[:])
	var tid trace.TraceID
	var sid trace.SpanID
	copy(tid[:], sum[:16])
	copy(sid[:], sum[16:24])
	// All-zero ids are invalid in W3C trace context; a hash makes them
	// all but impossible, and this makes them impossible.
	if !tid.IsValid() {
		tid[15] = 1
	}
	if !sid.IsValid() {
		sid[7] = 1
	}
	return tid, sid
}

// rootIDsKey carries the ids a flow's root span must get to IDGenerator.
type rootIDsKey struct{}

type rootIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

// withRootIDs asks IDGenerator to give the next root span started from
// ctx these ids.
func withRootIDs(ctx context.Context, tid trace.TraceID, sid trace.SpanID) context.Context {
	return context.WithValue(ctx, rootIDsKey{}, rootIDs{tid, sid})
}

// IDGenerator is the SDK id generator of gpcheck's tracer provider: a
// flow's root span gets the ids FlowIDs derives (Flows.Start puts them in
// its context), every other span random ids. Pass it with
// sdktrace.WithIDGenerator; with another generator, flows get random ids,
// which Flows.Ref still reports.
type IDGenerator struct{}

var _ sdktrace.IDGenerator = IDGenerator{}

// NewIDs returns the ids Flows.Start asked for, or random ones.
func (IDGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if ids, ok := ctx.Value(rootIDsKey{}).(rootIDs); ok {
		return ids.trace, ids.span
	}
	return randomTraceID(), randomSpanID()
}

// NewSpanID returns a random span id: only roots are derived.
func (IDGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return randomSpanID() }

func randomTraceID() trace.TraceID {
	var t trace.TraceID
	for !t.IsValid() {
		binary.BigEndian.PutUint64(t[:8], rand.Uint64())
		binary.BigEndian.PutUint64(t[8:], rand.Uint64())
	}
	return t
}

func randomSpanID() trace.SpanID {
	var s trace.SpanID
	for !s.IsValid() {
		binary.BigEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}

// Sampler is the SDK sampler of gpcheck's tracer provider: every flow is
// sampled (each is evidence, and there are as many as users), a span
// within a sampled trace is sampled, and a root span carries state, the
// vendor tracestate given with --tracestate, so that every traceparent
// goes with it.
func Sampler(state trace.TraceState) sdktrace.Sampler { return sampler{state} }

type sampler struct{ state trace.TraceState }

func (s sampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	psc := trace.SpanContextFromContext(p.ParentContext)
	if !psc.IsValid() {
		return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample, Tracestate: s.state}
	}
	d := sdktrace.Drop
	if psc.IsSampled() {
		d = sdktrace.RecordAndSample
	}
	return sdktrace.SamplingResult{Decision: d, Tracestate: psc.TraceState()}
}

func (s sampler) Description() string { return "gpcheck: every flow, with its tracestate" }
