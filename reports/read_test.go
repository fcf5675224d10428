package reports

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReadJSONRoundTrip(t *testing.T) {
	spec := DefaultRunSpec()
	spec.Seed, spec.Ramp, spec.Focus = 42, Duration(1500*time.Millisecond), []string{"a spec"}
	want := &Report{
		SchemaVersion: SchemaVersion, Tool: Tool{Name: "gpcheck", Version: "v1"}, Verdict: VerdictFailed,
		StartedAt: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC), DurationMS: 1200,
		Target: SUT{Kind: "local", AuthURL: "http://127.0.0.1:1"}, Spec: spec,
		Specs: []SpecReport{{ID: "isolation", Name: "isolation spec", Labels: []string{"isolation"}, State: StateFailed, Findings: 1}},
		Defects: []Defect{{ID: "D1", Kind: KindIsolationLeak, Severity: SeverityCritical, Spec: "isolation spec", Title: "leak", Count: 1,
			Users: []string{"u0001"}, Findings: []string{"F0001"}, Example: "F0001", Leaks: []Leak{{"u0002", "u0001", 1}}, Shape: "one stray"}},
		Findings: []Finding{{ID: "F0001", Kind: KindIsolationLeak, Severity: SeverityCritical, Spec: "isolation spec", User: "u0001 (x)",
			VUser: "u0001", Others: []string{"u0002"}, Detail: "leak", Defect: "D1"}},
		FindingsByKind: map[Kind]int{KindIsolationLeak: 1},
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"spec":{`, `"ramp":"1.5s"`, `"timeout":"10m0s"`, `"request_timeout":"10s"`, `"vuser":"u0001"`, `"others":["u0002"]`, `"id":"isolation"`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("report.json lacks %s: %s", w, b)
		}
	}
	got, err := ReadJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
}

// TestReadJSONVersion2 reads a report written before defects existed:
// its findings are grouped as they are read.
func TestReadJSONVersion2(t *testing.T) {
	const v2 = `{"schema_version": 2, "verdict": "failed", "spec": {},
	  "findings": [
	    {"id": "F0001", "kind": "isolation_leak", "severity": "critical", "spec": "isolation spec", "vuser": "u0001", "others": ["u0002"], "detail": "received u0002's data (canary) 3 time(s)"},
	    {"id": "F0002", "kind": "isolation_leak", "severity": "critical", "spec": "isolation spec", "vuser": "u0002", "others": ["u0001"], "detail": "received u0001's data (canary) 1 time(s)"},
	    {"id": "F0003", "kind": "stage_failure", "severity": "medium", "spec": "golden spec", "stage": "stream", "detail": "no tool_completed within 30s"}]}`
	r, err := ReadJSON([]byte(v2))
	if err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != SchemaVersion || len(r.Defects) != 2 {
		t.Fatalf("schema %d, defects %+v", r.SchemaVersion, r.Defects)
	}
	if d := r.Defects[0]; d.ID != "D1" || d.Count != 2 || !reflect.DeepEqual(d.Findings, []string{"F0001", "F0002"}) || d.Shape != "pairwise" {
		t.Errorf("first defect %+v", d)
	}
	for _, f := range r.Findings {
		if f.Defect == "" {
			t.Errorf("finding %s has no defect", f.ID)
		}
	}
}

// v1Report is a report.json as gpcheck wrote it at schema_version 1.
const v1Report = `{
  "schema_version": 1,
  "tool": {"name": "gpcheck", "version": "v0.3.0"},
  "verdict": "failed",
  "started_at": "2026-03-14T09:26:53Z",
  "duration_ms": 8421,
  "target": {"kind": "remote", "auth_url": "https://auth.example", "backend_url": "https://api.example",
    "ws_url": "wss://chat.example/ws"},
  "config": {"users": 20, "concurrency": 4, "messages": 2, "seed": 424242, "label_filter": "isolation",
    "min_completion": 99.5, "timeout_ms": 600000, "ramp_ms": 1500, "duration_ms": 60000, "user_mode": "bypass",
    "origin": "https://app.example", "shard": "1/2", "shards": ["0/2", "1/2"]},
  "completion": {"attempted": 40, "completed": 39, "rate": 97.5, "target": 99.5},
  "stages": [{"name": "login", "attempted": 40, "failed": 1, "p50_ms": 1, "p90_ms": 2, "p99_ms": 3}],
  "specs": [{"name": "isolation spec", "labels": ["isolation"], "state": "failed", "duration_ms": 5, "findings": 1}],
  "findings": [{"id": "F0001", "kind": "isolation_leak", "spec": "isolation spec", "user": "u0003", "detail": "leak"}],
  "findings_by_kind": {"isolation_leak": 1},
  "a_field_from_the_future": true
}`

func TestReadJSONVersion1(t *testing.T) {
	r, err := ReadJSON([]byte(v1Report))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultRunSpec()
	want.Target = "remote"
	want.AuthURL, want.BackendURL, want.WSURL = "https://auth.example", "https://api.example", "wss://chat.example/ws"
	want.Users, want.Concurrency, want.Messages, want.Seed = 20, 4, 2, 424242
	want.LabelFilter, want.MinCompletion = "isolation", 99.5
	want.Timeout, want.Ramp, want.Duration = Duration(10*time.Minute), Duration(1500*time.Millisecond), Duration(time.Minute)
	want.UserMode, want.Origin, want.Shard, want.Shards = "bypass", "https://app.example", "1/2", []string{"0/2", "1/2"}
	if !reflect.DeepEqual(r.Spec, want) {
		t.Errorf("spec\n%+v\nwant\n%+v", r.Spec, want)
	}
	if r.SchemaVersion != SchemaVersion || r.Verdict != VerdictFailed || r.Target.Kind != "remote" ||
		r.Completion.Rate != 97.5 || len(r.Findings) != 1 || r.Findings[0].Kind != KindIsolationLeak ||
		r.FindingsByKind[KindIsolationLeak] != 1 || r.Specs[0].State != StateFailed {
		t.Errorf("report %+v", r)
	}
	if err := r.Spec.Validate(); err != nil {
		t.Errorf("a version 1 remote report's spec does not validate: %v", err)
	}
}

func TestReadJSONVersion1Local(t *testing.T) {
	// A local run's URLs were the embedded services': not settings. A key
	// the config lacks keeps its default.
	r, err := ReadJSON([]byte(`{"schema_version": 1, "verdict": "failed",
		"target": {"kind": "local", "auth_url": "http://127.0.0.1:40001", "faults": ["drop-events"]},
		"config": {"users": 3, "messages": 1, "seed": 7}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := r.Spec
	if s.Target != "local" || s.AuthURL != "" || s.Users != 3 || s.Messages != 1 || s.Seed != 7 ||
		s.Timeout != Duration(10*time.Minute) || s.MinCompletion != 100 || !reflect.DeepEqual(s.Faults, []string{"drop-events"}) {
		t.Errorf("spec %+v", s)
	}
	if r.Target.AuthURL != "http://127.0.0.1:40001" {
		t.Errorf("target %+v", r.Target)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("spec does not validate: %v", err)
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"newer", `{"schema_version": 4, "spec": {}}`, "schema_version 4 is newer than this gpcheck reads (3)"},
		{"negative", `{"schema_version": -1}`, "bad schema_version"},
		{"not json", `{"schema_version": 2,`, "read report"},
		{"bad duration", `{"schema_version": 2, "spec": {"timeout": "soon"}}`, `"soon" is not a duration`},
		{"bad v1 config", `{"schema_version": 1, "config": {"users": "many"}}`, "config"},
	}
	for _, tt := range tests {
		if _, err := ReadJSON([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestDurationText(t *testing.T) {
	var s struct {
		D Duration `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d": " 1m30s "}`), &s); err != nil || s.D != Duration(90*time.Second) {
		t.Fatalf("%v, %v", s.D, err)
	}
	b, _ := json.Marshal(s)
	if string(b) != `{"d":"1m30s"}` {
		t.Errorf("%s", b)
	}
}
