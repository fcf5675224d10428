// Package api serves requests.
package api

import (
	"fmt"
	"os"

	"github.com/golang-jwt/jwt/v5" // want: jwt_import
)

// jwt.Parse(token) in a comment must not count; nor os.Getenv("JWT_SECRET").
/* jwt.ParseWithClaims(x) in a block comment */

var secret = os.Getenv("JWT_SECRET") // want: secret_read

// Claims are the token claims.
type Claims struct {
	jwt.RegisteredClaims
	User string
}

// Handle parses and re-signs a token.
func Handle(raw string) (string, error) { // want: duplicate_validator
	tok, err := jwt.ParseWithClaims(raw, &Claims{}, keyFunc) // want: jwt_operation
	if err != nil {
		return "", fmt.Errorf("jwt.Parse failed: %w", err)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, tok.Claims) // want: jwt_operation
	return t.SignedString([]byte(secret))                      // want: jwt_operation
}

func keyFunc(t *jwt.Token) (any, error) { return []byte(secret), nil }

// ValidateToken is also defined in worker.
func ValidateToken(raw string) bool { // want: duplicate_validator
	_, err := jwt.Parse(raw, keyFunc) // want: jwt_operation
	return err == nil
}

var quote = '"'
var raw = `jwt.Parse(x) JWT_SECRET in a raw string with spaces`
