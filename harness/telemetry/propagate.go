package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// w3c is the W3C Trace Context propagator: traceparent and tracestate.
var w3c = propagation.TraceContext{}

// Transport wraps base so that every request whose context holds a span
// carries that span's W3C trace context (traceparent, and tracestate when
// it has one): the HTTP requests of a flow and its WebSocket handshakes,
// which go through the same client. A request whose context holds no
// span goes out untouched, so a run that does not trace sends no header,
// and a header the caller set itself is kept.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base}
}

type transport struct{ base http.RoundTripper }

// RoundTrip adds the trace context to a copy of req (a RoundTripper must
// not change the request it is given) and sends it.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !trace.SpanContextFromContext(ctx).IsValid() || req.Header.Get("traceparent") != "" {
		return t.base.RoundTrip(req)
	}
	r2 := req.Clone(ctx)
	w3c.Inject(ctx, propagation.HeaderCarrier(r2.Header))
	return t.base.RoundTrip(r2)
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport, as http.Client.CloseIdleConnections expects.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Carrier returns ctx's W3C trace context as the map a user message
// carries: {"traceparent": …} and "tracestate" when there is one; nil
// when ctx holds no span.
func Carrier(ctx context.Context) map[string]string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	m := propagation.MapCarrier{}
	w3c.Inject(ctx, m)
	return m
}

// InjectField returns the user-message frame raw ({"type": …, "payload":
// {…}}) with ctx's trace context (Carrier) as payload[field]. raw comes
// back as it is when field is empty, ctx holds no span, or raw is not
// such a frame: tracing never changes what a flow would otherwise send.
// The frame's own fields keep their order; the context goes last.
func InjectField(ctx context.Context, raw []byte, field string) []byte {
	if field == "" {
		return raw
	}
	c := Carrier(ctx)
	if c == nil {
		return raw
	}
	val, err := json.Marshal(c)
	if err != nil {
		return raw
	}
	key, err := json.Marshal(field)
	if err != nil {
		return raw
	}
	// The frames gpcheck writes end with the payload object: insert the
	// field before its closing brace, keeping the bytes before it.
	if bytes.HasSuffix(raw, []byte("}}")) {
		out := make([]byte, 0, len(raw)+len(key)+len(val)+2)
		out = append(out, raw[:len(raw)-2]...)
		out = append(out, ',')
		out = append(out, key...)
		out = append(out, ':')
		out = append(out, val...)
		out = append(out, "}}"...)
		if payloadHas(out, field) {
			return out
		}
	}
	// Any other shape: decode, add, encode.
	out, err := withField(raw, field, val)
	if err != nil {
		return raw
	}
	return out
}

// payloadHas reports whether frame is a JSON object whose payload object
// holds field.
func payloadHas(frame []byte, field string) bool {
	var f struct {
		Payload map[string]json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(frame, &f) != nil {
		return false
	}
	_, ok := f.Payload[field]
	return ok
}

// withField sets payload[field] = val in the JSON object frame.
func withField(frame []byte, field string, val json.RawMessage) ([]byte, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("user message: %w", err)
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(f["payload"], &p); err != nil || p == nil {
		return nil, fmt.Errorf("user message: payload is not an object")
	}
	p[field] = val
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("user message: %w", err)
	}
	f["payload"] = b
	return json.Marshal(f)
}
