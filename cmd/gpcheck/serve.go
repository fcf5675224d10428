package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/gpcheck/gpcheck/fixtures/sut"
)

// cmdServe serves one reference service until interrupted: the entry point
// of the containers target, where each service runs in its own container.
// Configuration comes from the GPCHECK_* environment (see
// sut.ServiceConfigFromEnv), so that no secret is on a command line.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", "", "listen address (default: the reference port: auth :8081, backend :8000, ws :8002)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	want := strings.Join(sut.Services(), ", ")
	switch {
	case len(pos) == 0:
		return usagef("serve: name a service (want %s)", want)
	case len(pos) > 1:
		return usagef("serve: unexpected argument %q", pos[1])
	case sut.DefaultAddr(pos[0]) == "":
		return usagef("serve: unknown service %q (want %s)", pos[0], want)
	}
	service := pos[0]
	cfg, err := sut.ServiceConfigFromEnv()
	if err != nil {
		return usagef("serve %s: %v", service, err)
	}
	cfg.Addr = *addr
	if cfg.Addr == "" {
		cfg.Addr = sut.DefaultAddr(service)
	}
	cfg.Ready = func(a net.Addr) {
		fmt.Fprintf(stdout, "%s serving on %s (faults: %s)\n", service, a, cfg.Faults)
	}
	cfg.OnTelemetryError = func(err error) {
		fmt.Fprintf(stderr, "%s: span export failed (further failures not shown): %v\n", service, err)
	}
	if err := sut.ServeOne(ctx, service, cfg); err != nil {
		var ce *sut.ConfigError
		if errors.As(err, &ce) {
			return usagef("serve %s: %v", service, err)
		}
		return exitError{exitUnreachable, fmt.Errorf("serve %s: %w", service, err)}
	}
	fmt.Fprintf(stdout, "%s stopped\n", service)
	return nil
}
