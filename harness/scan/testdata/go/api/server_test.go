package api

import (
	"os"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestHandle(t *testing.T) {
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{}).SignedString([]byte(os.Getenv("JWT_SECRET")))
	_ = tok
}
