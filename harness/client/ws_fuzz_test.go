package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gpcheck/gpcheck/harness/client"
)

// maxFuzzFrame bounds a fuzzed frame well below the client's read limit.
const maxFuzzFrame = 64 << 10

// wsFuzzMsg is what the fuzz gateway sends to one connection.
type wsFuzzMsg struct {
	payload []byte
	binary  bool
}

// FuzzWSFrame sends one fuzzed message from a hostile gateway and reads it
// with Dial and Next: the path every frame takes into a client.Frame (the
// JSON decode of Conn's reader). Properties:
//   - Raw is the message exactly as sent;
//   - a binary message, or a text message that is not valid JSON, has Err
//     set; a frame without Err was valid JSON;
//   - a frame that decoded re-encodes to JSON that decodes to the same
//     envelope, and that encoding is a fixed point (encode∘decode∘encode);
//   - after the frame, the server's normal close ends the connection with
//     a *ClosedError of code 1000.
func FuzzWSFrame(f *testing.F) {
	var (
		msgs sync.Map // fuzz id -> wsFuzzMsg
		seq  atomic.Uint64
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := msgs.Load(r.Header.Get("X-Fuzz-ID"))
		if !ok {
			http.Error(w, `{"error":"unknown fuzz id"}`, http.StatusBadRequest)
			return
		}
		m := v.(wsFuzzMsg)
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		typ := websocket.MessageText
		if m.binary {
			typ = websocket.MessageBinary
		}
		if c.Write(ctx, typ, m.payload) != nil {
			return
		}
		_ = c.Close(websocket.StatusNormalClosure, "")
	}))
	f.Cleanup(srv.Close)
	wsURL := "ws" + srv.URL[len("http"):] + "/ws"
	hc := client.NewHTTPClient(5 * time.Second)

	for _, s := range []string{
		`{"type":"connection_established","connection_id":"c-1","user_id":"u-1","timestamp":1700000000000}`,
		`{"type":"agent_started","run_id":"r-1","thread_id":"t-1","request_id":"q-1","agent_name":"helper","timestamp":1700000000001}`,
		`{"type":"agent_thinking","run_id":"r-1","thread_id":"t-1","data":{"thought":"looking it up"}}`,
		`{"type":"tool_executing","run_id":"r-1","tool_name":"search","data":{"args":{"q":"x"}}}`,
		`{"type":"tool_completed","run_id":"r-1","tool_name":"search","data":{"result":[1,2.5e300,"<b>&amp;"]}}`,
		`{"type":"agent_completed","run_id":"r-1","thread_id":"t-1","data":{"answer":"done"}}`,
		`{"type":"agent_error","run_id":"r-1","data":{"error":"boom","message":"agent failed"}}`,
		`{"type":"pong","data":null}`,
		`{"type":"pong","timestamp":"soon"}`,
		`{"type":1}`,
		`{"TYPE":"pong","Data":"\u003c\ud800"}`,
		`[{"type":"pong"}]`,
		`null`,
		`not json`,
		"",
		"{\"type\":\"pong\",\"user_id\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"type":"pong"}`), true)
	f.Add([]byte{0x00, 0x01, 0xff}, true)

	f.Fuzz(func(t *testing.T, payload []byte, binary bool) {
		if len(payload) > maxFuzzFrame {
			t.Skip("frame over 64 KiB: this target keeps each input small so that it runs in milliseconds; inputs up to 64 KiB run in make test (seed corpus) and make fuzz")
		}
		id := strconv.FormatUint(seq.Add(1), 10)
		msgs.Store(id, wsFuzzMsg{payload: payload, binary: binary})
		defer msgs.Delete(id)

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := client.Dial(ctx, wsURL, "token", client.DialOptions{
			HTTPClient: hc, Header: http.Header{"X-Fuzz-ID": {id}},
		})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer conn.CloseNow()

		fr, err := conn.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v (the frame was never delivered)", err)
		}
		if !bytes.Equal(fr.Raw, payload) {
			t.Fatalf("Raw = %q, sent %q", fr.Raw, payload)
		}
		if fr.At.IsZero() {
			t.Errorf("At not set")
		}
		switch {
		case binary && fr.Err == nil:
			t.Fatalf("binary frame decoded without error: %+v", fr)
		case !binary && !json.Valid(payload) && fr.Err == nil:
			t.Fatalf("invalid JSON %q decoded without error: %+v", payload, fr)
		}
		if fr.Err == nil {
			checkFrameRoundTrip(t, fr)
		}

		// The server closed normally after its one message.
		_, err = conn.Next(ctx)
		var ce *client.ClosedError
		if !errors.As(err, &ce) {
			t.Fatalf("after the frame: %v, want a *ClosedError", err)
		}
		if ce.Code != int(websocket.StatusNormalClosure) {
			t.Fatalf("close code %d, want 1000 (%v)", ce.Code, ce)
		}
	})
}

// checkFrameRoundTrip checks that a decoded frame re-encodes to JSON that
// decodes to the same envelope and that the encoding is then stable.
func checkFrameRoundTrip(t *testing.T, fr client.Frame) {
	t.Helper()
	b1, err := json.Marshal(fr)
	if err != nil {
		t.Fatalf("re-encode decoded frame %q: %v", fr.Raw, err)
	}
	var g client.Frame
	if err := json.Unmarshal(b1, &g); err != nil {
		t.Fatalf("re-encoded frame %s does not decode: %v", b1, err)
	}
	env := func(f client.Frame) [9]string {
		return [9]string{f.Type, f.RunID, f.ThreadID, f.RequestID, f.UserID, f.ConnectionID, f.ToolName, f.AgentName,
			strconv.FormatInt(f.Timestamp, 10)}
	}
	if env(fr) != env(g) {
		t.Fatalf("envelope changed through re-encoding:\n from %q: %v\n  via %s: %v", fr.Raw, env(fr), b1, env(g))
	}
	if !sameJSON(fr.Data, g.Data) {
		t.Fatalf("data changed through re-encoding: %s -> %s", fr.Data, g.Data)
	}
	b2, err := json.Marshal(g)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("encoding is not stable:\n %s\n %s", b1, b2)
	}
}

// sameJSON reports whether two JSON texts (empty meaning absent) hold the
// same value.
func sameJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
