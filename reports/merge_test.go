package reports

import (
	"strings"
	"testing"
)

func shard(s string, attempted, completed int, verdict Verdict, findings ...Finding) *Report {
	state := StateFailed
	if verdict == VerdictPassed {
		state = StatePassed
	}
	return &Report{
		Verdict:    verdict,
		Target:     SUT{Kind: "local"},
		Spec:       RunSpec{Seed: 9, Users: 10, Messages: 1, Shard: s},
		Completion: Completion{Attempted: attempted, Completed: completed, Rate: FloorRate(completed, attempted), Target: 100},
		Stages:     []Stage{{Name: "login", Attempted: attempted, Failed: attempted - completed, P50MS: float64(attempted)}},
		Specs:      []SpecReport{{Name: "golden", State: state, Findings: len(findings)}},
		Findings:   findings,
	}
}

func TestMergeSumsShards(t *testing.T) {
	a := shard("0/2", 5, 5, VerdictPassed)
	b := shard("1/2", 5, 4, VerdictFailed, Finding{ID: "F0001", Kind: KindStageFailure})
	m, err := Merge([]*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Completion.Attempted != 10 || m.Completion.Completed != 9 || m.Completion.Rate != 90 {
		t.Errorf("completion = %+v", m.Completion)
	}
	if m.Verdict != VerdictFailed || m.Specs[0].State != StateFailed || m.Specs[0].Findings != 1 {
		t.Errorf("verdict %s, spec %+v", m.Verdict, m.Specs[0])
	}
	if m.Stages[0].Attempted != 10 || m.Stages[0].Failed != 1 || m.Stages[0].P50MS != 5 {
		t.Errorf("stage = %+v", m.Stages[0])
	}
	if len(m.Findings) != 1 || m.Findings[0].ID != "S1-F0001" || m.FindingsByKind[KindStageFailure] != 1 {
		t.Errorf("findings = %+v", m.Findings)
	}
	if strings.Join(m.Spec.Shards, ",") != "0/2,1/2" || m.Spec.Shard != "" {
		t.Errorf("shards = %v %q", m.Spec.Shards, m.Spec.Shard)
	}
	if m.SchemaVersion != SchemaVersion {
		t.Errorf("schema_version %d", m.SchemaVersion)
	}
}

func TestMergeVerdicts(t *testing.T) {
	tests := []struct {
		name string
		a, b *Report
		want Verdict
	}{
		{"both passed", shard("0/2", 5, 5, VerdictPassed), shard("1/2", 5, 5, VerdictPassed), VerdictPassed},
		{"one interrupted", shard("0/2", 5, 5, VerdictPassed), shard("1/2", 5, 5, VerdictInterrupted), VerdictInterrupted},
		{"one error", shard("0/2", 5, 5, VerdictError), shard("1/2", 5, 5, VerdictPassed), VerdictError},
		{"below target, no finding", shard("0/2", 5, 5, VerdictPassed), shard("1/2", 5, 4, VerdictPassed), VerdictFailed},
	}
	for _, tt := range tests {
		m, err := Merge([]*Report{tt.a, tt.b})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if m.Verdict != tt.want {
			t.Errorf("%s: verdict %s, want %s", tt.name, m.Verdict, tt.want)
		}
	}
}

func TestMergeRefusesMismatches(t *testing.T) {
	other := shard("1/2", 5, 5, VerdictPassed)
	other.Spec.Seed = 10
	unsharded := shard("", 5, 5, VerdictPassed)
	tests := []struct {
		name string
		in   []*Report
		want string
	}{
		{"none", nil, "no reports"},
		{"other seed", []*Report{shard("0/2", 5, 5, VerdictPassed), other}, "another run"},
		{"twice", []*Report{shard("0/2", 5, 5, VerdictPassed), shard("0/2", 5, 5, VerdictPassed)}, "given twice"},
		{"not a shard", []*Report{unsharded}, "not a shard"},
		{"missing", []*Report{shard("0/3", 5, 5, VerdictPassed), shard("2/3", 5, 5, VerdictPassed)}, "[1/3] are missing"},
		{"other count", []*Report{shard("0/2", 5, 5, VerdictPassed), shard("1/3", 5, 5, VerdictPassed)}, "the others are of 2 shards"},
		{"bad shard", []*Report{shard("2/2", 5, 5, VerdictPassed)}, "want i/n"},
	}
	for _, tt := range tests {
		if _, err := Merge(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}
