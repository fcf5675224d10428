package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/reports"
)

// originCase is one Origin header a handshake presents, and whether the
// gateway must let it through.
type originCase struct {
	Name string
	// Origin is the header's value; "" sends no Origin header at all.
	Origin string
	// Allowed is true for the allowed Origin itself and for no Origin
	// (which is judged by the token alone).
	Allowed bool
}

// originCases derives the Origin probes from the allowed Origin: the
// allowed one and none (both accepted with a valid token), then a foreign
// site, lookalikes (allowed+".evil.test", "evil-"+host), the same host
// with another scheme and another port, a userinfo trick, "null" and a
// malformed value, all of which must be refused.
//
// With no allowed Origin known, only the cases that need none remain: no
// Origin, a plainly foreign site, null and a malformed Origin, which every
// allow list must refuse.
func originCases(allowed string) ([]originCase, error) {
	if allowed == "" {
		return []originCase{
			{Name: "no Origin header", Allowed: true},
			{Name: "a foreign site", Origin: "https://gpcheck-evil.invalid"},
			{Name: "null", Origin: "null"},
			{Name: "malformed: no scheme", Origin: "gpcheck-evil.invalid"},
		}, nil
	}
	u, err := url.Parse(allowed)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("allowed origin %q is not scheme://host[:port]", allowed)
	}
	allowed = u.Scheme + "://" + u.Host
	other := "https"
	if strings.EqualFold(u.Scheme, "https") {
		other = "http"
	}
	port := 80
	if p, err := strconv.Atoi(u.Port()); err == nil {
		port = p
	} else if strings.EqualFold(u.Scheme, "https") {
		port = 443
	}
	return []originCase{
		{Name: "the allowed Origin", Origin: allowed, Allowed: true},
		{Name: "no Origin header", Allowed: true},
		{Name: "a foreign site", Origin: u.Scheme + "://gpcheck-evil.test"},
		{Name: "lookalike: allowed host as a subdomain prefix", Origin: allowed + ".evil.test"},
		{Name: "lookalike: allowed host with a prefix", Origin: u.Scheme + "://evil-" + u.Host},
		{Name: "same host, other scheme", Origin: other + "://" + u.Host},
		{Name: "same host, other port", Origin: u.Scheme + "://" + u.Hostname() + ":" + strconv.Itoa(port+1)},
		{Name: "userinfo trick", Origin: allowed + "@evil.test"},
		{Name: "null", Origin: "null"},
		{Name: "malformed: no scheme", Origin: u.Host},
	}, nil
}

// WebSocketSecurity probes the gateway's handshake rules with s's valid
// token: every Origin of OriginCases (refused ones must get HTTP 403 and
// no upgrade; no Origin is judged by the token alone, so a garbage token
// without Origin is refused too); the selected subprotocol is one the
// client offered and never the token's; and, last, after s logs out, the
// next user_message on a connection opened before gets close 1008, the
// gap from logout to close measured and shown in the table.
func WebSocketSecurity(ctx context.Context, env *harness.Env, s Session) (reports.ProbeTable, []reports.Finding) {
	table := reports.ProbeTable{Name: "websocket-security: Origin, subprotocol and logout",
		Columns: []string{"case", "sent", "want", "got", "verdict"}}
	var out []reports.Finding
	row := func(name, sent, want, got string, f *reports.Finding) {
		verdict := "ok"
		if f != nil {
			f.User = s.Label
			out = append(out, *f)
			verdict = string(f.Kind)
		}
		table.Rows = append(table.Rows, []string{name, short(sent), want, short(got), verdict})
	}

	// Origins.
	if env.Target.Origin == "" {
		row("Origin: lookalikes", "–", "–", "skipped: they need the allowed Origin (give --origin)", nil)
	}
	if cases, err := originCases(env.Target.Origin); err != nil {
		row("Origin cases", env.Target.Origin, "–", "skipped: "+err.Error(), nil)
	} else {
		for _, c := range cases {
			got := dialOrigin(ctx, env, s.AccessToken, c.Origin, nil)
			row("Origin: "+c.Name, originText(c.Origin), wantText(c.Allowed), got.String(), judgeOrigin(c, got))
		}
	}
	// No Origin, garbage token: refused by the token alone.
	if got := dialOrigin(ctx, env, "not-a-jwt", "", nil); got.upgraded {
		row("no Origin, garbage token", "(none)", "refused", got.String(), &reports.Finding{Kind: reports.KindTokenVerdict, Path: PathWSHeader,
			Detail: "without an Origin header the gateway upgraded a garbage token; it must be judged by the token alone"})
	} else {
		row("no Origin, garbage token", "(none)", "refused", got.String(), nil)
	}

	// Subprotocols: the selection is one the client offered, never the token.
	for _, c := range []struct {
		name   string
		method client.AuthMethod
	}{{"token by header, offering gpcheck.v1", client.AuthHeader}, {"token by subprotocol, also offering gpcheck.v1", client.AuthSubprotocol}} {
		offered := []string{"gpcheck.v1"}
		if c.method == client.AuthSubprotocol {
			offered = []string{"jwt-auth", "jwt.<token>", "gpcheck.v1"}
		}
		got := dialOrigin(ctx, env, s.AccessToken, env.Target.Origin, &c.method)
		row("subprotocol: "+c.name, strings.Join(offered, ", "), "one offered, never jwt.<token>", got.String(), judgeSubprotocol(c.name, offered, got))
	}

	// Logout: the open connection's next user_message is closed with 1008.
	out = append(out, logoutGap(ctx, env, s, row)...)
	return table, out
}

