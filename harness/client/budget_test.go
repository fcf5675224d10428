package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gpcheck/gpcheck/harness/client"
)

// hostileServer is a gateway that, for each text frame it receives, runs
// script: the frames it writes back. It records how its connections ended.
type hostileServer struct {
	url string
	// closed counts connections whose reads ended (the client went away).
	closed atomic.Int64
}

func newHostileServer(t *testing.T, script func(ctx context.Context, ws *websocket.Conn, n int) error) *hostileServer {
	t.Helper()
	hs := &hostileServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		for n := 0; ; n++ {
			if _, _, err := ws.Read(ctx); err != nil {
				hs.closed.Add(1)
				return
			}
			if err := script(ctx, ws, n); err != nil {
				hs.closed.Add(1)
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	hs.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	return hs
}

func dialBudgets(t *testing.T, url string, b client.Budgets) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, url, "token", client.DialOptions{HTTPClient: client.NewHTTPClient(5 * time.Second), Budgets: b})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.CloseNow)
	return c
}

// writeN writes n small frames.
func writeN(ctx context.Context, ws *websocket.Conn, n int) error {
	for i := range n {
		if err := ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"tick","seq":%d}`, i)); err != nil {
			return err
		}
	}
	return nil
}

// flood writes frames until the connection fails.
func flood(ctx context.Context, ws *websocket.Conn, _ int) error {
	for i := 0; ; i++ {
		if err := ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"tick","seq":%d}`, i)); err != nil {
			return err
		}
	}
}

// readAll reads frames until Next fails, and returns how many arrived and
// the error.
func readAll(t *testing.T, c *client.Conn) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for n := 0; ; n++ {
		if _, err := c.Next(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("no end after %d frames", n)
			}
			return n, err
		}
	}
}

func send(t *testing.T, c *client.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Send(ctx, map[string]string{"type": "user_message"}); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func wantBudget(t *testing.T, err error, what string, limit, got int64) *client.BudgetError {
	t.Helper()
	var be *client.BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("got %v (%T), want a *client.BudgetError", err, err)
	}
	if be.What != what || be.Limit != limit || (got >= 0 && be.Got != got) {
		t.Fatalf("BudgetError %+v, want %s limit %d got %d", be, what, limit, got)
	}
	for _, s := range []string{what, fmt.Sprint(limit)} {
		if !strings.Contains(be.Error(), s) {
			t.Errorf("%q does not name %q", be.Error(), s)
		}
	}
	return be
}

// TestBudgetFramesPerRun: a flood stops at the run's budget; the frame over
// it is never delivered, the connection is closed and Next and Err say why.
func TestBudgetFramesPerRun(t *testing.T) {
	hs := newHostileServer(t, flood)
	c := dialBudgets(t, hs.url, client.Budgets{MaxFramesPerRun: 50})
	send(t, c)
	n, err := readAll(t, c)
	if n != 50 {
		t.Errorf("%d frames delivered, want the 50 of the budget", n)
	}
	be := wantBudget(t, err, client.BudgetMaxFramesPerRun, 50, 51)
	if !strings.Contains(be.Error(), "1 over") {
		t.Errorf("%q does not say by how much", be.Error())
	}
	wantBudget(t, c.Err(), client.BudgetMaxFramesPerRun, 50, 51)
	deadline := time.Now().Add(5 * time.Second)
	for hs.closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if hs.closed.Load() == 0 {
		t.Error("the server's connection is still open")
	}
}

// TestBudgetBeginRun: each run has its own budget; without BeginRun the
// runs add up.
func TestBudgetBeginRun(t *testing.T) {
	hs := newHostileServer(t, func(ctx context.Context, ws *websocket.Conn, _ int) error { return writeN(ctx, ws, 30) })
	for _, begin := range []bool{true, false} {
		t.Run(fmt.Sprintf("begin=%v", begin), func(t *testing.T) {
			c := dialBudgets(t, hs.url, client.Budgets{MaxFramesPerRun: 40})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for run := range 2 {
				if begin {
					c.BeginRun()
				}
				send(t, c)
				for i := range 30 {
					if _, err := c.Next(ctx); err != nil {
						if !begin && run == 1 && i == 10 {
							wantBudget(t, err, client.BudgetMaxFramesPerRun, 40, 41)
							return
						}
						t.Fatalf("run %d frame %d: %v", run, i, err)
					}
				}
			}
			if !begin {
				t.Fatal("60 frames in one run passed a budget of 40")
			}
			if err := c.Err(); err != nil {
				t.Fatalf("connection ended: %v", err)
			}
		})
	}
}

