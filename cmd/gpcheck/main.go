// Command gpcheck proves a chat/agent platform's Golden Path end to end:
// completion rate, user isolation and a single source of truth for tokens.
// It is a thin layer over the harness, suites and reports packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gpcheck/gpcheck/reports"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes, documented in the README.
const (
	exitOK          = 0 // every check passed
	exitFailed      = 1 // conformance failed: a finding, or completion below target
	exitUsage       = 2 // bad usage or configuration
	exitUnreachable = 3 // the target could not be reached or started
	exitInterrupted = 4 // interrupted by a signal or the timeout
	exitUnjudged    = 5 // no violation proven, but some checks could not be judged
)

const usage = `gpcheck — Golden Path conformance harness

Usage:
  gpcheck run [flags]        drive the golden path and check it (exit code decides)
  gpcheck sut [flags]        serve the reference services in the foreground
  gpcheck scan [flags] PATH  find JWT code outside the auth service
  gpcheck list specs|labels  list the specs or their labels
  gpcheck repro --report DIR --finding ID
                             replay one finding of a report; REPRODUCED or NOT REPRODUCED
  gpcheck report trend FILE  completion and findings over the runs of a --history file
  gpcheck report merge DIR...  merge the reports of the shards of one run (--out DIR)
  gpcheck serve auth|backend|ws [--addr A]
                             serve one reference service (the containers' entry point)
  gpcheck clean              remove containers, networks and images of container runs
  gpcheck profile show [--profile FILE]
                             print the built-in profile, or FILE merged over it, as YAML
  gpcheck version            print the version

Run 'gpcheck COMMAND -h' for a command's flags.
`

func main() {
	raiseFileLimit(1 << 20)
	// testcontainers must never start its reaper: it would pull an image.
	// The library reads this once per process, so it is chosen here,
	// before anything else, unless the user chose.
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	quietTestcontainers()
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is bad input: printed as one line, exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit code and a one-line message.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "sut":
		err = cmdSUT(ctx, args[1:], stdout, stderr)
	case "scan":
		err = cmdScan(ctx, args[1:], stdout, stderr)
	case "list":
		err = cmdList(args[1:], stdout, stderr)
	case "repro":
		err = cmdRepro(ctx, args[1:], stdout, stderr)
	case "report":
		err = cmdReport(args[1:], stdout, stderr)
	case "profile":
		err = cmdProfile(args[1:], stdout, stderr)
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "clean":
		err = cmdClean(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "gpcheck", version)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q (want run, sut, scan, list, repro, report, profile, serve, clean or version)", args[0])
	}
	return report(err, stderr)
}

// report prints err as one line and maps it to an exit code.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "gpcheck:", oneLine(ue.msg))
		return exitUsage
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "gpcheck:", oneLine(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "gpcheck:", oneLine(err.Error()))
	return exitFailed
}

// oneLine puts s on one line, printable: an error can quote what the
// system under test sent, escape sequences included. Tokens become
// fingerprints.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\n", " ")
	return reports.Redact(reports.Printable(s))
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gpcheck "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args, turning flag errors into usage errors and refusing
// stray positional arguments unless allowArgs.
func parse(fs *flag.FlagSet, args []string, allowArgs bool) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fs.Usage()
			return err
		}
		return usagef("%v", err)
	}
	if !allowArgs && fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// parseInterspersed parses args allowing flags after positional arguments,
// and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args, true); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
