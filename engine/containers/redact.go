package containers

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/gpcheck/gpcheck/reports"
)

// RedactLogs rewrites every file in dir printable and redacted: the
// services' logs can hold tokens, secrets and what clients sent.
func RedactLogs(dir string, secrets []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // no logs were saved
	}
	r := reports.NewRedactor(secrets...)
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.WriteFile(p, []byte(r.Redact(reports.Printable(string(b)))), 0o644))
	}
	return errors.Join(errs...)
}