// dialResult is what one handshake got.
type dialResult struct {
	upgraded    bool
	status      int    // the refusal's HTTP status, or 101
	code        string // the refusal's error code, or the close
	subprotocol string
	err         string
}

func (d dialResult) String() string {
	switch {
	case d.upgraded && d.subprotocol != "":
		return "upgraded, subprotocol " + redactProto(d.subprotocol)
	case d.upgraded:
		return "upgraded"
	case d.status != 0:
		return strings.TrimSpace(fmt.Sprintf("HTTP %d %s", d.status, d.code))
	case d.code != "":
		return d.code
	}
	return "error: " + d.err
}

// dialOrigin opens a connection with tok by header (or by subprotocol when
// method says so), Origin origin ("" sends none), and gpcheck.v1 offered as
// an extra subprotocol, and closes it again.
func dialOrigin(ctx context.Context, env *harness.Env, tok, origin string, method *client.AuthMethod) dialResult {
	t := env.Target
	dctx, cancel := context.WithTimeout(ctx, t.SLA.Connect+t.RequestTimeout)
	defer cancel()
	opts := client.DialOptions{Origin: origin, HTTPClient: env.HTTP}
	if method != nil {
		opts.Method = *method
		opts.Subprotocols = []string{"gpcheck.v1"}
	}
	conn, err := client.Dial(dctx, t.WSURL, tok, opts)
	if err != nil {
		var he *client.HandshakeError
		if errors.As(err, &he) && he.Status != 0 {
			// 101 with an error: the client refused the server's choice
			// (a subprotocol it never offered); the server did upgrade.
			return dialResult{upgraded: he.Status == http.StatusSwitchingProtocols, status: he.Status, code: he.Code, err: err.Error()}
		}
		return dialResult{err: err.Error()}
	}
	defer conn.Close()
	res := dialResult{upgraded: true, status: http.StatusSwitchingProtocols, subprotocol: conn.Subprotocol()}
	if _, err := conn.Next(dctx); err != nil {
		var ce *client.ClosedError
		if errors.As(err, &ce) {
			res.code = fmt.Sprintf("close %d %s", ce.Code, ce.Reason)
		}
	}
	return res
}

// judgeOrigin returns the finding for c's handshake, or nil.
func judgeOrigin(c originCase, got dialResult) *reports.Finding {
	switch {
	case c.Allowed && !got.upgraded:
		return &reports.Finding{Kind: reports.KindTokenVerdict, Path: PathWSHeader,
			Detail: fmt.Sprintf("a valid token with %s (%s) was refused: %s", c.Name, originText(c.Origin), got)}
	case !c.Allowed && got.upgraded:
		return &reports.Finding{Kind: reports.KindOriginAccepted, Path: PathWSHeader,
			Detail: fmt.Sprintf("the gateway upgraded a handshake from %s, Origin %q; only the allowed Origin may connect", c.Name, c.Origin)}
	case !c.Allowed && got.status != http.StatusForbidden:
		return &reports.Finding{Kind: reports.KindProtocol, Path: PathWSHeader,
			Detail: fmt.Sprintf("a handshake from %s, Origin %q, was refused with %s, want HTTP 403", c.Name, c.Origin, got)}
	}
	return nil
}

