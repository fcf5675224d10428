// Package flow drives one virtual user's golden path (login, WebSocket
// connect, user messages, the five streamed events, the final answer and
// the thread's history over REST) with a deadline per stage, and records
// every stage's outcome and timing and what the user received: with a
// run's Ledger, each frame and REST answer is screened for other users'
// data as it arrives, and only what showed something is kept.
package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/bits"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/harness/tokens"
)

// Stage names one step of the golden path. Every failed flow is attributed
// to exactly one stage: the first that did not hold.
type Stage string

// The stages, in order.
const (
	StageLogin      Stage = "login"
	StageConnect    Stage = "connect"
	StageSend       Stage = "send"
	StageFirstEvent Stage = "first_event"
	StageStream     Stage = "stream"
	StageResponse   Stage = "response"
	StageHistory    Stage = "history"
)

// Stages lists the stages in golden-path order.
func Stages() []Stage {
	return []Stage{StageLogin, StageConnect, StageSend, StageFirstEvent, StageStream, StageResponse, StageHistory}
}

// Timings are the latencies of the stages of a message that ran: an
// array, not a map, because every flow has one.
type Timings struct {
	d   [7]time.Duration // by stageIndex
	set uint8
}

// stageIndex is st's place in Stages, or -1.
func stageIndex(st Stage) int {
	switch st {
	case StageLogin:
		return 0
	case StageConnect:
		return 1
	case StageSend:
		return 2
	case StageFirstEvent:
		return 3
	case StageStream:
		return 4
	case StageResponse:
		return 5
	case StageHistory:
		return 6
	}
	return -1
}

// Set records stage st's latency.
func (t *Timings) Set(st Stage, d time.Duration) {
	if i := stageIndex(st); i >= 0 {
		t.d[i], t.set = d, t.set|1<<i
	}
}

// Get returns stage st's latency, if it ran.
func (t Timings) Get(st Stage) (time.Duration, bool) {
	i := stageIndex(st)
	if i < 0 || t.set&(1<<i) == 0 {
		return 0, false
	}
	return t.d[i], true
}

// Len is how many stages have a latency.
func (t Timings) Len() int { return bits.OnesCount8(t.set) }

// Plan is what one virtual user does. The runner derives it from the seed,
// so a run can be replayed exactly.
type Plan struct {
	// Index numbers the user within its run, from 0.
	Index    int
	Email    string
	Name     string
	Password string
	// Tag and Seed make every message's text, canary and request id
	// deterministic (see MessageAt).
	Tag  string
	Seed uint64
	// Count is how many messages the user sends, one flow each; 0 means
	// as many as fit before the driver's Until.
	Count int
	// Method is how the main connection presents its token.
	Method client.AuthMethod
	// ExtraConnection opens a second connection for the same user, which
	// must see only this user's events.
	ExtraConnection bool
	// Abandon closes the connection right after the first event of the
	// first message, as a user who leaves mid-stream; such a user's flows
	// are not counted in the completion rate.
	Abandon bool
	// CounterIDs makes the user's request ids a plain counter (req-1,
	// req-2, …), as many real clients do, so that they collide with other
	// users' and across the user's own connections: anything keyed on a
	// client-chosen id shows. Such ids prove no ownership; the canaries do.
	CounterIDs bool
	// Churn, when set, makes the user drop and reconnect, arrive late, or
	// close a second tab while runs stream (see Churn).
	Churn *Churn
}

// MessageAt returns the text of message m, the canary inside it (unique to
// this user and message) and its client request id.
func (p *Plan) MessageAt(m int) (text, canary, requestID string) {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%s/%d/%d", p.Seed, p.Tag, p.Index, m)
	canary = fmt.Sprintf(CanaryPrefix+"%s-u%04d-m%d-%08x", p.Tag, p.Index, m, h.Sum32())
	requestID = fmt.Sprintf("req-%s-u%04d-m%d", p.Tag, p.Index, m)
	if p.CounterIDs {
		requestID = fmt.Sprintf("req-%d", m+1)
	}
	return fmt.Sprintf("Hello agent, please remember %s.", canary), canary, requestID
}

// Label names the user in findings: its index and, once known, its id.
func (p *Plan) Label() string { return fmt.Sprintf("u%04d", p.Index) }

