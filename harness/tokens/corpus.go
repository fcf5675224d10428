package tokens

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"
	"time"
)

// Want is the verdict a conforming system must give a case.
type Want string

const (
	// Accept: the token is valid and resolves to the user it was issued to.
	Accept Want = "accept"
	// Reject: every path must refuse the token.
	Reject Want = "reject"
)

// Material is what cases are built from: real tokens of the system under
// test and, when known, its signing key.
type Material struct {
	// Access and Refresh are a fresh, valid pair of user A.
	Access, Refresh string
	// Revoked is an access token of user A that was logged out.
	Revoked string
	// OtherUserID is user B's id, for forged subjects.
	OtherUserID string
	// Key is the SUT's HS256 signing key; nil when unknown (remote
	// targets), in which case keyed cases are skipped and say so.
	Key []byte
	// Issuer and Audience are the SUT's iss and aud.
	Issuer, Audience string
	// Now is the time cases are built for.
	Now time.Time
}

// Case is one entry of the adversarial token corpus.
type Case struct {
	ID   string
	Name string
	// How says how the token is built, for reports.
	How string
	// Want is the verdict a conforming system gives on every path.
	Want Want
	// NeedsKey is true when building the case needs the SUT's signing key.
	NeedsKey bool
	// Policy, when set, names the policy (PolicyLeeway, …) the verdict
	// depends on; Want is then the reference services' choice, and Expect
	// gives the verdict under a declared policy. Offset is the case's time
	// offset the policy is measured against (how long ago exp passed, how
	// far ahead iat is).
	Policy string
	Offset time.Duration
	// Build makes the token.
	Build func(m Material) (string, error)
}

