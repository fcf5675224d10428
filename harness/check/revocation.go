package check

import (
	"context"
	"fmt"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// revocationWindow is how long every path may take to honour a logout.
const revocationWindow = time.Second

// Session is a logged-in user for the revocation checks.
type Session struct {
	Label  string
	UserID string
	client.Session
}

// Revocation logs s out and checks that, within RevocationWindow, every
// path rejects its access token: auth validate, the backend, a new
// WebSocket handshake, and a user_message on a connection opened before the
// logout (which must be closed with 1008). The time from logout to each
// path's rejection is reported in the findings' details.
func Revocation(ctx context.Context, env *harness.Env, s Session) []reports.Finding {
	var out []reports.Finding
	find := func(kind reports.Kind, path, format string, args ...any) {
		out = append(out, reports.Finding{Kind: kind, User: s.Label, Path: path, Detail: fmt.Sprintf(format, args...)})
	}
	// Before: the token works everywhere, and a connection is open.
	if c := probe(ctx, env, PathProfile, s.AccessToken); c.Inconclusive {
		return append(out, unjudged(PathProfile, "before logout, the backend's answer to a fresh token proves nothing (%s); logout not judged", c.Code))
	} else if !c.Accept {
		find(reports.KindTokenVerdict, PathProfile, "a fresh token is rejected before logout (%s)", c.Code)
		return out
	}
	cell, open := wSHandshake(ctx, env, s.AccessToken, client.AuthHeader)
	if open == nil {
		if cell.Inconclusive {
			return append(out, unjudged(PathWSHeader, "before logout, the handshake with a fresh token proves nothing (%s); logout not judged", cell.Code))
		}
		find(reports.KindTokenVerdict, PathWSHeader, "a fresh token is refused before logout (%s)", cell.Code)
		return out
	}
	defer open.Close()
	if c := runVerdict(ctx, env, open, "before logout"); c.Inconclusive {
		return append(out, unjudged(PathWSMessage, "before logout, a user_message's answer proves nothing (%s); logout not judged", c.Code))
	} else if !c.Accept {
		find(reports.KindTokenVerdict, PathWSMessage, "a user_message before logout was not run (%s)", c.Code)
		return out
	}

	if err := env.Auth.Logout(ctx, s.AccessToken); err != nil {
		find(reports.KindProtocol, PathAuth, "logout failed: %v", err)
		return out
	}
	loggedOut := time.Now()

	// After: poll each path until it rejects or the window closes.
	for _, p := range []string{PathAuth, PathProfile, PathThreads, PathWSHeader} {
		c, waited := untilRejected(ctx, env, p, s.AccessToken, loggedOut)
		switch {
		case c.Accept:
			find(reports.KindTokenVerdict, p, "%s still accepts the token %s after logout (as %q)", p, waited.Round(time.Millisecond), c.User)
		case c.Inconclusive:
			out = append(out, unjudged(p, "after logout, %s's answer proves nothing (%s)", p, c.Code))
		}
	}
	c := runVerdict(ctx, env, open, "after logout")
	gap := time.Since(loggedOut).Round(time.Millisecond)
	switch {
	case c.Inconclusive:
		out = append(out, unjudged(PathWSMessage, "after logout, the open connection's answer proves nothing (%s)", c.Code))
	case c.Accept:
		find(reports.KindTokenVerdict, PathWSMessage, "a connection opened before logout still runs user_messages %s after logout (as %q)", gap, c.User)
	case c.Code != "close 1008 revoked" && !isClose1008(c.Code):
		find(reports.KindTokenVerdict, PathWSMessage, "after logout the open connection answered %q, want close 1008 (%s after logout)", c.Code, gap)
	}
	return out
}

// maxLeeway is the largest clock-skew leeway docs/protocol.md allows.
const maxLeeway = 30 * time.Second

func isClose1008(code string) bool { return len(code) >= 10 && code[:10] == "close 1008" }

// untilRejected probes path until it rejects tok or RevocationWindow since
// from has passed; it returns the last verdict and the time waited.
func untilRejected(ctx context.Context, env *harness.Env, path, tok string, from time.Time) (Cell, time.Duration) {
	for {
		c := probe(ctx, env, path, tok)
		waited := time.Since(from)
		if !c.Accept || waited > revocationWindow || ctx.Err() != nil {
			return c, waited
		}
		select {
		case <-ctx.Done():
			return c, waited
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Refresh checks that a refreshed token works on every path and that the
// old access token's fate on every path matches the auth service's.
func Refresh(ctx context.Context, env *harness.Env, s Session) []reports.Finding {
	var out []reports.Finding
	ns, err := env.Auth.Refresh(ctx, s.RefreshToken)
	if err != nil {
		return []reports.Finding{{Kind: reports.KindProtocol, User: s.Label, Path: PathAuth, Detail: "refresh failed: " + err.Error()}}
	}
	out = append(out, acceptedEverywhere(ctx, env, s, ns.AccessToken,
		"%s rejects a refreshed access token (%s)",
		"%s resolves a refreshed token to %q, want %q")...)
	cells := map[string]Cell{}
	for _, p := range MatrixPaths() {
		cells[p] = probe(ctx, env, p, s.AccessToken)
	}
	ref := cells[PathAuth]
	for _, p := range MatrixPaths()[1:] {
		if ref.Inconclusive || cells[p].Inconclusive {
			out = append(out, unjudged(p, "after a refresh, the old token's fate on %s is not judged: %s, auth service %s", p, cells[p], ref))
			continue
		}
		if cells[p].Accept != ref.Accept {
			out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, User: s.Label, Path: p,
				Detail: fmt.Sprintf("after a refresh, %s says %s of the old access token; the auth service says %s", p, cells[p], ref)})
		}
	}
	return out
}

// Expiry opens a connection with a token that expires a few seconds later
// (signed with the SUT's key, so only where the key is known), waits past
// its expiry plus the leeway, and checks that the next user_message gets
// close 1008 and that every path rejects the token.
func Expiry(ctx context.Context, env *harness.Env, label, token string) []reports.Finding {
	var out []reports.Finding
	cell, conn := wSHandshake(ctx, env, token, client.AuthHeader)
	if conn == nil && cell.Inconclusive {
		return []reports.Finding{unjudged(PathWSHeader, "the handshake with a token that has seconds left proves nothing (%s); expiry not judged", cell.Code)}
	}
	if conn == nil {
		return []reports.Finding{{Kind: reports.KindTokenVerdict, User: label, Path: PathWSHeader,
			Detail: fmt.Sprintf("a token with seconds left to live is refused (%s)", cell.Code)}}
	}
	defer conn.Close()
	exp, err := tokens.ExpiresAt(token)
	if err != nil {
		return []reports.Finding{{Kind: reports.KindProtocol, User: label, Detail: err.Error()}}
	}
	// Past exp and the leeway: the declared one, else the most the
	// protocol allows.
	leeway := maxLeeway
	if l := env.Target.Policy.Leeway; l != nil {
		leeway = *l
	}
	// exp is by the service's clock; the wait is by gpcheck's.
	wait := time.Until(exp.Add(leeway + 500*time.Millisecond - env.Target.ClockOffset))
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(wait):
	}
	c := runVerdict(ctx, env, conn, "after expiry")
	if c.Inconclusive {
		out = append(out, unjudged(PathWSMessage, "after expiry, the open connection's answer proves nothing (%s)", c.Code))
	} else if c.Accept || !isClose1008(c.Code) {
		out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, User: label, Path: PathWSMessage,
			Detail: fmt.Sprintf("a connection whose token expired answered a user_message with %s, want close 1008", c)})
	}
	for _, p := range MatrixPaths()[:4] {
		if c := probe(ctx, env, p, token); c.Accept {
			out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, User: label, Path: p,
				Detail: fmt.Sprintf("%s accepts an expired token", p)})
		}
	}
	return out
}
