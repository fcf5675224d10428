package check

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// Order probe limits.
const (
	// BurstSize is how many invalid tokens the burst sends down each path.
	BurstSize = 50
	// keyFetchGrace is how long the key listener keeps counting after the
	// last probe, for fetches that happen in the background.
	keyFetchGrace = 300 * time.Millisecond
	burstParallel = 8
)

// orderCase is one token sent after every path was warmed with A's.
type orderCase struct {
	name, how string
	token     string
	skipped   string
}

// Order checks that no path's verdict depends on what was asked before.
// For each case it first warms every path with a's valid token, then sends
// the case's token down every path; each path must give the auth
// service's verdict (a cold answer: the single source of truth), as the
// same user. The cases are a's token with a broken signature, with
// another user's signature, with one claim changed under the original
// signature, the valid tokens of others (users whose tokens share a long
// prefix with a's) and, with the signing key, a's claims re-signed with
// another sub or another token_type. Then a burst of BurstSize invalid
// tokens goes down every path, after which a's token must still be
// accepted everywhere as a. Last, tokens whose jku, x5u or kid point to a
// listener the harness runs on 127.0.0.1 must be rejected without any
// request reaching that listener.
func Order(ctx context.Context, env *harness.Env, a Session, others []Session) (reports.ProbeTable, []reports.Finding) {
	table := reports.ProbeTable{Name: "order: verdicts after a warm-up, a burst and key URLs",
		Columns: append(append([]string{"case", "how"}, MatrixPaths()...), "verdict")}
	var out []reports.Finding
	add := func(name, how string, cells map[string]Cell, fs []reports.Finding, skipped string) {
		row := []string{name, how}
		for _, p := range MatrixPaths() {
			if skipped != "" {
				row = append(row, "–")
				continue
			}
			row = append(row, reports.Redact(cells[p].String()))
		}
		verdict := "same as auth"
		switch {
		case skipped != "":
			verdict = "skipped: " + skipped
		case len(fs) > 0:
			verdict = string(fs[0].Kind)
		}
		table.Rows = append(table.Rows, append(row, verdict))
		for i := range fs {
			fs[i].User = a.Label
		}
		out = append(out, fs...)
	}

	// Every case but the open connection's path, each right after a
	// warm-up. An agent run can take seconds, so the user_message path is
	// probed for all cases at once afterwards, right after one warm-up.
	cases := orderCases(a, others, env.Target.SigningKey)
	cells := make([]map[string]Cell, len(cases))
	for i, c := range cases {
		if c.skipped != "" {
			continue
		}
		warm(ctx, env, a.AccessToken)
		cells[i] = map[string]Cell{}
		for _, p := range MatrixPaths()[:len(MatrixPaths())-1] {
			cells[i][p] = probe(ctx, env, p, c.token)
		}
	}

	// A burst of invalid tokens, then a's valid token everywhere.
	accepted := burst(ctx, env, a.AccessToken)
	after := map[string]Cell{}
	for _, p := range MatrixPaths()[:len(MatrixPaths())-1] {
		after[p] = probe(ctx, env, p, a.AccessToken)
	}

	warm(ctx, env, a.AccessToken)
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, burstParallel)
	for i, c := range cases {
		if c.skipped != "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cell := probe(ctx, env, PathWSMessage, c.token)
			mu.Lock()
			cells[i][PathWSMessage] = cell
			mu.Unlock()
		}()
	}
	after[PathWSMessage] = probe(ctx, env, PathWSMessage, a.AccessToken)
	wg.Wait()

	for i, c := range cases {
		if c.skipped != "" {
			add(c.name, c.how, nil, nil, c.skipped)
			continue
		}
		add(c.name, c.how, cells[i], judgeAgainstAuth(c.name, cells[i]), "")
	}
	var bfs []reports.Finding
	for _, p := range MatrixPaths() {
		var names []string
		for _, acc := range accepted {
			if acc.path == p {
				names = append(names, acc.name)
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			bfs = append(bfs, reports.Finding{Kind: reports.KindOrderDependent, Path: p,
				Detail: fmt.Sprintf("in a burst of %d invalid tokens after a warm-up, %s accepted %d (the auth service none), first %s", BurstSize, p, len(names), names[0])})
		}
	}
	for _, p := range MatrixPaths() {
		if c := after[p]; c.Inconclusive {
			bfs = append(bfs, unjudged(p, "after a burst of %d invalid tokens, %s's answer to %s's valid token proves nothing (%s)", BurstSize, p, a.Label, c.Code))
		} else if !c.Accept || (c.User != "" && c.User != a.UserID) {
			bfs = append(bfs, reports.Finding{Kind: reports.KindOrderDependent, Path: p,
				Detail: fmt.Sprintf("after a burst of %d invalid tokens %s answers %s to %s's valid token, want accept as %q", BurstSize, p, c, a.Label, a.UserID)})
		}
	}
	add(fmt.Sprintf("%s valid token after a burst of %d invalid tokens", shortLabel(a.Label)+"'s", BurstSize), "accepted everywhere, as the same user", after, bfs, "")

	// Key URLs: rejected, and never fetched.
	kcells, kfs := keyURLs(ctx, env, a)
	for _, k := range kcells {
		add(k.name, k.how, k.cells, k.fs, "")
	}
	out = append(out, kfs...)
	return table, out
}