// Failure says where and why a flow failed.
type Failure struct {
	Stage Stage  `json:"stage"`
	Cause string `json:"cause"`
	// Err is the error behind Cause, when there is one; a
	// *client.BudgetError in its chain means the gateway sent more than
	// gpcheck's budgets allow (see Budgets).
	Err error `json:"-"`
	// At is when the stage was found failed.
	At time.Time `json:"at"`
}

// Protocol reports whether f is a violation of the WebSocket or framing
// rules by the gateway (a budget exceeded, a text frame that is not
// UTF-8) rather than a stage that merely did not complete.
func (f *Failure) Protocol() bool {
	return f.Budget() != nil || f != nil && errors.Is(f.Err, client.ErrInvalidUTF8)
}

// Budget returns the budget the gateway exceeded to cause f, or nil.
func (f *Failure) Budget() *client.BudgetError {
	var be *client.BudgetError
	if f != nil && errors.As(f.Err, &be) {
		return be
	}
	return nil
}

// Message is the outcome of one message's flow.
type Message struct {
	Index     int
	RequestID string
	Canary    string
	RunID     string
	ThreadID  string
	// Failure is nil when the flow completed.
	Failure *Failure
	// Dropped is set when the user's connection dropped on purpose during
	// this message's stream (ChurnDrop): the flow is not counted, and the
	// rest of its events may reach the user's new connection or nobody.
	Dropped bool
	// Timings holds the latency of each stage that ran for this message.
	Timings Timings
	// Frames and Sent are what the user had received and sent of this
	// message's request when it failed (see Result.snapshot): its
	// transcript, kept only for a message that failed.
	Frames []Received
	Sent   []Sent

	traced bool // its flow has been told to the metrics (flowTrace)
}

// Completed reports whether the message's flow held at every stage.
func (m *Message) Completed() bool { return m.Failure == nil }

// Received is one frame with the connection it arrived on (0 is the main
// connection), and what screening found in it.
type Received struct {
	Conn  int
	Frame client.Frame
	Note  Note
}

// Sent is one frame the user sent.
type Sent struct {
	Conn int
	At   time.Time
	Raw  []byte
}

// REST is one REST answer the user received.
type REST struct {
	Route string
	Resp  client.Response
	At    time.Time
}

// CanaryPrefix starts every canary (MessageAt).
const CanaryPrefix = "gpc-"

// Identity is every user id the system gave this user, path by path.
type Identity struct {
	// TokenSub is the sub claim of the access token the user was issued.
	TokenSub string
	// Login is the user id the login answer names (at the profile's
	// field); "" when the answer names none.
	Login string
	// Validate is the auth service's user_id for the token ("" if rejected).
	Validate      string
	ValidateError string
	// Profile is the backend's user_id for the token ("" if rejected).
	Profile      string
	ProfileError string
	// Connections are the user_ids of connection_established, per connection.
	Connections []string
	// Events are the user ids the events of the user's own requests
	// named (distinct, the first few).
	Events []string
}

// Result is everything one virtual user did and saw.
type Result struct {
	Plan *Plan
	// Token is the user's access token. It never goes into a report.
	Token string
	// UserID is the token's sub (empty when login failed).
	UserID   string
	Identity Identity
	// LoginTime and ConnectTime are the two per-user stages' latencies.
	LoginTime, ConnectTime time.Duration
	// Messages are the user's messages, but for those a driver with Fold
	// set folded away once they completed (counted in Folded).
	Messages []*Message
	// Folded counts the completed messages folded out of Messages.
	Folded int
	// Frames are the frames received on every connection that screening
	// kept (see Settle: those that showed another user's data, another
	// user id, an answer without its canary, a greeting, an error),
	// followed by those not yet screened, in arrival order per
	// connection. A result whose driver has no Ledger screens nothing
	// while it runs: it keeps every frame until Settle.
	Frames []Received
	// Sent are the frames the user sent most recently, for transcripts.
	Sent []Sent
	// REST are the REST answers screening kept (those that carried
	// another user's data), followed by those not yet screened.
	REST []REST
	// Leaks are what screening found of other users' data, by owner
	// (Owner.User).
	Leaks map[int]*Leak

	ledger       *Ledger
	awaiting     int64   // the sequence number of the user's await in the ledger; -1: none
	screened     int     // Frames[:screened] are screened and kept
	restScreened int     // REST[:restScreened] likewise
	recent       []plain // a ring of plain screened frames
	recentNext   int
	answers      []uint64 // messages whose first answer was screened, by index
	started      int      // messages sent
	reqPrefix    string   // the request ids' prefix, but for the message number

	mu     sync.Mutex
	sentMu sync.Mutex // guards Sent only; held without taking any other lock
}

