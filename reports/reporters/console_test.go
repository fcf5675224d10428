package reporters

import (
	"strings"
	"testing"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/fixture"
)

func TestConsole(t *testing.T) {
	tests := []struct {
		name      string
		report    *reports.Report
		want, not []string
	}{
		{
			name:   "passing",
			report: fixture.Passing(),
			want: []string{"✓ passed  " + fixture.SpecGolden + " — 100% completed (40/40)\n",
				"✓ passed  " + fixture.SpecIsolation + "\n",
				"\n\ncompletion  ✓ 100% (40/40 flows), target 100%\n", "findings    none\n", "verdict     PASSED (seed 424242)\n"},
			not: []string{"failures", "✗"},
		},
		{
			name:   "failing",
			report: fixture.Failing(),
			want: []string{"- skipped " + fixture.SpecWebSocket + "\n",
				"✗ failed  " + fixture.SpecGolden + " — 92.5% completed (37/40)\n",
				"✗ failed  " + fixture.SpecIsolation + " — 4 finding(s), 4 user(s)\n",
				"completion  ✗ 92.5% (37/40 flows), target 100%\n",
				"failures    by stage: first_event 2, stream 1\n",
				"findings    completion_below_target 1, identity_mismatch 2, isolation_leak 4, stage_failure 3, token_accepted 2\n",
				"verdict     FAILED (seed 424242)\n"},
		},
		{
			name:   "nothing ran",
			report: &reports.Report{Verdict: reports.VerdictError, Spec: reports.RunSpec{Seed: 7}},
			want:   []string{"findings    none\nverdict     ERROR (seed 7)\n"},
			not:    []string{"completion"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			Console(&b, tt.report)
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in:\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("%q in:\n%s", n, out)
				}
			}
		})
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[float64]string{100: "100%", 95: "95%", 99.99: "99.99%", reports.FloorRate(2, 3): "66.66%"} {
		if got := Percent(in); got != want {
			t.Errorf("Percent(%v) = %q, want %q", in, got, want)
		}
	}
}
