package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gpcheck/gpcheck/harness/client"
)

// TestFrameDataAliasesRaw checks what the reader decodes from many frames
// received in a row: every envelope field, and Data equal to the frame's
// own "data" and still equal after the frames that followed (the reader
// keeps Data as a slice of Raw rather than a copy).
func TestFrameDataAliasesRaw(t *testing.T) {
	const n = 200
	hs := newHostileServer(t, func(ctx context.Context, ws *websocket.Conn, _ int) error {
		for i := range n {
			msg := fmt.Appendf(nil, `{"type":"agent_thinking","run_id":"run_%d","thread_id":"th_%d","request_id":"req-%d","user_id":"u%d","agent_name":"a","timestamp":%d,"data":{"step_number":%d,"reasoning":"r%d"}}`, i, i, i, i, i, i, i)
			if i%10 == 9 {
				msg = fmt.Appendf(nil, `{"type":"pong","data":null,"timestamp":%d}`, i)
			}
			if err := ws.Write(ctx, websocket.MessageText, msg); err != nil {
				return err
			}
		}
		return nil
	})
	c := dialBudgets(t, hs.url, client.Budgets{MaxFramesPerRun: 10 * n, MaxFramesPerSecond: 100 * n})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Send(ctx, map[string]string{"type": "go"}); err != nil {
		t.Fatal(err)
	}
	var frames []client.Frame
	for range n {
		f, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("after %d frames: %v", len(frames), err)
		}
		frames = append(frames, f)
	}
	for i, f := range frames {
		if f.Err != nil {
			t.Fatalf("frame %d: %v", i, f.Err)
		}
		if i%10 == 9 {
			if f.Type != "pong" || string(f.Data) != "null" || f.Timestamp != int64(i) {
				t.Errorf("frame %d: %+v", i, f)
			}
			continue
		}
		want := fmt.Sprintf(`{"step_number":%d,"reasoning":"r%d"}`, i, i)
		if f.Type != "agent_thinking" || f.RunID != fmt.Sprintf("run_%d", i) || f.ThreadID != fmt.Sprintf("th_%d", i) ||
			f.RequestID != fmt.Sprintf("req-%d", i) || f.UserID != fmt.Sprintf("u%d", i) || f.AgentName != "a" ||
			f.Timestamp != int64(i) || string(f.Data) != want {
			t.Errorf("frame %d: %+v data %s", i, f, f.Data)
		}
	}
}
