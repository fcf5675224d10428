package main

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// progress prints live "done/total users" on a terminal, overwriting one
// line; elsewhere (CI logs) it prints nothing.
type progress struct {
	mu  sync.Mutex
	w   io.Writer
	on  bool
	any bool
}

func newProgress(w io.Writer, on bool) *progress { return &progress{w: w, on: on} }

func (p *progress) update(done, total int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.any = true
	fmt.Fprintf(p.w, "\r  golden path: %d/%d users finished", done, total)
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
