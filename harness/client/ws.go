package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// AuthMethod says how a WebSocket client presents its token.
type AuthMethod int

const (
	// AuthHeader sends "Authorization: Bearer <token>".
	AuthHeader AuthMethod = iota
	// AuthSubprotocol offers the subprotocols "jwt-auth" and
	// "jwt.<base64url(token)>".
	AuthSubprotocol
)

func (m AuthMethod) String() string {
	if m == AuthSubprotocol {
		return "subprotocol"
	}
	return "header"
}

// DialOptions configures Dial.
type DialOptions struct {
	// Method is how the token is presented; the zero value is AuthHeader.
	Method AuthMethod
	// Origin, when set, is sent as the Origin header.
	Origin string
	// HTTPClient performs the handshake; it must have a timeout or the
	// context a deadline.
	HTTPClient *http.Client
	// Header adds headers to the handshake request (attack specs use it to
	// send a second credential).
	Header http.Header
	// Subprotocols adds offered subprotocols after the auth ones.
	Subprotocols []string
	// Budgets bound what the connection accepts from the server; zero
	// fields mean the defaults (see Budgets).
	Budgets Budgets
}

// HandshakeError reports a handshake the server refused.
type HandshakeError struct {
	// Status is the HTTP status of the refusal, 0 when none was received.
	Status int
	// Code is the "error" field of its JSON body, when there is one.
	Code string
	Err  error
}

func (e *HandshakeError) Error() string {
	switch {
	case e.Status != 0 && e.Code != "":
		return fmt.Sprintf("websocket handshake refused: HTTP %d (%s)", e.Status, e.Code)
	case e.Status != 0:
		return fmt.Sprintf("websocket handshake refused: HTTP %d", e.Status)
	}
	return fmt.Sprintf("websocket handshake: %v", e.Err)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// ErrInvalidUTF8 is a text frame that is not UTF-8: RFC 6455 §8.1 says
// the endpoint must fail the connection, so it is a protocol violation,
// not merely an answer gpcheck did not expect.
var ErrInvalidUTF8 = errors.New("a text frame holds invalid UTF-8 (RFC 6455 §8.1)")

// Frame is one JSON frame received from the gateway, with the envelope
// fields of PROTOCOL.md parsed and the raw bytes kept for the checks.
type Frame struct {
	Type         string          `json:"type"`
	RunID        string          `json:"run_id,omitempty"`
	ThreadID     string          `json:"thread_id,omitempty"`
	RequestID    string          `json:"request_id,omitempty"`
	UserID       string          `json:"user_id,omitempty"`
	ConnectionID string          `json:"connection_id,omitempty"`
	ToolName     string          `json:"tool_name,omitempty"`
	AgentName    string          `json:"agent_name,omitempty"`
	Timestamp    int64           `json:"timestamp,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`

	// Raw is the frame as received.
	Raw []byte `json:"-"`
	// At is when the harness received it.
	At time.Time `json:"-"`
	// Err is set when the frame was not valid JSON.
	Err error `json:"-"`
}

// wireFrame is what readLoop decodes a frame into: Frame's envelope, with
// Data aliasing the frame's own bytes instead of a copy of them.
type wireFrame struct {
	Type         interned `json:"type"`
	RunID        interned `json:"run_id"`
	ThreadID     interned `json:"thread_id"`
	RequestID    interned `json:"request_id"`
	UserID       interned `json:"user_id"`
	ConnectionID interned `json:"connection_id"`
	ToolName     interned `json:"tool_name"`
	AgentName    interned `json:"agent_name"`
	Timestamp    int64    `json:"timestamp"`
	Data         alias    `json:"data"`
}

// newWireFrame returns a wireFrame whose strings share tab.
func newWireFrame(tab map[string]string) wireFrame {
	return wireFrame{Type: interned{tab: tab}, RunID: interned{tab: tab}, ThreadID: interned{tab: tab}, RequestID: interned{tab: tab},
		UserID: interned{tab: tab}, ConnectionID: interned{tab: tab}, ToolName: interned{tab: tab}, AgentName: interned{tab: tab}}
}

// maxInterned bounds a connection's intern table: once full, it starts
// afresh, so that a long-lived connection (whose every run names new ids)
// holds the strings of its latest runs, not of all of them.
const maxInterned = 64

// interned is a JSON string decoded through a connection's table of the
// strings it has seen: the five events of a run repeat its type, run,
// thread, request, user and agent, so each is stored once per connection
// rather than once per frame.
type interned struct {
	s   string
	tab map[string]string
}

// UnmarshalJSON reads a JSON string (null leaves it empty). A string
// without escapes is looked up as it is; one with escapes is decoded by
// encoding/json and not interned.
func (v *interned) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		if s, ok := v.tab[string(b[1:len(b)-1])]; ok {
			v.s = s
			return nil
		}
		v.s = string(b[1 : len(b)-1])
		if v.tab != nil {
			if len(v.tab) >= maxInterned {
				clear(v.tab)
			}
			v.tab[v.s] = v.s
		}
		return nil
	}
	if string(b) == "null" {
		v.s = ""
		return nil
	}
	return json.Unmarshal(b, &v.s)
}

