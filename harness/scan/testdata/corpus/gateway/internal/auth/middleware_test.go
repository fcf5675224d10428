package auth

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestParse(t *testing.T) {
	s, _ := jwt.New(jwt.SigningMethodHS256).SignedString([]byte("k"))
	_ = s
}