// record adds a received frame and screens what the ledger allows.
func (r *Result) record(conn int, f client.Frame) {
	r.mu.Lock()
	if r.Frames == nil {
		// Room for the greeting and the frames of a run that wait for
		// its first event; the array is reused once they are screened.
		r.Frames = make([]Received, 0, 4)
	}
	r.Frames = append(r.Frames, Received{Conn: conn, Frame: f})
	r.settle(false)
	r.mu.Unlock()
}

// Driver runs plans against an Env.
type Driver struct {
	Env *harness.Env
	// Gate, when set, bounds the runs in flight: each message's flow holds
	// one slot from send to the history check.
	Gate chan struct{}
	// Until ends the messages of plans with Count 0; no message starts
	// after it.
	Until time.Time
	// KeepAlive is how often an idle connection pings while its user waits
	// for a slot; 0 means 15 s.
	KeepAlive time.Duration
	// Cues order the churn scenarios of plans with a Churn: the users of
	// one run must share one. Nil runs churning plans without waiting for
	// their partners.
	Cues *Cues
	// Finished, when set, is told of each message as soon as its flow has
	// ended (completed, failed or dropped), from the user's goroutine:
	// live progress for a long run's heartbeats. Messages failed without
	// running (a login that failed, say) are not told; the Result Run
	// returns is the full account.
	Finished func(p *Plan, m *Message)
	// Fold, when set, is handed each message that completed (and was not
	// dropped), which is then not kept in the Result: Result.Folded
	// counts it. The receiver keeps what it needs of it (its timings), so
	// that what the driver holds does not grow with the flows.
	Fold func(p *Plan, m *Message)
	// Ledger, when set, is the run's account of who owns which marker:
	// each user's frames are judged as they arrive against it, and only
	// those that showed something are kept (see Result.Settle). Every
	// user of a run must share one.
	Ledger *Ledger
}