// alias is a json.RawMessage that keeps the slice of the input it is given
// instead of copying it. encoding/json hands an Unmarshaler a slice of
// the document being decoded; readLoop decodes each frame's own buffer,
// which Frame.Raw keeps unchanged for the frame's life, so the alias
// stays valid. (TestFrameDataAliasesRaw checks that it does.)
type alias []byte

// UnmarshalJSON keeps b, which must outlive the alias (see alias).
func (a *alias) UnmarshalJSON(b []byte) error {
	*a = b
	return nil
}

// Conn is an open WebSocket connection to the gateway. A background reader
// receives every frame as soon as it arrives, so timing is measured at
// arrival and frames are never lost while the caller is busy. The reader
// holds the connection to its Budgets: a frame over a budget is dropped,
// the connection is closed, and Next and Err return a *BudgetError. The
// budgets also bound the frames waiting unread, which is why the queue
// needs no bound of its own.
type Conn struct {
	ws *websocket.Conn
	// queue[head:] are the frames received and not yet read; ready has
	// room for one wake-up of a waiting Next.
	qmu   sync.Mutex
	queue []Frame
	head  int
	ready chan struct{}
	done  chan struct{}
	// closeErr is the reader's terminal error, valid after done is closed.
	closeErr error
	wmu      sync.Mutex
	cancel   context.CancelFunc
	meter    *meter
}

// Dial opens a WebSocket connection presenting token as opts.Method says.
// A refused handshake returns a *HandshakeError.
func Dial(ctx context.Context, wsURL, token string, opts DialOptions) (*Conn, error) {
	do := &websocket.DialOptions{HTTPClient: opts.HTTPClient, HTTPHeader: http.Header{}}
	for k, vs := range opts.Header {
		do.HTTPHeader[k] = append([]string(nil), vs...)
	}
	if opts.Origin != "" {
		do.HTTPHeader.Set("Origin", opts.Origin)
	}
	switch opts.Method {
	case AuthSubprotocol:
		do.Subprotocols = []string{"jwt-auth", "jwt." + base64.RawURLEncoding.EncodeToString([]byte(token))}
	default:
		if token != "" {
			do.HTTPHeader.Set("Authorization", "Bearer "+token)
		}
	}
	do.Subprotocols = append(do.Subprotocols, opts.Subprotocols...)
	ws, resp, err := websocket.Dial(ctx, wsURL, do)
	if err != nil {
		he := &HandshakeError{Err: err}
		if resp != nil {
			he.Status = resp.StatusCode
			if resp.Body != nil {
				var b [4096]byte
				n, _ := resp.Body.Read(b[:])
				he.Code = ErrorCode(b[:n])
				resp.Body.Close()
			}
		}
		return nil, he
	}
	b := opts.Budgets.WithDefaults()
	ws.SetReadLimit(b.MaxFrameBytes)
	rctx, cancel := context.WithCancel(context.Background())
	c := &Conn{ws: ws, ready: make(chan struct{}, 1), done: make(chan struct{}), cancel: cancel, meter: newMeter(b),
		queue: make([]Frame, 0, 6)} // a greeting, or a run's events, can arrive in one burst before Next takes them
	go c.readLoop(rctx)
	return c, nil
}

// Subprotocol returns the subprotocol the server selected.
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// BeginRun starts a new run on the connection: the per-run budgets
// (MaxFramesPerRun, MaxBytesPerRun) count afresh from here. Call it just
// before sending the message that starts the run; until the first call,
// the connection's run began with the handshake.
func (c *Conn) BeginRun() { c.meter.beginRun() }

