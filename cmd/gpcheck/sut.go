package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
)

// cmdSUT serves the reference services until interrupted.
func cmdSUT(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sut", stderr)
	var faultNames listFlag
	fs.Var(&faultNames, "fault", "switch on a fault mode (repeatable; see fixtures/README.md)")
	authAddr := fs.String("auth-addr", "127.0.0.1:8081", "auth service listen address")
	backendAddr := fs.String("backend-addr", "127.0.0.1:8000", "backend listen address")
	wsAddr := fs.String("ws-addr", "127.0.0.1:8002", "WebSocket gateway listen address")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	set, err := faults.Parse(faultNames...)
	if err != nil {
		return usagef("%v", err)
	}
	s, err := sut.Start(ctx, sut.Options{
		Faults:      set,
		AuthAddr:    *authAddr,
		BackendAddr: *backendAddr,
		WSAddr:      *wsAddr,
		BypassKey:   os.Getenv("GPCHECK_BYPASS_KEY"),
		// The harness's service credential, for gpcheck run --target remote
		// with the same variable set.
		HarnessServiceSecret: os.Getenv("GPCHECK_SERVICE_SECRET"),
	})
	if err != nil {
		return exitError{exitUnreachable, fmt.Errorf("start reference services: %w", err)}
	}
	fmt.Fprintf(stdout, "auth     %s\nbackend  %s\nws       %s\nfaults   %s\n", s.AuthURL, s.BackendURL, s.WSURL, set)
	if os.Getenv("GPCHECK_BYPASS_KEY") != "" {
		fmt.Fprintln(stdout, "bypass   enabled with $GPCHECK_BYPASS_KEY")
	} else {
		fmt.Fprintln(stdout, "bypass   enabled with a random key (set GPCHECK_BYPASS_KEY to choose it)")
	}
	if os.Getenv("GPCHECK_SERVICE_SECRET") != "" {
		fmt.Fprintf(stdout, "service  %s with $GPCHECK_SERVICE_SECRET may call /auth/validate\n", s.HarnessServiceID)
	}
	fmt.Fprintln(stdout, "serving; stop with Ctrl-C")
	select {
	case <-ctx.Done():
	case err := <-s.Done():
		_ = s.Close()
		if err != nil {
			return exitError{exitUnreachable, fmt.Errorf("reference service stopped: %w", err)}
		}
		return nil
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("stop reference services: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}
