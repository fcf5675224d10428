// Package check judges what virtual users saw. Each check turns recorded
// flows, or probes of its own, into findings; none of them trusts the
// system under test's own account of itself.
package check

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/reports"
)

// Completion tallies the counted users' flows (one per message) against
// target, in percent, and returns a finding per failed flow, attributed to
// the first stage that did not hold: a protocol_violation when the flow
// failed because the gateway exceeded one of gpcheck's budgets (frames
// without end, an oversized frame), naming the budget and by how much, and
// a stage_failure otherwise. Either way the flow counts as failed. Each
// stage's percentiles are exact up to 16,384 latencies folded per stage
// (see load.Folded), and within one histogram bucket beyond; its latency
// histogram goes with them, so that shards' stages merge.
func Completion(out *load.Outcome, target float64) (reports.Completion, []reports.Stage, []reports.Finding) {
	c := reports.Completion{Target: target}
	lat := map[flow.Stage][]time.Duration{}
	attempted := map[flow.Stage]int{}
	failed := map[flow.Stage]int{}
	var findings []reports.Finding
	for _, r := range out.Users {
		if r == nil {
			continue
		}
		if r.LoginTime > 0 {
			lat[flow.StageLogin] = append(lat[flow.StageLogin], r.LoginTime)
		}
		if r.ConnectTime > 0 {
			lat[flow.StageConnect] = append(lat[flow.StageConnect], r.ConnectTime)
		}
		// Completed messages folded out of the result (load.Folded):
		// each attempted every stage and failed none.
		c.Attempted += r.Folded
		c.Completed += r.Folded
		for _, st := range flow.Stages() {
			attempted[st] += r.Folded
		}
		for _, m := range r.Messages {
			if m.Dropped {
				continue // dropped on purpose mid-stream (churn): nothing to complete
			}
			c.Attempted++
			for _, st := range flow.Stages() {
				attempted[st]++
				if d, ok := m.Timings.Get(st); ok {
					lat[st] = append(lat[st], d)
				}
				if m.Failure != nil && m.Failure.Stage == st {
					failed[st]++
					break
				}
			}
			if m.Completed() {
				c.Completed++
				continue
			}
			kind := reports.KindStageFailure
			if m.Failure.Protocol() {
				kind = reports.KindProtocol
			}
			findings = append(findings, reports.Finding{
				Kind:     kind,
				User:     userLabel(r),
				VUser:    r.Plan.Label(),
				Stage:    string(m.Failure.Stage),
				Detail:   fmt.Sprintf("message %d (request %s): %s", m.Index, m.RequestID, m.Failure.Cause),
				Evidence: messageTranscript(r, m),
				At:       m.Failure.At,
			})
		}
	}
	c.Rate = reports.FloorRate(c.Completed, c.Attempted)
	var stages []reports.Stage
	for _, st := range flow.Stages() {
		s := reports.Stage{Name: string(st), Attempted: attempted[st], Failed: failed[st]}
		exact, rest := out.Folded.Latencies(st)
		ds := append(lat[st], exact...)
		// Kept too, so that shards' latencies merge (reports.Merge).
		s.Histogram = reports.NewHistogram(ds).Add(rest)
		if rest == nil {
			s.P50MS, s.P90MS, s.P99MS = percentiles(ds)
		} else {
			s.P50MS, s.P90MS, s.P99MS = s.Histogram.Percentiles()
		}
		stages = append(stages, s)
	}
	return c, stages, findings
}

func percentiles(ds []time.Duration) (p50, p90, p99 float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		if i < 0 {
			i = 0
		}
		return float64(ds[i].Microseconds()) / 1000
	}
	return at(0.50), at(0.90), at(0.99)
}

// userLabel names a user in findings by index and id, never by token.
func userLabel(r *flow.Result) string {
	if r.UserID == "" {
		return r.Plan.Label()
	}
	return r.Plan.Label() + " (" + r.UserID + ")"
}
