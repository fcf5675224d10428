package check

import (
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness/flow"
)

// TestCompletionKeepsHistograms: each stage that timed anything carries a
// histogram of exactly its timings, whose percentiles are within one
// bucket of the exact ones the stage reports; a stage that timed nothing
// has none.
func TestCompletionKeepsHistograms(t *testing.T) {
	var rs []*flow.Result
	for i := 0; i < 40; i++ {
		r := user(i)
		r.LoginTime = time.Duration(1000+i*37) * time.Microsecond
		r.Messages[0].Timings.Set(flow.StageStream, time.Duration(20000+i*i*53)*time.Microsecond)
		rs = append(rs, r)
	}
	_, stages, _ := Completion(outcome(rs...), 100)
	for _, s := range stages {
		switch s.Name {
		case string(flow.StageLogin), string(flow.StageStream):
			if s.Histogram == nil || s.Histogram.Count != 40 {
				t.Fatalf("%s: histogram %+v, want 40 timings", s.Name, s.Histogram)
			}
			h50, h90, h99 := s.Histogram.Percentiles()
			for _, p := range []struct{ exact, hist float64 }{{s.P50MS, h50}, {s.P90MS, h90}, {s.P99MS, h99}} {
				if p.hist < p.exact || p.hist > p.exact*1.0625+0.001 {
					t.Errorf("%s: histogram percentile %v ms, exact %v ms: more than one bucket apart", s.Name, p.hist, p.exact)
				}
			}
		default:
			if s.Histogram != nil {
				t.Errorf("%s timed nothing but has a histogram: %+v", s.Name, s.Histogram)
			}
		}
	}
}
