// Package local is the embedded default target: the reference services of
// fixtures/sut started in-process, with the harness credentials and keys
// they were given.
package local

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
)

// Target is a running local target.
type Target struct {
	harness.Target
	SUT *sut.SUT
}

// Start starts the reference services with opts and describes them as a
// harness target. Close stops them.
func Start(ctx context.Context, opts sut.Options) (*Target, error) {
	s, err := sut.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start the reference services: %w", err)
	}
	return &Target{
		SUT: s,
		Target: harness.Target{
			Kind:          "local",
			AuthURL:       s.AuthURL,
			BackendURL:    s.BackendURL,
			WSURL:         s.WSURL,
			Origin:        sut.DefaultOrigin,
			Users:         harness.UsersRegister,
			BypassKey:     s.BypassKey,
			ServiceID:     s.HarnessServiceID,
			ServiceSecret: s.HarnessServiceSecret,
			SigningKey:    s.SigningKey,
		},
	}, nil
}

// Secrets lists every secret of the target, for report redaction.
func (t *Target) Secrets() []string {
	return []string{hex.EncodeToString(t.SUT.SigningKey), string(t.SUT.SigningKey), t.SUT.BypassKey, t.SUT.HarnessServiceSecret}
}

// Close stops the reference services.
func (t *Target) Close() error { return t.SUT.Close() }