// Run drives p's golden path and returns what happened. It never returns
// an error: every failure is recorded in the result, attributed to a stage.
// It returns when every message has finished or ctx is done.
func (d *Driver) Run(ctx context.Context, p *Plan) *Result {
	// Room for what a flow receives without a second connection: the
	// greeting and the five events of each message (more grows as needed).
	res := &Result{Plan: p}
	if d.Ledger != nil {
		d.Ledger.Join(res)
		defer res.resolve()
	}
	ctx, tr := d.traceFlow(ctx, p) // the user's trace, when the Env traces flows
	defer func() { tr.end(res) }()
	if c := p.Churn; c != nil {
		// Whatever happens to this flow, its partner must not wait for
		// it longer than it lasts.
		switch c.Role {
		case ChurnDrop:
			defer d.Cues.fire(cueDropped(p.Index))
		case ChurnJoin:
			defer d.Cues.fire(cueJoined(p.Index))
		}
	}
	// failAll fails every message not yet run: all of Count, or, for a
	// plan bounded by time, the one that could not start.
	failAll := func(st Stage, err error, cause string) {
		n := p.Count
		if n == 0 && len(res.Messages) == 0 {
			n = 1
		}
		for i := len(res.Messages); i < n; i++ {
			res.Messages = append(res.Messages, d.newMessage(p, i))
		}
		for _, m := range res.Messages {
			if m.Failure == nil && m.Timings.Len() == 0 {
				m.Failure = &Failure{Stage: st, Cause: cause, Err: err, At: time.Now()}
			}
		}
	}

	// Login.
	start := time.Now()
	res.await() // until the user's id is known
	lctx, endLogin := tr.stage(ctx, StageLogin)
	sess, err := d.Login(lctx, p)
	res.LoginTime = time.Since(start)
	endLogin(err, res.LoginTime)
	if err != nil {
		failAll(StageLogin, err, err.Error())
		return res
	}
	res.Token = sess.AccessToken
	sub, err := tokens.Subject(sess.AccessToken)
	if err != nil {
		failAll(StageLogin, err, "access token: "+err.Error())
		return res
	}
	res.UserID = sub
	if l := d.Ledger; l != nil {
		l.Own(p.Index, "user_id", sub)
	}
	res.resolve()
	res.Identity.TokenSub = sub
	res.Identity.Login = client.Field(sess.Raw, d.Env.Target.Profile.LoginUserIDField)
	d.probeIdentity(ctx, res)

	// Connect: a churn joiner only once its partner has dropped, so that
	// it arrives while the partner's run is in flight.
	if c := p.Churn; c != nil && c.Role == ChurnJoin {
		if err := d.Cues.wait(ctx, cueDropped(c.Partner)); err != nil {
			failAll(StageConnect, err, "the run ended before this late user could connect")
			return res
		}
	}
	start = time.Now()
	connN := 0 // the main connection's number in Frames: 0, then 2, 3, … after each reconnect
	cctx, endConnect := tr.stage(ctx, StageConnect)
	conn, err := d.connect(cctx, res, connN, d.method(p.Method))
	res.ConnectTime = time.Since(start)
	endConnect(err, res.ConnectTime)
	if c := p.Churn; c != nil && c.Role == ChurnJoin {
		d.Cues.fire(cueJoined(p.Index))
	}
	if err != nil {
		failAll(StageConnect, err, err.Error())
		return res
	}
	defer func() {
		// Frames that arrived after the last wait still count for the
		// isolation check: keep what the reader had buffered.
		if conn != nil {
			conn.Close()
			drain(context.Background(), conn, res, connN)
		}
	}()
	var c2 *client.Conn
	if p.ExtraConnection {
		var extra sync.WaitGroup
		c2, err = d.connect(ctx, res, 1, d.method(client.AuthSubprotocol))
		if err != nil {
			failAll(StageConnect, err, "second connection: "+err.Error())
			return res
		}
		extra.Add(1)
		second := c2
		go func() {
			defer extra.Done()
			drain(ctx, second, res, 1)
		}()
		defer func() {
			second.Close() // harmless when a churn tab already closed it
			extra.Wait()
		}()
	}

	threadID := ""
	for i := 0; p.Count == 0 || i < p.Count; i++ {
		if p.Count == 0 && !time.Now().Before(d.Until) {
			break
		}
		release, err := d.acquire(ctx, conn)
		if err != nil {
			failAll(StageSend, err, "no slot to run before the run ended: "+err.Error())
			break
		}
		m := d.newMessage(p, i)
		res.newMessage()
		res.mu.Lock()
		res.Messages = append(res.Messages, m)
		res.mu.Unlock()
		text, _, _ := p.MessageAt(i)
		// Each message is a run: the per-run budgets count afresh, on the
		// second connection too (it receives the same user's events).
		conn.BeginRun()
		if c2 != nil {
			c2.BeginRun()
		}
		mctx, endMessage := tr.message(ctx, m)
		d.message(mctx, conn, connN, res, m, text, threadID, func() bool {
			// Called right after the first event of m, while its run
			// streams: true ends m's flow there.
			switch c := p.Churn; {
			case p.Abandon:
				return true
			case c != nil && c.Message == i && c.Role == ChurnDrop:
				m.Dropped = true
				return true
			case c != nil && c.Message == i && c.Role == ChurnCloseTab && c2 != nil:
				c2.Close()
				c2 = nil
			}
			return false
		})
		endMessage()
		release()
		if m.Failure != nil && !m.Dropped {
			res.snapshot(m)
		}
		if d.Finished != nil {
			d.Finished(p, m)
		}
		if d.Fold != nil && m.Completed() && !m.Dropped {
			d.Fold(p, m)
			res.mu.Lock()
			res.Messages = res.Messages[:len(res.Messages)-1] // m, the latest
			res.Folded++
			res.mu.Unlock()
		}
		if m.ThreadID != "" {
			threadID = m.ThreadID
		}
		if p.Abandon {
			conn.CloseNow()
			break
		}
		if m.Dropped {
			old := connN
			connN = max(connN, 1) + 1
			conn, err = d.reconnect(ctx, res, conn, old, connN)
			if err != nil {
				if p.Count == 0 || i+1 < p.Count {
					next := d.newMessage(p, i+1)
					next.Failure = &Failure{Stage: StageConnect, Cause: "reconnect after the connection dropped: " + err.Error(), Err: err, At: time.Now()}
					res.mu.Lock()
					res.Messages = append(res.Messages, next)
					res.mu.Unlock()
					failAll(StageSend, nil, "the connection could not be re-established")
				}
				return res
			}
			continue
		}
		if m.Failure != nil && m.Failure.Stage != StageResponse && m.Failure.Stage != StageHistory {
			// The connection ended (closed by the server, or by gpcheck
			// over a budget): the messages left cannot be sent.
			if cerr := conn.Err(); cerr != nil {
				failAll(StageSend, nil, "connection closed earlier: "+cerr.Error())
				break
			}
		}
	}
	return res
}

