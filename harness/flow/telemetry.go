package flow

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/gpcheck/gpcheck/harness/telemetry"
)

// flowTrace is the telemetry of one Driver.Run: the user's trace (see
// harness/telemetry), its live login and connect spans, a span per
// message with a span per stage, and the flow metrics. A nil *flowTrace
// (the Env traces nothing) does nothing. Its methods are called from the
// user's goroutine only.
type flowTrace struct {
	fl *telemetry.Flow
	// err is what ended the flow early (a failed login or connect).
	err error
}

// traceFlow starts p's trace, when the Env traces flows. Every request of
// the flow must be made with the returned context.
func (d *Driver) traceFlow(ctx context.Context, p *Plan) (context.Context, *flowTrace) {
	if d.Env == nil || d.Env.Telemetry == nil {
		return ctx, nil
	}
	attrs := []attribute.KeyValue{attribute.String("gpcheck.ws.auth", d.method(p.Method).String())}
	if p.CounterIDs {
		attrs = append(attrs, attribute.Bool("gpcheck.counter_ids", true))
	}
	if p.ExtraConnection {
		attrs = append(attrs, attribute.Bool("gpcheck.extra_connection", true))
	}
	if p.Churn != nil {
		attrs = append(attrs, attribute.String("gpcheck.churn", string(p.Churn.Role)))
	}
	ctx, fl := d.Env.Telemetry.Start(ctx, telemetry.FlowInfo{VUser: p.Label(), Index: p.Index, Counted: !p.Abandon, Attributes: attrs})
	return ctx, &flowTrace{fl: fl}
}

// stage starts the live span of a per-user stage (login, connect); end
// finishes it with the stage's error and latency.
func (t *flowTrace) stage(ctx context.Context, st Stage) (_ context.Context, end func(err error, latency time.Duration)) {
	if t == nil {
		return ctx, func(error, time.Duration) {}
	}
	ctx, done := t.fl.Stage(ctx, string(st))
	return ctx, func(err error, latency time.Duration) {
		if err != nil {
			t.err = err
		}
		done(err, latency)
	}
}

// message starts m's span; end, called once m's flow is over, adds a
// span per stage from m's timings and counts the flow.
func (t *flowTrace) message(ctx context.Context, m *Message) (_ context.Context, end func()) {
	if t == nil {
		return ctx, func() {}
	}
	ctx, ms := t.fl.Message(ctx, m.Index, m.RequestID)
	return ctx, func() {
		m.traced = true
		ms.End(messageOutcome(m, ms.Start()))
	}
}

// end counts the messages that never ran (failed at login, say) and ends
// the user's trace.
func (t *flowTrace) end(res *Result) {
	if t == nil {
		return
	}
	for _, m := range res.Messages {
		if m.traced || m.Failure == nil {
			continue
		}
		t.fl.Count(telemetry.OutcomeFailed, string(m.Failure.Stage))
	}
	t.fl.End(t.err)
}

// messageStages are the stages of one message, in order.
var messageStages = []Stage{StageSend, StageFirstEvent, StageStream, StageResponse, StageHistory}

// messageOutcome turns m's timings into stage spans: every timing but
// the history's counts from when the message was sent (sent), the
// history's from the stage before it; the failed stage ends when it was
// found failed.
func messageOutcome(m *Message, sent time.Time) telemetry.Outcome {
	o := telemetry.Outcome{Outcome: telemetry.OutcomeCompleted, RunID: m.RunID, ThreadID: m.ThreadID}
	switch {
	case m.Dropped:
		o.Outcome = telemetry.OutcomeDropped
	case m.Failure != nil:
		o.Outcome = telemetry.OutcomeFailed
	}
	prev := sent
	for _, st := range messageStages {
		if d, ok := m.Timings.Get(st); ok {
			end := sent.Add(d)
			if st == StageHistory {
				end = prev.Add(d)
			}
			o.Stages = append(o.Stages, telemetry.StageTiming{Name: string(st), Start: prev, End: end, Latency: d})
			prev = end
			continue
		}
		if f := m.Failure; f != nil && f.Stage == st {
			at := f.At
			if at.Before(prev) {
				at = prev
			}
			o.Stages = append(o.Stages, telemetry.StageTiming{Name: string(st), Start: prev, End: at, Cause: f.Cause})
		}
		break
	}
	return o
}

// withTraceField puts ctx's trace context into a user message frame
// where the profile names a field for it (telemetry.InjectField).
func (d *Driver) withTraceField(ctx context.Context, raw []byte) []byte {
	if d.Env == nil || d.Env.Telemetry == nil {
		return raw
	}
	return telemetry.InjectField(ctx, raw, d.Env.Target.Profile.TraceField)
}
