package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

// progress prints live "done/total users" on a terminal, overwriting one
// line; elsewhere (CI logs) it prints nothing. It also prints the run's
// heartbeats (heartbeat), which never share a line with it.
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	on          bool
	any         bool
	done, total int
}

func newProgress(w io.Writer, on bool) *progress { return &progress{w: w, on: on} }

func (p *progress) update(done, total int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.any = true
	p.done, p.total = done, total
	fmt.Fprintf(p.w, "\r  golden path: %d/%d users finished", done, total)
}

// heartbeat returns the hook that prints each heartbeat as one line to w
// (stderr: apart from the summary on stdout), prefixed with the shard of
// a sharded run. On a terminal the live progress line is cleared first
// and drawn again after, so that the two never mix.
func (p *progress) heartbeat(w io.Writer, shard string) func(reports.Heartbeat) {
	return func(b reports.Heartbeat) {
		p.mu.Lock()
		defer p.mu.Unlock()
		shown := p.on && p.any
		if shown {
			fmt.Fprint(p.w, "\r\033[K")
		}
		fmt.Fprintln(w, heartbeatLine(b, shard))
		if shown {
			fmt.Fprintf(p.w, "\r  golden path: %d/%d users finished", p.done, p.total)
		}
	}
}

// heartbeatLine is one heartbeat as gpcheck run prints it:
//
//	heartbeat 1m30s: 2712 flows (30.1/s), completion 99.96% (2711/2712), 12/50 users done, gpcheck rss 85.3 MiB
func heartbeatLine(b reports.Heartbeat, shard string) string {
	prefix := "heartbeat"
	if shard != "" {
		prefix += " [shard " + shard + "]"
	}
	completion := "n/a"
	if b.Attempted > 0 {
		completion = fmt.Sprintf("%g%% (%d/%d)", b.Rate, b.Completed, b.Attempted)
	}
	return fmt.Sprintf("%s %s: %d flows (%.1f/s), completion %s, %d/%d users done, gpcheck rss %.1f MiB",
		prefix, (time.Duration(b.ElapsedMS) * time.Millisecond).Round(time.Second), b.Attempted, b.FlowsPerSecond,
		completion, b.UsersDone, b.Users, float64(b.RSSBytes)/(1<<20))
}

// heartbeatOption is --heartbeat as the engine takes it: 0 (and below)
// on the command line means never.
func heartbeatOption(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.any {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