// reconnect drops old as a vanishing client would, keeps what it had
// received, cues the churn partner, waits until the partner has connected,
// and opens connection n for the same user — after a fresh login when the
// plan says so. It returns nil and the error when that fails.
func (d *Driver) reconnect(ctx context.Context, res *Result, old *client.Conn, oldN, n int) (*client.Conn, error) {
	p := res.Plan
	old.CloseNow()
	drain(ctx, old, res, oldN)
	if p.Churn.Gap > 0 {
		t := time.NewTimer(p.Churn.Gap)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	d.Cues.fire(cueDropped(p.Index))
	if err := d.Cues.wait(ctx, cueJoined(p.Churn.Partner)); err != nil {
		return nil, fmt.Errorf("waiting for the late user to connect: %w", err)
	}
	if p.Churn.NewToken {
		sess, err := d.Login(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("login again: %w", err)
		}
		res.mu.Lock()
		res.Token = sess.AccessToken
		res.mu.Unlock()
	}
	return d.connect(ctx, res, n, d.method(p.Method))
}

// method is how a connection presents its token: as planned, unless the
// target's profile allows only one way.
func (d *Driver) method(planned client.AuthMethod) client.AuthMethod {
	switch d.Env.Target.Profile.WSAuth {
	case "header":
		return client.AuthHeader
	case "subprotocol":
		return client.AuthSubprotocol
	}
	return planned
}

func (d *Driver) newMessage(p *Plan, i int) *Message {
	_, canary, req := p.MessageAt(i)
	return &Message{Index: i, RequestID: req, Canary: canary}
}

// acquire takes a run slot, pinging conn while it waits so that the
// connection stays alive however long the queue.
func (d *Driver) acquire(ctx context.Context, conn *client.Conn) (func(), error) {
	if d.Gate == nil {
		return func() {}, ctx.Err()
	}
	every := d.KeepAlive
	if every <= 0 {
		every = 15 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case d.Gate <- struct{}{}:
			return func() { <-d.Gate }, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			pctx, cancel := context.WithTimeout(ctx, d.Env.Target.RequestTimeout)
			err := conn.Send(pctx, map[string]string{"type": "ping"})
			cancel()
			if err != nil {
				return nil, fmt.Errorf("keep-alive ping: %w", err)
			}
		}
	}
}

// Login obtains a session for p the way the target says: registration and
// login, or the bypass endpoint.
func (d *Driver) Login(ctx context.Context, p *Plan) (client.Session, error) {
	a := d.Env.Auth
	switch d.Env.Target.Users {
	case profile.UsersBypass:
		return a.TestAuth(ctx, p.Email, p.Name)
	case profile.UsersCredentials:
		creds := d.Env.Target.Credentials
		if p.Index >= len(creds) {
			return client.Session{}, fmt.Errorf("user %d has no credential: %d given", p.Index, len(creds))
		}
		return a.Login(ctx, creds[p.Index].Email, creds[p.Index].Password)
	default:
		_, err := a.Register(ctx, p.Email, p.Password, p.Name)
		var se *client.StatusError
		if err != nil && !(errors.As(err, &se) && se.Status == 409) {
			return client.Session{}, fmt.Errorf("register: %w", err)
		}
		return a.Login(ctx, p.Email, p.Password)
	}
}

