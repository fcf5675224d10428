package reporters_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/reporters"
)

// exampleReport is a small run that found one leak.
func exampleReport() *reports.Report {
	spec := reports.DefaultRunSpec()
	spec.Users, spec.Seed = 2, 7
	r := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "gpcheck", Version: "v1.0.0"},
		StartedAt:     time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC),
		DurationMS:    1500,
		Target:        reports.SUT{Kind: "local"},
		Spec:          spec,
		Completion:    reports.Completion{Attempted: 2, Completed: 2, Rate: reports.FloorRate(2, 2), Target: 100},
		Specs: []reports.SpecReport{{ID: "isolation", Name: "never shows a user another user's events",
			Labels: []string{"isolation"}, State: reports.StateFailed, Findings: 1}},
		Findings: []reports.Finding{{Kind: reports.KindIsolationLeak, Spec: "never shows a user another user's events",
			User: "u0001", VUser: "u0001", Others: []string{"u0002"}, Detail: "u0001 saw u0002's canary (api key sk-live-1234)"}},
	}
	r.Settle()
	return r
}

func ExampleWriteAll() {
	dir, err := os.MkdirTemp("", "gpcheck-report")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	paths, err := reporters.WriteAll(dir, exampleReport(), "sk-live-1234")
	if err != nil {
		fmt.Println(err)
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	// Output:
	// report.json
	// junit.xml
	// report.html
	// summary.md
}

func ExampleMarkdown() {
	b, err := reporters.Markdown(reports.Redacted(exampleReport(), "sk-live-1234"))
	if err != nil {
		panic(err)
	}
	fmt.Print(string(b))
	// Output:
	// ## ❌ gpcheck: failed
	//
	// - **Completion:** 100% (2/2 completed), target 100%
	// - **Target:** `local`
	// - **Seed:** `7` · **duration** 1.5s
	//
	// ### Defects (1, from 1 findings)
	//
	// | Defect | Severity | Kind | Findings | What | Example |
	// |---|---|---|---:|---|---|
	// | `D1` | critical | `isolation_leak` | 1 | u0001 saw u0002's canary (api key \[redacted\]) — 1 user(s); one stray: 1 owner(s) → 1 receiver(s) | `F0001` |
	//
	// `gpcheck repro --finding D1` replays the first defect's example.
	//
	// ### Specs
	//
	// | State | Spec | Findings |
	// |---|---|---:|
	// | ❌ failed | never shows a user another user's events | 1 |
	//
	// ### Findings by kind
	//
	// | Kind | Count |
	// |---|---:|
	// | `isolation_leak` | 1 |
	//
	// ### Findings
	//
	// | ID | Kind | Severity | User | Detail |
	// |---|---|---|---|---|
	// | `F0001` | `isolation_leak` | critical | `u0001` | u0001 saw u0002's canary (api key \[redacted\]) |
	//
	// ### Replay
	//
	// Seed `7`. To replay this run:
	//
	// ```sh
	// gpcheck run --seed 7 --users 2 --messages 1 --concurrency 0
	// ```
}

func ExampleConsole() {
	reporters.Console(os.Stdout, exampleReport())
	// Output:
	// ✗ failed  never shows a user another user's events — 1 finding(s), 1 user(s)
	//
	// completion  ✓ 100% (2/2 flows), target 100%
	// failure     rate below 77.64% at 95% confidence
	// defects     1, from 1 finding(s); worst first (gpcheck repro --finding D1 replays the first)
	//   D1   critical isolation_leak ×1: u0001 saw u0002's canary (api key sk-live-1234) — 1 user(s); one stray: 1 owner(s) → 1 receiver(s)
	// findings    isolation_leak 1
	// severity    critical 1
	// verdict     FAILED (seed 7)
}
