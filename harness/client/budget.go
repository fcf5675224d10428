package client

import (
	"fmt"
	"sync"
	"time"
)

// The default budgets of a WebSocket connection. A golden-path run is
// seven small frames; these leave room for chatty gateways (token
// streaming, progress frames) while keeping a hostile gateway from costing
// more than a few MiB per connection.
const (
	// DefaultMaxFrameBytes is the largest frame read: 1 MiB.
	DefaultMaxFrameBytes = 1 << 20
	// DefaultMaxFramesPerRun is the most frames accepted in one run: 1,000.
	DefaultMaxFramesPerRun = 1000
	// DefaultMaxBytesPerRun is the most frame bytes accepted in one run: 8 MiB.
	DefaultMaxBytesPerRun = 8 << 20
	// DefaultMaxFramesPerSecond is the most frames accepted within one
	// second on one connection: 2,000.
	DefaultMaxFramesPerSecond = 2000
)

// The budgets, by the names the profile's budgets section gives them;
// BudgetError.What is one of these.
const (
	BudgetMaxFrameBytes      = "max_frame_bytes"
	BudgetMaxFramesPerRun    = "max_frames_per_run"
	BudgetMaxBytesPerRun     = "max_bytes_per_run"
	BudgetMaxFramesPerSecond = "max_frames_per_second"
)

// Budgets bound what a Conn accepts from the server, so that a broken or
// hostile gateway (frames without end, a frame of 50 MB) cannot exhaust
// gpcheck's memory. A run is what one user message brings: the frames from
// one BeginRun to the next (before the first BeginRun, from the handshake).
// A zero or negative field means its default.
type Budgets struct {
	// MaxFrameBytes is the largest frame read (the websocket read limit);
	// default DefaultMaxFrameBytes (1 MiB).
	MaxFrameBytes int64
	// MaxFramesPerRun is the most frames accepted in one run; default
	// DefaultMaxFramesPerRun (1,000).
	MaxFramesPerRun int64
	// MaxBytesPerRun is the most frame bytes accepted in one run; default
	// DefaultMaxBytesPerRun (8 MiB).
	MaxBytesPerRun int64
	// MaxFramesPerSecond is the most frames accepted within one second
	// (counted in consecutive one-second windows from the first frame);
	// default DefaultMaxFramesPerSecond (2,000).
	MaxFramesPerSecond int64
}

// DefaultBudgets returns the default budgets.
func DefaultBudgets() Budgets {
	return Budgets{
		MaxFrameBytes:      DefaultMaxFrameBytes,
		MaxFramesPerRun:    DefaultMaxFramesPerRun,
		MaxBytesPerRun:     DefaultMaxBytesPerRun,
		MaxFramesPerSecond: DefaultMaxFramesPerSecond,
	}
}

// WithDefaults returns b with zero or negative fields set to their defaults.
func (b Budgets) WithDefaults() Budgets {
	d := DefaultBudgets()
	def := func(v *int64, dv int64) {
		if *v <= 0 {
			*v = dv
		}
	}
	def(&b.MaxFrameBytes, d.MaxFrameBytes)
	def(&b.MaxFramesPerRun, d.MaxFramesPerRun)
	def(&b.MaxBytesPerRun, d.MaxBytesPerRun)
	def(&b.MaxFramesPerSecond, d.MaxFramesPerSecond)
	return b
}

// BudgetError reports that the server sent more than a budget allows.
// gpcheck dropped the frame that went over and closed the connection.
type BudgetError struct {
	// What names the budget: BudgetMaxFrameBytes, BudgetMaxFramesPerRun,
	// BudgetMaxBytesPerRun or BudgetMaxFramesPerSecond.
	What string
	// Limit is the budget.
	Limit int64
	// Got is what was counted when the budget was exceeded: the frames or
	// bytes of the run, or the frames of the second, including the frame
	// that went over. For max_frame_bytes, reading stops one byte past the
	// limit, so Got (Limit+1) is a lower bound of the frame's size.
	Got int64
}

func (e *BudgetError) Error() string {
	var what string
	switch e.What {
	case BudgetMaxFrameBytes:
		return fmt.Sprintf("budget %s exceeded: a frame of more than %d bytes (limit %d); gpcheck stopped reading it and closed the connection",
			e.What, e.Limit, e.Limit)
	case BudgetMaxFramesPerRun:
		what = "frames in one run"
	case BudgetMaxBytesPerRun:
		what = "bytes of frames in one run"
	case BudgetMaxFramesPerSecond:
		what = "frames within one second"
	default:
		what = "units"
	}
	return fmt.Sprintf("budget %s exceeded: %d %s, limit %d (%d over); gpcheck closed the connection",
		e.What, e.Got, what, e.Limit, e.Got-e.Limit)
}

// meter counts a connection's frames against its budgets. The reader
// counts; BeginRun, on the caller's goroutine, resets the run.
type meter struct {
	b Budgets

	mu        sync.Mutex
	runFrames int64
	runBytes  int64
	winStart  time.Time
	winFrames int64
}

func newMeter(b Budgets) *meter { return &meter{b: b} }

func (m *meter) beginRun() {
	m.mu.Lock()
	m.runFrames, m.runBytes = 0, 0
	m.mu.Unlock()
}

// count adds one frame of n bytes received at now, and returns the budget
// it exceeds, if any.
func (m *meter) count(now time.Time, n int) *BudgetError {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.winStart.IsZero() || now.Sub(m.winStart) >= time.Second {
		m.winStart, m.winFrames = now, 0
	}
	m.winFrames++
	m.runFrames++
	m.runBytes += int64(n)
	switch {
	case m.winFrames > m.b.MaxFramesPerSecond:
		return &BudgetError{What: BudgetMaxFramesPerSecond, Limit: m.b.MaxFramesPerSecond, Got: m.winFrames}
	case m.runFrames > m.b.MaxFramesPerRun:
		return &BudgetError{What: BudgetMaxFramesPerRun, Limit: m.b.MaxFramesPerRun, Got: m.runFrames}
	case m.runBytes > m.b.MaxBytesPerRun:
		return &BudgetError{What: BudgetMaxBytesPerRun, Limit: m.b.MaxBytesPerRun, Got: m.runBytes}
	}
	return nil
}

// tooBig is the error of a frame over MaxFrameBytes.
func (m *meter) tooBig() *BudgetError {
	return &BudgetError{What: BudgetMaxFrameBytes, Limit: m.b.MaxFrameBytes, Got: m.b.MaxFrameBytes + 1}
}
