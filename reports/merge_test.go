package reports

import (
	"strings"
	"testing"
)

func shard(s string, attempted, completed int, verdict string, findings ...Finding) *Report {
	return &Report{
		Verdict:    verdict,
		Target:     Target{Kind: "local"},
		Config:     Config{Seed: 9, Users: 10, Messages: 1, Shard: s},
		Completion: Completion{Attempted: attempted, Completed: completed, Rate: floorRate(completed, attempted), Target: 100},
		Stages:     []Stage{{Name: "login", Attempted: attempted, Failed: attempted - completed, P50MS: float64(attempted)}},
		Specs:      []Spec{{Name: "golden", State: map[bool]string{true: "passed", false: "failed"}[verdict == "passed"], Findings: len(findings)}},
		Findings:   findings,
	}
}

func TestMergeSumsShards(t *testing.T) {
	a := shard("0/2", 5, 5, "passed")
	b := shard("1/2", 5, 4, "failed", Finding{ID: "F0001", Kind: KindStageFailure})
	m, err := Merge([]*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Completion.Attempted != 10 || m.Completion.Completed != 9 || m.Completion.Rate != 90 {
		t.Errorf("completion = %+v", m.Completion)
	}
	if m.Verdict != "failed" || m.Specs[0].State != "failed" || m.Specs[0].Findings != 1 {
		t.Errorf("verdict %s, spec %+v", m.Verdict, m.Specs[0])
	}
	if m.Stages[0].Attempted != 10 || m.Stages[0].Failed != 1 || m.Stages[0].P50MS != 5 {
		t.Errorf("stage = %+v", m.Stages[0])
	}
	if len(m.Findings) != 1 || m.Findings[0].ID != "S1-F0001" || m.FindingsByKind[KindStageFailure] != 1 {
		t.Errorf("findings = %+v", m.Findings)
	}
	if strings.Join(m.Config.Shards, ",") != "0/2,1/2" || m.Config.Shard != "" {
		t.Errorf("shards = %v %q", m.Config.Shards, m.Config.Shard)
	}
}

func TestMergeRefusesMismatches(t *testing.T) {
	other := shard("1/2", 5, 5, "passed")
	other.Config.Seed = 10
	unsharded := shard("", 5, 5, "passed")
	tests := []struct {
		name string
		in   []*Report
		want string
	}{
		{"none", nil, "no reports"},
		{"other seed", []*Report{shard("0/2", 5, 5, "passed"), other}, "another run"},
		{"twice", []*Report{shard("0/2", 5, 5, "passed"), shard("0/2", 5, 5, "passed")}, "given twice"},
		{"not a shard", []*Report{unsharded}, "not a shard"},
	}
	for _, tt := range tests {
		if _, err := Merge(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}