func TestBudgetBytesPerRun(t *testing.T) {
	frame := `{"type":"tick","pad":"` + strings.Repeat("x", 1000) + `"}` // 1,024 bytes
	hs := newHostileServer(t, func(ctx context.Context, ws *websocket.Conn, _ int) error {
		for {
			if err := ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
				return err
			}
		}
	})
	c := dialBudgets(t, hs.url, client.Budgets{MaxBytesPerRun: 10 * 1024})
	send(t, c)
	n, err := readAll(t, c)
	if n != 10 {
		t.Errorf("%d frames delivered, want 10", n)
	}
	wantBudget(t, err, client.BudgetMaxBytesPerRun, 10*1024, 11*1024)
}

func TestBudgetFramesPerSecond(t *testing.T) {
	hs := newHostileServer(t, flood)
	// The run budget is out of reach: only the rate can stop the flood.
	c := dialBudgets(t, hs.url, client.Budgets{MaxFramesPerSecond: 100, MaxFramesPerRun: 1 << 40, MaxBytesPerRun: 1 << 40})
	send(t, c)
	n, err := readAll(t, c)
	if n > 100 {
		t.Errorf("%d frames delivered, want at most 100", n)
	}
	wantBudget(t, err, client.BudgetMaxFramesPerSecond, 100, 101)

	// A steady pace under the rate passes.
	steady := newHostileServer(t, func(ctx context.Context, ws *websocket.Conn, _ int) error {
		for i := range 30 {
			if err := ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"tick","seq":%d}`, i)); err != nil {
				return err
			}
			time.Sleep(2 * time.Millisecond)
		}
		return nil
	})
	c = dialBudgets(t, steady.url, client.Budgets{MaxFramesPerSecond: 1000})
	send(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 30 {
		if _, err := c.Next(ctx); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

// TestBudgetMaxFrameBytes: a frame over the read limit is never delivered
// (nor held: the reader stops one byte past the limit).
func TestBudgetMaxFrameBytes(t *testing.T) {
	const limit = 64 << 10
	hs := newHostileServer(t, func(ctx context.Context, ws *websocket.Conn, _ int) error {
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"small"}`)); err != nil {
			return err
		}
		w, err := ws.Writer(ctx, websocket.MessageText)
		if err != nil {
			return err
		}
		chunk := []byte(strings.Repeat("x", 32<<10))
		for range 1600 { // 50 MiB
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return w.Close()
	})
	c := dialBudgets(t, hs.url, client.Budgets{MaxFrameBytes: limit})
	send(t, c)
	n, err := readAll(t, c)
	if n != 1 {
		t.Errorf("%d frames delivered, want only the small one", n)
	}
	be := wantBudget(t, err, client.BudgetMaxFrameBytes, limit, limit+1)
	if !strings.Contains(be.Error(), "more than 65536 bytes") {
		t.Errorf("error %q", be.Error())
	}
}

func TestBudgetDefaults(t *testing.T) {
	d := client.DefaultBudgets()
	want := client.Budgets{MaxFrameBytes: 1 << 20, MaxFramesPerRun: 1000, MaxBytesPerRun: 8 << 20, MaxFramesPerSecond: 2000}
	if d != want {
		t.Errorf("DefaultBudgets() = %+v, want %+v", d, want)
	}
	if got := (client.Budgets{MaxFramesPerRun: 7, MaxBytesPerRun: -1}).WithDefaults(); got != (client.Budgets{
		MaxFrameBytes: 1 << 20, MaxFramesPerRun: 7, MaxBytesPerRun: 8 << 20, MaxFramesPerSecond: 2000}) {
		t.Errorf("WithDefaults = %+v", got)
	}

	// A normal exchange stays well within the defaults, and a server's
	// normal close is still a *ClosedError.
	hs := newHostileServer(t, func(ctx context.Context, ws *websocket.Conn, _ int) error {
		if err := writeN(ctx, ws, 7); err != nil {
			return err
		}
		return ws.Close(websocket.StatusNormalClosure, "bye")
	})
	c := dialBudgets(t, hs.url, client.Budgets{})
	send(t, c)
	n, err := readAll(t, c)
	var ce *client.ClosedError
	if n != 7 || !errors.As(err, &ce) || ce.Code != 1000 {
		t.Errorf("%d frames, then %v; want 7 and close 1000", n, err)
	}
}
