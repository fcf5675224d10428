package worker

import (
	jose "github.com/go-jose/go-jose/v4"
	gojwt "github.com/golang-jwt/jwt/v4"
	_ "github.com/lestrrat-go/jwx/v2/jwt"
)

// Config holds settings.
type Config struct {
	JWTSecret string `json:"jwt_secret"`
}

// Job is a background job.
type Job struct{}

// ValidateToken duplicates api.ValidateToken.
func (j *Job) ValidateToken(raw string) error {
	_, err := gojwt.Parse(raw, nil)
	return err
}

// ParseToken is defined only here.
func ParseToken(raw string) error {
	_, err := jose.ParseSigned(raw, nil)
	return err
}

// Key returns the key.
func (c Config) Key() string { return c.JWTSecret }
