package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// historyReports are three nightly runs: clean, failing, and one that
// ran only the token spec (no golden-path flow).
func historyReports() []*Report {
	a := passingReport()
	b := failingReport()
	b.StartedAt = testStarted.Add(24 * time.Hour)
	c := passingReport()
	c.StartedAt = testStarted.Add(48 * time.Hour)
	c.Config.LabelFilter = "tokens"
	c.Completion = Completion{Target: 100}
	c.Verdict = "interrupted"
	c.Findings = []Finding{{ID: "F0001", Kind: KindTokenVerdict, Spec: "x", Detail: "token " + testJWT}}
	return []*Report{a, b, c}
}

func TestAppendAndReadHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	for _, r := range historyReports() {
		if err := AppendHistory(path, r); err != nil {
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
	got, err := ReadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("read %d entries, want 3", len(got))
	}
	want := Summarize(failingReport())
	want.Time = testStarted.Add(24 * time.Hour)
	if !reflect.DeepEqual(got[1], want) {
		t.Errorf("entry 2 = %+v\nwant      %+v", got[1], want)
	}
	if got[1].Completion != (Completion{Attempted: 40, Completed: 37, Rate: 92.5, Target: 100}) || got[1].Findings != 12 {
		t.Errorf("failing run summarized as %+v", got[1])
	}
	if strings.Contains(string(b), testJWT) {
		t.Error("a whole token reached the history file")
	}
}

func TestAppendHistoryEndsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	if err := os.WriteFile(path, []byte(`{"time":"2026-01-01T00:00:00Z","verd`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendHistory(path, passingReport()); err != nil {
		t.Fatal(err)
	}
	_, err := ReadHistory(path)
	if err == nil || !strings.Contains(err.Error(), "history.jsonl:1: bad history entry") {
		t.Errorf("error %v, want one naming line 1", err)
	}
	b, _ := os.ReadFile(path)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 {
		t.Errorf("the new entry was glued to the torn line:\n%s", b)
	}
}

func TestAppendHistoryConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := AppendHistory(path, failingReport()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := ReadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Errorf("%d entries, want 20", len(got))
	}
}

func TestReadHistoryErrors(t *testing.T) {
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
			_, err := ReadHistory(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	if _, err := ReadHistory(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("no error for a missing file")
	}
	// Unknown fields are a newer writer's additions: ignored.
	path := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(path, []byte(strings.Replace(ok, `"seed":1`, `"seed":1,"future":true`, 1)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadHistory(path); err != nil || len(got) != 1 {
		t.Errorf("an entry with an unknown field: %v, %d entries", err, len(got))
	}
}
