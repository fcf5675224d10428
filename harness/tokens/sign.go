package tokens

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"hash"
	"time"
)

// Segment base64url-encodes a JSON value as a JWT segment.
func Segment(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode segment: %w", err)
	}
	return b64.EncodeToString(b), nil
}

// SignHMAC builds a compact JWS over header and claims with an HMAC of the
// header's alg (HS256, HS384 or HS512) and key. It is the forger's tool:
// the harness signs only tokens meant to test a verifier.
func SignHMAC(header, claims map[string]any, key []byte) (string, error) {
	h, err := Segment(header)
	if err != nil {
		return "", err
	}
	c, err := Segment(claims)
	if err != nil {
		return "", err
	}
	return SignRawHMAC(h+"."+c, fmt.Sprint(header["alg"]), key)
}

// SignRawHMAC signs an already encoded "header.payload" with alg and key.
func SignRawHMAC(signingInput, alg string, key []byte) (string, error) {
	var hf func() hash.Hash
	switch alg {
	case "HS256":
		hf = sha256.New
	case "HS384":
		hf = sha512.New384
	case "HS512":
		hf = sha512.New
	default:
		return "", fmt.Errorf("not an HMAC algorithm: %q", alg)
	}
	m := hmac.New(hf, key)
	m.Write([]byte(signingInput))
	return signingInput + "." + b64.EncodeToString(m.Sum(nil)), nil
}

// ecKey is an attacker's ES256 key, made fresh for each corpus.
type ecKey struct{ priv *ecdsa.PrivateKey }

func newECKey() (ecKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ecKey{}, fmt.Errorf("generate ES256 key: %w", err)
	}
	return ecKey{k}, nil
}

// jwk returns the public key as a JSON Web Key.
func (k ecKey) jwk() map[string]any {
	pad := func(b []byte) string {
		out := make([]byte, 32)
		copy(out[32-len(b):], b)
		return b64.EncodeToString(out)
	}
	ecdh, _ := k.priv.PublicKey.ECDH()
	raw := ecdh.Bytes() // 0x04 || X || Y
	return map[string]any{"kty": "EC", "crv": "P-256", "x": pad(raw[1:33]), "y": pad(raw[33:65])}
}

// sign builds an ES256 JWS over header and claims.
func (k ecKey) sign(header, claims map[string]any) (string, error) {
	h, err := Segment(header)
	if err != nil {
		return "", err
	}
	c, err := Segment(claims)
	if err != nil {
		return "", err
	}
	in := h + "." + c
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign ES256: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64.EncodeToString(sig), nil
}

// Reissue re-signs token's claims with key, with exp set to exp and a new
// jti: a token the auth service would have issued, living until exp. It
// needs the SUT's signing key, so only local and containers targets (or a
// remote run given the key) use it.
func Reissue(token string, key []byte, exp time.Time) (string, error) {
	c, err := Claims(token)
	if err != nil {
		return "", err
	}
	c["exp"] = exp.Unix()
	c["jti"] = randomHex(16)
	return SignHMAC(map[string]any{"alg": "HS256", "typ": "JWT"}, c, key)
}
