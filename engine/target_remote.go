package engine

import (
	"context"
	"encoding/hex"

	"github.com/gpcheck/gpcheck/harness"
)

// remoteTarget reaches a deployment at the spec's URLs (staging, or the
// reference services started elsewhere). Its service credentials come
// from the environment or from files the spec names, never from the spec.
type remoteTarget struct{}

func (remoteTarget) Start(_ context.Context, spec Spec, env Environment) (*System, error) {
	t := harness.Target{Kind: "remote", AuthURL: spec.AuthURL, BackendURL: spec.BackendURL, WSURL: spec.WSURL}
	t.ServiceID = env.Getenv("GPCHECK_SERVICE_ID")
	if t.ServiceID == "" {
		t.ServiceID = spec.ServiceID
	}
	secret, err := secretFromFileOrEnv(spec.ServiceSecretFile, "GPCHECK_SERVICE_SECRET", env.Getenv)
	if err != nil {
		return nil, setupf("service secret: %v", err)
	}
	t.ServiceSecret = secret
	sys := &System{Target: t, Secrets: []string{secret}}
	if spec.SigningKeyFile != "" {
		key, err := readKeyFile(spec.SigningKeyFile, spec.SigningKeyFormat)
		if err != nil {
			return nil, setupf("--signing-key-file: %v", err)
		}
		sys.Target.SigningKey = key
		sys.Secrets = append(sys.Secrets, string(key), hex.EncodeToString(key))
	}
	return sys, nil
}
