package profile

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Policy is what a deployment declares where the standards allow more
// than one behaviour. A key left out is undeclared: gpcheck then judges
// only that every path agrees with the auth service, and reports the auth
// service's own choice as an advisory observation.
type Policy struct {
	// Leeway is the clock-skew leeway allowed past exp ("0s" for none).
	Leeway *Span `yaml:"leeway,omitempty"`
	// IATSkew is how far in the future an iat may be.
	IATSkew *Span `yaml:"iat_skew,omitempty"`
	// DuplicateClaims is "reject" or "last" (the lexically last member
	// wins): RFC 7519 §4 allows both.
	DuplicateClaims string `yaml:"duplicate_claims,omitempty"`
	// Issuer and Audience are the iss and aud the deployment checks; a
	// token with another is then must-reject.
	Issuer   string `yaml:"issuer,omitempty"`
	Audience string `yaml:"audience,omitempty"`
	// TwoCredentials is what a handshake with a header token and a
	// subprotocol token gets: "reject", "header" or "subprotocol".
	TwoCredentials string `yaml:"two_credentials,omitempty"`
}

// Validate checks the policy's values.
func (p Policy) Validate() error {
	switch p.DuplicateClaims {
	case "", "reject", "last":
	default:
		return fmt.Errorf("policy.duplicate_claims: %q is not reject or last", p.DuplicateClaims)
	}
	switch p.TwoCredentials {
	case "", "reject", "header", "subprotocol":
	default:
		return fmt.Errorf("policy.two_credentials: %q is not reject, header or subprotocol", p.TwoCredentials)
	}
	return nil
}

// ServiceAuth names the headers that carry gpcheck's service credentials
// to the auth service's validate endpoint.
type ServiceAuth struct {
	IDHeader     string `yaml:"id_header,omitempty"`
	SecretHeader string `yaml:"secret_header,omitempty"`
	// ID is the service id the deployment expects, when GPCHECK_SERVICE_ID
	// and the run spec name none.
	ID string `yaml:"id,omitempty"`
}

// Span is a non-negative duration written "30s" (zero allowed).
type Span time.Duration

// Duration returns the span as a time.Duration.
func (s *Span) Duration() *time.Duration {
	if s == nil {
		return nil
	}
	d := time.Duration(*s)
	return &d
}

// UnmarshalYAML parses a Go duration string that is not negative.
func (s *Span) UnmarshalYAML(n *yaml.Node) error {
	var text string
	if err := n.Decode(&text); err != nil {
		return err
	}
	v, err := time.ParseDuration(text)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 0s or 30s", n.Line, text)
	}
	*s = Span(v)
	return nil
}

// MarshalYAML writes the span as a Go duration string.
func (s Span) MarshalYAML() (any, error) { return time.Duration(s).String(), nil }

// Statuses are the success statuses of the auth service's endpoints;
// an endpoint left out keeps the default (register 200 or 201, login and
// refresh 200, logout 200 or 204).
type Statuses struct {
	Register []int `yaml:"register,omitempty"`
	Login    []int `yaml:"login,omitempty"`
	Refresh  []int `yaml:"refresh,omitempty"`
	Logout   []int `yaml:"logout,omitempty"`
}

// Validate checks that every status is a success (2xx).
func (s Statuses) Validate() error {
	for name, list := range map[string][]int{"register": s.Register, "login": s.Login, "refresh": s.Refresh, "logout": s.Logout} {
		for _, st := range list {
			if st < 200 || st > 299 {
				return fmt.Errorf("statuses.%s: %d is not a success status (2xx)", name, st)
			}
		}
	}
	return nil
}
