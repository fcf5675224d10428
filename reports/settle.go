package reports

import (
	"fmt"
	"math"
)

// Settle moves inconclusive records out of r's findings, numbers the
// findings (F0001, …) and inconclusive checks (I0001, …) that have no id
// yet, sets each finding's default severity, counts findings by kind and
// per spec, and decides r's verdict. It is the one place the verdict
// rules live; a run and a merge of shards both end with it.
//
// The rules: error stays error. A spec cut short (interrupted, aborted,
// timed out), or a verdict already set to interrupted, makes the run
// interrupted. Otherwise the run failed when a finding is at least as
// severe as r.Spec.FailOn (medium when unset), when a spec failed for a
// reason other than findings below that, or when the golden path ran and
// its completion is below the target (or is not a number). Otherwise it is
// inconclusive when any check could not be judged, else passed.
func (r *Report) Settle() {
	failOn := r.Spec.FailOn
	if failOn == "" {
		failOn = SeverityMedium
	}
	var findings, unjudged []Finding
	for _, f := range append(r.Findings, r.Inconclusive...) {
		if f.Kind == KindInconclusive {
			unjudged = append(unjudged, f)
			continue
		}
		if f.Severity == "" {
			f.Severity = DefaultSeverity(f.Kind)
		}
		findings = append(findings, f)
	}
	r.Findings, r.Inconclusive = findings, unjudged
	r.FindingsByKind = map[Kind]int{}
	if r.Findings == nil {
		r.Findings = []Finding{} // an empty list, never null
	}
	failing := map[string]bool{} // specs with a finding at or above failOn
	perSpec := map[string]int{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.ID == "" {
			f.ID = fmt.Sprintf("F%04d", i+1)
		}
		r.FindingsByKind[f.Kind]++
		perSpec[f.Spec]++
		failing[f.Spec] = failing[f.Spec] || f.Severity.AtLeast(failOn)
	}
	r.GroupDefects()
	for i := range r.Inconclusive {
		if r.Inconclusive[i].ID == "" {
			r.Inconclusive[i].ID = fmt.Sprintf("I%04d", i+1)
		}
	}
	if r.Verdict == VerdictError {
		return
	}
	cutShort := r.Verdict == VerdictInterrupted
	failed := false
	for _, f := range r.Findings {
		failed = failed || f.Severity.AtLeast(failOn)
	}
	for _, s := range r.Specs {
		cutShort = cutShort || s.State.CutShort()
		// A spec that failed with findings fails the run only through
		// them (and their severity); one that failed with none failed for
		// another reason, which counts.
		failed = failed || s.State.Failed() && (perSpec[s.Name] == 0 || failing[s.Name])
	}
	r.Completion = r.Completion.Bounded(r.Spec.MaxFailureRate, r.Spec.Confidence)
	if c := r.Completion; c.Attempted > 0 && !c.Holds() {
		failed = true
	}
	switch {
	case cutShort:
		r.Verdict = VerdictInterrupted
	case failed:
		r.Verdict = VerdictFailed
	case len(r.Inconclusive) > 0:
		r.Verdict = VerdictInconclusive
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

// Bounded returns c with its failure-rate bound at confidence (percent;
// 0 means DefaultConfidence), when any flow was attempted, and the gate
// maxFailureRate (percent; 0 means none: the gate is Rate against Target).
func (c Completion) Bounded(maxFailureRate, confidence float64) Completion {
	if confidence == 0 {
		confidence = DefaultConfidence
	}
	c.MaxFailureRate = maxFailureRate
	if c.Attempted > 0 {
		c.Confidence = confidence
		c.FailureBound = FailureBound(c.Attempted-c.Completed, c.Attempted, confidence)
	}
	return c
}

// Holds reports whether the golden path passes: the failure-rate bound
// within MaxFailureRate when one is set (the point estimate does not
// decide then), else Rate at least Target. NaNs never hold.
func (c Completion) Holds() bool {
	if math.IsNaN(c.Rate) || math.IsNaN(c.Target) || math.IsNaN(c.FailureBound) {
		return false
	}
	if c.MaxFailureRate > 0 {
		return c.FailureBound <= c.MaxFailureRate
	}
	return c.Rate >= c.Target
}
