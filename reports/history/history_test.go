package history

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/reports"
	"github.com/gpcheck/gpcheck/reports/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// historyReports are three nightly runs: clean, failing, and one that
// ran only the token spec (no golden-path flow).
func historyReports() []*reports.Report {
	a := fixture.Passing()
	b := fixture.Failing()
	b.StartedAt = fixture.Started.Add(24 * time.Hour)
	c := fixture.Passing()
	c.StartedAt = fixture.Started.Add(48 * time.Hour)
	c.Spec.LabelFilter = "tokens"
	c.Completion = reports.Completion{Target: 100}
	c.Verdict = reports.VerdictInterrupted
	c.Findings = []reports.Finding{{ID: "F0001", Kind: reports.KindTokenVerdict, Spec: "x", Detail: "token " + fixture.JWT}}
	return []*reports.Report{a, b, c}
}

func TestAppendAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	for _, r := range historyReports() {
		if err := Append(path, r); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), b)
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not one JSON object: %v", i+1, err)
		}
		for _, k := range []string{"time", "verdict", "seed", "target", "completion", "findings_by_kind", "duration_ms"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i+1, k, l)
			}
		}
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("read %d entries, want 3", len(got))
	}
	want := Summarize(fixture.Failing())
	want.Time = fixture.Started.Add(24 * time.Hour)
	if !reflect.DeepEqual(got[1], want) {
		t.Errorf("entry 2 = %+v\nwant      %+v", got[1], want)
	}
	if got[1].Completion != (reports.Completion{Attempted: 40, Completed: 37, Rate: 92.5, Target: 100}) || got[1].Findings != 12 {
		t.Errorf("failing run summarized as %+v", got[1])
	}
	if strings.Contains(string(b), fixture.JWT) {
		t.Error("a whole token reached the history file")
	}
}

func TestAppendEndsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	if err := os.WriteFile(path, []byte(`{"time":"2026-01-01T00:00:00Z","verd`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Append(path, fixture.Passing()); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), "history.jsonl:1: bad history entry") {
		t.Errorf("error %v, want one naming line 1", err)
	}
	b, _ := os.ReadFile(path)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 {
		t.Errorf("the new entry was glued to the torn line:\n%s", b)
	}
}

func TestAppendConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Append(path, fixture.Failing()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Errorf("%d entries, want 20", len(got))
	}
}

func TestReadErrors(t *testing.T) {
	ok := `{"schema_version":1,"time":"2026-03-14T09:26:53Z","verdict":"passed","seed":1,"target":"local","completion":{"attempted":1,"completed":1,"rate":100,"target":100},"findings":0,"findings_by_kind":{},"duration_ms":5}`
	cases := []struct {
		name, text, want string
	}{
		{"not json", ok + "\n\nnot json\n", "h.jsonl:3: bad history entry"},
		{"no time", ok + "\n{\"verdict\":\"passed\"}\n", "h.jsonl:2: bad history entry: no time or verdict"},
		{"newer", strings.Replace(ok, `"schema_version":1`, `"schema_version":9`, 1), "h.jsonl:1: history entry schema_version 9 is newer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "h.jsonl")
			if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("no error for a missing file")
	}
	// Unknown fields are a newer writer's additions: ignored.
	path := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(path, []byte(strings.Replace(ok, `"seed":1`, `"seed":1,"future":true`, 1)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(path); err != nil || len(got) != 1 {
		t.Errorf("an entry with an unknown field: %v, %d entries", err, len(got))
	}
}

// TestReadOldLines reads lines as earlier gpchecks wrote them.
func TestReadOldLines(t *testing.T) {
	old := `{"schema_version":1,"time":"2026-03-15T09:26:53Z","verdict":"failed","version":"v0.4.0","seed":424242,"target":"local",` +
		`"faults":["ws-route-by-short-id","drop-events"],"label_filter":"isolation","completion":{"attempted":40,"completed":37,"rate":92.5,"target":100},` +
		`"findings":5,"findings_by_kind":{"isolation_leak":4,"stage_failure":1},"duration_ms":12977}`
	got, err := Parse(strings.NewReader(old + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{SchemaVersion: 1, Time: time.Date(2026, 3, 15, 9, 26, 53, 0, time.UTC), Verdict: reports.VerdictFailed,
		Version: "v0.4.0", Seed: 424242, Target: "local", Faults: []string{"ws-route-by-short-id", "drop-events"},
		LabelFilter: "isolation", Completion: reports.Completion{Attempted: 40, Completed: 37, Rate: 92.5, Target: 100},
		Findings: 5, FindingsByKind: map[reports.Kind]int{reports.KindIsolationLeak: 4, reports.KindStageFailure: 1}, DurationMS: 12977}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("read %+v\nwant %+v", got, want)
	}
	// And what Summarize writes today has the same layout.
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != old {
		t.Errorf("line\n%s\nwant\n%s", b, old)
	}
}

func TestSummarizeFallsBackOnTheSpec(t *testing.T) {
	r := &reports.Report{StartedAt: fixture.Started, Verdict: reports.VerdictFailed,
		Spec:     reports.RunSpec{Target: "containers", Faults: []string{"drop-events"}, Seed: 3},
		Findings: []reports.Finding{{Kind: reports.KindIDOR}, {Kind: reports.KindIDOR}}}
	e := Summarize(r)
	if e.Target != "containers" || !reflect.DeepEqual(e.Faults, []string{"drop-events"}) || e.Seed != 3 ||
		!reflect.DeepEqual(e.FindingsByKind, map[reports.Kind]int{reports.KindIDOR: 2}) {
		t.Errorf("entry %+v", e)
	}
	e.Faults[0] = "changed"
	if r.Spec.Faults[0] != "drop-events" {
		t.Error("the entry shares the report's faults")
	}
}
