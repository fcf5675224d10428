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
// failures, findings) are exact sums. A stage's latency histograms are
// added bucket by bucket and its percentiles are those of the sum: what
// one histogram of every shard's latencies gives (within one bucket of
// the exact percentiles). When a shard's report has no histogram for a
// stage it timed (written before histograms), that stage's percentiles
// are the largest of the shards', an upper bound. Every finding keeps the
// shard that reported it (Finding.Shard), and the shards' heartbeats are
// kept, each naming its shard. A spec failed when it failed in any
// shard. The shards must share seed, users, messages and target kind, and
// together be every shard i/n of one n exactly once: a missing shard is
// an error, never a smaller passing run.
func Merge(shards []*Report) (*Report, error) {
	if len(shards) == 0 {
		return nil, errors.New("merge: no reports")
	}
	first := shards[0]
	out := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          first.Tool,
		Tracing:       first.Tracing,
		StartedAt:     first.StartedAt,
		Target:        first.Target,
		Spec:          first.Spec,
		Completion:    Completion{Target: first.Completion.Target},
		Findings:      []Finding{},
	}
	out.Spec.Shard = ""
	total := -1
	seen := map[string]bool{}
	stages := map[string]*Stage{}
	exact := map[string]bool{} // stages whose every timing shard has a histogram
	var stageOrder []string
	specs := map[string]*SpecReport{}
	var specOrder []string
	var end time.Time
	var verdict Verdict
	for i, r := range shards {
		c := r.Spec
		switch {
		case c.Seed != first.Spec.Seed || c.Users != first.Spec.Users || c.Messages != first.Spec.Messages:
			return nil, fmt.Errorf("merge: report %d is of another run (seed %d, %d users, %d messages; want seed %d, %d users, %d messages)",
				i+1, c.Seed, c.Users, c.Messages, first.Spec.Seed, first.Spec.Users, first.Spec.Messages)
		case r.Target.Kind != first.Target.Kind:
			return nil, fmt.Errorf("merge: report %d targets %q, the first %q", i+1, r.Target.Kind, first.Target.Kind)
		case c.Shard == "":
			return nil, fmt.Errorf("merge: report %d is not a shard (run with --shard i/n)", i+1)
		case seen[c.Shard]:
			return nil, fmt.Errorf("merge: shard %s given twice", c.Shard)
		}
		idx, n, err := parseShard(c.Shard)
		switch {
		case err != nil:
			return nil, fmt.Errorf("merge: report %d: shard %q: %w", i+1, c.Shard, err)
		case total >= 0 && n != total:
			return nil, fmt.Errorf("merge: report %d is shard %d/%d, the others are of %d shards", i+1, idx, n, total)
		}
		total = n
		seen[c.Shard] = true
		out.Spec.Shards = append(out.Spec.Shards, c.Shard)
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
				exact[s.Name] = true
			}
			m.Attempted += s.Attempted
			m.Failed += s.Failed
			m.P50MS, m.P90MS, m.P99MS = math.Max(m.P50MS, s.P50MS), math.Max(m.P90MS, s.P90MS), math.Max(m.P99MS, s.P99MS)
			switch {
			case s.Histogram != nil:
				if err := s.Histogram.Check(); err != nil {
					return nil, fmt.Errorf("merge: report %d, stage %s: %w", i+1, s.Name, err)
				}
				m.Histogram = m.Histogram.Add(s.Histogram)
			case s.P50MS != 0 || s.P90MS != 0 || s.P99MS != 0:
				exact[s.Name] = false // timed, but no histogram: only the upper bound is known
			}
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
			if m.State == StatePassed && s.State != StatePassed || m.State == StateSkipped && s.State != StateSkipped {
				m.State, m.Failure = s.State, s.Failure
			}
		}
		for _, f := range r.Findings {
			f.ID = fmt.Sprintf("S%s-%s", shardIndex(c.Shard), f.ID)
			if f.Shard == "" {
				f.Shard = c.Shard
			}
			out.Findings = append(out.Findings, f)
		}
		for _, f := range r.Inconclusive {
			f.ID = fmt.Sprintf("S%s-%s", shardIndex(c.Shard), f.ID)
			if f.Shard == "" {
				f.Shard = c.Shard
			}
			out.Inconclusive = append(out.Inconclusive, f)
		}
		for _, h := range r.Heartbeats {
			h.Shard = c.Shard
			out.Heartbeats = append(out.Heartbeats, h)
		}
		if r.Verdict == VerdictInterrupted || r.Verdict == VerdictError {
			verdict = r.Verdict
			out.Error = r.Error
		}
		if out.TokenMatrix == nil {
			out.TokenMatrix = r.TokenMatrix
		}
		if out.Probes == nil {
			out.Probes = r.Probes // every shard runs the same probe specs
		}
	}
	if len(seen) != total {
		var missing []string
		for i := 0; i < total; i++ {
			if !seen[fmt.Sprintf("%d/%d", i, total)] {
				missing = append(missing, fmt.Sprintf("%d/%d", i, total))
			}
		}
		return nil, fmt.Errorf("merge: shards %v are missing; a merge needs every shard of the run", missing)
	}
	sort.Strings(out.Spec.Shards)
	for _, n := range stageOrder {
		s := stages[n]
		if exact[n] && s.Histogram != nil {
			s.P50MS, s.P90MS, s.P99MS = s.Histogram.Percentiles()
		} else {
			s.Histogram = nil // a partial histogram would understate the stage
		}
		out.Stages = append(out.Stages, *s)
	}
	sort.SliceStable(out.Heartbeats, func(i, j int) bool { return out.Heartbeats[i].At.Before(out.Heartbeats[j].At) })
	for _, n := range specOrder {
		out.Specs = append(out.Specs, *specs[n])
	}
	out.DurationMS = end.Sub(out.StartedAt).Milliseconds()
	out.Completion.Rate = FloorRate(out.Completion.Completed, out.Completion.Attempted)
	out.Verdict = verdict
	out.Settle()
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

// parseShard reads "i/n" with 0 <= i < n.
func parseShard(s string) (i, n int, err error) {
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil || fmt.Sprintf("%d/%d", i, n) != s || n < 1 || i < 0 || i >= n {
		return 0, 0, errors.New("want i/n with 0 <= i < n")
	}
	return i, n, nil
}
