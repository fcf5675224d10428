package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// Account is a logged-in test user for probes.
type Account struct {
	Label  string
	UserID string
	Token  string
}

// handshakeCase is one way of presenting a credential to the gateway.
type handshakeCase struct {
	name   string
	token  string // sent by header unless sub or query say otherwise
	method client.AuthMethod
	query  bool // token in the query string instead
	// mustReject is true when the gateway must refuse whatever the auth
	// service says (a token in the query string).
	mustReject bool
}

// WebSocket probes the gateway's handshake and frame rules with account a
// (and b, another user): forged, garbage, missing and query-string tokens
// must be refused exactly as the auth service refuses them; the
// subprotocol method must select "jwt-auth"; ping gets pong; a bad frame
// gets an error frame and leaves the connection open.
func WebSocket(ctx context.Context, env *harness.Env, a, b Account) []reports.Finding {
	var out []reports.Finding
	forged, err := tokens.WithClaims(a.Token, map[string]any{"sub": b.UserID})
	if err != nil {
		return []reports.Finding{{Kind: reports.KindProtocol, User: a.Label, Detail: "cannot read the issued access token: " + err.Error()}}
	}
	cases := []handshakeCase{
		{name: "valid token by header", token: a.Token},
		{name: "valid token by subprotocol", token: a.Token, method: client.AuthSubprotocol},
		{name: "no token", token: ""},
		{name: "garbage token", token: "not-a-jwt"},
		{name: "sub changed to another user under the original signature", token: forged},
		{name: "sub changed, by subprotocol", token: forged, method: client.AuthSubprotocol},
		{name: "valid token in the query string", token: a.Token, query: true, mustReject: true},
	}
	for _, c := range cases {
		if f := probeHandshake(ctx, env, a, c); f != nil {
			out = append(out, *f)
		}
	}
	out = append(out, probeFrames(ctx, env, a)...)
	return out
}

// probeHandshake compares the gateway's verdict on one credential with the
// auth service's.
func probeHandshake(ctx context.Context, env *harness.Env, a Account, c handshakeCase) *reports.Finding {
	t := env.Target
	ref := struct {
		accept bool
		user   string
		code   string
	}{}
	if !c.mustReject {
		cell := validateCell(env.Auth.Validate(ctx, c.token))
		if cell.Inconclusive {
			f := unjudged(PathAuth, "%s: the auth service's answer proves nothing (%s); the gateway is not judged on it", c.name, cell.Code)
			f.User = a.Label
			return &f
		}
		ref.accept, ref.user, ref.code = cell.Accept, cell.User, cell.Code
	}
	wsURL, token := t.WSURL, c.token
	if c.query {
		u, _ := url.Parse(wsURL)
		q := u.Query()
		q.Set("token", c.token)
		u.RawQuery = q.Encode()
		wsURL, token = u.String(), ""
	}
	dctx, cancel := context.WithTimeout(ctx, t.SLA.Connect+t.RequestTimeout)
	defer cancel()
	conn, err := client.Dial(dctx, wsURL, token, client.DialOptions{Method: c.method, Origin: t.Origin, HTTPClient: env.HTTP})
	got := struct {
		accept bool
		user   string
		how    string
	}{}
	if err != nil {
		var he *client.HandshakeError
		if !errors.As(err, &he) || he.Status == 0 {
			f := unjudged(PathWSHeader, "%s: the handshake failed without an HTTP answer (%v)", c.name, err)
			f.User = a.Label
			return &f
		}
		got.how = fmt.Sprintf("HTTP %d %s", he.Status, he.Code)
		if he.Status != http.StatusUnauthorized && he.Status != http.StatusForbidden {
			f := unjudged(PathWSHeader, "%s: the handshake's answer proves nothing (%s)", c.name, got.how)
			f.User = a.Label
			return &f
		}
	} else {
		defer conn.Close()
		f, err := conn.Next(dctx)
		var ce *client.ClosedError
		switch {
		case err == nil && f.Type == env.Target.Profile.Events.ConnectionEstablished:
			got.accept, got.user = true, f.UserID
			if c.method == client.AuthSubprotocol && conn.Subprotocol() != "jwt-auth" {
				return &reports.Finding{Kind: reports.KindProtocol, User: a.Label,
					Detail: fmt.Sprintf("%s: server selected subprotocol %q, want \"jwt-auth\"", c.name, redactProto(conn.Subprotocol()))}
			}
		case errors.As(err, &ce) && closeRefuses(int(ce.Code)):
			got.how = fmt.Sprintf("close %d %s", ce.Code, ce.Reason)
		case err != nil:
			f := unjudged(PathWSHeader, "%s: no connection_established and no refusal (%v)", c.name, err)
			f.User = a.Label
			return &f
		default:
			return &reports.Finding{Kind: reports.KindProtocol, User: a.Label, Detail: fmt.Sprintf("%s: first frame is %q, want connection_established", c.name, f.Type)}
		}
	}
	switch {
	case got.accept && !ref.accept && c.mustReject:
		return &reports.Finding{Kind: reports.KindTokenVerdict, User: a.Label,
			Detail: fmt.Sprintf("websocket accepted a %s as user %q; it must be refused", c.name, got.user)}
	case got.accept && !ref.accept:
		return &reports.Finding{Kind: reports.KindTokenVerdict, User: a.Label,
			Detail: fmt.Sprintf("websocket accepted a %s as user %q; the auth service rejects it (%s)", c.name, got.user, ref.code)}
	case !got.accept && ref.accept:
		return &reports.Finding{Kind: reports.KindTokenVerdict, User: a.Label,
			Detail: fmt.Sprintf("websocket refused a %s (%s); the auth service accepts it as %q", c.name, got.how, ref.user)}
	case got.accept && got.user != ref.user:
		return &reports.Finding{Kind: reports.KindIdentity, User: a.Label,
			Detail: fmt.Sprintf("%s: websocket resolved user %q, the auth service %q", c.name, got.user, ref.user)}
	}
	return nil
}

