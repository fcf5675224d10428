package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

// TestSetupIsCheckedBeforeJudging: every mistake in gpcheck's own setup
// is a SetupError naming it, and a target that does not answer is an
// UnreachableError; neither becomes a report.
func TestSetupIsCheckedBeforeJudging(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	remote := func(s Spec) Spec {
		s.Target, s.AuthURL, s.BackendURL, s.WSURL = "remote", "http://127.0.0.1:1", "http://127.0.0.1:1", "ws://127.0.0.1:1/ws"
		return s
	}
	tests := []struct {
		name   string
		edit   func(*Spec)
		setup  bool   // want a SetupError (else an UnreachableError)
		substr string // in the error
	}{
		{"no users", func(s *Spec) { s.Users = 0 }, true, "--users"},
		{"NaN completion", func(s *Spec) { s.MinCompletion = nan() }, true, "--min-completion"},
		{"unknown target", func(s *Spec) { s.Target = "mars" }, true, `unknown --target "mars"`},
		{"unknown fault", func(s *Spec) { s.Faults = []string{"nope"} }, true, `unknown fault "nope"`},
		{"empty selection", func(s *Spec) { s.LabelFilter = "no-such-label" }, true, "runs no spec"},
		{"bad filter", func(s *Spec) { s.LabelFilter = "isolation &&" }, true, "bad label filter"},
		{"shard without seed", func(s *Spec) { s.Shard = "0/2" }, true, "--seed"},
		{"missing profile", func(s *Spec) { *s = remote(*s); s.Profile = filepath.Join(dir, "none.yaml") }, true, "--profile"},
		{"bad profile", func(s *Spec) { *s = remote(*s); s.Profile = write("bad.yaml", "ws_auth: smoke\n") }, true, "ws_auth"},
		{"bad URL", func(s *Spec) { *s = remote(*s); s.AuthURL = "ftp://x" }, true, "auth URL"},
		{"no credentials", func(s *Spec) { s.UserMode = "credentials" }, true, "--credentials-file"},
		{"too few credentials", func(s *Spec) {
			s.UserMode, s.CredentialsFile = "credentials", write("creds", "a@x.test:pw\n")
		}, true, "need 22 accounts"},
		{"missing CA file", func(s *Spec) { *s = remote(*s); s.CAFile = filepath.Join(dir, "none.pem") }, true, "--ca-file"},
		{"CA file without a certificate", func(s *Spec) { *s = remote(*s); s.CAFile = write("ca.pem", "not a certificate") }, true, "no PEM certificate"},
		{"missing key file", func(s *Spec) { *s = remote(*s); s.SigningKeyFile = filepath.Join(dir, "none.key") }, true, "--signing-key-file"},
		{"key file not hex", func(s *Spec) { *s = remote(*s); s.SigningKeyFile, s.SigningKeyFormat = write("k", "zz-not-hex"), "hex" }, true, "not hex"},
		{"unreachable", func(s *Spec) { *s = remote(*s) }, false, "auth service at http://127.0.0.1:1 is unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := DefaultSpec()
			spec.ReportDir = ""
			spec.Timeout = reports.Duration(20 * time.Second)
			tt.edit(&spec)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := Run(ctx, spec, Options{Getenv: func(string) string { return "" }})
			if res != nil || err == nil {
				t.Fatalf("got a result (%v), want an error", res)
			}
			var se *SetupError
			var ue *UnreachableError
			if tt.setup && !errors.As(err, &se) || !tt.setup && !errors.As(err, &ue) {
				t.Errorf("error %T %q, want setup=%v", err, err, tt.setup)
			}
			if !strings.Contains(err.Error(), tt.substr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line with %q", err, tt.substr)
			}
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

// TestInterruptedRunKeepsItsFlows: a run cut short by its timeout keeps
// the completion and stages of the flows that finished, marked partial,
// and is never passed.
func TestInterruptedRunKeepsItsFlows(t *testing.T) {
	spec := DefaultSpec()
	spec.ReportDir, spec.Users, spec.Seed, spec.LabelFilter = "", 4, 5, "golden-path"
	spec.Messages, spec.Duration = 0, reports.Duration(time.Minute) // keep sending...
	spec.Timeout = reports.Duration(4 * time.Second)                // ...until the run is cut short
	res, err := Run(context.Background(), spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	c := r.Completion
	if r.Verdict != reports.VerdictInterrupted || c.Attempted == 0 || c.Completed == 0 || !c.Partial || len(r.Stages) == 0 {
		t.Errorf("verdict %s, completion %+v, %d stages; want interrupted, partial, with the finished flows", r.Verdict, c, len(r.Stages))
	}
}

// TestMaxFailureRate: a run that must show a failure rate is sized to the
// flows that can show it and gated on the bound.
func TestMaxFailureRate(t *testing.T) {
	spec := DefaultSpec()
	spec.ReportDir, spec.Users, spec.Seed, spec.LabelFilter = "", 4, 9, "golden-path"
	spec.MaxFailureRate = 5 // 59 flows at 95%
	var log strings.Builder
	res, err := Run(context.Background(), spec, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Report.Completion
	if res.Report.Spec.Messages != 15 || c.Attempted != 60 || c.FailureBound > 5 || c.Confidence != 95 || res.Report.Verdict != reports.VerdictPassed {
		t.Errorf("clean: messages %d, completion %+v, verdict %s", res.Report.Spec.Messages, c, res.Report.Verdict)
	}
	if !strings.Contains(log.String(), "needs at least 59 flows: 4 users × 15 messages") {
		t.Errorf("no sizing line:\n%s", log.String())
	}
	spec.Faults = []string{"drop-events"} // every fourth run fails
	res, err = Run(context.Background(), spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Report.Completion; res.Report.Verdict != reports.VerdictFailed || c.FailureBound <= 5 {
		t.Errorf("drop-events: completion %+v, verdict %s", c, res.Report.Verdict)
	}
}
