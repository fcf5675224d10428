package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/reports"
)

// Paths of the IDOR probes: every route that takes a thread id.
const (
	PathThreadByID     = "GET thread by id"
	PathThreadMessages = "GET thread messages"
	PathWSThread       = "ws user_message thread_id"
)

// idorNeighbours is how many neighbouring-shape ids are probed per id.
const idorNeighbours = 3

// IDOR checks that user b cannot reach user a's threads. a creates a
// thread over REST and another through the agent; b then asks for each of
// them by id on every route that takes one (GET thread, GET messages, a
// user_message with that thread_id), and for ids of the same shape (same
// prefix and length, random suffix). Every answer must equal b's answer
// for an id that does not exist, status and body, once the id itself is
// taken out: anything else tells b that the object exists, or shows it.
// b's listing must not hold a's threads, and no agent answer of b's
// (tool_completed data.result.recent above all) may hold a's history.
func IDOR(ctx context.Context, env *harness.Env, a, b Session) (reports.ProbeTable, []reports.Finding) {
	table := reports.ProbeTable{Name: "idor: cross-user object access",
		Columns: []string{"id", "path", "answer to " + b.Label, "answer for a missing id", "verdict"}}
	var out []reports.Finding
	find := func(path, format string, args ...any) {
		out = append(out, reports.Finding{Kind: reports.KindIDOR, User: b.Label, Path: path, Detail: fmt.Sprintf(format, args...)})
	}
	setup := func(format string, args ...any) (reports.ProbeTable, []reports.Finding) {
		out = append(out, reports.Finding{Kind: reports.KindProtocol, User: a.Label, Detail: "idor set-up: " + fmt.Sprintf(format, args...)})
		return table, out
	}
	canaryA, canaryB := "gpc-idor-a-"+randomSuffix(12), "gpc-idor-b-"+randomSuffix(12)

	// a's objects: a REST thread with history, and a thread the agent made.
	restThread, _, err := env.API.CreateThread(ctx, a.AccessToken, "idor "+canaryA)
	if err != nil {
		return setup("create a's thread: %v", err)
	}
	connA, err := openConn(ctx, env, a.AccessToken)
	if err != nil {
		return setup("connect a: %v", err)
	}
	defer connA.Close()
	if _, err := runFrames(ctx, env, connA, "remember "+canaryA, restThread.ID); err != nil {
		return setup("a's run on its own thread: %v", err)
	}
	frames, err := runFrames(ctx, env, connA, "again "+canaryA, "")
	if err != nil {
		return setup("a's run on a new thread: %v", err)
	}
	agentThread := ""
	for _, f := range frames {
		if f.ThreadID != "" {
			agentThread = f.ThreadID
		}
	}
	ids := []string{restThread.ID}
	if agentThread != "" && agentThread != restThread.ID {
		ids = append(ids, agentThread)
	}

	// b's own thread and run: its tool result must hold b's history only.
	ownB, _, err := env.API.CreateThread(ctx, b.AccessToken, "idor "+canaryB)
	if err != nil {
		return setup("create b's thread: %v", err)
	}
	connB, err := openConn(ctx, env, b.AccessToken)
	if err != nil {
		return setup("connect b: %v", err)
	}
	defer connB.Close()
	fs, err := runFrames(ctx, env, connB, "mine "+canaryB, ownB.ID)
	if err != nil {
		return setup("b's run on its own thread: %v", err)
	}
	if leak := framesHolding(fs, canaryA); leak != "" {
		find(PathWSThread, "%s's agent answer on its own thread holds %s's history: %s", b.Label, a.Label, short(leak))
	}
	threads, _, err := env.API.Threads(ctx, b.AccessToken)
	if err != nil {
		return setup("list b's threads: %v", err)
	}
	for _, t := range threads {
		if t.ID != ownB.ID && (slices.Contains(ids, t.ID) || strings.Contains(t.Title, canaryA)) {
			find(PathThreads, "%s's thread listing holds %s's thread %s", b.Label, a.Label, t.ID)
		}
	}
	threadsA, _, err := env.API.Threads(ctx, a.AccessToken)
	if err != nil {
		return setup("list a's threads: %v", err)
	}
	for _, t := range threadsA {
		if t.ID == ownB.ID || strings.Contains(t.Title, canaryB) {
			find(PathThreads, "%s's thread listing holds %s's thread %s", a.Label, b.Label, t.ID)
		}
	}

	// The reference: b's answers for an id that does not exist.
	missing := neighbour(restThread.ID)
	ref := map[string]string{}
	for _, p := range []string{PathThreadByID, PathThreadMessages, PathWSThread} {
		ref[p], _ = idorAnswer(ctx, env, connB, b, p, missing)
	}
	probeIDs := []struct{ id, source string }{}
	for _, id := range ids {
		probeIDs = append(probeIDs, struct{ id, source string }{id, a.Label + "'s"})
	}
	for range idorNeighbours {
		probeIDs = append(probeIDs, struct{ id, source string }{neighbour(restThread.ID), "same shape"})
	}
	for _, p := range probeIDs {
		for _, path := range []string{PathThreadByID, PathThreadMessages, PathWSThread} {
			got, raw := idorAnswer(ctx, env, connB, b, path, p.id)
			verdict := "same"
			if got != ref[path] {
				verdict = string(reports.KindIDOR)
				find(path, "%s asked for %s thread %s and got %q; for a missing id the answer is %q",
					b.Label, p.source, p.id, short(got), short(ref[path]))
			}
			if strings.Contains(raw, canaryA) {
				verdict = string(reports.KindIDOR)
				find(path, "%s's answer for thread %s holds %s's thread history (canary %s)", b.Label, p.id, a.Label, canaryA)
			}
			table.Rows = append(table.Rows, []string{p.source + " " + p.id, path, short(got), short(ref[path]), verdict})
		}
	}
	if err := connB.Err(); err != nil {
		find(PathWSThread, "%s's connection ended during the probes: %v", b.Label, err)
	}
	return table, out
}

