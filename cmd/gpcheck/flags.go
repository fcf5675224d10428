package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

// listFlag is a repeatable string flag (each value may also be a comma
// list). The first value given on the command line replaces what the
// list held (a default, or a config file's list); later ones add to it.
type listFlag struct {
	dst *[]string
	set bool
}

func newListFlag(dst *[]string) *listFlag { return &listFlag{dst: dst} }

func (l *listFlag) String() string {
	if l == nil || l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, ",")
}

func (l *listFlag) Set(v string) error {
	if !l.set {
		*l.dst, l.set = nil, true
	}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l.dst = append(*l.dst, p)
		}
	}
	return nil
}

// durationFlag is a reports.Duration as a flag ("10s", "2m").
type durationFlag reports.Duration

func (d *durationFlag) String() string { return reports.Duration(*d).String() }

func (d *durationFlag) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 10s or 2m", v)
	}
	*d = durationFlag(x)
	return nil
}

// imageFlag is --image: prebuilt images for the containers target, as
// auth=REF,backend=REF,ws=REF (repeatable, any subset) or one bare REF for
// all three.
type imageFlag struct {
	dst *map[string]string
}

func (f *imageFlag) String() string {
	if f == nil || f.dst == nil {
		return ""
	}
	var parts []string
	for _, name := range []string{"auth", "backend", "ws"} {
		if ref := (*f.dst)[name]; ref != "" {
			parts = append(parts, name+"="+ref)
		}
	}
	return strings.Join(parts, ",")
}

func (f *imageFlag) Set(v string) error {
	if *f.dst == nil {
		*f.dst = map[string]string{}
	}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, ref, ok := strings.Cut(p, "=")
		if !ok {
			for _, s := range []string{"auth", "backend", "ws"} {
				(*f.dst)[s] = p
			}
			continue
		}
		if ref == "" {
			return fmt.Errorf("%s= names no image", name)
		}
		switch name {
		case "auth", "backend", "ws":
			(*f.dst)[name] = ref
		default:
			return fmt.Errorf("unknown service %q (want auth, backend or ws)", name)
		}
	}
	return nil
}

// severityFlag is --fail-on: a reports.Severity by name.
type severityFlag reports.Severity

func (f *severityFlag) String() string { return string(*f) }

func (f *severityFlag) Set(v string) error {
	s, err := reports.ParseSeverity(v)
	if err != nil {
		return err
	}
	*f = severityFlag(s)
	return nil
}

// roleFlag is --role: which Compose service plays each role, as
// auth=SERVICE[:PORT],backend=SERVICE[:PORT],ws=SERVICE[:PORT]
// (repeatable, any subset; a later role replaces an earlier one).
type roleFlag struct {
	dst *map[string]string
}

func (f *roleFlag) String() string {
	if f == nil || f.dst == nil {
		return ""
	}
	var parts []string
	for _, role := range []string{"auth", "backend", "ws"} {
		if v := (*f.dst)[role]; v != "" {
			parts = append(parts, role+"="+v)
		}
	}
	return strings.Join(parts, ",")
}

func (f *roleFlag) Set(v string) error {
	if *f.dst == nil {
		*f.dst = map[string]string{}
	}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		role, svc, ok := strings.Cut(p, "=")
		if !ok {
			return fmt.Errorf("%q names no role (want auth=SERVICE[:PORT], backend=… or ws=…)", p)
		}
		switch role {
		case "auth", "backend", "ws":
		default:
			return fmt.Errorf("unknown role %q (want auth, backend or ws)", role)
		}
		if _, _, err := reports.ParseRole(svc); err != nil {
			return err
		}
		(*f.dst)[role] = svc
	}
	return nil
}
