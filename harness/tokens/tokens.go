// Package tokens reads and forges JSON Web Tokens from the outside, as an
// attacker or an auditor would: it decodes claims without verifying them,
// builds tampered variants, and fingerprints tokens for reports. It never
// decides whether a token is valid; the auth service does.
package tokens

import (
	"bytes"
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
//
// Every flow reads one, so the common case (one "sub" key, spelled so,
// and no other key that encoding/json would fold onto it) decodes into a
// one-field struct instead of a map of every claim; anything else takes
// the map, whose reading is exact. (encoding/json also folds 'ſ' and the
// Kelvin sign onto ASCII letters: a payload that is not all ASCII takes
// the map too.)
func Subject(token string) (string, error) {
	_, p, _, err := Parts(token)
	if err != nil {
		return "", err
	}
	b, err := b64.DecodeString(strings.TrimRight(p, "="))
	if err != nil {
		return "", fmt.Errorf("segment is not base64url: %w", err)
	}
	var sub string
	if ascii(b) && bytes.Count(b, []byte(`"sub"`)) == 1 && countFold(b, `"sub"`) == 1 {
		var c struct {
			Sub json.RawMessage `json:"sub"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return "", fmt.Errorf("segment is not a JSON object: %w", err)
		}
		_ = json.Unmarshal(c.Sub, &sub) // not a string: sub stays ""
	} else {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return "", fmt.Errorf("segment is not a JSON object: %w", err)
		}
		sub, _ = m["sub"].(string)
	}
	if sub == "" {
		return "", errors.New("token has no string sub claim")
	}
	return sub, nil
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// countFold counts the ASCII case-insensitive occurrences of word in b.
func countFold(b []byte, word string) int {
	n := 0
	for i := 0; i+len(word) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(word)], []byte(word)) {
			n++
		}
	}
	return n
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
