// Package auth authenticates requests.
package auth

import (
	"context"
	"net/http"
	"strings"

	jwt "github.com/golang-jwt/jwt/v5" // want: jwt_import

	"example.com/gateway/internal/config"
)

type ctxKey struct{}

// Claims are what the gateway reads from a token.
type Claims struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
}

// ParseToken checks a bearer token with the shared secret.
func ParseToken(cfg *config.Config, raw string) (*Claims, error) { // want: duplicate_validator
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { // want: jwt_operation
		return cfg.SigningKey(), nil
	})
	return claims, err
}

// Claim only wraps ParseToken.
func Claim(cfg *config.Config, r *http.Request) (*Claims, error) { // want: duplicate_validator
	return ParseToken(cfg, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
}

// Middleware puts the claims in the context.
func Middleware(cfg *config.Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Claim(cfg, r)
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)))
	})
}

// Issue signs a short-lived token for internal calls.
func Issue(cfg *config.Config, sub string) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: sub}) // want: jwt_operation
	return t.SignedString(cfg.SigningKey())                                            // want: jwt_operation
}
