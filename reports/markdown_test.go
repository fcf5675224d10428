package reports

import (
	"strings"
	"testing"
)

func TestMarkdownSections(t *testing.T) {
	tests := []struct {
		name      string
		report    *Report
		want, not []string
	}{
		{
			name:   "passing",
			report: passingReport(),
			want:   []string{"## ✅ gpcheck: passed", "100% (40/40 completed), target 100%", "### Specs", "### Replay"},
			not:    []string{"### Failures by stage", "### Findings", "below target", "<"},
		},
		{
			name:   "failing",
			report: failingReport(),
			want: []string{"## ❌ gpcheck: failed", "below target", "### Failures by stage", "| `first_event` | 2 | 40 |",
				"### Findings by kind", "| `isolation_leak` | 4 |", "### Findings (first 10 of 12)", "2 more in",
				"--fault ws-route-by-short-id --fault drop-events",
				"--label-filter '!websocket && (golden-path || isolation || identity)'"},
			// Markup in a detail is shown, not rendered.
			not: []string{"<b>", "[profile](http", "| `login` |", "F0011"},
		},
		{
			name:   "interrupted",
			report: &Report{Verdict: "interrupted", Error: "interrupted by SIGINT"},
			want:   []string{"## ⚠️ gpcheck: interrupted", "> interrupted by SIGINT", "gpcheck run --seed 0"},
			not:    []string{"### Specs", "### Findings"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Markdown(tt.report, testSecret)
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
		edit func(*Report)
		want string
	}{
		{"local", func(*Report) {}, "gpcheck run --seed 424242 --users 20 --messages 2 --concurrency 0"},
		{"faults and filter", func(r *Report) {
			r.Target.Faults = []string{"drop-events"}
			r.Config.LabelFilter = "isolation"
			r.Config.MinCompletion = 99.5
		}, "gpcheck run --seed 424242 --users 20 --messages 2 --concurrency 0 --fault drop-events --label-filter isolation --min-completion 99.5"},
		{"remote", func(r *Report) {
			r.Target = Target{Kind: "remote", AuthURL: "https://auth.example", BackendURL: "https://api.example", WSURL: "wss://chat.example/ws?x=1&y=2"}
		}, "gpcheck run --target remote --auth-url https://auth.example --backend-url https://api.example --ws-url 'wss://chat.example/ws?x=1&y=2' --seed 424242 --users 20 --messages 2 --concurrency 0"},
		{"quote in filter", func(r *Report) { r.Config.LabelFilter = "it's" }, `--label-filter 'it'\''s'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := passingReport()
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

func TestTrim(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"  padded  ", 10, "padded"},
		{"abcdefghij", 10, "abcdefghij"},
		{"abcdefghijk", 10, "abcdefghi…"},
		{"ééééééééééé", 5, "éééé…"},
	}
	for _, tt := range tests {
		if got := trim(tt.in, tt.n); got != tt.want {
			t.Errorf("trim(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
