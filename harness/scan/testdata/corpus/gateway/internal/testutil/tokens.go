package testutil

import "github.com/golang-jwt/jwt/v5"

// Token signs a token for tests.
func Token() string {
	s, _ := jwt.New(jwt.SigningMethodHS256).SignedString([]byte("test"))
	return s
}
