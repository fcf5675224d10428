package engine

import (
	"io"
	"sync"

	"github.com/gpcheck/gpcheck/reports"
)

// maxLogLine bounds a line the log writer holds while it waits for its
// end; a longer one is written in pieces.
const maxLogLine = 64 << 10

// redactingWriter is what Ginkgo's reporter writes ginkgo.log through:
// each line is made printable and redacted (tokens, and the run's secrets
// in every encoding) before it reaches the file, since spec failures can
// quote what the system under test sent.
type redactingWriter struct {
	mu  sync.Mutex
	w   io.Writer
	r   *reports.Redactor
	buf []byte
}

func newRedactingWriter(w io.Writer, secrets []string) *redactingWriter {
	return &redactingWriter{w: w, r: reports.NewRedactor(secrets...)}
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.buf = append(rw.buf, p...)
	for {
		i := indexNewline(rw.buf)
		if i < 0 && len(rw.buf) < maxLogLine {
			return len(p), nil
		}
		end := i + 1
		if i < 0 {
			end = maxLogLine
		}
		if err := rw.emit(rw.buf[:end]); err != nil {
			return 0, err
		}
		rw.buf = append(rw.buf[:0], rw.buf[end:]...)
	}
}

// Flush writes what is left of an unfinished line.
func (rw *redactingWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	err := rw.emit(rw.buf)
	rw.buf = rw.buf[:0]
	return err
}

func (rw *redactingWriter) emit(line []byte) error {
	_, err := io.WriteString(rw.w, rw.r.Redact(reports.Printable(string(line))))
	return err
}

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}