// orderCases builds the cases from a's token, the others' tokens and,
// when known, the signing key.
func orderCases(a Session, others []Session, key []byte) []orderCase {
	var cs []orderCase
	an := shortLabel(a.Label) + "'s"
	addTok := func(name, how string, tok string, err error) {
		c := orderCase{name: name, how: how, token: tok}
		if err != nil {
			c.skipped = "could not build: " + err.Error()
		}
		cs = append(cs, c)
	}
	broken, err := breakSignature(a.AccessToken)
	addTok(an+" token, signature broken", "one character of the signature changed", broken, err)
	if len(others) > 0 {
		tok, err := swapSignature(a.AccessToken, others[0].AccessToken)
		addTok(an+" token, another user's signature", an+" header and payload, "+shortLabel(others[0].Label)+"'s signature", tok, err)
		tok, err = tokens.WithClaims(a.AccessToken, map[string]any{"sub": others[0].UserID})
		addTok(an+" token, sub changed", "sub set to "+shortLabel(others[0].Label)+"'s id, original signature", tok, err)
	}
	tok, err := shiftExp(a.AccessToken)
	addTok(an+" token, exp changed", "exp one second later, original signature", tok, err)
	for _, o := range others {
		cs = append(cs, orderCase{name: shortLabel(o.Label) + "'s valid token",
			how: fmt.Sprintf("issued by the auth service; shares its first %d characters with %s", sharedPrefix(a.AccessToken, o.AccessToken), an), token: o.AccessToken})
	}
	keyed := func(name, how string, set map[string]any) {
		if key == nil {
			cs = append(cs, orderCase{name: name, how: how, skipped: "needs the SUT's signing key (not given)"})
			return
		}
		c, err := tokens.Claims(a.AccessToken)
		if err != nil {
			addTok(name, how, "", err)
			return
		}
		for k, v := range set {
			c[k] = v
		}
		tok, err := tokens.SignHMAC(map[string]any{"alg": "HS256", "typ": "JWT"}, c, key)
		addTok(name, how, tok, err)
	}
	if len(others) > 0 {
		keyed(an+" claims for another user, signed", an+" claims with sub "+shortLabel(others[0].Label)+"'s id and a new jti, signed with the key",
			map[string]any{"sub": others[0].UserID, "jti": randomSuffix(32)})
	}
	keyed(an+" claims as a refresh token, signed", an+" claims with token_type refresh and a new jti, signed with the key",
		map[string]any{"token_type": "refresh", "jti": randomSuffix(32)})
	return cs
}

