package engine

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/check"
)

// Target is one kind of target: it makes the system under test ready to
// be checked, by starting it or by reaching it. Adding a kind is one file
// implementing Target plus one line in targets.
type Target interface {
	// Start starts or reaches the system spec describes. The System's
	// Close releases what Start made; Start itself cleans up on error.
	Start(ctx context.Context, spec Spec, env Environment) (*System, error)
}

// Environment is what a target may read besides its spec.
type Environment struct {
	// Getenv reads the GPCHECK_* variables that carry secrets.
	Getenv func(string) string
	// Log receives progress lines (starting containers, …).
	Log io.Writer
	// OTLPEndpoint, when set, is where the local target's reference
	// services export their spans (OTLP/HTTP traces URL), so that a
	// finding's trace id leads to them; OnTelemetryError is told of their
	// export failures.
	OTLPEndpoint     string
	OnTelemetryError func(error)
}

// System is a system under test made ready by a Target.
type System struct {
	// Target is where the services are and how the harness uses them.
	Target harness.Target
	// Secrets are every secret the system or the harness holds for it,
	// for redacting anything written or printed.
	Secrets []string
	// Controller, when set, lets the resilience specs stop, pause and cut
	// off the services.
	Controller check.Controller
	// ImageDigests and ComposeHashes, when set, are what the target ran
	// and read (image ids by service, file hashes by path); Run records
	// them in the report's spec, so that a replay runs the same images.
	ImageDigests, ComposeHashes map[string]string
	// close releases what Start made; nil for nothing.
	close func(ctx context.Context, reportDir string) error
}

// Close releases what Start made (stopping services, saving their logs
// under reportDir when it is set).
func (s *System) Close(ctx context.Context, reportDir string) error {
	if s == nil || s.close == nil {
		return nil
	}
	return s.close(ctx, reportDir)
}

// targets is the registry of target kinds, by the name --target takes.
func targets() map[string]Target {
	return map[string]Target{
		"local":      localTarget{},
		"containers": containersTarget{},
		"compose":    composeTarget{},
		"remote":     remoteTarget{},
	}
}

// TargetKinds returns the names of every target kind, sorted.
func TargetKinds() []string {
	var out []string
	for k := range targets() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lookupTarget returns the target kind called name.
func lookupTarget(name string) (Target, error) {
	t, ok := targets()[name]
	if !ok {
		return nil, setupf("unknown --target %q (want one of %v)", name, TargetKinds())
	}
	return t, nil
}

// SetupError is a mistake in gpcheck's own setup: the spec, a file it
// names, a secret, a profile. The CLI exits 2 on it; it is never a finding.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

func setupf(format string, args ...any) error {
	return &SetupError{fmt.Errorf(format, args...)}
}

// UnreachableError is a target that could not be started or reached. The
// CLI exits 3 on it.
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string { return e.Err.Error() }
func (e *UnreachableError) Unwrap() error { return e.Err }
