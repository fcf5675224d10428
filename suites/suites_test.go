package suites_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/formatter"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/local"
	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/suites"
)

// startSUT starts the reference services with the given faults.
func startSUT(t *testing.T, fs ...faults.Name) *harness.Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lt, err := local.Start(ctx, sut.Options{Faults: faults.Of(fs...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lt.Close() })
	env, err := harness.NewEnv(lt.Target)
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

// TestFaultsAreCaught proves that every fault mode the golden-path,
// isolation, identity and websocket specs cover fails the run with the
// finding meant for it, and that the same specs pass without the fault.
func TestFaultsAreCaught(t *testing.T) {
	const (
		golden     = "Golden path completes every flow, each stage within its SLA"
		isolation  = "Golden path never shows a user another user's events or data"
		identity   = "Golden path resolves each token to the same user on every path"
		websocket  = "WebSocket gateway refuses what the auth service refuses and keeps the frame rules"
		matrix     = "Single source of truth every path gives the auth service's verdict on every token"
		revocation = "Single source of truth honours logout on every path within 1 s, open connections included"
		idor       = "Attack surface never lets a user reach another user's objects by id"
		wsSecurity = "Attack surface refuses foreign Origins, never selects the token as subprotocol and closes after logout"
		order      = "Attack surface gives every token the auth service's verdict whatever was asked before"
		sessionEnd = "Session lifecycle ends the refresh token on logout and spends a used refresh token"
	)
	cases := []struct {
		fault faults.Name
		label string // the specs to run: the one meant for the fault
		kind  string
		spec  string // the spec the finding must be attributed to
	}{
		{faults.WSUnverifiedClaims, "websocket", reports.KindTokenVerdict, websocket},
		{faults.WSDemoFallback, "websocket", reports.KindTokenVerdict, websocket},
		{faults.BackendEmailIdentity, "identity", reports.KindIdentity, identity},
		{faults.WSRouteByShortID, "isolation", reports.KindIsolationLeak, isolation},
		{faults.AgentSharedContext, "isolation", reports.KindIsolationLeak, isolation},
		{faults.DropEvents, "golden-path", reports.KindStageFailure, golden},
		{faults.SlowFirstEvent, "golden-path", reports.KindStageFailure, golden},
		{faults.BackendLocalDecode, "golden-path", reports.KindStageFailure, golden},
		{faults.BackendLocalDecode, "identity", reports.KindIdentity, identity},
		{faults.BackendStaleRevocation, "revocation", reports.KindTokenVerdict, revocation},
		{faults.WSNoRevalidate, "revocation", reports.KindTokenVerdict, revocation},
		{faults.BackendAlgNone, "tokens", reports.KindTokenVerdict, matrix},
		{faults.RefreshAsAccess, "tokens", reports.KindTokenVerdict, matrix},
		{faults.BackendThreadsNoOwnerCheck, "idor", reports.KindIDOR, idor},
		{faults.WSAnyOrigin, "websocket-security", reports.KindOriginAccepted, wsSecurity},
		{faults.AuthCacheByPrefix, "order", reports.KindOrderDependent, order},
		{faults.LogoutKeepsRefresh, "revocation", reports.KindSessionNotEnded, sessionEnd},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.label] {
			continue
		}
		seen[c.label] = true
		// Each fault's spec passes on the clean system...
		t.Run(fmt.Sprintf("clean/%s", c.label), func(t *testing.T) {
			res := runQuiet(t, suites.Config{Env: startSUT(t), LabelFilter: c.label, Load: load.Options{Users: 20, Seed: 7}})
			if !res.Passed || len(res.Findings) > 0 {
				t.Fatalf("label %s failed on the clean system: %v", c.label, kinds(res.Findings))
			}
		})
	}
	// ...and fails, with the finding meant for it, when the fault is on.
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s", c.fault, c.kind), func(t *testing.T) {
			env := startSUT(t, c.fault)
			res := runQuiet(t, suites.Config{Env: env, LabelFilter: c.label, Load: load.Options{Users: 20, Seed: 7}})
			if res.Passed {
				t.Fatalf("run passed with fault %s", c.fault)
			}
			for _, f := range res.Findings {
				if f.Kind == c.kind && f.Spec == c.spec {
					return
				}
			}
			t.Errorf("no %s finding from %q; findings: %v", c.kind, c.spec, kinds(res.Findings))
		})
	}
}

func kinds(fs []reports.Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.Spec+": "+f.Kind]++
	}
	return m
}

// TestCleanRunsAreStable runs the whole suite repeatedly on the clean
// system, each time in the same process (Ginkgo's globals reset between
// runs): no run may report a finding. GPCHECK_SOAK sets the count.
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
