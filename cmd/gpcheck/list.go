package main

import (
	"fmt"
	"io"
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
		for _, l := range suites.Labels {
			fmt.Fprintln(stdout, l)
		}
		return nil
	case "specs":
		specs, err := suites.Preview(*filter)
		if err != nil {
			return usagef("%v", err)
		}
		for _, s := range specs {
			fmt.Fprintf(stdout, "%-12s %s [%s]\n", s.State, s.Name, strings.Join(s.Labels, ", "))
		}
		return nil
	}
	return usagef("list needs one of: specs, labels; got %q", what)
}
