package reports

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Merge combines the reports of the shards of one sharded run into one
// report. Counts (flows attempted and completed, stage attempts and
// failures, findings) are exact sums; a stage's percentiles are the
// largest of the shards', an upper bound, since shards keep no raw
// latencies. A spec failed when it failed in any shard. The shards must
// share seed, users, messages and target kind, and not repeat a shard.
func Merge(shards []*Report) (*Report, error) {
	if len(shards) == 0 {
		return nil, errors.New("merge: no reports")
	}
	first := shards[0]
	out := &Report{
		SchemaVersion:  SchemaVersion,
		Tool:           first.Tool,
		StartedAt:      first.StartedAt,
		Target:         first.Target,
		Config:         first.Config,
		Completion:     Completion{Target: first.Completion.Target},
		FindingsByKind: map[string]int{},
		Findings:       []Finding{},
	}
	out.Config.Shard = ""
	seen := map[string]bool{}
	stages := map[string]*Stage{}
	var stageOrder []string
	specs := map[string]*Spec{}
	var specOrder []string
	var end time.Time
	verdict := "passed"
	for i, r := range shards {
		c := r.Config
		switch {
		case c.Seed != first.Config.Seed || c.Users != first.Config.Users || c.Messages != first.Config.Messages:
			return nil, fmt.Errorf("merge: report %d is of another run (seed %d, %d users, %d messages; want seed %d, %d users, %d messages)",
				i+1, c.Seed, c.Users, c.Messages, first.Config.Seed, first.Config.Users, first.Config.Messages)
		case r.Target.Kind != first.Target.Kind:
			return nil, fmt.Errorf("merge: report %d targets %q, the first %q", i+1, r.Target.Kind, first.Target.Kind)
		case c.Shard == "":
			return nil, fmt.Errorf("merge: report %d is not a shard (run with --shard i/n)", i+1)
		case seen[c.Shard]:
			return nil, fmt.Errorf("merge: shard %s given twice", c.Shard)
		}
		seen[c.Shard] = true
		out.Config.Shards = append(out.Config.Shards, c.Shard)
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		if e := r.StartedAt.Add(time.Duration(r.DurationMS) * time.Millisecond); e.After(end) {
			end = e
		}
		out.Completion.Attempted += r.Completion.Attempted
		out.Completion.Completed += r.Completion.Completed
		for _, s := range r.Stages {
			m := stages[s.Name]
			if m == nil {
				m = &Stage{Name: s.Name}
				stages[s.Name] = m
				stageOrder = append(stageOrder, s.Name)
			}
			m.Attempted += s.Attempted
			m.Failed += s.Failed
			m.P50MS, m.P90MS, m.P99MS = math.Max(m.P50MS, s.P50MS), math.Max(m.P90MS, s.P90MS), math.Max(m.P99MS, s.P99MS)
		}
		for _, s := range r.Specs {
			m := specs[s.Name]
			if m == nil {
				cp := s
				specs[s.Name] = &cp
				specOrder = append(specOrder, s.Name)
				continue
			}
			m.Findings += s.Findings
			m.DurationMS = max(m.DurationMS, s.DurationMS)
			if m.State == "passed" && s.State != "passed" || m.State == "skipped" && s.State != "skipped" {
				m.State, m.Failure = s.State, s.Failure
			}
		}
		for _, f := range r.Findings {
			f.ID = fmt.Sprintf("S%s-%s", shardIndex(c.Shard), f.ID)
			out.Findings = append(out.Findings, f)
			out.FindingsByKind[f.Kind]++
		}
		switch {
		case r.Verdict == "interrupted" || r.Verdict == "error":
			verdict = r.Verdict
		case r.Verdict == "failed" && verdict == "passed":
			verdict = "failed"
		}
		if out.TokenMatrix == nil {
			out.TokenMatrix = r.TokenMatrix
		}
		if out.Probes == nil {
			out.Probes = r.Probes // every shard runs the same probe specs
		}
	}
	sort.Strings(out.Config.Shards)
	for _, n := range stageOrder {
		out.Stages = append(out.Stages, *stages[n])
	}
	for _, n := range specOrder {
		out.Specs = append(out.Specs, *specs[n])
	}
	out.DurationMS = end.Sub(out.StartedAt).Milliseconds()
	out.Completion.Rate = floorRate(out.Completion.Completed, out.Completion.Attempted)
	if verdict == "passed" && out.Completion.Rate < out.Completion.Target {
		verdict = "failed"
	}
	out.Verdict = verdict
	return out, nil
}

func shardIndex(shard string) string {
	for i := 0; i < len(shard); i++ {
		if shard[i] == '/' {
			return shard[:i]
		}
	}
	return shard
}

// floorRate is completed/attempted in percent, floored to two decimals.
func floorRate(completed, attempted int) float64 {
	if attempted == 0 {
		return 0
	}
	return math.Floor(float64(completed)*10000/float64(attempted)) / 100
}
