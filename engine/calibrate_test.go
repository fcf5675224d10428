package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/reports"
)

// TestMisconfigurationIsASetupError runs gpcheck against the reference
// services, reached as a remote target, with each of the mistakes a new
// user makes in gpcheck's own setup: each is one line naming the fix,
// never a finding; the right setup passes.
func TestMisconfigurationIsASetupError(t *testing.T) {
	// The platform's key is the text of 64 hex digits, used as it is (what
	// `openssl rand -hex 32` in an environment variable gives).
	hexText := "8f3c1a9e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a"
	s, err := sut.Start(context.Background(), sut.Options{SigningKey: []byte(hexText), HarnessServiceSecret: "harness-secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	dir := t.TempDir()
	keyFile := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rightKey := keyFile("right", hexText)
	wrongKey := keyFile("wrong", strings.Repeat("k", 32))
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	good := env("GPCHECK_SERVICE_SECRET", "harness-secret")
	tests := []struct {
		name   string
		edit   func(*Spec)
		getenv func(string) string
		want   string // in the one-line setup error; "" for a run
	}{
		{"no service secret", nil, env(), "GPCHECK_SERVICE_SECRET"},
		{"wrong service secret", nil, env("GPCHECK_SERVICE_SECRET", "nope"), "refused gpcheck's service credentials"},
		{"wrong service id", nil, env("GPCHECK_SERVICE_SECRET", "harness-secret", "GPCHECK_SERVICE_ID", "billing"), `"billing"`},
		{"backend URL pointing at the auth service", func(s *Spec) { s.BackendURL = s.AuthURL }, good, "does not look like the backend"},
		{"wrong key", func(s *Spec) { s.SigningKeyFile = wrongKey }, good, "does not match the auth service"},
		{"hex text read as hex", func(s *Spec) { s.SigningKeyFile, s.SigningKeyFormat = rightKey, "hex" }, good, "use --signing-key-format raw"},
		{"profile validate path that 404s", func(s *Spec) {
			s.Profile = keyFile("profile.yaml", "paths:\n  validate: /auth/no-such-route")
		}, good, "validate path is wrong"},
		{"profile profile path that 404s", func(s *Spec) {
			s.Profile = keyFile("profile2.yaml", "paths:\n  profile: /api/no-such-route")
		}, good, "paths.profile"},
		{"right key, right format", func(s *Spec) { s.SigningKeyFile = rightKey }, good, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := DefaultSpec()
			spec.Target, spec.AuthURL, spec.BackendURL, spec.WSURL = "remote", s.AuthURL, s.BackendURL, s.WSURL
			spec.ReportDir, spec.Users, spec.Seed, spec.LabelFilter = "", 2, 3, "golden-path"
			spec.Timeout = reports.Duration(time.Minute)
			if tt.edit != nil {
				tt.edit(&spec)
			}
			res, err := Run(context.Background(), spec, Options{Getenv: tt.getenv})
			if tt.want == "" {
				if err != nil || res.Report.Verdict != reports.VerdictPassed {
					t.Fatalf("err %v, report %+v", err, res)
				}
				return
			}
			var se *SetupError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v (%T), want one setup error line with %q", err, err, tt.want)
			}
			if strings.Contains(err.Error(), "harness-secret") || strings.Contains(err.Error(), hexText) {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// TestAuthOnlyDeployment: with only an auth service answering, the specs
// that need only auth (the token matrix) run and pass, the others' paths
// are left out and the report says so; a selection that needs the
// backend stops with the one line that names it.
func TestAuthOnlyDeployment(t *testing.T) {
	s, err := sut.Start(context.Background(), sut.Options{HarnessServiceSecret: "harness-secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	getenv := func(k string) string {
		if k == "GPCHECK_SERVICE_SECRET" {
			return "harness-secret"
		}
		return ""
	}
	spec := DefaultSpec()
	spec.Target, spec.AuthURL, spec.BackendURL, spec.WSURL = "remote", s.AuthURL, "http://127.0.0.1:1", "ws://127.0.0.1:1/ws"
	spec.ReportDir, spec.Users, spec.Seed, spec.LabelFilter = "", 2, 3, "tokens"
	spec.Timeout = reports.Duration(time.Minute)
	res, err := Run(context.Background(), spec, Options{Getenv: getenv})
	if err != nil {
		t.Fatalf("auth-only tokens run: %v", err)
	}
	r := res.Report
	if r.Verdict != reports.VerdictPassed || len(r.Findings) != 0 || len(r.Inconclusive) != 0 || len(r.Target.Unreached) != 2 {
		t.Errorf("verdict %s, %d findings, %d inconclusive, unreached %v", r.Verdict, len(r.Findings), len(r.Inconclusive), r.Target.Unreached)
	}
	if r.TokenMatrix == nil || len(r.TokenMatrix.Rows) == 0 {
		t.Fatal("no token matrix")
	}
	for _, row := range r.TokenMatrix.Rows {
		if row.Skipped == "" && (len(row.Cells) != 1 || row.Cells["auth validate"] == "") {
			t.Errorf("row %s: cells %v, want the auth service's alone", row.ID, row.Cells)
		}
	}
	spec.LabelFilter = "golden-path"
	_, err = Run(context.Background(), spec, Options{Getenv: getenv})
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "backend service at http://127.0.0.1:1 is unreachable") {
		t.Errorf("golden path without a backend: %v", err)
	}
}
