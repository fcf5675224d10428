package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// deleteMePath is the optional route of the reference auth service that
// deletes the bearer's own account (see docs/protocol.md).
const deleteMePath = "/auth/users/me"

// ErrNoUserDeletion means the target offers no way for the harness to
// delete a user, so the deleted-user checks cannot run.
var ErrNoUserDeletion = errors.New("the auth service has no DELETE " + deleteMePath + " route")

// SessionEnd checks that a session ends when it should: after logout, the
// session's refresh token is refused by /auth/refresh (s1); and a refresh
// token that has been used once is refused the second time, while the
// pair it bought works (s2: rotation). Findings are session_not_ended.
func SessionEnd(ctx context.Context, env *harness.Env, s1, s2 Session) (reports.ProbeTable, []reports.Finding) {
	table := reports.ProbeTable{Name: "session lifecycle: logout and refresh rotation",
		Columns: []string{"user", "case", "want", "got", "verdict"}}
	var out []reports.Finding
	row := func(s Session, name, want, got string, f *reports.Finding) {
		verdict := "ok"
		if f != nil {
			f.User = s.Label
			out = append(out, *f)
			verdict = string(f.Kind)
		}
		table.Rows = append(table.Rows, []string{s.Label, name, want, got, verdict})
	}

	// Logout ends the refresh token too.
	if err := env.Auth.Logout(ctx, s1.AccessToken); err != nil {
		row(s1, "logout", "200", err.Error(), &reports.Finding{Kind: reports.KindProtocol, Path: PathAuth, Detail: fmt.Sprintf("logout failed: %v", err)})
	} else {
		got, ok := refreshVerdict(ctx, env, s1.RefreshToken)
		var f *reports.Finding
		if ok {
			f = &reports.Finding{Kind: reports.KindSessionNotEnded, Path: PathAuth,
				Detail: fmt.Sprintf("after logout, /auth/refresh still exchanges the session's refresh token %s for a new pair", tokensFP(s1.RefreshToken))}
		}
		row(s1, "refresh after logout", "HTTP 401", got, f)
	}

	// Rotation: a used refresh token is spent.
	ns, err := env.Auth.Refresh(ctx, s2.RefreshToken)
	if err != nil {
		row(s2, "first refresh", "a new pair", err.Error(), &reports.Finding{Kind: reports.KindProtocol, Path: PathAuth, Detail: fmt.Sprintf("refresh failed: %v", err)})
		return table, out
	}
	row(s2, "first refresh", "a new pair", "a new pair", nil)
	got, ok := refreshVerdict(ctx, env, s2.RefreshToken)
	var f *reports.Finding
	if ok {
		f = &reports.Finding{Kind: reports.KindSessionNotEnded, Path: PathAuth,
			Detail: fmt.Sprintf("a refresh token already used once (%s) bought a second pair; a used refresh token must be refused", tokensFP(s2.RefreshToken))}
	}
	row(s2, "the same refresh token again", "HTTP 401", got, f)
	if c := probe(ctx, env, PathAuth, ns.AccessToken); c.Inconclusive {
		f := unjudged(PathAuth, "the auth service's answer to the new pair's access token proves nothing (%s)", c.Code)
		row(s2, "the new pair's access token", "accept", c.String(), &f)
	} else if !c.Accept || c.User != s2.UserID {
		row(s2, "the new pair's access token", "accept", c.String(), &reports.Finding{Kind: reports.KindTokenVerdict, Path: PathAuth,
			Detail: fmt.Sprintf("the access token from a refresh is not accepted as the user: %s", c)})
	} else {
		row(s2, "the new pair's access token", "accept", c.String(), nil)
	}
	return table, out
}