// idorAnswer is b's normalised answer on path for thread id, the status
// and body (REST) or the run's frames (WebSocket) with the id taken out,
// and the raw answer, to search for the other user's data.
func idorAnswer(ctx context.Context, env *harness.Env, conn *client.Conn, b Session, path, id string) (normalized, raw string) {
	prof := env.Target.Profile.Paths
	switch path {
	case PathThreadByID, PathThreadMessages:
		tmpl := prof.Messages
		if path == PathThreadByID {
			tmpl = prof.Thread
			if tmpl == "" {
				tmpl = strings.TrimRight(prof.Threads, "/") + "/{id}"
			}
		}
		r, err := env.API.Get(ctx, b.AccessToken, strings.ReplaceAll(tmpl, "{id}", url.PathEscape(id)))
		if err != nil {
			return "error: " + err.Error(), ""
		}
		return normalizeAnswer(r.Status, r.Body, id), string(r.Body)
	default:
		fs, err := runFrames(ctx, env, conn, "gpcheck idor probe", id)
		var all []string
		for _, f := range fs {
			all = append(all, string(f.Raw))
		}
		if err != nil {
			return "error: " + err.Error(), strings.Join(all, "\n")
		}
		return normalizeRun(env.Target.Profile.Events, fs, id), strings.Join(all, "\n")
	}
}

// volatileKeys are JSON fields that differ between any two answers
// (times, request and trace ids); they are left out of comparisons.
var volatileKeys = map[string]bool{"timestamp": true, "time": true, "request_id": true, "trace_id": true,
	"correlation_id": true, "run_id": true, "created_at": true}

// normalizeAnswer renders an HTTP answer for comparison: its status and
// body with every occurrence of id replaced by "{id}", and, for a JSON
// body, volatile fields dropped and keys sorted. Two answers that differ
// only by the id asked for normalise to the same string.
func normalizeAnswer(status int, body []byte, id string) string {
	return fmt.Sprintf("%d %s", status, normalizeBody(body, id))
}

func normalizeBody(body []byte, id string) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return withoutID(string(bytes.TrimSpace(body)), id)
	}
	b, err := json.Marshal(normalizeJSON(v, id))
	if err != nil {
		return withoutID(string(bytes.TrimSpace(body)), id)
	}
	return string(b)
}

// normalizeJSON drops volatile fields and takes id out of string values.
func normalizeJSON(v any, id string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if volatileKeys[k] {
				delete(x, k)
				continue
			}
			x[k] = normalizeJSON(e, id)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e, id)
		}
	case string:
		return withoutID(x, id)
	}
	return v
}

// withoutID replaces id, plain and path-escaped, with "{id}".
func withoutID(s, id string) string {
	if id == "" {
		return s
	}
	s = strings.ReplaceAll(s, id, "{id}")
	if esc := url.PathEscape(id); esc != id {
		s = strings.ReplaceAll(s, esc, "{id}")
	}
	return s
}

