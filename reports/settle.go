package reports

import (
	"fmt"
	"math"
)

// Settle numbers r's findings (F0001, F0002, … where a finding has no id
// yet), counts them by kind and decides r's verdict. It is the one place
// the verdict rules live; a run and a merge of shards both end with it.
//
// The rules: error stays error. A spec cut short (interrupted, aborted,
// timed out), or a verdict already set to interrupted, makes the run
// interrupted. Otherwise the run failed when any spec failed or holds a
// finding, when there is any finding at all, or when the golden path ran
// and its completion is below the target (or is not a number); else it
// passed.
func (r *Report) Settle() {
	r.FindingsByKind = map[Kind]int{}
	if r.Findings == nil {
		r.Findings = []Finding{} // an empty list, never null
	}
	for i := range r.Findings {
		if r.Findings[i].ID == "" {
			r.Findings[i].ID = fmt.Sprintf("F%04d", i+1)
		}
		r.FindingsByKind[r.Findings[i].Kind]++
	}
	if r.Verdict == VerdictError {
		return
	}
	cutShort := r.Verdict == VerdictInterrupted
	failed := len(r.Findings) > 0
	for _, s := range r.Specs {
		cutShort = cutShort || s.State.CutShort()
		failed = failed || s.Failed()
	}
	c := r.Completion
	if c.Attempted > 0 && (math.IsNaN(c.Rate) || math.IsNaN(c.Target) || c.Rate < c.Target) {
		failed = true
	}
	switch {
	case cutShort:
		r.Verdict = VerdictInterrupted
	case failed:
		r.Verdict = VerdictFailed
	default:
		r.Verdict = VerdictPassed
	}
}

// FloorRate is completed/attempted in percent, floored to two decimals so
// that it is never 100 while anything failed.
func FloorRate(completed, attempted int) float64 {
	if attempted == 0 {
		return 0
	}
	return math.Floor(float64(completed)*10000/float64(attempted)) / 100
}