// DeletedUser deletes s's user through DELETE /auth/users/me and checks
// that its tokens are refused everywhere within RevocationWindow: auth
// validate, the backend, a new handshake, /auth/refresh, and the next
// user_message on a connection opened before the deletion (close 1008).
// It returns ErrNoUserDeletion when the target has no such route.
func DeletedUser(ctx context.Context, env *harness.Env, s Session) (reports.ProbeTable, []reports.Finding, error) {
	table := reports.ProbeTable{Name: "session lifecycle: a deleted user",
		Columns: []string{"path", "want", "got", "verdict"}}
	var out []reports.Finding
	row := func(path, want, got string, f *reports.Finding) {
		verdict := "ok"
		if f != nil {
			f.User = s.Label
			out = append(out, *f)
			verdict = string(f.Kind)
		}
		table.Rows = append(table.Rows, []string{path, want, got, verdict})
	}
	// Whether the target can delete a user at all is asked first, before
	// anything is opened: the route is optional.
	if err := deletionRoute(ctx, env); err != nil {
		return table, nil, err
	}
	conn, err := openConn(ctx, env, s.AccessToken)
	if err != nil {
		return table, []reports.Finding{unjudged(PathWSHeader, "connect before the deletion: %v", err)}, nil
	}
	defer conn.Close()
	if err := deleteMe(ctx, env, s.AccessToken); err != nil {
		if errors.Is(err, ErrNoUserDeletion) {
			return table, nil, err
		}
		return table, []reports.Finding{unjudged(PathAuth, "the deletion's answer proves nothing: %v", err)}, nil
	}
	deleted := time.Now()
	for _, p := range []string{PathAuth, PathProfile, PathThreads, PathWSHeader} {
		c, waited := untilRejected(ctx, env, p, s.AccessToken, deleted)
		var f *reports.Finding
		switch {
		case c.Accept:
			f = &reports.Finding{Kind: reports.KindSessionNotEnded, Path: p,
				Detail: fmt.Sprintf("%s still accepts a deleted user's token %s after the deletion (as %q)", p, waited.Round(time.Millisecond), c.User)}
		case c.Inconclusive:
			u := unjudged(p, "after the deletion, %s's answer proves nothing (%s)", p, c.Code)
			f = &u
		}
		row(p, "reject", c.String(), f)
	}
	c := runVerdict(ctx, env, conn, "after deletion")
	gap := msSince(deleted)
	var f *reports.Finding
	if c.Inconclusive {
		u := unjudged(PathWSMessage, "after the deletion, the open connection's answer proves nothing (%s)", c.Code)
		f = &u
	} else if c.Accept || !isClose1008(c.Code) {
		f = &reports.Finding{Kind: reports.KindSessionNotEnded, Path: PathWSMessage,
			Detail: fmt.Sprintf("a connection opened before the user was deleted answered the next user_message with %s (%s after), want close 1008", c, gap)}
	}
	row(PathWSMessage, "close 1008", fmt.Sprintf("%s, %s after the deletion", c, gap), f)
	got, ok := refreshVerdict(ctx, env, s.RefreshToken)
	f = nil
	if ok {
		f = &reports.Finding{Kind: reports.KindSessionNotEnded, Path: PathAuth,
			Detail: "/auth/refresh exchanges a deleted user's refresh token for a new pair"}
	}
	row("auth refresh", "HTTP 401", got, f)
	return table, out, nil
}

// refreshVerdict tries a refresh token and reports whether it bought a
// new pair, with the answer for the table.
func refreshVerdict(ctx context.Context, env *harness.Env, refresh string) (string, bool) {
	_, err := env.Auth.Refresh(ctx, refresh)
	if err == nil {
		return "a new pair", true
	}
	var se *client.StatusError
	if errors.As(err, &se) {
		return strings.TrimSpace(fmt.Sprintf("HTTP %d %s", se.Status, se.Code)), false
	}
	return "error: " + err.Error(), false
}

// deleteMe calls DELETE /auth/users/me with tok. 404, 405 and 501 mean
// the route does not exist: ErrNoUserDeletion.
// deletionRoute asks, without credentials, whether the auth service has
// the optional deletion route: a 404, 405 or 501 says it has not
// (ErrNoUserDeletion); any other answer (a 401, say) that it has. A
// transport error is returned as it is.
func deletionRoute(ctx context.Context, env *harness.Env) error {
	ctx, cancel := context.WithTimeout(ctx, env.Target.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, strings.TrimRight(env.Target.AuthURL, "/")+deleteMePath, nil)
	if err != nil {
		return fmt.Errorf("build the deletion request: %w", err)
	}
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("ask for the deletion route: %w", err)
	}
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return fmt.Errorf("%w (HTTP %d)", ErrNoUserDeletion, resp.StatusCode)
	}
	return nil
}

func deleteMe(ctx context.Context, env *harness.Env, tok string) error {
	ctx, cancel := context.WithTimeout(ctx, env.Target.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, strings.TrimRight(env.Target.AuthURL, "/")+deleteMePath, nil)
	if err != nil {
		return fmt.Errorf("build the deletion request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("delete the user: %w", err)
	}
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent:
		return nil
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return fmt.Errorf("%w (HTTP %d)", ErrNoUserDeletion, resp.StatusCode)
	}
	return fmt.Errorf("delete the user: HTTP %d", resp.StatusCode)
}

// tokensFP names a token in a finding without revealing it.
func tokensFP(tok string) string { return "[" + tokens.Fingerprint(tok) + "]" }
