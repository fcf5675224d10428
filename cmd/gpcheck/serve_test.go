package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeUsage checks gpcheck serve's refusals and their exit codes.
func TestServeUsage(t *testing.T) {
	t.Setenv("GPCHECK_SIGNING_KEY", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "name a service"},
		{[]string{"db"}, `unknown service "db"`},
		{[]string{"auth", "ws"}, `unexpected argument "ws"`},
		{[]string{"auth", "--bogus"}, "flag provided but not defined"},
		{[]string{"auth"}, "no signing key"},
	} {
		var stdout, stderr bytes.Buffer
		err := cmdServe(context.Background(), tc.args, &stdout, &stderr)
		if code := report(err, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("serve %q: exit %d, stderr %q; want %d naming %q", tc.args, code, stderr.String(), exitUsage, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeServesUntilCancelled runs gpcheck serve auth as a container
// does, configured by the environment, and stops it as SIGTERM would.
func TestServeServesUntilCancelled(t *testing.T) {
	t.Setenv("GPCHECK_SIGNING_KEY", hex.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	t.Setenv("GPCHECK_BACKEND_SECRET", "b")
	t.Setenv("GPCHECK_GATEWAY_SECRET", "g")
	t.Setenv("GPCHECK_HARNESS_SECRET", "h")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srvCtx, stop := context.WithCancel(ctx)
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() { done <- cmdServe(srvCtx, []string{"auth", "--addr", addr}, &stdout, &stdout) }()

	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		case <-ctx.Done():
			t.Fatal("auth never answered /health")
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after cancel: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop")
	}
	if out := stdout.String(); !strings.Contains(out, "auth serving on "+addr) || !strings.Contains(out, "auth stopped") {
		t.Errorf("output %q", out)
	}
}