// judgeAgainstAuth compares every path's verdict with the auth service's
// (cells[PathAuth]) and returns an order_dependent_verdict finding for
// each path that accepts what it rejects, rejects what it accepts, or
// accepts as another user.
func judgeAgainstAuth(name string, cells map[string]Cell) []reports.Finding {
	var out []reports.Finding
	ref := cells[PathAuth]
	if ref.Inconclusive {
		return []reports.Finding{unjudged(PathAuth, "%s: the auth service's answer proves nothing (%s); not judged on any path", name, ref.Code)}
	}
	for _, p := range MatrixPaths()[1:] {
		got, ok := cells[p]
		if !ok {
			continue
		}
		var why string
		switch {
		case got.Inconclusive:
			out = append(out, unjudged(p, "%s, sent after a valid token warmed every path: %s's answer proves nothing (%s)", name, p, got.Code))
			continue
		case got.Accept && !ref.Accept:
			why = fmt.Sprintf("accepts it as %q; the auth service rejects it (%s)", got.User, ref.Code)
		case !got.Accept && ref.Accept:
			why = fmt.Sprintf("rejects it (%s); the auth service accepts it as %q", got.Code, ref.User)
		case got.Accept && got.User != "" && got.User != ref.User:
			why = fmt.Sprintf("resolves user %q; the auth service %q", got.User, ref.User)
		default:
			continue
		}
		out = append(out, reports.Finding{Kind: reports.KindOrderDependent, Path: p,
			Detail: fmt.Sprintf("%s, sent after a valid token warmed every path: %s %s", name, p, why)})
	}
	return out
}

// warmRunWindow bounds the wait for a warm-up run's first event: the
// user_message has reached the gateway and the backend by then, which is
// all a warm-up needs, and a slow or broken agent does not multiply by the
// number of cases.
const warmRunWindow = 300 * time.Millisecond

// warm sends tok down every path, so that any cache or connection state a
// path keeps holds the valid token's verdict.
func warm(ctx context.Context, env *harness.Env, tok string) {
	for _, p := range MatrixPaths()[:len(MatrixPaths())-1] {
		probe(ctx, env, p, tok)
	}
	if conn, err := openConn(ctx, env, tok); err == nil {
		wctx, cancel := context.WithTimeout(ctx, warmRunWindow)
		_, _ = runFrames(wctx, env, conn, "gpcheck order warm-up", "")
		cancel()
		conn.CloseNow()
	}
}

// acceptedProbe is a burst token a path accepted.
type acceptedProbe struct {
	path, name string
	cell       Cell
}

