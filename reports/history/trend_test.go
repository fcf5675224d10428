package history

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports/internal/fixture"
)

func historyEntries() []Entry {
	var out []Entry
	for _, r := range historyReports() {
		out = append(out, Summarize(r))
	}
	return out
}

func TestTrendGoldenFiles(t *testing.T) {
	txt, err := TrendText(historyEntries())
	if err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, filepath.Join("testdata", "trend.txt"), txt, *update)
	page, err := TrendHTML(historyEntries())
	if err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, filepath.Join("testdata", "trend.html"), page, *update)
}

func TestTrendText(t *testing.T) {
	b, err := TrendText(historyEntries())
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, w := range []string{
		"3 run(s), 2026-03-14 09:26 … 2026-03-16 09:26",
		"2026-03-14 09:26  passed", "100% (40/40)", "92.5% (37/40)",
		"isolation_leak 4", "local (ws-route-by-short-id, drop-events)", "[tokens]",
		"passed 1 of 3 run(s); latest interrupted with 1 finding(s); completion between 92.5% and 100%",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("trend lacks %q:\n%s", w, out)
		}
	}
	if _, err := TrendText(nil); err == nil {
		t.Error("no error for an empty history")
	}
}

func TestTrendHTMLSelfContained(t *testing.T) {
	b, err := TrendHTML(historyEntries())
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ToLower(string(b))
	if n := strings.Count(out, "<svg"); n != 2 {
		t.Errorf("%d <svg elements, want 2 (completion, findings)", n)
	}
	for _, bad := range []string{"<script", "src=", "<link", "href=", "url(", "@import", "<img", "<iframe", "<object"} {
		if strings.Contains(out, bad) {
			t.Errorf("trend.html holds %q", bad)
		}
	}
	fixture.WellFormed(t, b)
	// The third run ran no flow: the completion line stops at the second
	// run, so it is one segment of two points.
	if n := strings.Count(string(b), `<polyline class="rate"`); n != 1 {
		t.Errorf("%d completion segments, want 1", n)
	}
	if n := strings.Count(string(b), `<circle class="`); n != 2+3+6*3 {
		// completion: 2 runs with flows; total: 3; six kinds: 3 each
		t.Errorf("%d points", n)
	}
}

func TestTrendHTMLOneAndMany(t *testing.T) {
	// One run: points, no line.
	b, err := TrendHTML(historyEntries()[:1])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "<polyline class=\"rate\"") || !strings.Contains(string(b), `<circle class="passed"`) {
		t.Error("one run should be a dot, not a line")
	}
	fixture.WellFormed(t, b)
	// Many runs: at most lineLabels dates on the x axis.
	var many []Entry
	for i := range 40 {
		e := historyEntries()[i%2]
		e.Time = fixture.Started.Add(time.Duration(i) * 24 * time.Hour)
		many = append(many, e)
	}
	b, err = TrendHTML(many)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `text-anchor="middle"`); n != 2*lineLabels {
		t.Errorf("%d x-axis labels over two charts, want %d", n, 2*lineLabels)
	}
	if !strings.Contains(string(b), ">04-22 09:26<") { // the latest run is labelled
		t.Error("the latest run has no label")
	}
}
