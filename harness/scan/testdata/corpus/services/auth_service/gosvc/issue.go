package gosvc

import (
	"os"

	"github.com/golang-jwt/jwt/v5"
)

// ValidateToken is the one validator.
func ValidateToken(raw string) error {
	_, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return []byte(os.Getenv("JWT_SECRET")), nil })
	return err
}
