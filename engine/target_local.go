package engine

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/gpcheck/gpcheck/fixtures/auth"
	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/harness/tokens"
)

// localTarget starts the reference services of fixtures/sut in-process:
// the default target, with nothing to set up.
type localTarget struct{}

func (localTarget) Start(ctx context.Context, spec Spec, env Environment) (*System, error) {
	set, err := faults.Parse(spec.Faults...)
	if err != nil {
		return nil, &SetupError{err}
	}
	s, err := sut.Start(ctx, sut.Options{Faults: set, OTLPEndpoint: env.OTLPEndpoint, OnTelemetryError: env.OnTelemetryError})
	if err != nil {
		return nil, &UnreachableError{fmt.Errorf("start the reference services: %w", err)}
	}
	return &System{
		Target: harness.Target{
			Kind:          "local",
			AuthURL:       s.AuthURL,
			BackendURL:    s.BackendURL,
			WSURL:         s.WSURL,
			Origin:        sut.DefaultOrigin,
			Users:         profile.UsersRegister,
			BypassKey:     s.BypassKey,
			ServiceID:     s.HarnessServiceID,
			ServiceSecret: s.HarnessServiceSecret,
			SigningKey:    s.SigningKey,
			Policy:        referencePolicy(),
		},
		Secrets: []string{hex.EncodeToString(s.SigningKey), string(s.SigningKey), s.BypassKey, s.HarnessServiceSecret},
		close:   func(context.Context, string) error { return s.Close() },
	}, nil
}

// referencePolicy is what the reference services do where the standards
// allow a choice: 30 s of leeway on exp and on a future iat, duplicate
// claims and two credentials at once rejected, iss gp-auth and aud
// gp-platform checked.
func referencePolicy() tokens.Policy {
	leeway := auth.DefaultLeeway
	return tokens.Policy{Leeway: &leeway, IATSkew: &leeway, DuplicateClaims: "reject", TwoCredentials: "reject",
		Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}
}
