package check

import (
	"context"
	"fmt"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// Secrets checks secret consistency: a token the auth service issued is
// accepted by every path as its user, and the same claims signed with any
// other key — a random one, and the key a service would hold after
// copying a stale secret — by none. It needs no signing key of the SUT's.
func Secrets(ctx context.Context, env *harness.Env, s Session, otherKeys map[string][]byte) []reports.Finding {
	out := acceptedEverywhere(ctx, env, s, s.AccessToken,
		"%s rejects a token the auth service issued (%s): it does not trust the auth service's key",
		"%s resolves an issued token to %q, want %q")
	claims, err := tokens.Claims(s.AccessToken)
	if err != nil {
		return append(out, reports.Finding{Kind: reports.KindProtocol, User: s.Label, Detail: "cannot read the issued token: " + err.Error()})
	}
	for name, key := range otherKeys {
		forged, err := tokens.SignHMAC(map[string]any{"alg": "HS256", "typ": "JWT"}, claims, key)
		if err != nil {
			return append(out, reports.Finding{Kind: reports.KindProtocol, User: s.Label, Detail: err.Error()})
		}
		for _, p := range MatrixPaths() {
			if c := probe(ctx, env, p, forged); c.Accept {
				out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, Severity: reports.SeverityCritical, User: s.Label, Path: p,
					Detail: fmt.Sprintf("%s accepts a token signed with %s as %q: a key other than the auth service's is trusted", p, name, c.User)})
			}
		}
	}
	return out
}

// acceptedEverywhere probes every matrix path with token, which the auth
// service issued to s's user: a path that rejects it gets a
// token_verdict_mismatch (rejected formats path and code), one that
// resolves another user an identity_mismatch (other formats path, got,
// want).
func acceptedEverywhere(ctx context.Context, env *harness.Env, s Session, token, rejected, other string) []reports.Finding {
	var out []reports.Finding
	for _, p := range MatrixPaths() {
		c := probe(ctx, env, p, token)
		switch {
		case c.Inconclusive:
			out = append(out, unjudged(p, "%s's answer to a token the auth service issued proves nothing (%s)", p, c.Code))
		case !c.Accept:
			out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, User: s.Label, Path: p,
				Detail: fmt.Sprintf(rejected, p, c.Code)})
		case c.User != "" && c.User != s.UserID:
			out = append(out, reports.Finding{Kind: reports.KindIdentity, User: s.Label, Path: p,
				Detail: fmt.Sprintf(other, p, c.User, s.UserID)})
		}
	}
	return out
}
