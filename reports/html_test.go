package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestHTMLSelfContained(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			b, err := HTML(fx.report(), testSecret)
			if err != nil {
				t.Fatal(err)
			}
			out := strings.ToLower(string(b))
			if n := strings.Count(out, "<svg"); n != 1 {
				t.Errorf("%d <svg elements, want 1", n)
			}
			for _, bad := range []string{"<script", "src=", "<link", "href=", "url(", "@import", "<img", "<iframe", "<object"} {
				if strings.Contains(out, bad) {
					t.Errorf("report.html holds %q", bad)
				}
			}
			wellFormed(t, b)
		})
	}
}

func TestHTMLContent(t *testing.T) {
	b, err := HTML(failingReport(), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, w := range []string{
		`<header class="verdict failed">`, "<h1>FAILED</h1>", "92.5% (37/40), target 100%",
		// every finding, with its evidence as a transcript
		`id="F0001"`, `id="F0012"`, `<pre class="transcript">`,
		"&lt;b&gt;200&lt;/b&gt;", // markup in a detail is escaped
		// 7 stages, 3 bars each
		`<td class="off">accept</td>`, "ws-route-by-short-id", "ws://127.0.0.1:40003/ws",
		"gpcheck run --seed 424242",
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
	b, err := HTML(failingReport(), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, w := range []string{"<h2>Probes: idor</h2>", "<th>verdict</th>", "<td>GET /api/threads/{id}</td>", "[token sha256:"} {
		if !strings.Contains(out, w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	if strings.Contains(out, testJWT) {
		t.Error("a probe cell leaked a whole token")
	}
}

func TestHTMLEmptyReport(t *testing.T) {
	for _, r := range []*Report{{}, {Verdict: "error", Error: "target unreachable"}} {
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
		wellFormed(t, b)
	}
}

func TestLatencyChartGeometry(t *testing.T) {
	tests := []struct {
		name   string
		stages []Stage
		scale  string
	}{
		{"typical", testStages(), "2000.0 ms"},
		{"all zero", []Stage{{Name: "login"}}, "1.0 ms"},
		{"one slow", []Stage{{Name: "a", P50MS: 1, P90MS: 2, P99MS: 9000}, {Name: "b", P50MS: 1}}, "10000.0 ms"},
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

func TestNiceCeil(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 1}, {-3, 1}, {1, 1}, {1.2, 2}, {3, 4}, {5, 6}, {7.5, 8}, {9, 10}, {1304, 2000}, {0.03, 0.04},
	}
	for _, tt := range tests {
		if got := niceCeil(tt.in); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", tt.in, got, tt.want)
		}
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

// wellFormed checks that b reads as balanced markup, HTML's void elements
// and entities allowed.
func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("report.html is not well formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != el.Name.Local {
				t.Fatalf("</%s> closes %v", el.Name.Local, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements: %v", stack)
	}
}