// probeIdentity asks the auth service and the backend who the token is.
func (d *Driver) probeIdentity(ctx context.Context, res *Result) {
	v, err := d.Env.Auth.Validate(ctx, res.Token)
	switch {
	case err != nil:
		res.Identity.ValidateError = err.Error()
	case !v.Valid:
		res.Identity.ValidateError = "rejected: " + v.Error
	default:
		res.Identity.Validate = v.UserID
	}
	prof, raw, err := d.Env.API.Profile(ctx, res.Token)
	res.AddREST("GET /api/v1/user/profile", raw)
	if err != nil {
		res.Identity.ProfileError = err.Error()
	} else {
		res.Identity.Profile = prof.UserID
	}
}

// AddREST records a REST answer r received on route, to be screened for
// other users' data like a frame (see Settle): kept whole only when it
// carried some.
func (r *Result) AddREST(route string, resp client.Response) {
	if resp.Status == 0 && resp.Body == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.REST = append(r.REST, REST{Route: route, Resp: resp, At: time.Now()})
	r.settle(false)
}

// connect opens connection n and waits for connection_established, all
// within the connect SLA.
func (d *Driver) connect(ctx context.Context, res *Result, n int, m client.AuthMethod) (*client.Conn, error) {
	t := d.Env.Target
	cctx, cancel := context.WithTimeout(ctx, t.SLA.Connect)
	defer cancel()
	conn, err := client.Dial(cctx, t.WSURL, res.Token, client.DialOptions{Method: m, Origin: t.Origin, HTTPClient: d.Env.HTTP,
		Budgets: Budgets(t.Profile.Budgets)})
	if err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("no handshake within the %s SLA", t.SLA.Connect)
		}
		return nil, err
	}
	f, err := conn.Next(cctx)
	if err != nil {
		conn.CloseNow()
		if cctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("no connection_established within the %s SLA", t.SLA.Connect)
		}
		return nil, fmt.Errorf("waiting for connection_established: %w", err)
	}
	res.record(n, f)
	if f.Type != d.Env.Target.Profile.Events.ConnectionEstablished {
		conn.CloseNow()
		return nil, fmt.Errorf("first frame is %q, want connection_established", frameType(f))
	}
	res.mu.Lock()
	res.Identity.Connections = append(res.Identity.Connections, f.UserID)
	res.mu.Unlock()
	if f.UserID != res.UserID {
		conn.CloseNow()
		return nil, fmt.Errorf("connection_established for user %q, token sub is %q", f.UserID, res.UserID)
	}
	return conn, nil
}

// drain records every frame of an extra connection until it ends.
func drain(ctx context.Context, c *client.Conn, res *Result, n int) {
	for {
		f, err := c.Next(ctx)
		if err != nil {
			return
		}
		res.record(n, f)
	}
}

// Budgets converts a profile's budgets into the WebSocket client's.
func Budgets(b profile.Budgets) client.Budgets {
	return client.Budgets{MaxFrameBytes: b.MaxFrameBytes, MaxFramesPerRun: b.MaxFramesPerRun,
		MaxBytesPerRun: b.MaxBytesPerRun, MaxFramesPerSecond: b.MaxFramesPerSecond}
}

func frameType(f client.Frame) string {
	if f.Err != nil {
		return "invalid frame"
	}
	return f.Type
}