// burst sends BurstSize invalid tokens (garbage, a's token with random
// signatures, truncated, unsigned) down every path but the open
// connection's, a few at a time, and returns those any path accepted.
func burst(ctx context.Context, env *harness.Env, valid string) []acceptedProbe {
	paths := []string{PathAuth, PathProfile, PathThreads, PathWSHeader}
	type job struct{ name, tok string }
	var jobs []job
	for i := range BurstSize {
		var name, tok string
		switch i % 5 {
		case 0:
			name, tok = "garbage", "gpcheck-garbage-"+randomSuffix(24)
		case 1:
			name = "the valid token with a random signature"
			if j := strings.LastIndexByte(valid, '.'); j >= 0 {
				tok = valid[:j+1] + base64.RawURLEncoding.EncodeToString(randomBytes(32))
			}
		case 2:
			name, tok = "the valid token, truncated", valid[:len(valid)-1-i%7]
		case 3:
			name = "the valid token, unsigned"
			if j := strings.LastIndexByte(valid, '.'); j >= 0 {
				tok = valid[:j+1]
			}
		default:
			name, tok = "a JWT-shaped string", "eyJhbGciOiJIUzI1NiJ9."+randomSuffix(40)+"."+randomSuffix(43)
		}
		jobs = append(jobs, job{fmt.Sprintf("burst token %d (%s)", i+1, name), tok})
	}
	var mu sync.Mutex
	var out []acceptedProbe
	sem := make(chan struct{}, burstParallel)
	var wg sync.WaitGroup
	for _, j := range jobs {
		for _, p := range paths {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if c := probe(ctx, env, p, j.tok); c.Accept {
					mu.Lock()
					out = append(out, acceptedProbe{path: p, name: j.name, cell: c})
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	return out
}

// keyRow is one key-URL case's verdicts.
type keyRow struct {
	name, how string
	cells     map[string]Cell
	fs        []reports.Finding
}

// keyURLs sends tokens whose jku, x5u or kid name a URL on a listener the
// harness runs on 127.0.0.1 (a random port) down every path. They must be
// rejected as the auth service rejects them, and nothing may fetch from
// the listener: a hit is a remote_key_fetched finding. On a remote target
// the listener is out of the services' reach unless they run on this
// machine, so no hit proves less there.
func keyURLs(ctx context.Context, env *harness.Env, a Session) ([]keyRow, []reports.Finding) {
	fail := func(err error) ([]keyRow, []reports.Finding) {
		return nil, []reports.Finding{{Kind: reports.KindProtocol, User: a.Label, Detail: "key URL probe: " + err.Error()}}
	}
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	hits := &hitLog{}
	srv := &http.Server{Handler: hits, ReadHeaderTimeout: 2 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	base := "http://" + l.Addr().String()
	claims, err := tokens.Claims(a.AccessToken)
	if err != nil {
		return fail(err)
	}
	cases := []struct {
		name   string
		header map[string]any
	}{
		{"jku on a harness listener", map[string]any{"alg": "RS256", "typ": "JWT", "jku": base + "/jku/jwks.json"}},
		{"x5u on a harness listener", map[string]any{"alg": "RS256", "typ": "JWT", "x5u": base + "/x5u/cert.pem"}},
		{"kid is a harness URL", map[string]any{"alg": "HS256", "typ": "JWT", "kid": base + "/kid/key"}},
	}
	var rows []keyRow
	for _, c := range cases {
		tok, err := unsignedWith(c.header, claims)
		if err != nil {
			return fail(err)
		}
		cells := map[string]Cell{}
		for _, p := range MatrixPaths() {
			cells[p] = probe(ctx, env, p, tok)
		}
		rows = append(rows, keyRow{name: c.name, how: "header points to " + base + ", random signature", cells: cells, fs: judgeAgainstAuth(c.name, cells)})
	}
	select {
	case <-ctx.Done():
	case <-time.After(keyFetchGrace):
	}
	var out []reports.Finding
	for _, h := range hits.list() {
		out = append(out, reports.Finding{Kind: reports.KindKeyFetched, User: a.Label,
			Detail: fmt.Sprintf("a service fetched %s %s from the harness's key listener while judging a token that names it; a verifier must never follow jku, x5u or kid", h.method, h.path)})
	}
	return rows, out
}

// hitLog records every request the key listener receives.
type hitLog struct {
	mu   sync.Mutex
	hits []hit
}

type hit struct{ method, path string }

func (h *hitLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.hits = append(h.hits, hit{r.Method, r.URL.Path})
	h.mu.Unlock()
	http.Error(w, "gpcheck: nothing to fetch here", http.StatusNotFound)
}

func (h *hitLog) list() []hit {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hit(nil), h.hits...)
}

// unsignedWith builds header.claims with a random 64-byte signature.
func unsignedWith(header, claims map[string]any) (string, error) {
	h, err := tokens.Segment(header)
	if err != nil {
		return "", err
	}
	c, err := tokens.Segment(claims)
	if err != nil {
		return "", err
	}
	return h + "." + c + "." + base64.RawURLEncoding.EncodeToString(randomBytes(64)), nil
}

// shortLabel is a user label's first word ("u0003" of "u0003 (<id>)").
func shortLabel(label string) string {
	if f := strings.Fields(label); len(f) > 0 {
		return f[0]
	}
	return label
}

// sharedPrefix returns how many leading characters a and b share.
func sharedPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// breakSignature changes one character in the middle of tok's signature,
// which always changes the signature's bytes.
func breakSignature(tok string) (string, error) {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || i+2 >= len(tok) {
		return "", errors.New("token has no signature")
	}
	j := i + 1 + (len(tok)-i-1)/2
	c := byte('A')
	if tok[j] == 'A' {
		c = 'B'
	}
	return tok[:j] + string(c) + tok[j+1:], nil
}

// swapSignature returns tok's header and payload with other's signature.
func swapSignature(tok, other string) (string, error) {
	i, j := strings.LastIndexByte(tok, '.'), strings.LastIndexByte(other, '.')
	if i < 0 || j < 0 {
		return "", errors.New("tokens are not compact JWS")
	}
	return tok[:i] + other[j:], nil
}

// shiftExp returns tok with exp one second later and the signature kept.
func shiftExp(tok string) (string, error) {
	exp, err := tokens.ExpiresAt(tok)
	if err != nil {
		return "", err
	}
	return tokens.WithClaims(tok, map[string]any{"exp": exp.Unix() + 1})
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return b
}
