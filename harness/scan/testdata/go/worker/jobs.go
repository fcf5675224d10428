package worker

import (
	jose "github.com/go-jose/go-jose/v4"  // want: jwt_import
	gojwt "github.com/golang-jwt/jwt/v4"  // want: jwt_import
	_ "github.com/lestrrat-go/jwx/v2/jwt" // want: jwt_import
)

// Config holds settings.
type Config struct {
	JWTSecret string `json:"jwt_secret"` // low: secret_mention
}

// Job is a background job.
type Job struct{}

// ValidateToken duplicates api.ValidateToken.
func (j *Job) ValidateToken(raw string) error { // want: duplicate_validator
	_, err := gojwt.Parse(raw, nil) // want: jwt_operation
	return err
}

// ParseToken is defined only here.
func ParseToken(raw string) error { // want: duplicate_validator
	_, err := jose.ParseSigned(raw, nil) // want: jwt_operation
	return err
}

// Key returns the key.
func (c Config) Key() string { return c.JWTSecret } // want: secret_read
