package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
)

// TestOneRoutingBugIsOneDefect reads the report of a run whose gateway
// routes events by a short id prefix (every user receives every other's
// events: hundreds of isolation findings) and checks that every format
// leads with one isolation defect, drawn as a broadcast.
func TestOneRoutingBugIsOneDefect(t *testing.T) {
	t.Parallel()
	dir := failingReport(t)
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.ReadJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	var leaks []reports.Defect
	for _, d := range rep.Defects {
		if d.Kind == reports.KindIsolationLeak {
			leaks = append(leaks, d)
		}
	}
	n := rep.FindingsByKind[reports.KindIsolationLeak]
	if len(leaks) != 1 || leaks[0].Count != n || n < 100 {
		t.Fatalf("%d isolation findings in %d defect(s), want one defect of them all: %+v", n, len(leaks), leaks)
	}
	d := leaks[0]
	if d.ID != "D1" || d.Shape != "broadcast" || len(d.Leaks) != n || d.FirstSeen == nil {
		t.Errorf("the leak defect: id %s shape %q, %d matrix cells for %d findings, first seen %v", d.ID, d.Shape, len(d.Leaks), n, d.FirstSeen)
	}

	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(string(md), "### Defects"), strings.Index(string(md), "### Specs"); i < 0 || j < i ||
		!strings.Contains(string(md), "| `D1` | critical | `isolation_leak` |") {
		t.Errorf("summary.md does not lead with the defects:\n%.1500s", md)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(string(page), "<h2>Defects</h2>"), strings.Index(string(page), "<h2>Stages"); i < 0 || j < i {
		t.Error("report.html does not lead with the defects")
	}
	// The matrix: a row per receiver, a filled cell per owner it got data of.
	if cells := regexp.MustCompile(`<td class="l[123]"`).FindAllIndex(page, -1); len(cells) != n {
		t.Errorf("the leak matrix fills %d cells, want %d", len(cells), n)
	}

	// The console leads with the same defect, and repro takes its id.
	r := gpcheck(t, 2*time.Minute, "repro", "--report", dir, "--finding", "D1", "--report-dir", t.TempDir())
	if r.code != exitOK || !strings.Contains(r.stdout, "repro "+d.Example+": isolation_leak") {
		t.Errorf("repro --finding D1: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