// Corpus returns the token cases, in a stable order with stable ids.
// Presentation variants (Authorization schemes, query strings, two
// credentials at once) are not tokens and are probed separately.
func Corpus() []Case {
	cs := []Case{
		{Name: "valid access token", How: "issued by the auth service", Want: Accept,
			Build: func(m Material) (string, error) { return m.Access, nil }},
		{Name: "empty token", How: `""`, Want: Reject,
			Build: func(Material) (string, error) { return "", nil }},
		{Name: "garbage", How: "not-a-jwt", Want: Reject,
			Build: func(Material) (string, error) { return "not-a-jwt", nil }},
		{Name: "two parts", How: "header.payload with no signature part", Want: Reject,
			Build: func(m Material) (string, error) {
				h, p, _, err := Parts(m.Access)
				return h + "." + p, err
			}},
		{Name: "non-base64 segments", How: "!!!.@@@.###", Want: Reject,
			Build: func(Material) (string, error) { return "!!!.@@@.###", nil }},
		{Name: "signature stripped", How: "header.payload. (empty signature)", Want: Reject,
			Build: func(m Material) (string, error) {
				h, p, _, err := Parts(m.Access)
				return h + "." + p + ".", err
			}},
		{Name: "alg none", How: `header alg "none", signature stripped`, Want: Reject, Build: algNone("none")},
		{Name: "alg None", How: `header alg "None", signature stripped`, Want: Reject, Build: algNone("None")},
		{Name: "alg NONE", How: `header alg "NONE", signature stripped`, Want: Reject, Build: algNone("NONE")},
		{Name: "alg nOnE", How: `header alg "nOnE", signature stripped`, Want: Reject, Build: algNone("nOnE")},
		{Name: "alg none keeping the signature", How: `header alg "none", original signature kept`, Want: Reject,
			Build: func(m Material) (string, error) { return withHeader(m.Access, map[string]any{"alg": "none"}) }},
		{Name: "sub changed under the original signature", How: "payload sub set to user B, signature of user A's token", Want: Reject,
			Build: func(m Material) (string, error) { return WithClaims(m.Access, map[string]any{"sub": m.OtherUserID}) }},
		{Name: "exp extended under the original signature", How: "payload exp +1 year, original signature", Want: Reject,
			Build: func(m Material) (string, error) {
				return WithClaims(m.Access, map[string]any{"exp": m.Now.Add(365 * 24 * time.Hour).Unix()})
			}},
		{Name: "header alg changed to HS512", How: "header alg HS512, original HS256 signature", Want: Reject,
			Build: func(m Material) (string, error) { return withHeader(m.Access, map[string]any{"alg": "HS512"}) }},
		{Name: "header alg changed to RS256", How: "header alg RS256, original HMAC signature (key confusion)", Want: Reject,
			Build: func(m Material) (string, error) { return withHeader(m.Access, map[string]any{"alg": "RS256"}) }},
		{Name: "signature bit flipped", How: "one bit of the signature flipped", Want: Reject,
			Build: func(m Material) (string, error) { return flipSignatureBit(m.Access) }},
		{Name: "signed with another HMAC key", How: "user A's claims, HS256 with a random key", Want: Reject,
			Build: func(m Material) (string, error) {
				c, err := Claims(m.Access)
				if err != nil {
					return "", err
				}
				return SignHMAC(map[string]any{"alg": "HS256", "typ": "JWT"}, c, randomKey())
			}},
		{Name: "embedded jwk header", How: "ES256 signed with an attacker key whose public half rides in the jwk header", Want: Reject,
			Build: func(m Material) (string, error) {
				k, err := newECKey()
				if err != nil {
					return "", err
				}
				c, err := Claims(m.Access)
				if err != nil {
					return "", err
				}
				return k.sign(map[string]any{"alg": "ES256", "typ": "JWT", "jwk": k.jwk()}, c)
			}},
		{Name: "jku pointing elsewhere", How: "ES256, header jku at an attacker URL", Want: Reject, Build: remoteKeyHeader("jku")},
		{Name: "x5u pointing elsewhere", How: "ES256, header x5u at an attacker URL", Want: Reject, Build: remoteKeyHeader("x5u")},
		{Name: "kid path traversal", How: `kid "../../../../../../dev/null", HS256 with an empty key`, Want: Reject,
			Build: func(m Material) (string, error) { return kidCase(m, "../../../../../../dev/null", nil) }},
		{Name: "kid injection", How: `kid "x' UNION SELECT 'k'-- ", HS256 with key "k"`, Want: Reject,
			Build: func(m Material) (string, error) { return kidCase(m, "x' UNION SELECT 'k'-- ", []byte("k")) }},
		{Name: "ECDSA zero signature", How: "alg ES256, r = s = 0", Want: Reject,
			Build: func(m Material) (string, error) {
				h, err := Segment(map[string]any{"alg": "ES256", "typ": "JWT"})
				if err != nil {
					return "", err
				}
				_, p, _, err := Parts(m.Access)
				return h + "." + p + "." + b64.EncodeToString(make([]byte, 64)), err
			}},
		{Name: "refresh token as access token", How: "user A's refresh token", Want: Reject,
			Build: func(m Material) (string, error) { return m.Refresh, nil }},
		{Name: "token after logout", How: "an access token whose session was logged out", Want: Reject,
			Build: func(m Material) (string, error) { return m.Revoked, nil }},
		{Name: "oversized token", How: "user A's token with a 16 KiB claim added, original signature", Want: Reject,
			Build: func(m Material) (string, error) {
				return WithClaims(m.Access, map[string]any{"pad": strings.Repeat("A", 16<<10)})
			}},
	}
	keyed := []struct {
		name, how string
		want      Want
		mutate    func(m Material, header, claims map[string]any)
	}{
		{"well-formed keyed control", "a token the harness signs with the SUT's key, as the auth service would", Accept, func(Material, map[string]any, map[string]any) {}},
		{"unknown user", "sub is a user id that does not exist", Reject, func(m Material, _, c map[string]any) { c["sub"] = "00000000-0000-7000-8000-" + randomHex(6) }},
		{"wrong iss", `iss "evil-issuer"`, Reject, func(_ Material, _, c map[string]any) { c["iss"] = "evil-issuer" }},
		{"wrong aud", `aud "another-platform"`, Reject, func(_ Material, _, c map[string]any) { c["aud"] = "another-platform" }},
		{"missing exp", "no exp claim", Reject, func(_ Material, _, c map[string]any) { delete(c, "exp") }},
		{"expired beyond the leeway", "exp two minutes ago", Reject, func(m Material, _, c map[string]any) {
			c["exp"], c["iat"], c["nbf"] = m.Now.Add(-2*time.Minute).Unix(), m.Now.Add(-20*time.Minute).Unix(), m.Now.Add(-20*time.Minute).Unix()
		}},
		{"expired within the leeway", "exp five seconds ago (the reference's leeway is 30 s)", Accept, func(m Material, _, c map[string]any) {
			c["exp"], c["iat"], c["nbf"] = m.Now.Add(-5*time.Second).Unix(), m.Now.Add(-15*time.Minute).Unix(), m.Now.Add(-15*time.Minute).Unix()
		}},
		{"nbf in the future", "nbf in two minutes", Reject, func(m Material, _, c map[string]any) { c["nbf"] = m.Now.Add(2 * time.Minute).Unix() }},
		{"iat in the future", "iat in two minutes", Reject, func(m Material, _, c map[string]any) { c["iat"] = m.Now.Add(2 * time.Minute).Unix() }},
		{"missing sub", "no sub claim", Reject, func(_ Material, _, c map[string]any) { delete(c, "sub") }},
		{"empty sub", `sub ""`, Reject, func(_ Material, _, c map[string]any) { c["sub"] = "" }},
		{"numeric sub", "sub 12345", Reject, func(_ Material, _, c map[string]any) { c["sub"] = 12345 }},
		{"user_id claim disagrees with sub", "user_id claim names user B; sub is user A", Accept, func(m Material, _, c map[string]any) { c["user_id"] = m.OtherUserID }},
		{"email claim disagrees with sub", "email claim of another address; sub is user A", Accept, func(_ Material, _, c map[string]any) { c["email"] = "someone-else@gpcheck.test" }},
		{"HS384 with the right key", "alg HS384, SUT key", Reject, func(_ Material, h, _ map[string]any) { h["alg"] = "HS384" }},
		{"HS512 with the right key", "alg HS512, SUT key", Reject, func(_ Material, h, _ map[string]any) { h["alg"] = "HS512" }},
		{"unknown crit header", `crit ["x-gpcheck"] with x-gpcheck set`, Reject, func(_ Material, h, _ map[string]any) {
			h["crit"] = []string{"x-gpcheck"}
			h["x-gpcheck"] = true
		}},
		{"missing token_type", "no token_type claim", Reject, func(_ Material, _, c map[string]any) { delete(c, "token_type") }},
		{"token_type refresh signed as access", "token_type refresh with an access lifetime", Reject, func(_ Material, _, c map[string]any) { c["token_type"] = "refresh" }},
	}
	// The cases whose verdict a deployment's policy decides.
	policyOf := map[string]struct {
		policy string
		offset time.Duration
	}{
		"expired within the leeway": {PolicyLeeway, 5 * time.Second},
		"iat in the future":         {PolicyIATSkew, 2 * time.Minute},
		"wrong iss":                 {PolicyIssuer, 0},
		"wrong aud":                 {PolicyAudience, 0},
	}
	for _, k := range keyed {
		c := Case{Name: k.name, How: k.how, Want: k.want, NeedsKey: true, Build: keyedCase(k.mutate)}
		c.Policy, c.Offset = policyOf[k.name].policy, policyOf[k.name].offset
		cs = append(cs, c)
	}
	cs = append(cs, Case{Name: "duplicate sub keys", How: `payload {"sub":A,…,"sub":B}, signed with the SUT key`, Want: Reject, NeedsKey: true,
		Build: duplicateSub, Policy: PolicyDuplicateClaims})
	for i := range cs {
		cs[i].ID = fmt.Sprintf("T%02d", i+1)
	}
	return cs
}

