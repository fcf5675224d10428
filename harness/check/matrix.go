package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// Paths of the token matrix, in column order. The auth service's validate
// is the reference every other path is compared with.
const (
	PathAuth        = "auth validate"
	PathProfile     = "backend profile"
	PathThreads     = "backend threads"
	PathWSHeader    = "ws handshake (header)"
	PathWSSubproto  = "ws handshake (subprotocol)"
	PathWSMessage   = "ws user_message"
	matrixRunWindow = 5 * time.Second
	matrixParallel  = 8
)

// MatrixPaths lists the matrix's paths in order, the auth service first.
func MatrixPaths() []string {
	return []string{PathAuth, PathProfile, PathThreads, PathWSHeader, PathWSSubproto, PathWSMessage}
}

// Cell is one path's verdict on one token: accept, reject, or
// inconclusive when the answer proves neither (a transport error, a
// timeout, an unexpected status, an answer that does not parse, a path
// that does not exist). An inconclusive cell is never counted as accept
// or reject.
type Cell struct {
	Accept bool   `json:"accept"`
	User   string `json:"user,omitempty"`
	// Code is the rejection's code or status, or why the cell is
	// inconclusive or was not probed.
	Code string `json:"code,omitempty"`
	// Inconclusive is set when the answer proved nothing either way.
	Inconclusive bool `json:"inconclusive,omitempty"`
}

// rejected is a cell whose path refused the token, with its code.
func rejected(code string) Cell { return Cell{Code: code} }

// inconclusive is a cell whose answer proves nothing, with the reason.
func inconclusive(reason string) Cell { return Cell{Code: reason, Inconclusive: true} }

// Rejected reports whether the path refused the token (a proven refusal,
// not an answer that proves nothing).
func (c Cell) Rejected() bool { return !c.Accept && !c.Inconclusive }

// String renders the cell for tables: "accept:<user>", "reject:<code>" or
// "inconclusive:<reason>".
func (c Cell) String() string {
	switch {
	case c.Inconclusive:
		return "inconclusive:" + c.Code
	case c.Accept && c.User == "":
		return "accept"
	case c.Accept:
		return "accept:" + c.User
	}
	return "reject:" + c.Code
}

// Row is one case of the matrix.
type Row struct {
	Case  tokens.Case
	Cells map[string]Cell
	// Skipped says why the case was not run (e.g. no signing key).
	Skipped string
}

// Matrix sends every corpus case down every path and compares each path's
// verdict with the auth service's: a path that accepts what the auth
// service rejects (or the reverse) is a token_verdict_mismatch; a path
// that accepts as another user an identity_mismatch; the auth service
// accepting a case that must be rejected a token_accepted.
func Matrix(ctx context.Context, env *harness.Env, m tokens.Material, userA string) ([]Row, []reports.Finding) {
	cases := tokens.Corpus()
	rows := make([]Row, len(cases))
	// Cases are independent: probe several at once, so that a slow path
	// (a first event near its SLA) does not multiply by the corpus size.
	sem := make(chan struct{}, matrixParallel)
	var wg sync.WaitGroup
	for i, c := range cases {
		rows[i] = Row{Case: c, Cells: map[string]Cell{}}
		tok, err := c.Build(m)
		switch {
		case errors.Is(err, tokens.ErrNeedsKey):
			rows[i].Skipped = "needs the SUT's signing key (not given)"
			continue
		case err != nil:
			rows[i].Skipped = "could not build: " + err.Error()
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, p := range MatrixPaths() {
				if env.Target.Reached(PathService(p)) {
					rows[i].Cells[p] = probe(ctx, env, p, tok)
				}
			}
		}()
	}
	wg.Wait()
	var out []reports.Finding
	for _, r := range rows {
		if r.Skipped == "" {
			out = append(out, judgeRow(r.Case, r.Cells, userA, m.OtherUserID, env.Target.Policy)...)
		}
	}
	return rows, out
}

