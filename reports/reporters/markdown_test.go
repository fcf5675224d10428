package reporters

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/fixture"
)

func TestMarkdownSections(t *testing.T) {
	tests := []struct {
		name      string
		report    *reports.Report
		want, not []string
	}{
		{
			name:   "passing",
			report: fixture.Passing(),
			want:   []string{"## ✅ gpcheck: passed", "100% (40/40 completed), target 100%", "### Specs", "### Replay"},
			not:    []string{"### Failures by stage", "### Findings", "below target", "<"},
		},
		{
			name:   "failing",
			report: fixture.Failing(),
			want: []string{"## ❌ gpcheck: failed", "below target", "### Failures by stage", "| `first_event` | 2 | 40 |",
				"### Findings by kind", "| `isolation_leak` | 4 |", "### Findings (first 10 of 12)", "2 more in",
				"### Defects (10, from 12 findings)", "| `D1` | critical | `isolation_leak` | 2 | another user's data in WebSocket frames (at stream) — 2 user(s); pairwise",
				"--fault ws-route-by-short-id --fault drop-events",
				"--label-filter '!websocket && (golden-path || isolation || identity)'"},
			// Markup in a detail is shown, not rendered.
			not: []string{"<b>", "[profile](http", "| `login` |", "| `F0011` | `token_accepted`"},
		},
		{
			name:   "interrupted",
			report: &reports.Report{Verdict: reports.VerdictInterrupted, Error: "interrupted by SIGINT"},
			want:   []string{"## ⚠️ gpcheck: interrupted", "> interrupted by SIGINT", "gpcheck run --seed 0"},
			not:    []string{"### Specs", "### Findings"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Markdown(reports.Redacted(tt.report, fixture.Secret))
			if err != nil {
				t.Fatal(err)
			}
			out := string(b)
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

func TestReplayCommand(t *testing.T) {
	tests := []struct {
		name string
		edit func(*reports.Report)
		want string
	}{
		{"local", func(*reports.Report) {}, "gpcheck run --seed 424242 --users 20 --messages 2 --concurrency 0"},
		{"faults and filter", func(r *reports.Report) {
			r.Target.Faults = []string{"drop-events"}
			r.Spec.LabelFilter = "isolation"
			r.Spec.MinCompletion = 99.5
		}, "gpcheck run --seed 424242 --users 20 --messages 2 --concurrency 0 --fault drop-events --label-filter isolation --min-completion 99.5"},
		{"faults from the spec", func(r *reports.Report) {
			r.Spec.Faults = []string{"drop-events"}
		}, "--concurrency 0 --fault drop-events"},
		{"remote", func(r *reports.Report) {
			r.Spec.Target = "remote"
			r.Target = reports.SUT{Kind: "remote", AuthURL: "https://auth.example", BackendURL: "https://api.example", WSURL: "wss://chat.example/ws?x=1&y=2"}
		}, "gpcheck run --target remote --auth-url https://auth.example --backend-url https://api.example --ws-url 'wss://chat.example/ws?x=1&y=2' --seed 424242 --users 20 --messages 2 --concurrency 0"},
		{"remote from the spec", func(r *reports.Report) {
			r.Spec.Target, r.Spec.AuthURL, r.Spec.BackendURL, r.Spec.WSURL = "remote", "https://a.example", "https://b.example", "wss://c.example/ws"
			r.Target = reports.SUT{Kind: "remote", AuthURL: "https://other.example"}
		}, "gpcheck run --target remote --auth-url https://a.example --backend-url https://b.example --ws-url wss://c.example/ws --seed 424242 --users 20 --messages 2 --concurrency 0"},
		{"containers", func(r *reports.Report) { r.Spec.Target = "containers" }, "gpcheck run --target containers --seed 424242 --users 20 --messages 2 --concurrency 0"},
		{"load shape and more", func(r *reports.Report) {
			r.Spec.Ramp, r.Spec.Duration = reports.Duration(1500*time.Millisecond), reports.Duration(time.Minute)
			r.Spec.UserMode, r.Spec.Origin, r.Spec.Shard = "bypass", "https://app.example", "1/4"
		}, "--concurrency 0 --ramp 1.5s --duration 1m0s --user-mode bypass --origin https://app.example --shard 1/4"},
		{"quote in filter", func(r *reports.Report) { r.Spec.LabelFilter = "it's" }, `--label-filter 'it'\''s'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture.Passing()
			tt.edit(r)
			if got := replayCommand(r); !strings.HasSuffix(got, tt.want) {
				t.Errorf("replayCommand = %s\nwant (suffix) %s", got, tt.want)
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"<img src=x>", `\<img src=x\>`},
		{"a | b\nc", `a \| b c`},
		{"*bold* _it_ [l](u) `c` ~s~ &amp; !#", "\\*bold\\* \\_it\\_ \\[l\\](u) \\`c\\` \\~s\\~ \\&amp; \\!\\#"},
	}
	for _, tt := range tests {
		if got := mdText(tt.in); got != tt.want {
			t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	codes := []struct{ in, want string }{
		{"", "—"},
		{"u0003", "`u0003`"},
		{"a`b", "``a`b``"},
		{"`x", "`` `x ``"},
		{"a|b", "`a\\|b`"},
	}
	for _, tt := range codes {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