func algNone(alg string) func(Material) (string, error) {
	return func(m Material) (string, error) {
		t, err := withHeader(m.Access, map[string]any{"alg": alg})
		if err != nil {
			return "", err
		}
		h, p, _, _ := Parts(t)
		return h + "." + p + ".", nil
	}
}

// withHeader replaces header fields, keeping payload and signature.
func withHeader(token string, set map[string]any) (string, error) {
	h, p, s, err := Parts(token)
	if err != nil {
		return "", err
	}
	hd, err := decodeSegment(h)
	if err != nil {
		return "", err
	}
	maps.Copy(hd, set)
	nh, err := Segment(hd)
	return nh + "." + p + "." + s, err
}

func flipSignatureBit(token string) (string, error) {
	h, p, s, err := Parts(token)
	if err != nil {
		return "", err
	}
	sig, err := b64.DecodeString(s)
	if err != nil || len(sig) == 0 {
		return "", fmt.Errorf("signature is not base64url")
	}
	sig[len(sig)/2] ^= 0x01
	return h + "." + p + "." + b64.EncodeToString(sig), nil
}

func remoteKeyHeader(field string) func(Material) (string, error) {
	return func(m Material) (string, error) {
		k, err := newECKey()
		if err != nil {
			return "", err
		}
		c, err := Claims(m.Access)
		if err != nil {
			return "", err
		}
		// Loopback port 9 (discard): nothing may be fetched from it, and a
		// fetch that happens anyway goes nowhere beyond this machine.
		return k.sign(map[string]any{"alg": "ES256", "typ": "JWT", field: "http://127.0.0.1:9/.well-known/jwks.json"}, c)
	}
}

