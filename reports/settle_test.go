package reports

import (
	"math"
	"testing"
)

func TestSettle(t *testing.T) {
	tests := []struct {
		name       string
		verdict    Verdict
		states     []State
		findings   int
		completion Completion
		want       Verdict
	}{
		{"clean", "", []State{StatePassed, StateSkipped, StatePending}, 0, Completion{Attempted: 4, Completed: 4, Rate: 100, Target: 100}, VerdictPassed},
		{"finding", "", []State{StatePassed}, 1, Completion{}, VerdictFailed},
		{"failed spec", "", []State{StatePassed, StatePanicked}, 0, Completion{}, VerdictFailed},
		{"below target", "", nil, 0, Completion{Attempted: 4, Completed: 3, Rate: 75, Target: 80}, VerdictFailed},
		{"rate not a number", "", nil, 0, Completion{Attempted: 4, Rate: math.NaN(), Target: 80}, VerdictFailed},
		{"nothing attempted", "", nil, 0, Completion{Target: 100}, VerdictPassed},
		{"spec cut short", "", []State{StateFailed, StateTimedout}, 2, Completion{}, VerdictInterrupted},
		{"interrupted stays", VerdictInterrupted, []State{StatePassed}, 0, Completion{}, VerdictInterrupted},
		{"error stays", VerdictError, []State{StateFailed}, 3, Completion{}, VerdictError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Verdict: tt.verdict, Completion: tt.completion}
			for _, s := range tt.states {
				r.Specs = append(r.Specs, SpecReport{Name: string(s), State: s})
			}
			for range tt.findings {
				r.Findings = append(r.Findings, Finding{Kind: KindIDOR})
			}
			r.Settle()
			if r.Verdict != tt.want {
				t.Errorf("verdict %s, want %s", r.Verdict, tt.want)
			}
			if r.Findings == nil || r.FindingsByKind == nil || r.FindingsByKind[KindIDOR] != tt.findings {
				t.Errorf("findings %v by kind %v", r.Findings, r.FindingsByKind)
			}
			for i, f := range r.Findings {
				if want := []string{"F0001", "F0002", "F0003"}[i]; f.ID != want {
					t.Errorf("finding %d has id %q, want %q", i, f.ID, want)
				}
			}
		})
	}
}

func TestSettleKeepsIDs(t *testing.T) {
	r := &Report{Findings: []Finding{{ID: "S1-F0001", Kind: KindIDOR}, {Kind: KindIDOR}}}
	r.Settle()
	if r.Findings[0].ID != "S1-F0001" || r.Findings[1].ID != "F0002" {
		t.Errorf("ids %q, %q", r.Findings[0].ID, r.Findings[1].ID)
	}
}

func TestFloorRate(t *testing.T) {
	tests := []struct {
		completed, attempted int
		want                 float64
	}{{0, 0, 0}, {1, 1, 100}, {19999, 20000, 99.99}, {199999, 200000, 99.99}, {1, 3, 33.33}, {37, 40, 92.5}}
	for _, tt := range tests {
		if got := FloorRate(tt.completed, tt.attempted); got != tt.want {
			t.Errorf("FloorRate(%d, %d) = %v, want %v", tt.completed, tt.attempted, got, tt.want)
		}
	}
}

// TestSettleSeverityAndInconclusive: findings fail a run only at or above
// FailOn; inconclusive checks are moved apart and make a run without
// violations inconclusive, never passed.
func TestSettleSeverityAndInconclusive(t *testing.T) {
	spec := SpecReport{Name: "s", State: StateFailed}
	advisory := Finding{Kind: KindTokenVerdict, Severity: SeverityAdvisory, Spec: "s"}
	leak := Finding{Kind: KindIsolationLeak, Spec: "s"}
	unsure := Finding{Kind: KindInconclusive, Spec: "s", Detail: "HTTP 404"}
	tests := []struct {
		name     string
		failOn   Severity
		findings []Finding
		state    State
		want     Verdict
	}{
		{"nothing", "", nil, StatePassed, VerdictPassed},
		{"a critical finding", "", []Finding{leak}, StateFailed, VerdictFailed},
		{"an advisory alone", "", []Finding{advisory}, StateFailed, VerdictPassed},
		{"an advisory with --fail-on advisory", SeverityAdvisory, []Finding{advisory}, StateFailed, VerdictFailed},
		{"a critical finding with --fail-on critical", SeverityCritical, []Finding{leak}, StateFailed, VerdictFailed},
		{"a medium finding with --fail-on high", SeverityHigh, []Finding{{Kind: KindStageFailure, Spec: "s"}}, StateFailed, VerdictPassed},
		{"inconclusive alone", "", []Finding{unsure}, StatePassed, VerdictInconclusive},
		{"inconclusive and a violation", "", []Finding{unsure, leak}, StateFailed, VerdictFailed},
		{"a spec failed without findings", "", nil, StateFailed, VerdictFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := spec
			sp.State = tt.state
			r := &Report{Spec: RunSpec{FailOn: tt.failOn}, Specs: []SpecReport{sp}, Findings: append([]Finding(nil), tt.findings...)}
			r.Settle()
			if r.Verdict != tt.want {
				t.Errorf("verdict %s, want %s", r.Verdict, tt.want)
			}
			for _, f := range r.Findings {
				if f.Kind == KindInconclusive || f.Severity == "" {
					t.Errorf("finding %+v: inconclusive left among findings, or no severity", f)
				}
			}
			for _, f := range r.Inconclusive {
				if f.Kind != KindInconclusive || f.ID == "" || f.ID[0] != 'I' {
					t.Errorf("inconclusive %+v", f)
				}
			}
		})
	}
}