// message runs one message's flow on conn: send, first event, the stream
// of five events, the answer, and the thread's history.
//
// afterFirst, when set, is called right after the first event; when it
// returns true the flow ends there (a user who leaves or drops mid-stream).
func (d *Driver) message(ctx context.Context, conn *client.Conn, connN int, res *Result, m *Message, text, threadID string, afterFirst func() bool) {
	t := d.Env.Target
	fail := func(st Stage, format string, args ...any) {
		m.Failure = &Failure{Stage: st, Cause: fmt.Sprintf(format, args...), At: time.Now()}
	}
	// failErr fails st with err behind the cause, so that a budget the
	// gateway exceeded is reported as such, at the stage that was waiting.
	failErr := func(st Stage, err error, cause string) {
		m.Failure = &Failure{Stage: st, Cause: cause, Err: err, At: time.Now()}
	}
	sent := time.Now()
	prof := t.Profile
	raw := userMessage(prof.UserMessageType, prof.MessageField, text, threadID, m.RequestID)
	raw = d.withTraceField(ctx, raw) // the trace context, where the profile names a field
	res.addSent(Sent{Conn: connN, At: sent, Raw: raw})
	res.mu.Lock()
	res.started = m.Index + 1
	res.mu.Unlock()
	// Until this run's first event names its run and thread, frames that
	// arrive may carry them: they wait to be judged (Ledger).
	res.await()
	defer res.resolve()
	sctx, cancel := context.WithTimeout(ctx, t.RequestTimeout)
	err := conn.SendRaw(sctx, raw, false)
	cancel()
	if err != nil {
		failErr(StageSend, err, err.Error())
		return
	}
	m.Timings.Set(StageSend, time.Since(sent))

	// runEvents are the frame types that belong to a run and so must name
	// the request they answer.
	runEvents := map[string]bool{prof.Events.Error: true}
	for _, typ := range prof.EventTypes() {
		runEvents[typ] = true
	}
	// Wait for this request's events. Frames of other requests are recorded
	// for the isolation check and otherwise skipped here; an event that
	// names no request at all fails the stage that was waiting for it.
	next := func(deadline time.Time) (client.Frame, error) {
		wctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		for {
			f, err := conn.Next(wctx)
			if err != nil {
				return f, err
			}
			res.record(connN, f)
			if f.Err != nil {
				return f, f.Err
			}
			if f.Type == "error" {
				return f, fmt.Errorf("gateway sent an error frame: %s", string(f.Data))
			}
			if runEvents[f.Type] && blank(f.RequestID) {
				return f, fmt.Errorf("%s %s", f.Type, absentID(f, "request_id"))
			}
			if f.RequestID == m.RequestID {
				return f, nil
			}
		}
	}
	waitErr := func(err error, what string, sla time.Duration) string {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return fmt.Sprintf("no %s within %s", what, sla)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("no %s before the flow's total deadline", what)
		}
		return fmt.Sprintf("waiting for %s: %v", what, err)
	}

	firstDeadline := sent.Add(t.SLA.FirstEvent)
	f, err := next(firstDeadline)
	if err != nil {
		failErr(StageFirstEvent, err, waitErr(err, "first event", t.SLA.FirstEvent))
		return
	}
	// The first event names the run and its thread: every later event and
	// the history check rely on both. (A run that failed at once, with
	// agent_error, is judged by the stream check below.)
	if f.Type != prof.Events.Error {
		for _, id := range []struct {
			name, val string
		}{{"run_id", f.RunID}, {"thread_id", f.ThreadID}} {
			if blank(id.val) {
				fail(StageFirstEvent, "first event %s %s: every event must carry its run's run_id and thread_id, which the stream and history checks rely on",
					f.Type, absentID(f, id.name))
				return
			}
		}
	}
	m.Timings.Set(StageFirstEvent, f.At.Sub(sent))
	m.RunID, m.ThreadID = f.RunID, f.ThreadID
	if l := d.Ledger; l != nil {
		l.Own(res.Plan.Index, "run_id", m.RunID)
		l.Own(res.Plan.Index, "thread_id", m.ThreadID)
	}
	res.resolve()
	if afterFirst != nil && afterFirst() {
		return
	}

	totalDeadline := sent.Add(t.SLA.Total)
	var completed client.Frame
	for i, want := range prof.EventTypes() {
		if i > 0 {
			f, err = next(totalDeadline)
			if err != nil {
				failErr(StageStream, err, waitErr(err, want, t.SLA.Total))
				return
			}
		}
		if cause := checkEvent(f, want, prof.Events.Error, i == 2 || i == 3, res.UserID, m); cause != "" {
			fail(StageStream, "%s", cause)
			return
		}
		completed = f
	}
	m.Timings.Set(StageStream, completed.At.Sub(sent))

	content, err := answerContent(completed)
	if err != nil {
		fail(StageResponse, "agent_completed: %v", err)
		return
	}
	if !strings.Contains(content, text) {
		fail(StageResponse, "agent_completed does not contain the user's own message (canary %s)", m.Canary)
		return
	}
	m.Timings.Set(StageResponse, completed.At.Sub(sent))

	// Never ask for the history of no thread (GET /api/threads//messages):
	// some backends answer it, which would pass a run that named none.
	if blank(m.ThreadID) {
		fail(StageHistory, "the run named no thread_id, so its history cannot be read")
		return
	}
	hstart := time.Now()
	hctx, cancel := context.WithTimeout(ctx, t.RequestTimeout)
	defer cancel()
	msgs, resp, err := d.Env.API.Messages(hctx, res.Token, m.ThreadID)
	res.AddREST("GET /api/threads/{id}/messages", resp)
	if err != nil {
		failErr(StageHistory, err, err.Error())
		return
	}
	if cause := checkHistory(msgs, text, m.RunID); cause != "" {
		fail(StageHistory, "%s", cause)
		return
	}
	m.Timings.Set(StageHistory, time.Since(hstart))
}

