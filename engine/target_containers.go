package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/engine/containers"
	"github.com/gpcheck/gpcheck/fixtures/faults"
)

// containersTarget runs the reference services in FROM scratch containers
// on a private network (Docker; nothing is pulled). Its services can be
// stopped, paused and cut off, so the resilience specs run on it.
type containersTarget struct{}

func (containersTarget) Start(ctx context.Context, spec Spec, env Environment) (*System, error) {
	set, err := faults.Parse(spec.Faults...)
	if err != nil {
		return nil, &SetupError{err}
	}
	images, err := imagesOf(spec.Images)
	if err != nil {
		return nil, &SetupError{err}
	}
	if err := containers.Available(ctx); err != nil {
		return nil, &UnreachableError{fmt.Errorf("--target containers needs a Docker engine: %w", err)}
	}
	started := time.Now()
	runID := containers.NewRunID()
	fmt.Fprintf(env.Log, "starting the reference services in containers (run %s)…\n", runID)
	if len(spec.ImageDigests) > 0 {
		fmt.Fprintf(env.Log, "replaying the recorded images: %s\n", digestsText(spec.ImageDigests))
	}
	d, err := containers.Start(ctx, containers.Options{Faults: set, Images: images, RunID: runID, Pins: spec.ImageDigests})
	var missing *containers.MissingImageError
	switch {
	case errors.As(err, &missing):
		return nil, &SetupError{missing}
	case err != nil:
		return nil, &UnreachableError{fmt.Errorf("start the containers target: %w", err)}
	}
	fmt.Fprintf(env.Log, "containers up in %s (run %s)\n", time.Since(started).Round(100*time.Millisecond), d.RunID)
	for _, s := range slices.Sorted(maps.Keys(spec.ImageDigests)) {
		if now := d.Digests()[s]; now != spec.ImageDigests[s] {
			fmt.Fprintf(env.Log, "note: %s runs %.19s…, not the recorded %.19s…: that image was built for its run and removed with it, so it was built again from the source\n",
				s, now, spec.ImageDigests[s])
		}
	}
	target := d.Target
	target.Policy = referencePolicy()
	return &System{
		Target:       target,
		Secrets:      d.Secrets(),
		Controller:   d,
		ImageDigests: d.Digests(),
		close: func(ctx context.Context, reportDir string) error {
			var errs []error
			if reportDir != "" {
				if err := os.MkdirAll(reportDir, 0o755); err == nil {
					logs := filepath.Join(reportDir, "containers")
					errs = append(errs, d.Logs(ctx, logs), containers.RedactLogs(logs, d.Secrets()))
				}
			}
			errs = append(errs, d.Close(ctx))
			if err := errors.Join(errs...); err != nil {
				return fmt.Errorf("containers of run %s: %w (gpcheck clean removes what is left)", d.RunID, err)
			}
			return nil
		},
	}, nil
}

// imagesOf reads the spec's images by service name.
func imagesOf(m map[string]string) (containers.Images, error) {
	var im containers.Images
	for name, ref := range m {
		switch name {
		case "auth":
			im.Auth = ref
		case "backend":
			im.Backend = ref
		case "ws":
			im.WS = ref
		default:
			return im, fmt.Errorf("--image: unknown service %q (want auth, backend or ws)", name)
		}
	}
	return im, nil
}

// digestsText lists image digests by service, shortened, for a progress
// line.
func digestsText(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%.19s…", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
