package main

import (
	"context"
	"fmt"
	"io"

	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/gpcheck/gpcheck/engine/containers"
)

// quietTestcontainers silences the banner testcontainers prints through
// its process-wide logger when it first connects to Docker: gpcheck's
// output is its own. Call it before any containers call.
func quietTestcontainers() { tclog.SetDefault(tclog.NewNoopLogger()) }

// cmdClean removes every container, network, volume and image that
// containers and compose runs left behind (everything labelled
// gpcheck.run), for runs that were killed before they could clean up.
func cmdClean(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("clean", stderr)
	if err := parse(fs, args, false); err != nil {
		return err
	}
	quietTestcontainers()
	if err := containers.Available(ctx); err != nil {
		return exitError{exitUnreachable, fmt.Errorf("clean: no Docker engine: %w", err)}
	}
	n, err := containers.Clean(ctx)
	fmt.Fprintf(stdout, "removed %d container(s), network(s), volume(s) and image(s) labelled %s\n", n, containers.LabelRun)
	if err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	return nil
}