// judgeRow judges one case: the auth service against what a conforming
// service does (under the deployment's declared policy, where the
// standards allow more than one behaviour), and every other path against
// the auth service. A case whose policy is undeclared judges only the
// agreement across paths; the auth service's own choice is then an
// advisory observation.
func judgeRow(c tokens.Case, cells map[string]Cell, userA, userB string, policy tokens.Policy) []reports.Finding {
	var out []reports.Finding
	ref := cells[PathAuth]
	label := fmt.Sprintf("%s %s", c.ID, c.Name)
	if ref.Inconclusive {
		// Without the auth service's verdict there is nothing to compare.
		return []reports.Finding{unjudged(PathAuth, "%s: the auth service's answer proves nothing (%s); the case is not judged on any path", label, ref.Code)}
	}
	want, other, declared := c.Expect(policy)
	wantUser := userA
	if other {
		wantUser = userB
	}
	sev, note := func(s reports.Severity) reports.Severity { return s }, ""
	if !declared {
		sev = func(reports.Severity) reports.Severity { return reports.SeverityAdvisory }
		note = fmt.Sprintf(" (the deployment declares no %s policy: an observation, not a violation)", c.Policy)
	}
	switch {
	case want == tokens.Reject && ref.Accept:
		out = append(out, reports.Finding{Kind: reports.KindTokenAccepted, Severity: sev(acceptSeverity(c)), Path: PathAuth,
			Detail: fmt.Sprintf("%s: the auth service accepts it as %q; it must be rejected (%s)%s", label, ref.User, c.How, note)})
	case want == tokens.Accept && !ref.Accept:
		out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, Severity: sev(reports.SeverityMedium), Path: PathAuth,
			Detail: fmt.Sprintf("%s: the auth service rejects it (%s); it must be accepted%s", label, ref.Code, note)})
	case want == tokens.Accept && ref.User != wantUser:
		out = append(out, reports.Finding{Kind: reports.KindIdentity, Severity: sev(reports.SeverityCritical), Path: PathAuth,
			Detail: fmt.Sprintf("%s: the auth service resolves user %q, want %q%s", label, ref.User, wantUser, note)})
	}
	for _, p := range MatrixPaths()[1:] {
		got, ok := cells[p]
		if !ok {
			continue // its service was not reached, and the spec does without it
		}
		switch {
		case got.Inconclusive:
			out = append(out, unjudged(p, "%s: %s's answer proves nothing (%s)", label, p, got.Code))
		case got.Accept && !ref.Accept:
			out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, Severity: acceptSeverity(c), Path: p,
				Detail: fmt.Sprintf("%s: %s accepts it as %q; the auth service rejects it (%s)", label, p, got.User, ref.Code)})
		case !got.Accept && ref.Accept:
			out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, Path: p,
				Detail: fmt.Sprintf("%s: %s rejects it (%s); the auth service accepts it as %q", label, p, got.Code, ref.User)})
		case got.Accept && got.User != "" && got.User != ref.User:
			out = append(out, reports.Finding{Kind: reports.KindIdentity, Path: p,
				Detail: fmt.Sprintf("%s: %s resolves user %q, the auth service %q", label, p, got.User, ref.User)})
		}
	}
	return out
}

// PathService is the service ("auth", "backend", "ws") a matrix path
// belongs to.
func PathService(path string) string {
	switch path {
	case PathAuth:
		return "auth"
	case PathProfile, PathThreads:
		return "backend"
	}
	return "ws"
}

// acceptSeverity is how bad accepting case c, which must be rejected, is:
// high for real tokens past their life (revoked, expired, a refresh token
// used as access), critical for anything forged (alg none, a bad or
// foreign signature, tampered claims).
func acceptSeverity(c tokens.Case) reports.Severity {
	name := strings.ToLower(c.Name)
	for _, w := range []string{"revoked", "expired", "refresh", "future", "not yet"} {
		if strings.Contains(name, w) {
			return reports.SeverityHigh
		}
	}
	return reports.SeverityCritical
}

// probe asks one path what it makes of tok.
func probe(ctx context.Context, env *harness.Env, path, tok string) Cell {
	switch path {
	case PathAuth:
		return validateCell(env.Auth.Validate(ctx, tok))
	case PathProfile:
		p, raw, err := env.API.Profile(ctx, tok)
		return restCell(p.UserID, raw, err)
	case PathThreads:
		_, raw, err := env.API.Threads(ctx, tok)
		if err == nil {
			// The list does not name its owner; the profile path does.
			return Cell{Accept: true}
		}
		return restCell("", raw, err)
	case PathWSHeader:
		c, conn := wSHandshake(ctx, env, tok, client.AuthHeader)
		if conn != nil {
			conn.Close()
		}
		return c
	case PathWSSubproto:
		c, conn := wSHandshake(ctx, env, tok, client.AuthSubprotocol)
		if conn != nil {
			conn.Close()
		}
		return c
	case PathWSMessage:
		hs, conn := wSHandshake(ctx, env, tok, client.AuthHeader)
		if conn == nil {
			if hs.Inconclusive {
				return hs
			}
			return rejected("handshake refused: " + hs.Code)
		}
		defer conn.Close()
		return runVerdict(ctx, env, conn, "gpcheck token matrix probe")
	}
	return inconclusive("unknown path " + path)
}

// validateCell reads the auth service's answer to validate: valid true is
// accept, valid false a reject; anything else proves nothing, including a
// refusal of gpcheck's own service credentials (a setup problem, not a
// verdict on the token).
func validateCell(v client.Verdict, err error) Cell {
	var se *client.StatusError
	switch {
	case errors.As(err, &se) && client.IsServiceCredentialCode(se.Code):
		return inconclusive(fmt.Sprintf("the auth service refused gpcheck's service credentials: HTTP %d %s", se.Status, se.Code))
	case errors.As(err, &se) && refusalStatus(se.Status):
		return rejected(statusText(se.Status, se.Code))
	case errors.As(err, &se):
		return inconclusive(statusText(se.Status, se.Code))
	case err != nil:
		return inconclusive("error: " + err.Error())
	case !v.HasValid:
		return inconclusive("the answer has no boolean valid field")
	case !v.Valid:
		return rejected(v.Error)
	}
	return Cell{Accept: true, User: v.UserID}
}

