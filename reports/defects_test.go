package reports

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"message 0 (request req-3f2a-u0003-m0): no tool_completed within 30s", "message # (request ‹request›): no tool_completed within #s"},
		{"message 1 (request req-2): no agent_completed within 30s", "message # (request ‹request›): no agent_completed within #s"},
		{"the answer to request req-1 lacks the user's own canary gpc-ab12-u0001-m0-0badf00d", "the answer to request ‹request› lacks the user's own canary ‹canary›"},
		{`first frame is "pong", want connection_established`, `first frame is "…", want connection_established`},
		{"user 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b on run_0123456789abcdef", "user ‹id› on ‹id›"},
		{"received u0007 (0190…)'s data", "received ‹user›'s data"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// leakFindings is n users all receiving each other's events, as a
// gateway that routes by a shared id prefix makes them: n×(n-1)
// isolation findings.
func leakFindings(n int) []Finding {
	var out []Finding
	for r := 0; r < n; r++ {
		for o := 0; o < n; o++ {
			if o == r {
				continue
			}
			out = append(out, Finding{Kind: KindIsolationLeak, Spec: "isolation", VUser: fmt.Sprintf("u%04d", r),
				User: fmt.Sprintf("u%04d (id-%d)", r, r), Others: []string{fmt.Sprintf("u%04d", o)}, Count: 5,
				Group:  "another user's events over the WebSocket",
				Detail: fmt.Sprintf("received u%04d's data (canary, run_id) 5 time(s)", o), Evidence: []string{"x"},
				At: time.Date(2026, 1, 1, 0, 0, r, 0, time.UTC)})
		}
	}
	return out
}

func TestDefectsGroupABroadcast(t *testing.T) {
	r := &Report{Verdict: VerdictPassed, Findings: append(leakFindings(30),
		Finding{Kind: KindStageFailure, Spec: "golden", Stage: "stream", VUser: "u0001", Detail: "message 0 (request req-1): no tool_completed within 30s"},
		Finding{Kind: KindStageFailure, Spec: "golden", Stage: "stream", VUser: "u0002", Detail: "message 0 (request req-x-u0002-m0): no tool_completed within 30s"},
		Finding{Kind: KindStageFailure, Spec: "golden", Stage: "history", VUser: "u0002", Detail: "history lacks the answer"},
	)}
	r.Settle()
	if len(r.Defects) != 3 {
		t.Fatalf("%d defects, want 3: %+v", len(r.Defects), r.Defects)
	}
	d := r.Defects[0]
	if d.ID != "D1" || d.Kind != KindIsolationLeak || d.Count != 870 || len(d.Users) != 30 || len(d.Leaks) != 870 || d.Shape != "broadcast" {
		t.Errorf("the leak: id %s kind %s count %d users %d leaks %d shape %q", d.ID, d.Kind, d.Count, len(d.Users), len(d.Leaks), d.Shape)
	}
	if d.FirstSeen == nil || d.LastSeen == nil || d.LastSeen.Sub(*d.FirstSeen) != 29*time.Second {
		t.Errorf("first/last seen %v %v", d.FirstSeen, d.LastSeen)
	}
	if d.Leaks[0].Count != 5 {
		t.Errorf("a cell counts %d, want the finding's 5 times", d.Leaks[0].Count)
	}
	if s := r.Defects[1]; s.Count != 2 || s.Stage != "stream" || s.Severity != SeverityMedium {
		t.Errorf("the two stream failures with different request ids are not one defect: %+v", s)
	}
	for _, f := range r.Findings {
		if f.Defect == "" {
			t.Fatalf("finding %s has no defect", f.ID)
		}
	}
	if got, ok := r.DefectByID("D2"); !ok || got.Stage != "stream" {
		t.Errorf("DefectByID(D2) = %+v, %v", got, ok)
	}
}

func TestLeakShape(t *testing.T) {
	l := func(pairs ...string) []Leak {
		var out []Leak
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, Leak{Owner: pairs[i], Receiver: pairs[i+1], Count: 1})
		}
		return out
	}
	tests := []struct {
		name  string
		leaks []Leak
		want  string
	}{
		{"none", nil, ""},
		{"one stray frame", l("a", "b"), "one stray"},
		{"pairwise collision", l("a", "b", "b", "a", "c", "d", "d", "c"), "pairwise"},
		{"broadcast", l("a", "b", "a", "c", "b", "a", "b", "c", "c", "a", "c", "b"), "broadcast"},
		{"one owner to many", l("a", "b", "a", "c", "a", "d"), "scattered"},
	}
	for _, tt := range tests {
		if got := LeakShape(tt.leaks); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDefectsSurviveMerge(t *testing.T) {
	a := &Report{Verdict: VerdictFailed, Spec: RunSpec{Shard: "0/2"}, Findings: leakFindings(3)[:3]}
	b := &Report{Verdict: VerdictFailed, Spec: RunSpec{Shard: "1/2"}, Findings: leakFindings(3)[3:]}
	a.Settle()
	b.Settle()
	m, err := Merge([]*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Defects) != 1 || m.Defects[0].Count != 6 || m.Defects[0].Shape != "broadcast" {
		t.Fatalf("merged defects %+v", m.Defects)
	}
	var ids []string
	for _, f := range m.Findings {
		ids = append(ids, f.ID)
	}
	if !reflect.DeepEqual(ids, m.Defects[0].Findings) {
		t.Errorf("defect lists %v, findings are %v", m.Defects[0].Findings, ids)
	}
}