func kidCase(m Material, kid string, key []byte) (string, error) {
	c, err := Claims(m.Access)
	if err != nil {
		return "", err
	}
	return SignHMAC(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, c, key)
}

// keyedCase signs user A's claims, changed by mutate, with the SUT's key.
func keyedCase(mutate func(m Material, header, claims map[string]any)) func(Material) (string, error) {
	return func(m Material) (string, error) {
		if m.Key == nil {
			return "", ErrNeedsKey
		}
		c, err := Claims(m.Access)
		if err != nil {
			return "", err
		}
		c["jti"] = randomHex(16)
		h := map[string]any{"alg": "HS256", "typ": "JWT"}
		mutate(m, h, c)
		return SignHMAC(h, c, m.Key)
	}
}

func duplicateSub(m Material) (string, error) {
	if m.Key == nil {
		return "", ErrNeedsKey
	}
	c, err := Claims(m.Access)
	if err != nil {
		return "", err
	}
	c["jti"] = randomHex(16)
	delete(c, "sub")
	body, err := Segment(c)
	if err != nil {
		return "", err
	}
	raw, _ := b64.DecodeString(body)
	sub, _ := Claims(m.Access)
	// {"sub":"A", ...rest..., "sub":"B"}
	payload := fmt.Sprintf(`{"sub":%q,%s,"sub":%q}`, sub["sub"], strings.TrimSuffix(strings.TrimPrefix(string(raw), "{"), "}"), m.OtherUserID)
	h, err := Segment(map[string]any{"alg": "HS256", "typ": "JWT"})
	if err != nil {
		return "", err
	}
	return SignRawHMAC(h+"."+b64.EncodeToString([]byte(payload)), "HS256", m.Key)
}

// ErrNeedsKey is returned by keyed cases built without the signing key.
var ErrNeedsKey = fmt.Errorf("case needs the SUT's signing key")

func randomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomKey()[:n]) }
