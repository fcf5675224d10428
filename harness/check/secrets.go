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
	var out []reports.Finding
	for _, p := range MatrixPaths {
		c := probe(ctx, env, p, s.AccessToken)
		switch {
		case !c.Accept:
			out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, User: s.Label, Path: p,
				Detail: fmt.Sprintf("%s rejects a token the auth service issued (%s): it does not trust the auth service's key", p, c.Code)})
		case c.User != "" && c.User != s.UserID:
			out = append(out, reports.Finding{Kind: reports.KindIdentity, User: s.Label, Path: p,
				Detail: fmt.Sprintf("%s resolves an issued token to %q, want %q", p, c.User, s.UserID)})
		}
	}
	claims, err := tokens.Claims(s.AccessToken)
	if err != nil {
		return append(out, reports.Finding{Kind: reports.KindProtocol, User: s.Label, Detail: "cannot read the issued token: " + err.Error()})
	}
	for name, key := range otherKeys {
		forged, err := tokens.SignHMAC(map[string]any{"alg": "HS256", "typ": "JWT"}, claims, key)
		if err != nil {
			return append(out, reports.Finding{Kind: reports.KindProtocol, User: s.Label, Detail: err.Error()})
		}
		for _, p := range MatrixPaths {
			if c := probe(ctx, env, p, forged); c.Accept {
				out = append(out, reports.Finding{Kind: reports.KindTokenVerdict, User: s.Label, Path: p,
					Detail: fmt.Sprintf("%s accepts a token signed with %s as %q: a key other than the auth service's is trusted", p, name, c.User)})
			}
		}
	}
	return out
}