// refusalStatus reports whether an HTTP status is a refusal of the
// credentials presented: 400 (a malformed token), 401, 403 or 422. Any
// other status (404, 405, 5xx, …) proves nothing about the token.
func refusalStatus(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

func statusText(status int, code string) string {
	if code != "" {
		return fmt.Sprintf("HTTP %d %s", status, code)
	}
	return fmt.Sprintf("HTTP %d", status)
}

// restCell reads a backend answer: success is accept, 401 or 403 a
// reject, anything else (another status, an answer that does not parse, a
// transport error) proves nothing.
func restCell(user string, raw client.Response, err error) Cell {
	if err == nil {
		return Cell{Accept: true, User: user}
	}
	var se *client.StatusError
	if errors.As(err, &se) {
		if se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden {
			return rejected(statusText(se.Status, se.Code))
		}
		return inconclusive(statusText(se.Status, se.Code))
	}
	return inconclusive("error: " + err.Error())
}

// closeRefuses reports whether a close code refuses the connection's
// credentials: 1008 (policy violation) or an application code 4000–4999.
func closeRefuses(code int) bool { return code == 1008 || code >= 4000 && code <= 4999 }

func closeCell(ce *client.ClosedError) Cell {
	text := fmt.Sprintf("close %d %s", ce.Code, ce.Reason)
	if closeRefuses(int(ce.Code)) {
		return rejected(text)
	}
	return inconclusive(text)
}

// wSHandshake opens a connection with tok and returns the verdict: accept
// as the user of connection_established (and the open connection), or
// reject with the HTTP status or close code.
func wSHandshake(ctx context.Context, env *harness.Env, tok string, m client.AuthMethod) (Cell, *client.Conn) {
	return wsDial(ctx, env, env.Target.WSURL, tok, client.DialOptions{Method: m, Origin: env.Target.Origin, HTTPClient: env.HTTP})
}

func wsDial(ctx context.Context, env *harness.Env, wsURL, tok string, opts client.DialOptions) (Cell, *client.Conn) {
	t := env.Target
	dctx, cancel := context.WithTimeout(ctx, t.SLA.Connect+t.RequestTimeout)
	defer cancel()
	conn, err := client.Dial(dctx, wsURL, tok, opts)
	if err != nil {
		var he *client.HandshakeError
		if errors.As(err, &he) && he.Status != 0 {
			text := fmt.Sprintf("HTTP %d %s", he.Status, he.Code)
			if he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden {
				return rejected(text), nil
			}
			return inconclusive(text), nil
		}
		return inconclusive("error: " + err.Error()), nil
	}
	f, err := conn.Next(dctx)
	var ce *client.ClosedError
	switch {
	case err == nil && f.Type == t.Profile.Events.ConnectionEstablished:
		return Cell{Accept: true, User: f.UserID}, conn
	case errors.As(err, &ce):
		conn.CloseNow()
		return closeCell(ce), nil
	case err != nil:
		conn.CloseNow()
		return inconclusive("error: " + err.Error()), nil
	default:
		conn.CloseNow()
		return inconclusive("first frame " + f.Type), nil
	}
}

// runVerdict sends one user_message on an open connection and returns
// whether the gateway ran it, and as whom: accept when an event of the run
// arrives, reject on close 1008, agent_error or an error frame.
func runVerdict(ctx context.Context, env *harness.Env, conn *client.Conn, text string) Cell {
	ctx, cancel := context.WithTimeout(ctx, matrixRunWindow+env.Target.SLA.FirstEvent)
	defer cancel()
	req := fmt.Sprintf("req-probe-%d", time.Now().UnixNano())
	prof := env.Target.Profile
	if err := conn.Send(ctx, map[string]any{"type": prof.UserMessageType, "payload": map[string]string{prof.MessageField: text, "request_id": req}}); err != nil {
		if ce := new(client.ClosedError); errors.As(conn.Err(), &ce) {
			return closeCell(ce)
		}
		return inconclusive("error: " + err.Error())
	}
	for {
		f, err := conn.Next(ctx)
		var ce *client.ClosedError
		switch {
		case errors.As(err, &ce):
			return closeCell(ce)
		case err != nil:
			return inconclusive("no answer: " + err.Error())
		case f.Type == "error" && authErrorCode(f.Data):
			return rejected("error frame " + client.ErrorCode(f.Data))
		case f.Type == "error":
			return inconclusive("error frame " + client.ErrorCode(f.Data))
		case f.RequestID != req:
			continue
		case f.Type == prof.Events.Error:
			return rejected("agent_error")
		default:
			return Cell{Accept: true, User: f.UserID}
		}
	}
}

// authErrorCode reports whether an error frame's data names a refusal of
// credentials (its code mentions auth, token, expiry, revocation,
// permission…) rather than some other error, which proves nothing about
// the token.
func authErrorCode(data []byte) bool {
	code := strings.ToLower(client.DataCode(data))
	for _, w := range []string{"auth", "token", "expired", "revoked", "forbid", "credential", "permission", "session"} {
		if strings.Contains(code, w) {
			return true
		}
	}
	return false
}
