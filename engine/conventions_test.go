package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/fixtures/auth"
	"github.com/gpcheck/gpcheck/fixtures/gateway"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/reports"
)

// TestConformingVariantsPass runs gpcheck, as a remote target with the
// signing key, against the reference services switched to conventions
// other conforming platforms use — each alone and all together — under a
// profile that declares them: every run passes with no violation
// (advisories allowed). The reference is one conforming implementation,
// not the contract.
func TestConformingVariantsPass(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the golden path and the token matrix once per convention variant (ten runs, about 15 s); make test and go test without -short run it")
	}
	type variant struct {
		name    string
		conv    auth.Conventions
		id      string        // the service id the platform expects
		profile string        // the profile's policy and service_auth, YAML
		skew    time.Duration // how far ahead the auth service's clock is
		gw      gateway.Conventions
	}
	all := variant{"all together", auth.Conventions{RegisterOK: true, ISOExpiry: true, OneErrorCode: "invalid_token", NoLeeway: true, LastDuplicateClaim: true},
		"netra-backend", "policy:\n  leeway: 0s\n  duplicate_claims: last\n  two_credentials: header\nservice_auth:\n  id: netra-backend\n", 0,
		gateway.Conventions{HeaderWins: true}}
	variants := []variant{
		{"register answers 200", auth.Conventions{RegisterOK: true}, "", "", 0, gateway.Conventions{}},
		{"expires_at as ISO-8601", auth.Conventions{ISOExpiry: true}, "", "", 0, gateway.Conventions{}},
		{"one error code", auth.Conventions{OneErrorCode: "invalid_token"}, "", "", 0, gateway.Conventions{}},
		{"no leeway, declared", auth.Conventions{NoLeeway: true}, "", "policy:\n  leeway: 0s\n", 0, gateway.Conventions{}},
		{"no leeway, undeclared", auth.Conventions{NoLeeway: true}, "", "", 0, gateway.Conventions{}},
		{"last duplicate claim wins, declared", auth.Conventions{LastDuplicateClaim: true}, "", "policy:\n  duplicate_claims: last\n", 0, gateway.Conventions{}},
		{"another service id", auth.Conventions{}, "netra-backend", "service_auth:\n  id: netra-backend\n", 0, gateway.Conventions{}},
		{"auth clock five minutes ahead", auth.Conventions{}, "", "policy:\n  leeway: 30s\n  iat_skew: 30s\n  duplicate_claims: reject\n", 5 * time.Minute, gateway.Conventions{}},
		{"header wins over subprotocol, declared", auth.Conventions{}, "", "policy:\n  two_credentials: header\n", 0, gateway.Conventions{HeaderWins: true}},
		{"header wins over subprotocol, undeclared", auth.Conventions{}, "", "", 0, gateway.Conventions{HeaderWins: true}},
		all,
	}
	key := []byte("conventions-test-signing-key-0123456789")
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			s, err := sut.Start(context.Background(), sut.Options{SigningKey: key, HarnessServiceSecret: "harness-secret",
				AuthConventions: v.conv, HarnessServiceID: v.id, AuthNow: func() time.Time { return time.Now().Add(v.skew) }, GatewayConventions: v.gw})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			dir := t.TempDir()
			keyFile := filepath.Join(dir, "key")
			if err := os.WriteFile(keyFile, key, 0o600); err != nil {
				t.Fatal(err)
			}
			spec := DefaultSpec()
			spec.Target, spec.AuthURL, spec.BackendURL, spec.WSURL = "remote", s.AuthURL, s.BackendURL, s.WSURL
			spec.SigningKeyFile, spec.Origin = keyFile, sut.DefaultOrigin
			spec.ReportDir, spec.Users, spec.Seed = "", 4, 11
			spec.LabelFilter = "golden-path || isolation || identity || tokens || websocket"
			spec.Timeout = reports.Duration(3 * time.Minute)
			if v.profile != "" {
				spec.Profile = filepath.Join(dir, "profile.yaml")
				if err := os.WriteFile(spec.Profile, []byte(v.profile), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res, err := Run(context.Background(), spec, Options{Getenv: func(k string) string {
				if k == "GPCHECK_SERVICE_SECRET" {
					return "harness-secret"
				}
				return ""
			}})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			r := res.Report
			for _, f := range r.Findings {
				if f.Severity != reports.SeverityAdvisory {
					t.Errorf("violation %s (%s) in %q: %s", f.Kind, f.Severity, f.Spec, f.Detail)
				}
			}
			for _, f := range r.Inconclusive {
				t.Errorf("not judged: %s", f.Detail)
			}
			if r.Verdict != reports.VerdictPassed {
				t.Errorf("verdict %s", r.Verdict)
			}
			if d := time.Duration(r.Target.ClockOffset) - v.skew; v.skew != 0 && (d < -time.Second || d > time.Second) {
				t.Errorf("clock offset %s, want %s", r.Target.ClockOffset, v.skew)
			}
			if v.name == "no leeway, undeclared" && len(r.Findings) == 0 {
				t.Error("the service's own choice of no leeway was not reported as an advisory observation")
			}
		})
	}
}
