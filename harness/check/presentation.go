package check

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/client"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// presentation is one way of presenting a valid token that is not a
// token case: Authorization scheme variants, tokens in the query string,
// two credentials at once. The expected verdict is the protocol's, not the
// auth service's (the auth service never sees the transport).
type presentation struct {
	name, how string
	want      tokens.Want
	// header is the Authorization header value(s) for REST and WebSocket.
	header []string
	// proto, when set, is offered as the jwt.<token> subprotocol too.
	proto string
	// query, when set, is added to the WebSocket URL's query string.
	query url.Values
	// wsOnly marks variants that only a WebSocket handshake can carry.
	wsOnly bool
	// twoCredentials marks a handshake that carries a header token and a
	// subprotocol token at once: refusing it or resolving it by one rule is
	// the deployment's policy (tokens.Policy.TwoCredentials).
	twoCredentials bool
}

// Presentations probes the transport rules with user A's valid token a and
// user B's valid token b. It returns matrix rows (ids P01…) and findings
// where a path's verdict differs from the protocol's.
func Presentations(ctx context.Context, env *harness.Env, a, b string, userA, userB string) ([]Row, []reports.Finding) {
	ps := []presentation{
		{name: "scheme in lower case", how: "Authorization: bearer <token>", want: tokens.Accept, header: []string{"bearer " + a}},
		{name: "scheme Token", how: "Authorization: Token <token>", want: tokens.Reject, header: []string{"Token " + a}},
		{name: "extra spaces", how: "Authorization: Bearer   <token>", want: tokens.Accept, header: []string{"Bearer   " + a}},
		{name: "two tokens in one header", how: "Authorization: Bearer <A> <B>", want: tokens.Reject, header: []string{"Bearer " + a + " " + b}},
		{name: "two Authorization headers", how: "Authorization: Bearer <A>, and again with <B>", want: tokens.Reject, header: []string{"Bearer " + a, "Bearer " + b}},
		{name: "token in the query string", how: "?token=<token>, no header", want: tokens.Reject, query: url.Values{"token": {a}}, wsOnly: true},
		{name: "access_token in the query string", how: "?access_token=<token>, no header", want: tokens.Reject, query: url.Values{"access_token": {a}}, wsOnly: true},
		{name: "header and subprotocol, two users", how: "Authorization: Bearer <A> and jwt.<B>", want: tokens.Reject, header: []string{"Bearer " + a}, proto: b, wsOnly: true, twoCredentials: true},
		{name: "header and subprotocol, same token", how: "Authorization: Bearer <A> and jwt.<A>", want: tokens.Reject, header: []string{"Bearer " + a}, proto: a, wsOnly: true, twoCredentials: true},
	}
	var rows []Row
	var out []reports.Finding
	for i, p := range ps {
		c := tokens.Case{ID: fmt.Sprintf("P%02d", i+1), Name: p.name, How: p.how, Want: p.want}
		row := Row{Case: c, Cells: map[string]Cell{}}
		if !p.wsOnly && env.Target.Reached("backend") {
			row.Cells[PathProfile] = restWithHeaders(ctx, env, p.header)
		}
		if env.Target.Reached("ws") {
			row.Cells[PathWSHeader] = wsWith(ctx, env, p)
		}
		if len(row.Cells) == 0 {
			row.Skipped = "its paths' services (backend, gateway) were not reached"
		}
		rows = append(rows, row)
		for _, path := range []string{PathProfile, PathWSHeader} {
			cell, ok := row.Cells[path]
			if !ok {
				continue
			}
			want, wantUser := p.want, userA
			if p.twoCredentials {
				proto := userA
				if p.proto == b {
					proto = userB
				}
				switch env.Target.Policy.TwoCredentials {
				case "header":
					want, wantUser = tokens.Accept, userA
				case "subprotocol":
					want, wantUser = tokens.Accept, proto
				case "":
					// Undeclared: refusing is the reference's choice; resolving
					// to one of the two, consistently, is an observation.
					if cell.Accept && (cell.User == userA || cell.User == proto) {
						want, wantUser = tokens.Accept, cell.User
						out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, Severity: reports.SeverityAdvisory, Path: path,
							Detail: fmt.Sprintf("%s %s: %s resolves two credentials to %q (the deployment declares no two_credentials policy: an observation, not a violation)", c.ID, p.name, path, cell.User)})
					}
				}
			}
			switch {
			case cell.Inconclusive:
				out = append(out, unjudged(path, "%s %s: %s's answer proves nothing (%s)", c.ID, p.name, path, cell.Code))
			case cell.Accept && want == tokens.Reject:
				out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, Path: path,
					Detail: fmt.Sprintf("%s %s: %s accepts it as %q; the protocol refuses it (%s)", c.ID, p.name, path, cell.User, p.how)})
			case !cell.Accept && want == tokens.Accept:
				out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, Path: path,
					Detail: fmt.Sprintf("%s %s: %s refuses it (%s); the protocol accepts it (%s)", c.ID, p.name, path, cell.Code, p.how)})
			case cell.Accept && cell.User != wantUser:
				out = append(out, reports.Finding{Kind: reports.KindIdentity, Path: path,
					Detail: fmt.Sprintf("%s %s: %s resolves user %q, want %q", c.ID, p.name, path, cell.User, wantUser)})
			}
		}
	}
	return rows, out
}

// restWithHeaders asks the backend's profile route with raw Authorization
// headers.
func restWithHeaders(ctx context.Context, env *harness.Env, headers []string) Cell {
	ctx, cancel := context.WithTimeout(ctx, env.Target.RequestTimeout)
	defer cancel()
	path := env.Target.Profile.Paths.Profile
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(env.Target.BackendURL, "/")+path, nil)
	if err != nil {
		return inconclusive("error: " + err.Error())
	}
	for _, h := range headers {
		req.Header.Add("Authorization", h)
	}
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return inconclusive("error: " + err.Error())
	}
	defer resp.Body.Close()
	var p client.UserProfile
	raw := client.Response{Status: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		if err := decodeJSON(resp, &p); err != nil {
			return inconclusive("error: " + err.Error())
		}
		return Cell{Accept: true, User: p.UserID}
	}
	return restCell("", raw, &client.StatusError{Method: "GET", URL: path, Status: resp.StatusCode})
}

// wsWith opens a WebSocket connection presenting p's credentials.
func wsWith(ctx context.Context, env *harness.Env, p presentation) Cell {
	t := env.Target
	u, err := url.Parse(t.WSURL)
	if err != nil {
		return inconclusive("error: " + err.Error())
	}
	if p.query != nil {
		q := u.Query()
		for k, vs := range p.query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	opts := client.DialOptions{Origin: t.Origin, HTTPClient: env.HTTP, Header: http.Header{}}
	for _, h := range p.header {
		opts.Header.Add("Authorization", h)
	}
	if p.proto != "" {
		opts.Subprotocols = []string{"jwt-auth", "jwt." + base64.RawURLEncoding.EncodeToString([]byte(p.proto))}
	}
	// The token travels in opts; Dial adds no header of its own for "".
	c, conn := wsDial(ctx, env, u.String(), "", opts)
	if conn != nil {
		conn.Close()
	}
	return c
}

func decodeJSON(resp *http.Response, v any) error {
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