// redactProto keeps a selected subprotocol from leaking a token into a
// report.
func redactProto(p string) string {
	if strings.HasPrefix(p, "jwt.") {
		return "jwt.<token>"
	}
	return p
}

// probeFrames checks ping/pong and bad-frame handling on an open connection.
func probeFrames(ctx context.Context, env *harness.Env, a Account) []reports.Finding {
	t := env.Target
	ctx, cancel := context.WithTimeout(ctx, t.SLA.Connect+3*t.RequestTimeout)
	defer cancel()
	fail := func(format string, args ...any) []reports.Finding {
		return []reports.Finding{{Kind: reports.KindProtocol, User: a.Label, Detail: fmt.Sprintf(format, args...)}}
	}
	conn, err := client.Dial(ctx, t.WSURL, a.Token, client.DialOptions{Origin: t.Origin, HTTPClient: env.HTTP})
	if err != nil {
		return fail("frame rules: connect: %v", err)
	}
	defer conn.Close()
	ev := t.Profile.Events
	if f, err := conn.Next(ctx); err != nil || f.Type != ev.ConnectionEstablished {
		return fail("frame rules: no connection_established (%v)", err)
	}
	await := func(want string) error {
		wctx, cancel := context.WithTimeout(ctx, t.RequestTimeout)
		defer cancel()
		for {
			f, err := conn.Next(wctx)
			if err != nil {
				return err
			}
			if f.Type == want {
				return nil
			}
		}
	}
	if err := conn.Send(ctx, map[string]string{"type": "ping"}); err != nil {
		return fail("frame rules: send ping: %v", err)
	}
	if err := await(ev.Pong); err != nil {
		return fail("ping got no pong: %v", err)
	}
	var out []reports.Finding
	for _, bad := range []struct {
		name   string
		frame  []byte
		binary bool
	}{
		{"invalid JSON", []byte("{not json"), false},
		{"unknown type", []byte(`{"type":"no_such_type"}`), false},
		{"user_message without payload", []byte(`{"type":"` + t.Profile.UserMessageType + `"}`), false},
	} {
		if err := conn.SendRaw(ctx, bad.frame, bad.binary); err != nil {
			return append(out, fail("frame rules: send %s: %v", bad.name, err)...)
		}
		if err := await("error"); err != nil {
			out = append(out, fail("a frame with %s got no error frame: %v", bad.name, err)...)
			if conn.Err() != nil {
				return out
			}
		}
	}
	start := time.Now()
	if err := conn.Send(ctx, map[string]string{"type": "ping"}); err != nil || await(ev.Pong) != nil {
		out = append(out, fail("the connection did not stay open after bad frames (%.1fs)", time.Since(start).Seconds())...)
	}
	return out
}
