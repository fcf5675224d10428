package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gpcheck/gpcheck/harness"
)

// fileConfig is gpcheck.yaml: the settings of a nightly or CI run, so
// that they live in version control rather than in a shell script. Flags
// override it. Secrets never go in it: it names files that hold them.
type fileConfig struct {
	Target          string   `yaml:"target"`
	AuthURL         string   `yaml:"auth_url"`
	BackendURL      string   `yaml:"backend_url"`
	WSURL           string   `yaml:"ws_url"`
	Origin          string   `yaml:"origin"`
	UserMode        string   `yaml:"user_mode"`
	Profile         string   `yaml:"profile"`
	CAFile          string   `yaml:"ca_file"`
	SigningKeyFile  string   `yaml:"signing_key_file"`
	BypassKeyFile   string   `yaml:"bypass_key_file"`
	ServiceID       string   `yaml:"service_id"`
	CredentialsFile string   `yaml:"credentials_file"`
	ServiceSecretF  string   `yaml:"service_secret_file"`
	RequestTimeout  string   `yaml:"request_timeout"`
	Timeout         string   `yaml:"timeout"`
	Users           *int     `yaml:"users"`
	Concurrency     *int     `yaml:"concurrency"`
	Messages        *int     `yaml:"messages"`
	LabelFilter     string   `yaml:"label_filter"`
	MinCompletion   *float64 `yaml:"min_completion"`
	ReportDir       string   `yaml:"report_dir"`
	History         string   `yaml:"history"`
	Faults          []string `yaml:"faults"`
	Scan            struct {
		AuthPaths []string `yaml:"auth_paths"`
	} `yaml:"scan"`
}

// loadConfig reads a config file; unknown keys and bad values are errors
// naming the file and line.
func loadConfig(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return &c, nil
}

// apply sets every flag of fs that the command line did not give from c.
func (c *fileConfig) apply(fs *flag.FlagSet, given map[string]bool, path string) error {
	set := func(name, v string) error {
		if v == "" || given[name] || fs.Lookup(name) == nil {
			return nil
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("%s: %s: %v", path, strings.ReplaceAll(name, "-", "_"), err)
		}
		return nil
	}
	num := func(v *int) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(*v)
	}
	pairs := [][2]string{
		{"target", c.Target}, {"auth-url", c.AuthURL}, {"backend-url", c.BackendURL}, {"ws-url", c.WSURL},
		{"origin", c.Origin}, {"user-mode", c.UserMode}, {"profile", c.Profile}, {"ca-file", c.CAFile},
		{"signing-key-file", c.SigningKeyFile}, {"request-timeout", c.RequestTimeout}, {"timeout", c.Timeout},
		{"users", num(c.Users)}, {"concurrency", num(c.Concurrency)}, {"messages", num(c.Messages)},
		{"label-filter", c.LabelFilter}, {"report-dir", c.ReportDir}, {"history", c.History},
	}
	if c.MinCompletion != nil {
		pairs = append(pairs, [2]string{"min-completion", fmt.Sprint(*c.MinCompletion)})
	}
	for _, p := range pairs {
		if err := set(p[0], p[1]); err != nil {
			return err
		}
	}
	if !given["fault"] {
		for _, f := range c.Faults {
			if err := set("fault", f); err != nil {
				return err
			}
		}
	}
	return nil
}

// secretFromFileOrEnv reads a secret from file when one is named, else
// from the environment variable env. Trailing newlines are dropped.
func secretFromFileOrEnv(file, env string) (string, error) {
	if file == "" {
		return os.Getenv(env), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// readCredentials reads test accounts, one "email:password" per line;
// blank lines and lines starting with # are skipped.
func readCredentials(path string) ([]harness.Credential, error) {
	if path == "" {
		return nil, errors.New("user mode credentials needs --credentials-file")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []harness.Credential
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		email, pw, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(email) == "" || pw == "" {
			return nil, fmt.Errorf("%s:%d: want email:password", path, i+1)
		}
		out = append(out, harness.Credential{Email: strings.TrimSpace(email), Password: pw})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no credentials in it", path)
	}
	return out, nil
}
