// Package email confirms addresses with signed links.
package email

import (
	"crypto/subtle"
	"time"
)

// Store keeps pending confirmations.
type Store interface {
	Lookup(token string) (string, time.Time, bool)
}

// VerifyToken checks an email-confirmation token.
func VerifyToken(s Store, token, email string) bool { // low: validator_name
	want, exp, ok := s.Lookup(token)
	return ok && time.Now().Before(exp) && subtle.ConstantTimeCompare([]byte(want), []byte(email)) == 1
}
