// Package tokens reads and forges JSON Web Tokens from the outside, as an
// attacker or an auditor would: it decodes claims without verifying them,
// builds tampered variants, and fingerprints tokens for reports. It never
// decides whether a token is valid; the auth service does.
package tokens

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

var b64 = base64.RawURLEncoding

// Parts splits a compact JWS into its three segments.
func Parts(token string) (header, payload, sig string, err error) {
	p := strings.Split(token, ".")
	if len(p) != 3 {
		return "", "", "", fmt.Errorf("token has %d parts, want 3", len(p))
	}
	return p[0], p[1], p[2], nil
}

// Claims decodes the token's payload without verifying anything.
func Claims(token string) (map[string]any, error) {
	_, p, _, err := Parts(token)
	if err != nil {
		return nil, err
	}
	return decodeSegment(p)
}

// Header decodes the token's header without verifying anything.
func Header(token string) (map[string]any, error) {
	h, _, _, err := Parts(token)
	if err != nil {
		return nil, err
	}
	return decodeSegment(h)
}

func decodeSegment(seg string) (map[string]any, error) {
	b, err := b64.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, fmt.Errorf("segment is not base64url: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("segment is not a JSON object: %w", err)
	}
	return m, nil
}

// Subject returns the token's sub claim, unverified.
func Subject(token string) (string, error) {
	c, err := Claims(token)
	if err != nil {
		return "", err
	}
	sub, ok := c["sub"].(string)
	if !ok || sub == "" {
		return "", errors.New("token has no string sub claim")
	}
	return sub, nil
}

// WithClaims returns token with the given claims replaced in its payload
// and the original signature kept: a forgery that only a verifier that
// skips the signature accepts.
func WithClaims(token string, set map[string]any) (string, error) {
	h, p, s, err := Parts(token)
	if err != nil {
		return "", err
	}
	c, err := decodeSegment(p)
	if err != nil {
		return "", err
	}
	for k, v := range set {
		c[k] = v
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode payload: %w", err)
	}
	return h + "." + b64.EncodeToString(b) + "." + s, nil
}

// Fingerprint identifies a token in reports without revealing it: its jti
// when it has one, and a short hash of the whole token.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	fp := "sha256:" + hex.EncodeToString(sum[:6])
	if c, err := Claims(token); err == nil {
		if jti, ok := c["jti"].(string); ok && jti != "" {
			if len(jti) > 12 {
				jti = jti[:12]
			}
			return "jti:" + jti + "…/" + fp
		}
	}
	return fp
}

// ExpiresAt returns the token's exp claim, unverified.
func ExpiresAt(token string) (time.Time, error) {
	c, err := Claims(token)
	if err != nil {
		return time.Time{}, err
	}
	exp, ok := c["exp"].(float64)
	if !ok {
		return time.Time{}, errors.New("token has no numeric exp claim")
	}
	return time.Unix(int64(exp), 0), nil
}
