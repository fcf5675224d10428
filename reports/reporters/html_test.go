package reporters

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/fixture"
)

// html renders r, redacted with the fixtures' secret, as report.html.
func html(t *testing.T, r *reports.Report) []byte {
	t.Helper()
	b, err := HTML(reports.Redacted(r, fixture.Secret))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTMLSelfContained(t *testing.T) {
	for _, fx := range fixture.Reports {
		t.Run(fx.Name, func(t *testing.T) {
			b := html(t, fx.Report())
			out := strings.ToLower(string(b))
			if n := strings.Count(out, "<svg"); n != 1 {
				t.Errorf("%d <svg elements, want 1", n)
			}
			for _, bad := range []string{"<script", "src=", "<link", "href=", "url(", "@import", "<img", "<iframe", "<object"} {
				if strings.Contains(out, bad) {
					t.Errorf("report.html holds %q", bad)
				}
			}
			fixture.WellFormed(t, b)
		})
	}
}

func TestHTMLContent(t *testing.T) {
	b := html(t, fixture.Failing())
	out := string(b)
	for _, w := range []string{
		`<header class="verdict failed">`, "<h1>FAILED</h1>", "92.5% (37/40), target 100%",
		// every finding, with its evidence as a transcript
		`id="F0001"`, `id="F0012"`, `<pre class="transcript">`,
		"&lt;b&gt;200&lt;/b&gt;", // markup in a detail is escaped
		// 7 stages, 3 bars each
		`<td class="off">accept</td>`, "ws-route-by-short-id", "ws://127.0.0.1:40003/ws",
		"gpcheck run --seed 424242",
		// the new model's fields: spec ids, other users, the run spec
		`<div class="meta"><code>isolation</code></div>`, "involves: <code>u0007</code>",
		"<tr><th><code>label_filter</code></th><td><code>!websocket &amp;&amp; (golden-path || isolation || identity)</code></td></tr>",
		"<tr><th><code>timeout</code></th><td><code>10m0s</code></td></tr>",
		"<tr><th><code>concurrency</code></th><td><code>0</code></td></tr>",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	if n := strings.Count(out, "<rect "); n != 21 {
		t.Errorf("%d bars, want 21 (7 stages × 3)", n)
	}
	if n := strings.Count(out, `<section class="finding"`); n != 12 {
		t.Errorf("%d findings shown, want 12", n)
	}
}

// TestHTMLProbes shows each probe table in its own section, redacted.
func TestHTMLProbes(t *testing.T) {
	b := html(t, fixture.Failing())
	out := string(b)
	for _, w := range []string{"<h2>Probes: idor</h2>", "<th>verdict</th>", "<td>GET /api/threads/{id}</td>", "[token sha256:"} {
		if !strings.Contains(out, w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	if strings.Contains(out, fixture.JWT) {
		t.Error("a probe cell leaked a whole token")
	}
}

func TestHTMLEmptyReport(t *testing.T) {
	for _, r := range []*reports.Report{{}, {Verdict: reports.VerdictError, Error: "target unreachable"}} {
		b, err := HTML(r)
		if err != nil {
			t.Fatal(err)
		}
		out := string(b)
		for _, w := range []string{"No golden-path stage ran.", "No spec ran.", "No findings.", `class="verdict unfinished"`} {
			if !strings.Contains(out, w) {
				t.Errorf("empty report.html lacks %q", w)
			}
		}
		if strings.Contains(out, "<svg") {
			t.Error("a chart with no stage")
		}
		fixture.WellFormed(t, b)
	}
}

func TestLatencyChartGeometry(t *testing.T) {
	tests := []struct {
		name   string
		stages []reports.Stage
		scale  string
	}{
		{"typical", fixture.Stages(), "2000.0 ms"},
		{"all zero", []reports.Stage{{Name: "login"}}, "1.0 ms"},
		{"one slow", []reports.Stage{{Name: "a", P50MS: 1, P90MS: 2, P99MS: 9000}, {Name: "b", P50MS: 1}}, "10000.0 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := latencyChart(tt.stages)
			if c.Scale != tt.scale {
				t.Errorf("scale %s, want %s", c.Scale, tt.scale)
			}
			if len(c.Groups) != len(tt.stages) {
				t.Fatalf("%d groups for %d stages", len(c.Groups), len(tt.stages))
			}
			for _, g := range c.Groups {
				if len(g.Bars) != 3 {
					t.Errorf("%s: %d bars", g.Name, len(g.Bars))
				}
				for _, bar := range g.Bars {
					x, y, h := num(t, bar.X), num(t, bar.Y), num(t, bar.H)
					if x < float64(c.Left) || x+chartBar > float64(c.Right) || y < chartTop || h < 0 || y+h > float64(c.Base)+0.05 {
						t.Errorf("%s out of the plot: %+v in %+v", bar.Title, bar, c)
					}
				}
			}
		})
	}
	if latencyChart(nil) != nil {
		t.Error("a chart for no stage")
	}
}

func TestSpecRows(t *testing.T) {
	s := reports.RunSpec{Target: "containers", Images: map[string]string{"ws": "w:1", "auth": "a:1"},
		Ramp: reports.Duration(1500 * time.Millisecond), MinCompletion: 99.5, Focus: []string{"a", "b"}}
	got := map[string]string{}
	var order []string
	for _, row := range specRows(s) {
		got[row.Name] = row.Value
		order = append(order, row.Name)
	}
	want := map[string]string{
		"target": "containers", "images": "auth=a:1, ws=w:1", "ramp": "1.5s", "min_completion": "99.5",
		"focus": "a, b", "request_timeout": "0s", "users": "0", "concurrency": "0", "messages": "0",
		"keepalive": "0s", "seed": "0", "timeout": "0s",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows %v\nwant %v", got, want)
	}
	if order[0] != "target" || order[len(order)-1] != "timeout" {
		t.Errorf("rows in order %v, want RunSpec's", order)
	}
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	if _, err := fmt.Sscan(s, &v); err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
	return v
}