func (c *Conn) readLoop(ctx context.Context) {
	defer close(c.done)
	// Decoded in place, then copied into the queue: one of each on the
	// heap per connection, not one per frame.
	var f Frame
	tab := make(map[string]string, 16) // a run's strings, without regrowing
	w := newWireFrame(tab)
	for {
		typ, b, err := c.ws.Read(ctx)
		if err != nil {
			c.closeErr = err
			if errors.Is(err, websocket.ErrMessageTooBig) {
				// The library stopped reading one byte past the limit and
				// sent close 1009; the frame itself was never kept.
				c.closeErr = c.meter.tooBig()
				_ = c.ws.CloseNow()
			}
			return
		}
		at := time.Now()
		if be := c.meter.count(at, len(b)); be != nil {
			// Over budget: drop the frame and stop listening to a server
			// that would otherwise grow gpcheck without bound.
			c.closeErr = be
			_ = c.ws.CloseNow()
			return
		}
		f = Frame{Raw: b, At: at}
		if typ != websocket.MessageText {
			f.Err = errors.New("binary frame")
		} else if !utf8.Valid(b) {
			f.Err = ErrInvalidUTF8
		} else if err := json.Unmarshal(b, &w); err != nil {
			f.Err = fmt.Errorf("invalid JSON frame: %w", err)
		} else {
			f.Type, f.RunID, f.ThreadID, f.RequestID, f.UserID = w.Type.s, w.RunID.s, w.ThreadID.s, w.RequestID.s, w.UserID.s
			f.ConnectionID, f.ToolName, f.AgentName, f.Timestamp, f.Data = w.ConnectionID.s, w.ToolName.s, w.AgentName.s, w.Timestamp, json.RawMessage(w.Data)
		}
		w = newWireFrame(tab)
		c.qmu.Lock()
		c.queue = append(c.queue, f)
		c.qmu.Unlock()
		select {
		case c.ready <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// pop returns the oldest unread frame, if any.
func (c *Conn) pop() (Frame, bool) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.head == len(c.queue) {
		return Frame{}, false
	}
	f := c.queue[c.head]
	c.queue[c.head] = Frame{}
	c.head++
	if c.head == len(c.queue) {
		c.queue, c.head = c.queue[:0], 0 // reuse the array for the next frames
	}
	return f, true
}

// Next returns the next frame, waiting at most until ctx is done. When the
// connection has ended it returns a *ClosedError, or a *BudgetError when
// gpcheck closed it because the server exceeded a budget.
func (c *Conn) Next(ctx context.Context) (Frame, error) {
	for {
		if f, ok := c.pop(); ok {
			return f, nil
		}
		select {
		case <-c.done:
			if f, ok := c.pop(); ok { // the last frames before the end
				return f, nil
			}
			return Frame{}, c.closed()
		default:
		}
		select {
		case <-c.ready:
		case <-c.done:
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		}
	}
}

// ClosedError reports that the connection ended, with the close code the
// server sent (-1 when the connection broke without one).
type ClosedError struct {
	Code   int
	Reason string
	Err    error
}

func (e *ClosedError) Error() string {
	if e.Code >= 0 {
		return fmt.Sprintf("connection closed with code %d %q", e.Code, e.Reason)
	}
	return fmt.Sprintf("connection lost: %v", e.Err)
}

func (e *ClosedError) Unwrap() error { return e.Err }

// Err returns nil while the connection is open and a *ClosedError (or a
// *BudgetError) once it has ended (frames received before the end may
// still be waiting in Next).
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.closed()
	default:
		return nil
	}
}

func (c *Conn) closed() error {
	<-c.done
	var be *BudgetError
	if errors.As(c.closeErr, &be) {
		return be
	}
	ce := &ClosedError{Code: int(websocket.CloseStatus(c.closeErr)), Err: c.closeErr}
	var cerr websocket.CloseError
	if errors.As(c.closeErr, &cerr) {
		ce.Reason = cerr.Reason
	}
	return ce
}

// Send writes v as one JSON text frame.
func (c *Conn) Send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	return c.SendRaw(ctx, b, false)
}

// SendRaw writes b as one frame, binary when binary is true. Attack and
// robustness specs use it to send frames that are not valid JSON.
func (c *Conn) SendRaw(ctx context.Context, b []byte, binary bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	typ := websocket.MessageText
	if binary {
		typ = websocket.MessageBinary
	}
	if err := c.ws.Write(ctx, typ, b); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// Close closes the connection normally and stops the reader. A
// connection the server already closed is not an error.
func (c *Conn) Close() {
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	c.cancel()
	<-c.done
}

// CloseNow drops the connection without a close handshake, as a client that
// vanishes mid-stream would.
func (c *Conn) CloseNow() {
	_ = c.ws.CloseNow()
	c.cancel()
	<-c.done
}

// UserMessage is the client frame that starts an agent run.
type UserMessage struct {
	Type    string             `json:"type"`
	Payload UserMessagePayload `json:"payload"`
}

// UserMessagePayload is the payload of a UserMessage.
type UserMessagePayload struct {
	Message   string `json:"message"`
	ThreadID  string `json:"thread_id"`
	RequestID string `json:"request_id"`
}

// HTTPBase turns a ws:// or wss:// endpoint URL into the http(s) base URL of
// the same server, for its /health endpoint.
func HTTPBase(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", fmt.Errorf("websocket URL %q: %w", wsURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("websocket URL %q: scheme must be ws or wss", wsURL)
	}
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return u.String(), nil
}

// WSHealth checks GET /health on the gateway's server.
func WSHealth(ctx context.Context, hc *http.Client, wsURL string) error {
	base, err := HTTPBase(wsURL)
	if err != nil {
		return err
	}
	return health(ctx, hc, base)
}
