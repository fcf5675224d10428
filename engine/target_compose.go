package engine

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/engine/compose"
	"github.com/gpcheck/gpcheck/engine/containers"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/reports"
)

// composeTarget starts a platform's own Compose project — the release
// candidate's images with the databases, caches and migration jobs they
// need — fresh for the run, and tears it down after (engine/compose). The
// roles say which services are auth, backend and ws; the harness's
// secrets come as for a remote target (GPCHECK_* variables, files the spec
// names), and may also come from the project's env file, by name. Its
// services can be stopped, paused and cut off, so the resilience specs run
// on it.
type composeTarget struct{}

func (composeTarget) Start(ctx context.Context, spec Spec, env Environment) (*System, error) {
	roles := map[string]compose.Role{}
	for role, v := range spec.Roles {
		svc, port, err := reports.ParseRole(v)
		if err != nil {
			return nil, setupf("--role %s: %v", role, err)
		}
		roles[role] = compose.Role{Service: svc, Port: port}
	}
	wsPath := profile.Default().Paths.WS
	if spec.Profile != "" {
		p, err := profile.Load(spec.Profile)
		if err != nil {
			return nil, setupf("--profile: %v", err)
		}
		wsPath = p.Paths.WS
	}
	runID := containers.NewRunID()
	started := time.Now()
	fmt.Fprintf(env.Log, "starting the Compose project gpcheck-%s (run %s)…\n", runID, runID)
	if len(spec.ImageDigests) > 0 {
		fmt.Fprintf(env.Log, "replaying the recorded images: %s\n", digestsText(spec.ImageDigests))
		for path, was := range spec.ComposeHashes {
			if now, ok := compose.FileHashes([]string{path})[path]; ok && now != was {
				fmt.Fprintf(env.Log, "note: %s changed since the recorded run (%.19s… then, %.19s… now); the recorded images run on it all the same\n", path, was, now)
			}
		}
	}
	opts := compose.Options{
		Files: spec.ComposeFiles, EnvFile: spec.EnvFile, Getenv: env.Getenv, Profiles: spec.ComposeProfiles,
		Roles: roles, Build: spec.Build, Pins: spec.ImageDigests, RunID: runID, Log: env.Log,
	}
	if spec.ReportDir != "" {
		opts.FailureLogs = filepath.Join(spec.ReportDir, "containers")
	}
	d, err := compose.Up(ctx, opts)
	var ce *compose.ConfigError
	switch {
	case errors.As(err, &ce):
		return nil, &SetupError{ce.Err}
	case err != nil && ctx.Err() != nil:
		// A signal or the run's timeout, not the project failing: Up has
		// removed what it made.
		return nil, fmt.Errorf("interrupted while the Compose project was starting (run %s): %w", runID, context.Cause(ctx))
	case err != nil:
		return nil, &UnreachableError{fmt.Errorf("start the Compose project (run %s): %w", runID, err)}
	}
	fmt.Fprintf(env.Log, "Compose project up in %s (run %s)\n", time.Since(started).Round(100*time.Millisecond), runID)

	sys, err := composeSystem(d, spec, env, wsPath)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 90*time.Second)
		defer cancel()
		if cerr := d.Close(cctx); cerr != nil {
			fmt.Fprintf(env.Log, "gpcheck: Compose project of run %s: %v (gpcheck clean removes what is left)\n", runID, cerr)
		}
		return nil, err
	}
	return sys, nil
}

// composeSystem describes a running project to the harness: the roles'
// URLs, and the harness's secrets — each from a file the spec names, else
// gpcheck's environment, else the project's variables (the env file) —
// so that keyed cases can run against the release candidate.
func composeSystem(d *compose.Deployment, spec Spec, env Environment, wsPath string) (*System, error) {
	lookup := func(name string) string {
		if v := env.Getenv(name); v != "" {
			return v
		}
		v, _ := d.Var(name)
		return v
	}
	t := harness.Target{
		Kind:       "compose",
		AuthURL:    d.URL("auth"),
		BackendURL: d.URL("backend"),
		WSURL:      "ws://" + strings.TrimPrefix(d.URL("ws"), "http://") + wsPath,
		ServiceID:  lookup("GPCHECK_SERVICE_ID"),
	}
	if t.ServiceID == "" {
		t.ServiceID = spec.ServiceID
	}
	secrets := d.Secrets()
	var err error
	if spec.ServiceSecretFile != "" {
		if t.ServiceSecret, err = secretFromFileOrEnv(spec.ServiceSecretFile, "", env.Getenv); err != nil {
			return nil, setupf("service secret: %v", err)
		}
	} else {
		t.ServiceSecret = lookup("GPCHECK_SERVICE_SECRET")
	}
	if spec.BypassKeyFile != "" {
		if t.BypassKey, err = secretFromFileOrEnv(spec.BypassKeyFile, "", env.Getenv); err != nil {
			return nil, setupf("bypass key: %v", err)
		}
	} else {
		t.BypassKey = lookup("GPCHECK_BYPASS_KEY")
	}
	secrets = append(secrets, t.ServiceSecret, t.BypassKey)
	switch {
	case spec.SigningKeyFile != "":
		if t.SigningKey, err = readKeyFile(spec.SigningKeyFile, spec.SigningKeyFormat); err != nil {
			return nil, setupf("--signing-key-file: %v", err)
		}
	case spec.SigningKeyVar != "":
		text := lookup(spec.SigningKeyVar)
		if text == "" {
			return nil, setupf("--signing-key-var %s: no such variable in the env file or the environment (or it is empty)", spec.SigningKeyVar)
		}
		secrets = append(secrets, text)
		if t.SigningKey, err = keyFromText(text, spec.SigningKeyFormat); err != nil {
			return nil, setupf("--signing-key-var %s: the value is %v", spec.SigningKeyVar, err)
		}
	}
	if t.SigningKey != nil {
		secrets = append(secrets, string(t.SigningKey), hex.EncodeToString(t.SigningKey))
	}
	return &System{
		Target:        t,
		Secrets:       secrets,
		Controller:    d,
		ImageDigests:  d.Digests(),
		ComposeHashes: d.Hashes(),
		close: func(ctx context.Context, reportDir string) error {
			var errs []error
			if reportDir != "" {
				if err := os.MkdirAll(reportDir, 0o755); err == nil {
					logs := filepath.Join(reportDir, "containers")
					errs = append(errs, d.Logs(ctx, logs), containers.RedactLogs(logs, secrets))
				}
			}
			errs = append(errs, d.Close(ctx))
			if err := errors.Join(errs...); err != nil {
				return fmt.Errorf("Compose project of run %s: %w (gpcheck clean removes what is left)", d.RunID, err)
			}
			return nil
		},
	}, nil
}
