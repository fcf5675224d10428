package tokens

import "time"

// Policy is what a deployment declares where the standards allow more
// than one behaviour. A field left at its zero value is undeclared: for
// the cases that depend on it only agreement across paths is judged, and
// the auth service's own choice is an advisory observation, never a
// violation.
type Policy struct {
	// Leeway is the clock-skew leeway the service allows past exp; nil is
	// undeclared. RFC 7519 §4.1.4 allows "some small leeway", any or none.
	Leeway *time.Duration
	// IATSkew is how far in the future an iat may be; nil is undeclared
	// (RFC 7519 does not require rejecting a future iat).
	IATSkew *time.Duration
	// DuplicateClaims is "reject" or "last" (the lexically last member
	// wins), the two behaviours RFC 7519 §4 allows; "" is undeclared.
	DuplicateClaims string
	// Issuer and Audience, when set, are the iss and aud the deployment
	// declares it checks: a token with another one must be rejected.
	// Empty is undeclared (RFC 7519 leaves their processing to the
	// application).
	Issuer, Audience string
	// TwoCredentials is what a WebSocket handshake carrying a header
	// token and a subprotocol token at once gets: "reject", "header" (the
	// header's token counts) or "subprotocol"; "" is undeclared.
	TwoCredentials string
}

// The policies cases depend on.
const (
	PolicyLeeway          = "leeway"
	PolicyIATSkew         = "iat-skew"
	PolicyDuplicateClaims = "duplicate-claims"
	PolicyIssuer          = "issuer"
	PolicyAudience        = "audience"
)

// Expect is the verdict a conforming system gives c under p. resolvesOther
// is true when an accept must resolve user B (the other user) rather than
// the token's holder; declared is false when c depends on a policy p
// leaves undeclared, in which case want is the reference's choice and only
// advisory.
func (c Case) Expect(p Policy) (want Want, resolvesOther, declared bool) {
	switch c.Policy {
	case PolicyLeeway:
		if p.Leeway == nil {
			return c.Want, false, false
		}
		if c.Offset < *p.Leeway {
			return Accept, false, true
		}
		return Reject, false, true
	case PolicyIATSkew:
		if p.IATSkew == nil {
			return c.Want, false, false
		}
		if c.Offset <= *p.IATSkew {
			return Accept, false, true
		}
		return Reject, false, true
	case PolicyDuplicateClaims:
		switch p.DuplicateClaims {
		case "reject":
			return Reject, false, true
		case "last":
			return Accept, true, true
		}
		return c.Want, false, false
	case PolicyIssuer:
		return c.Want, false, p.Issuer != ""
	case PolicyAudience:
		return c.Want, false, p.Audience != ""
	}
	return c.Want, false, true
}
