package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/fixtures/telemetry"
	"github.com/gpcheck/gpcheck/harness/profile"
	"github.com/gpcheck/gpcheck/reports"
)

// cmdSUT serves the reference services until interrupted. With --profile
// it serves them under the profile's names, through translating proxies
// listening at the given addresses (the services themselves then listen on
// free loopback ports), so that `gpcheck run --target remote --profile FILE`
// can be tried against a deployment whose names differ.
func cmdSUT(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sut", stderr)
	var faultNames []string
	fs.Var(newListFlag(&faultNames), "fault", "switch on a fault mode (repeatable; see fixtures/README.md)")
	authAddr := fs.String("auth-addr", "127.0.0.1:8081", "auth service listen address")
	backendAddr := fs.String("backend-addr", "127.0.0.1:8000", "backend listen address")
	wsAddr := fs.String("ws-addr", "127.0.0.1:8002", "WebSocket gateway listen address")
	profileFile := fs.String("profile", "", "serve the services under this YAML profile's names (see `gpcheck profile show`)")
	var conventionNames []string
	fs.Var(newListFlag(&conventionNames), "convention", "switch on a convention other conforming platforms use (repeatable): "+strings.Join(sut.ConventionNames(), ", "))
	serviceID := fs.String("service-id", "", "the service id the auth service expects of gpcheck (default gpcheck)")
	keyFile := fs.String("signing-key-file", "", "use the bytes of this file as the auth service's HS256 key (default: random)")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	set, err := faults.Parse(faultNames...)
	if err != nil {
		return usagef("%v", err)
	}
	var prof profile.Profile
	addrs := sut.Options{AuthAddr: *authAddr, BackendAddr: *backendAddr, WSAddr: *wsAddr}
	if *profileFile != "" {
		if prof, err = profile.Load(*profileFile); err != nil {
			return usagef("--profile: %v", err)
		}
		addrs = sut.Options{} // the proxies take the addresses; the services get free ports
	}
	opts := sut.Options{
		Faults:      set,
		AuthAddr:    addrs.AuthAddr,
		BackendAddr: addrs.BackendAddr,
		WSAddr:      addrs.WSAddr,
		BypassKey:   os.Getenv("GPCHECK_BYPASS_KEY"),
		// The harness's service credential, for gpcheck run --target remote
		// with the same variable set.
		HarnessServiceSecret: os.Getenv("GPCHECK_SERVICE_SECRET"),
		HarnessServiceID:     *serviceID,
		// The services' spans, when the standard variable names a collector.
		OTLPEndpoint: telemetry.EndpointFromEnv(os.Getenv),
		TraceField:   prof.TraceField, // the proxies pass the field through as it is
		OnTelemetryError: func(err error) {
			fmt.Fprintf(stderr, "gpcheck sut: span export failed (further failures not shown): %v\n", err)
		},
	}
	if err := sut.WithConventions(&opts, conventionNames...); err != nil {
		return usagef("--convention: %v", err)
	}
	if *keyFile != "" {
		key, err := os.ReadFile(*keyFile)
		if err != nil {
			return usagef("--signing-key-file: %v", err)
		}
		opts.SigningKey = []byte(strings.TrimRight(string(key), "\r\n"))
	}
	s, err := sut.Start(ctx, opts)
	if err != nil {
		return exitError{exitUnreachable, fmt.Errorf("start reference services: %w", err)}
	}
	authURL, backendURL, wsURL, validatePath := s.AuthURL, s.BackendURL, s.WSURL, "/auth/validate"
	var renamed *sut.Renamed
	var renamedDone <-chan error // nil without a profile: never ready
	if *profileFile != "" {
		renamed, err = sut.Rename(ctx, s, prof, sut.RenameOptions{AuthAddr: *authAddr, BackendAddr: *backendAddr, WSAddr: *wsAddr})
		if err != nil {
			_ = s.Close()
			return exitError{exitUnreachable, fmt.Errorf("start profile proxies: %w", err)}
		}
		authURL, backendURL, wsURL, validatePath = renamed.AuthURL, renamed.BackendURL, renamed.WSURL, prof.Paths.Validate
		renamedDone = renamed.Done()
	}
	// stop closes the proxies, then the services behind them.
	stop := func() error {
		var errs []error
		if renamed != nil {
			errs = append(errs, renamed.Close())
		}
		return errors.Join(append(errs, s.Close())...)
	}
	fmt.Fprintf(stdout, "auth     %s\nbackend  %s\nws       %s\nfaults   %s\n", authURL, backendURL, wsURL, set)
	if renamed != nil {
		fmt.Fprintf(stdout, "profile  %s from %s\n", prof.Name, *profileFile)
	}
	if opts.OTLPEndpoint != "" {
		fmt.Fprintf(stdout, "tracing  spans exported to %s\n", reports.Redact(opts.OTLPEndpoint))
	}
	if os.Getenv("GPCHECK_BYPASS_KEY") != "" {
		fmt.Fprintln(stdout, "bypass   enabled with $GPCHECK_BYPASS_KEY")
	} else {
		fmt.Fprintln(stdout, "bypass   enabled with a random key (set GPCHECK_BYPASS_KEY to choose it)")
	}
	if os.Getenv("GPCHECK_SERVICE_SECRET") != "" {
		fmt.Fprintf(stdout, "service  %s with $GPCHECK_SERVICE_SECRET may call %s\n", s.HarnessServiceID, validatePath)
	}
	fmt.Fprintln(stdout, "serving; stop with Ctrl-C")
	select {
	case <-ctx.Done():
	case err := <-s.Done():
		_ = stop()
		if err != nil {
			return exitError{exitUnreachable, fmt.Errorf("reference service stopped: %w", err)}
		}
		return nil
	case err := <-renamedDone:
		_ = stop()
		if err != nil {
			return exitError{exitUnreachable, fmt.Errorf("profile proxy stopped: %w", err)}
		}
		return nil
	}
	if err := stop(); err != nil {
		return fmt.Errorf("stop reference services: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}
