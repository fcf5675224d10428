package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/harness/containers"
)

// imageFlag is --image: prebuilt images for the containers target, as
// auth=REF,backend=REF,ws=REF (repeatable, any subset) or one bare REF for
// all three.
type imageFlag struct {
	containers.Images
}

func (f *imageFlag) String() string {
	var parts []string
	for _, p := range []struct{ name, ref string }{{"auth", f.Auth}, {"backend", f.Backend}, {"ws", f.WS}} {
		if p.ref != "" {
			parts = append(parts, p.name+"="+p.ref)
		}
	}
	return strings.Join(parts, ",")
}

func (f *imageFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, ref, ok := strings.Cut(p, "=")
		if !ok {
			f.Auth, f.Backend, f.WS = p, p, p
			continue
		}
		if ref == "" {
			return fmt.Errorf("%s= names no image", name)
		}
		switch name {
		case "auth":
			f.Auth = ref
		case "backend":
			f.Backend = ref
		case "ws":
			f.WS = ref
		default:
			return fmt.Errorf("unknown service %q (want auth, backend or ws)", name)
		}
	}
	return nil
}

// given reports whether any image was named.
func (f *imageFlag) given() bool { return f.Images != (containers.Images{}) }

// startContainers starts the containers target for gpcheck run: Docker
// missing or a failed start is exit 3. Progress lines go to progress.
func startContainers(ctx context.Context, set faults.Set, images containers.Images, progress io.Writer) (*containers.Target, error) {
	quietTestcontainers()
	if err := containers.Available(ctx); err != nil {
		return nil, exitError{exitUnreachable, fmt.Errorf("--target containers needs a Docker engine: %w", err)}
	}
	started := time.Now()
	fmt.Fprintln(progress, "starting the reference services in containers…")
	ct, err := containers.Start(ctx, containers.Options{Faults: set, Images: images})
	if err != nil {
		return nil, exitError{exitUnreachable, fmt.Errorf("start the containers target: %w", err)}
	}
	fmt.Fprintf(progress, "containers up in %s (run %s)\n", time.Since(started).Round(100*time.Millisecond), ct.RunID)
	return ct, nil
}

// stopContainers saves the containers' logs under reportDir/containers and
// removes everything of the run, on a context of its own: it also runs
// after an interrupt or the run's timeout.
func stopContainers(ct *containers.Target, reportDir string, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var errs []error
	if reportDir != "" {
		if err := os.MkdirAll(reportDir, 0o755); err == nil {
			errs = append(errs, ct.Logs(ctx, filepath.Join(reportDir, "containers")))
		}
	}
	errs = append(errs, ct.Close(ctx))
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "gpcheck: containers of run %s: %s (gpcheck clean removes what is left)\n", ct.RunID, oneLine(err.Error()))
	}
}
