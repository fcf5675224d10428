package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gpcheck/gpcheck/engine"
)

// fileConfig is gpcheck.yaml: a run's Spec (the same keys a report
// records under "spec") plus the scan's settings, so that a nightly or CI
// run lives in version control rather than in a shell script. Flags
// override it. Secrets never go in it: it names files that hold them.
type fileConfig struct {
	engine.Spec `yaml:",inline"`
	Scan        struct {
		AuthPaths []string `yaml:"auth_paths"`
	} `yaml:"scan"`
}

// loadConfig reads a config file over base: keys the file leaves out keep
// base's values. Unknown keys and bad values are errors naming the file
// and line.
func loadConfig(path string, base engine.Spec) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := fileConfig{Spec: base}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return &c, nil
}