// judgeSubprotocol returns the finding for a handshake that offered
// offered, or nil.
func judgeSubprotocol(name string, offered []string, got dialResult) *reports.Finding {
	switch {
	case !got.upgraded:
		return &reports.Finding{Kind: reports.KindTokenVerdict, Path: PathWSSubproto,
			Detail: fmt.Sprintf("%s: a valid token was refused: %s", name, got)}
	case got.status == http.StatusSwitchingProtocols && got.err != "":
		return &reports.Finding{Kind: reports.KindProtocol, Path: PathWSSubproto,
			Detail: fmt.Sprintf("%s: the server selected a subprotocol the client did not offer (%s)", name, reports.Redact(got.err))}
	case strings.HasPrefix(strings.ToLower(got.subprotocol), "jwt."):
		return &reports.Finding{Kind: reports.KindProtocol, Path: PathWSSubproto,
			Detail: fmt.Sprintf("%s: the server selected the token's subprotocol (jwt.<token>), echoing the credential", name)}
	case got.subprotocol != "" && !offeredProto(offered, got.subprotocol):
		return &reports.Finding{Kind: reports.KindProtocol, Path: PathWSSubproto,
			Detail: fmt.Sprintf("%s: the server selected %q, which was not offered", name, got.subprotocol)}
	}
	return nil
}

func offeredProto(offered []string, p string) bool {
	for _, o := range offered {
		if strings.EqualFold(o, p) {
			return true
		}
	}
	return false
}

// logoutGap opens a connection for s, runs one message, logs s out and
// sends the next message: it must be closed with 1008. The time from the
// logout's answer to the close is measured and shown.
func logoutGap(ctx context.Context, env *harness.Env, s Session, row func(name, sent, want, got string, f *reports.Finding)) []reports.Finding {
	const name = "logout closes an open connection"
	conn, err := openConn(ctx, env, s.AccessToken)
	if err != nil {
		return []reports.Finding{{Kind: reports.KindProtocol, User: s.Label, Path: PathWSHeader, Detail: "logout probe: " + err.Error()}}
	}
	defer conn.Close()
	if c := runVerdict(ctx, env, conn, "before logout"); c.Inconclusive {
		return []reports.Finding{unjudged(PathWSMessage, "logout probe: a user_message before logout got an answer that proves nothing (%s)", c.Code)}
	} else if !c.Accept {
		return []reports.Finding{{Kind: reports.KindProtocol, User: s.Label, Path: PathWSMessage, Detail: "logout probe: a user_message before logout was not run: " + c.Code}}
	}
	if err := env.Auth.Logout(ctx, s.AccessToken); err != nil {
		return []reports.Finding{{Kind: reports.KindProtocol, User: s.Label, Path: PathAuth, Detail: fmt.Sprintf("logout probe: logout: %v", err)}}
	}
	loggedOut := time.Now()
	c := runVerdict(ctx, env, conn, "after logout")
	gap := msSince(loggedOut)
	got := fmt.Sprintf("%s, %s after logout", c, gap)
	if c.Inconclusive {
		f := unjudged(PathWSMessage, "after logout, the open connection's answer proves nothing (%s)", c.Code)
		row(name, "user_message after logout", "close 1008", got, &f)
		return nil
	}
	if c.Accept || !isClose1008(c.Code) {
		row(name, "user_message after logout", "close 1008", got, &reports.Finding{Kind: reports.KindSessionNotEnded, Path: PathWSMessage,
			Detail: fmt.Sprintf("after logout the open connection answered the next user_message with %s (%s after logout), want close 1008", c, gap)})
		return nil
	}
	row(name, "user_message after logout", "close 1008", got, nil)
	return nil
}

func originText(o string) string {
	if o == "" {
		return "(none)"
	}
	return o
}

func wantText(allowed bool) string {
	if allowed {
		return "upgraded"
	}
	return "HTTP 403, no upgrade"
}

// msSince is the time from t, in milliseconds to a tenth, for gaps that
// on loopback are often below a millisecond.
func msSince(t time.Time) string {
	return strconv.FormatFloat(float64(time.Since(t))/float64(time.Millisecond), 'f', 1, 64) + " ms"
}
