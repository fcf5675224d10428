package engine

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gpcheck/gpcheck/harness"
)

// secretFromFileOrEnv reads a secret from file when one is named, else
// from the environment variable env. Trailing newlines are dropped.
func secretFromFileOrEnv(file, env string, getenv func(string) string) (string, error) {
	if file == "" {
		return getenv(env), nil
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