// userMessage encodes the user_message frame: {"type": typ, "payload":
// {field: text, "thread_id": …, "request_id": …}}, names from the profile.
// Written by hand because every flow sends one and a map per frame is the
// harness's largest cost over a bare client.
func userMessage(typ, field, text, threadID, requestID string) []byte {
	b := make([]byte, 0, 64+len(typ)+len(field)+len(text)+len(threadID)+len(requestID))
	b = append(b, `{"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"payload":{`...)
	b = appendJSONString(b, field)
	b = append(b, ':')
	b = appendJSONString(b, text)
	b = append(b, `,"thread_id":`...)
	b = appendJSONString(b, threadID)
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, requestID)
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// (without its HTML escaping, which a frame does not need).
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		q, _ := json.Marshal(s) // replaces invalid bytes with U+FFFD
		return append(b, q...)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9):
			b = append(b, '\\', 'u', '2', '0', '2', hex[s[i+2]&0xf]) // U+2028, U+2029
			i += 2
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// blank reports whether an id is missing, null, empty or only spaces.
func blank(id string) bool { return strings.TrimSpace(id) == "" }

// absentID says how frame f lacks the id field: "has no request_id", "has
// request_id null" or "has an empty request_id", for failure causes.
func absentID(f client.Frame, field string) string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(f.Raw, &m)
	v, ok := m[field]
	switch {
	case !ok:
		return "has no " + field
	case string(v) == "null":
		return "has " + field + " null"
	default:
		return fmt.Sprintf("has an empty %s (%s)", field, v)
	}
}

// checkEvent returns why f is not the event want of m's run, or "".
func checkEvent(f client.Frame, want, errorType string, needsTool bool, userID string, m *Message) string {
	if f.Type == errorType {
		var d struct {
			ErrorMessage string `json:"error_message"`
		}
		_ = json.Unmarshal(f.Data, &d)
		return fmt.Sprintf("agent_error instead of %s: %q", want, d.ErrorMessage)
	}
	if f.Type != want {
		return fmt.Sprintf("got %s, want %s", f.Type, want)
	}
	switch {
	case f.UserID != userID:
		return fmt.Sprintf("%s carries user_id %q, want %q", want, f.UserID, userID)
	case blank(f.RunID):
		return fmt.Sprintf("%s %s", want, absentID(f, "run_id"))
	case f.RunID != m.RunID:
		return fmt.Sprintf("%s carries run_id %q, the run started as %q", want, f.RunID, m.RunID)
	case blank(f.ThreadID):
		return fmt.Sprintf("%s %s", want, absentID(f, "thread_id"))
	case f.ThreadID != m.ThreadID:
		return fmt.Sprintf("%s carries thread_id %q, the run started in %q", want, f.ThreadID, m.ThreadID)
	case needsTool && f.ToolName == "":
		return fmt.Sprintf("%s has no tool_name", want)
	}
	return ""
}

func answerContent(f client.Frame) (string, error) {
	var d struct {
		Result struct {
			Content *string `json:"content"`
		} `json:"result"`
	}
	if err := json.Unmarshal(f.Data, &d); err != nil {
		return "", fmt.Errorf("data is not a JSON object: %w", err)
	}
	if d.Result.Content == nil {
		return "", errors.New("no data.result.content")
	}
	return *d.Result.Content, nil
}

func checkHistory(msgs []client.Message, text, runID string) string {
	var user, assistant bool
	for _, m := range msgs {
		switch {
		case m.Role == "user" && m.Content == text:
			user = true
		case m.Role == "assistant" && m.RunID == runID && strings.Contains(m.Content, text):
			assistant = true
		}
	}
	switch {
	case !user:
		return "the thread's messages do not hold the user's message"
	case !assistant:
		return fmt.Sprintf("the thread's messages do not hold the answer of run %s", runID)
	}
	return ""
}
