package check

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/reports"
)

// maxTranscript bounds a finding's transcript, so reports stay readable
// and small however many frames a run exchanged.
const maxTranscript = 24

// line is one transcript entry: who sent or received what, when.
type line struct {
	at   time.Time
	text string
}

// sentLines are the frames of ss, sent by r, that keep says to keep.
func sentLines(r *flow.Result, ss []flow.Sent, keep func(raw []byte) bool) []line {
	var out []line
	for _, s := range ss {
		if keep == nil || keep(s.Raw) {
			out = append(out, line{s.At, fmt.Sprintf("%s sent     (conn %d) %s", userLabel(r), s.Conn, clip(s.Raw))})
		}
	}
	return out
}

// receivedLines are the frames of recs, received by r, that keep says to
// keep.
func receivedLines(r *flow.Result, recs []flow.Received, keep func(rec flow.Received) bool) []line {
	var out []line
	for _, rec := range recs {
		if keep == nil || keep(rec) {
			out = append(out, line{rec.Frame.At, fmt.Sprintf("%s received (conn %d) %s", userLabel(r), rec.Conn, clip(rec.Frame.Raw))})
		}
	}
	return out
}

// transcript orders lines by time and formats them, bounded and redacted.
func transcript(ls ...[]line) []string {
	var all []line
	for _, l := range ls {
		all = append(all, l...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	var out []string
	for i, l := range all {
		if i == maxTranscript {
			out = append(out, fmt.Sprintf("… %d more frame(s)", len(all)-maxTranscript))
			break
		}
		ts := "--:--:--.---"
		if !l.at.IsZero() {
			ts = l.at.UTC().Format("15:04:05.000")
		}
		out = append(out, ts+" "+l.text)
	}
	return out
}

// clip shortens a frame for a transcript and redacts it.
func clip(raw []byte) string {
	const max = 300
	s := strings.TrimSpace(string(raw))
	if len(s) > max {
		s = s[:max] + "…"
	}
	return reports.Redact(s)
}

// messageTranscript is everything r sent and received about message m:
// what the driver kept with m when it failed (flow.Message.Frames), or, for
// a message that has none, what r kept.
func messageTranscript(r *flow.Result, m *flow.Message) []string {
	if m.Frames != nil || m.Sent != nil {
		return requestTranscript(r, m.Sent, m.Frames, m.RequestID)
	}
	return requestTranscript(r, r.SentFrames(), r.Frames, m.RequestID)
}

// requestTranscript is everything of sent and recs about one request.
func requestTranscript(r *flow.Result, sent []flow.Sent, recs []flow.Received, requestID string) []string {
	has := func(raw []byte) bool { return strings.Contains(string(raw), requestID) }
	return transcript(
		sentLines(r, sent, has),
		receivedLines(r, recs, func(rec flow.Received) bool {
			// The request's frames, the greeting, error frames, and frames
			// that could not be read at all (not JSON, not UTF-8): those
			// may be what broke the request.
			return rec.Frame.RequestID == requestID || rec.Frame.ConnectionID != "" || rec.Frame.Type == "error" || rec.Frame.Err != nil
		}),
	)
}
