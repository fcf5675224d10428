// Package config loads the gateway's settings. os.Getenv("JWT_SECRET") in
// a comment is never a finding.
package config

import (
	"errors"
	"os"

	"github.com/spf13/viper"
)

// JWTSecretEnv is the variable holding the secret.
const JWTSecretEnv = "JWT_SECRET" // low: secret_mention

// Config holds settings.
type Config struct {
	Addr      string `json:"addr"`
	JWTSecret string `json:"jwt_secret"` // low: secret_mention
	AuthURL   string `json:"auth_url"`
}

// Load reads the environment.
func Load() (*Config, error) {
	c := &Config{
		Addr:      os.Getenv("ADDR"),
		JWTSecret: os.Getenv("JWT_SECRET"), // want: secret_read
		AuthURL:   viper.GetString("auth.url"),
	}
	if c.JWTSecret == "" { // want: secret_read
		return nil, errors.New("JWT_SECRET is not set") // ok
	}
	return c, nil
}

// SigningKey returns the key bytes.
func (c *Config) SigningKey() []byte { return []byte(c.JWTSecret) } // want: secret_read

// FromViper reads the nested key.
func FromViper() string { return viper.GetString("auth.jwt_secret") } // want: secret_read

// LookupSecret reads the variable, if set.
func LookupSecret() (string, bool) { return os.LookupEnv(JWTSecretEnv) } // low: secret_mention

// Redacted lists the keys never logged.
var Redacted = []string{"password", "jwt_secret"} // low: secret_mention

// IsSecret reports whether an env name holds the secret.
func IsSecret(name string) bool { return name == "JWT_SECRET" } // low: secret_mention

// SetSecret stores a new secret.
func (c *Config) SetSecret(v string) { c.JWTSecret = v } // low: secret_mention
