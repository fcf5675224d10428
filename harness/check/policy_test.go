package check

import (
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness/tokens"
	"github.com/gpcheck/gpcheck/reports"
)

// TestPolicyIsNotTheContract: where the standards allow two behaviours,
// the verdict the auth service must give comes from the declared policy;
// undeclared, only agreement across paths is judged and the service's
// choice is advisory.
func TestPolicyIsNotTheContract(t *testing.T) {
	var leeway, dup tokens.Case
	for _, c := range tokens.Corpus() {
		switch c.Policy {
		case tokens.PolicyLeeway:
			leeway = c
		case tokens.PolicyDuplicateClaims:
			dup = c
		}
	}
	if leeway.ID == "" || dup.ID == "" {
		t.Fatal("the corpus has no leeway or duplicate-claims case")
	}
	zero, thirty := time.Duration(0), 30*time.Second
	all := func(c Cell) map[string]Cell {
		m := map[string]Cell{}
		for _, p := range MatrixPaths() {
			m[p] = c
		}
		return m
	}
	tests := []struct {
		name   string
		c      tokens.Case
		cells  map[string]Cell
		policy tokens.Policy
		want   []reports.Severity // severities of the findings, in order
	}{
		{"zero leeway, undeclared: an observation", leeway, all(rejected("token_expired")), tokens.Policy{}, []reports.Severity{reports.SeverityAdvisory}},
		{"zero leeway, declared zero", leeway, all(rejected("token_expired")), tokens.Policy{Leeway: &zero}, nil},
		{"zero leeway, declared 30 s", leeway, all(rejected("token_expired")), tokens.Policy{Leeway: &thirty}, []reports.Severity{reports.SeverityMedium}},
		{"30 s leeway, declared 30 s", leeway, all(Cell{Accept: true, User: "A"}), tokens.Policy{Leeway: &thirty}, nil},
		{"last duplicate wins, declared last", dup, all(Cell{Accept: true, User: "B"}), tokens.Policy{DuplicateClaims: "last"}, nil},
		{"last duplicate wins, undeclared", dup, all(Cell{Accept: true, User: "B"}), tokens.Policy{}, []reports.Severity{reports.SeverityAdvisory}},
		{"last duplicate wins, declared reject", dup, all(Cell{Accept: true, User: "B"}), tokens.Policy{DuplicateClaims: "reject"}, []reports.Severity{reports.SeverityCritical}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := judgeRow(tt.c, tt.cells, "A", "B", tt.policy)
			var got []reports.Severity
			for _, f := range fs {
				got = append(got, f.Severity)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings %+v, want severities %v", fs, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("finding %d: %s, want %s (%s)", i, got[i], tt.want[i], fs[i].Detail)
				}
			}
		})
	}
	// A path that disagrees with the auth service is a violation whatever
	// the policy says.
	cells := all(rejected("token_expired"))
	cells[PathProfile] = Cell{Accept: true, User: "A"}
	fs := judgeRow(leeway, cells, "A", "B", tokens.Policy{})
	found := false
	for _, f := range fs {
		found = found || f.Path == PathProfile && f.Kind == reports.KindTokenVerdict && f.Severity != reports.SeverityAdvisory
	}
	if !found {
		t.Errorf("a path disagreeing with the auth service was not a violation: %+v", fs)
	}
}
