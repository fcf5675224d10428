package suites_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/formatter"

	"github.com/gpcheck/gpcheck/fixtures/auth"
	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/suites"
)

// startSUT starts the reference services with the given faults.
func startSUT(t *testing.T, fs ...faults.Name) *harness.Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := sut.Start(ctx, sut.Options{Faults: faults.Of(fs...)})
	leeway := auth.DefaultLeeway
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	env, err := harness.NewEnv(harness.Target{
		Kind: "local", AuthURL: s.AuthURL, BackendURL: s.BackendURL, WSURL: s.WSURL, Origin: sut.DefaultOrigin,
		BypassKey: s.BypassKey, ServiceID: s.HarnessServiceID, ServiceSecret: s.HarnessServiceSecret, SigningKey: s.SigningKey,
		Policy: tokens.Policy{Leeway: &leeway, IATSkew: &leeway, DuplicateClaims: "reject", TwoCredentials: "reject",
			Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience},
	})
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	return env
}

// TestSuites runs every spec against the clean reference services, the way
// `go test ./suites` and `ginkgo ./suites` do; ginkgo's flags (such as
// --label-filter) apply through GinkgoConfiguration().
func TestSuites(t *testing.T) {
	env := startSUT(t)
	res, err := suites.Run(context.Background(), t, suites.Config{
		Env:  env,
		Load: load.Options{Users: 20, Messages: 2, Seed: 1},
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, f := range res.Findings {
		t.Errorf("finding on the clean system: %s %s %s: %s", f.Kind, f.User, f.Stage, f.Detail)
	}
	if res.Completion.Attempted > 0 && res.Completion.Rate != 100 {
		t.Errorf("completion %v%%, want 100%%", res.Completion.Rate)
	}
}

// quietT records failures of in-process runs whose failure is expected.
type quietT struct {
	mu     sync.Mutex
	failed bool
}

func (q *quietT) Fail() { q.mu.Lock(); q.failed = true; q.mu.Unlock() }

// runQuiet runs the specs with Ginkgo's own output discarded.
func runQuiet(t *testing.T, cfg suites.Config) *suites.Result {
	t.Helper()
	prev := formatter.ColorableStdOut
	formatter.ColorableStdOut = io.Discard
	defer func() { formatter.ColorableStdOut = prev }()
	res, err := suites.Run(context.Background(), &quietT{}, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// TestFaultsAreCaught proves, for every fault mode of the catalogue, that
// each spec the mode names as catching it passes on the clean system and
// fails, with the finding kind the mode names, when the mode is on. A
// mode that names no spec, or a spec the registry lacks, fails the test.
func TestFaultsAreCaught(t *testing.T) {
	type catch struct {
		fault   faults.Name
		spec    suites.Info
		kind    reports.Kind
		maxRate float64 // the --max-failure-rate the catch needs, if any
	}
	var catches []catch
	for _, in := range faults.All() {
		if len(in.CaughtBy) == 0 {
			t.Errorf("fault %s names no spec that catches it", in.Name)
		}
		for _, c := range in.CaughtBy {
			info, ok := suites.Lookup(c.Spec)
			if !ok {
				t.Errorf("fault %s is caught by spec %q, which the registry does not know", in.Name, c.Spec)
				continue
			}
			if !slices.Contains(reports.Kinds(), reports.Kind(c.Kind)) {
				t.Errorf("fault %s is caught as %q, which is not a finding kind", in.Name, c.Kind)
			}
			catches = append(catches, catch{in.Name, info, reports.Kind(c.Kind), c.MaxFailureRate})
		}
	}
	seen := map[string]bool{}
	for _, c := range catches {
		if seen[c.spec.ID] {
			continue
		}
		seen[c.spec.ID] = true
		// Each fault's spec passes on the clean system...
		t.Run("clean/"+c.spec.ID, func(t *testing.T) {
			res := runQuiet(t, suites.Config{Env: startSUT(t), Focus: []string{c.spec.ID}, Load: load.Options{Users: 20, Seed: 7}})
			if !res.Passed || len(res.Findings) > 0 {
				t.Fatalf("spec %s failed on the clean system: %v", c.spec.ID, kinds(res.Findings))
			}
		})
	}
	// ...and fails, with the finding meant for it, when the fault is on.
	for _, c := range catches {
		t.Run(fmt.Sprintf("%s/%s/%s", c.fault, c.spec.ID, c.kind), func(t *testing.T) {
			cfg := suites.Config{Env: startSUT(t, c.fault), Focus: []string{c.spec.ID}, Load: load.Options{Users: 20, Seed: 7}}
			if c.maxRate > 0 {
				// Sized as --max-failure-rate sizes a run.
				cfg.MaxFailureRate = c.maxRate
				cfg.Load.Messages = (reports.FlowsToShow(c.maxRate, reports.DefaultConfidence) + 19) / 20
			}
			res := runQuiet(t, cfg)
			if res.Passed {
				t.Fatalf("run passed with fault %s", c.fault)
			}
			for _, f := range res.Findings {
				if f.Kind == c.kind && f.Spec == c.spec.Name() {
					return
				}
			}
			t.Errorf("no %s finding from %q; findings: %v", c.kind, c.spec.Name(), kinds(res.Findings))
		})
	}
}

// TestRegistryIsWhatRuns checks that the specs Ginkgo defines are exactly
// the registry's, in its order, with its labels, and that ids are unique.
func TestRegistryIsWhatRuns(t *testing.T) {
	got, err := suites.Select("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := suites.Specs()
	if len(got) != len(want) {
		t.Fatalf("Ginkgo defines %d specs, the registry lists %d", len(got), len(want))
	}
	ids := map[string]bool{}
	for i := range want {
		if got[i].Name() != want[i].Name() {
			t.Errorf("spec %d: Ginkgo defines %q, the registry lists %q", i, got[i].Name(), want[i].Name())
		}
		if ids[want[i].ID] {
			t.Errorf("id %q is registered twice", want[i].ID)
		}
		ids[want[i].ID] = true
		if len(want[i].Labels) == 0 || len(want[i].Needs) == 0 {
			t.Errorf("spec %s has no labels or no services", want[i].ID)
		}
	}
	sel, err := suites.Select("isolation || order", nil)
	if err != nil || len(sel) != 2 || sel[0].ID != "isolation" || sel[1].ID != "order" {
		t.Errorf("Select(isolation || order) = %v, %v", sel, err)
	}
	if _, err := suites.Select("isolation &&", nil); !errors.Is(err, suites.ErrBadLabelFilter) {
		t.Errorf("a malformed filter gave %v", err)
	}
}

func kinds(fs []reports.Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.Spec+": "+string(f.Kind)]++
	}
	return m
}

// TestCleanRunsAreStable runs the whole suite repeatedly on the clean
// system, each time in the same process (Ginkgo's globals reset between
// runs), with the default client-id collisions and churn on: no run may
// report a finding. GPCHECK_SOAK sets the count.
func TestCleanRunsAreStable(t *testing.T) {
	n := 20
	if v := os.Getenv("GPCHECK_SOAK"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("GPCHECK_SOAK=%q: %v", v, err)
		}
	}
	env := startSUT(t)
	for i := 0; i < n; i++ {
		res := runQuiet(t, suites.Config{Env: env, Load: load.Options{Users: 20, Seed: uint64(100 + i)}})
		if !res.Passed || len(res.Findings) > 0 {
			t.Fatalf("clean run %d of %d failed: %v", i+1, n, kinds(res.Findings))
		}
	}
}

func TestEmptySelectionIsAnError(t *testing.T) {
	env := startSUT(t)
	_, err := suites.Run(context.Background(), &quietT{}, suites.Config{Env: env, LabelFilter: "no-such-label", Load: load.Options{Users: 1}})
	if err == nil {
		t.Fatal("a label filter that selects nothing ran")
	}
	_, err = suites.Run(context.Background(), &quietT{}, suites.Config{Env: env, LabelFilter: "golden-path &&", Load: load.Options{Users: 1}})
	if err == nil {
		t.Fatal("a malformed label filter was accepted")
	}
}