// normalizeRun renders the frames of one run for comparison: each frame's
// type, with an agent_error's message or an error frame's code, and the
// id taken out.
func normalizeRun(ev profile.Events, fs []client.Frame, id string) string {
	var parts []string
	for _, f := range fs {
		part := f.Type
		var data struct {
			Message string `json:"error_message"`
			Code    string `json:"code"`
		}
		_ = json.Unmarshal(f.Data, &data)
		switch f.Type {
		case ev.Error:
			part += ": " + data.Message
		case "error":
			part += ": " + data.Code
		}
		parts = append(parts, withoutID(part, id))
	}
	return strings.Join(parts, " → ")
}

// openConn opens a WebSocket connection for tok by header and reads its
// connection_established.
func openConn(ctx context.Context, env *harness.Env, tok string) (*client.Conn, error) {
	cell, conn := wSHandshake(ctx, env, tok, client.AuthHeader)
	if conn == nil {
		return nil, fmt.Errorf("handshake refused: %s", cell.Code)
	}
	return conn, nil
}

// runFrames sends one user_message on conn and returns its frames up to
// the run's end (agent_completed or agent_error), an error frame or a
// close, within the first-event SLA plus a run window. Frames of other
// requests are returned too, since they must not be there at all.
func runFrames(ctx context.Context, env *harness.Env, conn *client.Conn, text, threadID string) ([]client.Frame, error) {
	prof := env.Target.Profile
	ctx, cancel := context.WithTimeout(ctx, env.Target.SLA.FirstEvent+matrixRunWindow)
	defer cancel()
	req := "req-probe-" + randomSuffix(12)
	err := conn.Send(ctx, map[string]any{"type": prof.UserMessageType,
		"payload": map[string]string{prof.MessageField: text, "thread_id": threadID, "request_id": req}})
	if err != nil {
		return nil, fmt.Errorf("send user_message: %w", err)
	}
	var out []client.Frame
	for {
		f, err := conn.Next(ctx)
		var ce *client.ClosedError
		switch {
		case errors.As(err, &ce):
			return out, fmt.Errorf("connection closed: %w", err)
		case err != nil:
			return out, fmt.Errorf("await the run's end: %w", err)
		}
		out = append(out, f)
		if f.Type == "error" || (f.RequestID == req && (f.Type == prof.Events.Completed || f.Type == prof.Events.Error)) {
			return out, nil
		}
	}
}

// framesHolding returns the first frame that contains s, or "".
func framesHolding(fs []client.Frame, s string) string {
	for _, f := range fs {
		if bytes.Contains(f.Raw, []byte(s)) {
			return string(f.Raw)
		}
	}
	return ""
}

// neighbour returns an id of id's shape: the same length, the same
// leading half, and a random suffix from the same alphabet (hex digits,
// letters or digits), keeping separators such as "-" and "_" in place.
func neighbour(id string) string {
	keep := len(id) / 2
	if i := strings.LastIndexAny(id, "_-:"); i >= 0 && i+1 > keep && i+1 < len(id) {
		keep = i + 1
	}
	if keep >= len(id) {
		keep = len(id) - 1
	}
	if keep < 0 {
		return randomSuffix(16)
	}
	var b strings.Builder
	b.WriteString(id[:keep])
	r := make([]byte, len(id)-keep)
	_, _ = rand.Read(r) // crypto/rand.Read never fails (Go ≥ 1.24)
	for i, c := range []byte(id[keep:]) {
		b.WriteByte(sameClass(c, r[i]))
	}
	if out := b.String(); out != id {
		return out
	}
	return neighbour(id)
}

// sameClass maps random byte r to a character of c's class.
func sameClass(c, r byte) byte {
	const hex, lower, upper = "0123456789abcdef", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		return hex[int(r)%len(hex)]
	case c >= 'g' && c <= 'z':
		return lower[int(r)%len(lower)]
	case c >= 'A' && c <= 'Z':
		return upper[int(r)%len(upper)]
	default:
		return c
	}
}

// randomSuffix returns n random lower-case hex digits.
func randomSuffix(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)[:n]
}

// short cuts s to about 160 characters for tables and details, redacted.
func short(s string) string {
	const max = 160
	if len(s) > max {
		s = s[:max] + "…"
	}
	return reports.Redact(s)
}
