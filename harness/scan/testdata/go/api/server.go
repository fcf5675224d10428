// Package api serves requests.
package api

import (
	"fmt"
	"os"

	"github.com/golang-jwt/jwt/v5"
)

// jwt.Parse(token) in a comment must not count; nor os.Getenv("JWT_SECRET").
/* jwt.ParseWithClaims(x) in a block comment */

var secret = os.Getenv("JWT_SECRET")

// Claims are the token claims.
type Claims struct {
	jwt.RegisteredClaims
	User string
}

// Handle parses and re-signs a token.
func Handle(raw string) (string, error) {
	tok, err := jwt.ParseWithClaims(raw, &Claims{}, keyFunc)
	if err != nil {
		return "", fmt.Errorf("jwt.Parse failed: %w", err)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, tok.Claims)
	return t.SignedString([]byte(secret))
}

func keyFunc(t *jwt.Token) (any, error) { return []byte(secret), nil }

// ValidateToken is also defined in worker.
func ValidateToken(raw string) bool {
	_, err := jwt.Parse(raw, keyFunc)
	return err == nil
}

var quote = '"'
var raw = `jwt.Parse(x) JWT_SECRET in a raw string with spaces`
