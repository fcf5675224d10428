package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gpcheck/gpcheck/suites"
)

// cmdList lists the specs (with the ones a label filter selects) or labels.
func cmdList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("list", stderr)
	filter := fs.String("label-filter", "", "mark which specs this label filter selects")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("list needs one of: specs, labels")
	}
	what := pos[0]
	switch what {
	case "labels":
		for _, l := range suites.Labels() {
			fmt.Fprintln(stdout, l)
		}
		return nil
	case "specs":
		selected, err := suites.Select(*filter, nil)
		if err != nil {
			return usagef("%v", err)
		}
		for _, s := range suites.Specs() {
			state := "filtered out"
			if slices.ContainsFunc(selected, func(in suites.Info) bool { return in.ID == s.ID }) {
				state = "will run"
			}
			fmt.Fprintf(stdout, "%-12s %-20s %s [%s]\n", state, s.ID, s.Name(), strings.Join(s.Labels, ", "))
		}
		return nil
	}
	return usagef("list needs one of: specs, labels; got %q", what)
}
