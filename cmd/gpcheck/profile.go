package main

import (
	"fmt"
	"io"

	"github.com/gpcheck/gpcheck/harness/profile"
)

// cmdProfile implements `gpcheck profile show [--profile FILE]`: it prints
// the built-in (reference) profile, or FILE merged over it, as YAML — the
// starting point for describing a deployment whose names differ, and a way
// to see what a profile file really amounts to.
func cmdProfile(args []string, stdout, stderr io.Writer) error {
	const use = "usage: gpcheck profile show [--profile FILE]"
	if len(args) == 0 {
		return usagef("%s", use)
	}
	switch args[0] {
	case "show":
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, use)
		return nil
	default:
		return usagef("unknown profile command %q (%s)", args[0], use)
	}
	fs := newFlags("profile show", stderr)
	file := fs.String("profile", "", "YAML profile to merge over the built-in one")
	if err := parse(fs, args[1:], false); err != nil {
		return err
	}
	p := profile.Default()
	if *file != "" {
		var err error
		if p, err = profile.Load(*file); err != nil {
			return usagef("--profile: %v", err)
		}
	}
	b, err := p.YAML()
	if err != nil {
		return fmt.Errorf("show profile: %w", err)
	}
	if _, err := stdout.Write(b); err != nil {
		return fmt.Errorf("show profile: %w", err)
	}
	return nil
}
