package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

// exactPercentile is the exact q-quantile of ds in milliseconds, by the
// rank harness/check's percentiles use (the ⌈q·n⌉-th smallest, whole
// microseconds).
func exactPercentile(ds []time.Duration, q float64) float64 {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := max(int(math.Ceil(q*float64(len(s))))-1, 0)
	return float64(s[i].Microseconds()) / 1000
}

// latencies draws n latencies spread over five orders of magnitude, as a
// stage's are (a few µs to seconds), from a fixed seed.
func latencies(n int, seed uint64) []time.Duration {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(math.Exp(r.Float64()*14)) * time.Microsecond
	}
	return out
}

func TestBucketBounds(t *testing.T) {
	tests := []struct {
		us, lo, hi int64
	}{
		{-5, 0, 1}, {0, 0, 1}, {1, 1, 2}, {31, 31, 32}, {32, 32, 34}, {33, 32, 34}, {34, 34, 36},
		{63, 62, 64}, {64, 64, 68}, {1000, 992, 1024}, {1024, 1024, 1088}, {1 << 40, 1 << 40, 1<<40 + 1<<36},
	}
	for _, tt := range tests {
		lo, hi := bucketOf(tt.us)
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("bucketOf(%d) = [%d, %d), want [%d, %d)", tt.us, lo, hi, tt.lo, tt.hi)
		}
	}
	// Every bucket is at most 1/16 of its lower bound wide, and buckets
	// tile the line: each starts where the one before ends.
	for v := int64(1); v < 1<<20; {
		lo, hi := bucketOf(v)
		if lo != v {
			t.Fatalf("bucket of %d starts at %d", v, lo)
		}
		if lo >= 32 && (hi-lo)*16 > lo {
			t.Fatalf("bucket [%d, %d) is wider than 1/16", lo, hi)
		}
		v = hi
	}
}

// TestHistogramPercentilesAreWithinOneBucketOfExact: a histogram's
// percentile is never below the exact one and never more than one bucket
// above it.
func TestHistogramPercentilesAreWithinOneBucketOfExact(t *testing.T) {
	for _, n := range []int{1, 2, 10, 99, 100, 1000, 12345} {
		ds := latencies(n, uint64(n))
		h := NewHistogram(ds)
		if err := h.Check(); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for _, q := range []float64{0.5, 0.9, 0.99} {
			exact, got := exactPercentile(ds, q), h.Quantile(q)
			lo, hi := bucketOf(int64(math.Round(exact * 1000)))
			if got < exact || got*1000 < float64(lo) || got*1000 >= float64(hi) {
				t.Errorf("n=%d q=%v: histogram %v ms, exact %v ms (bucket [%d, %d) µs)", n, q, got, exact, lo, hi)
			}
		}
	}
	if NewHistogram(nil) != nil {
		t.Error("an empty histogram is not nil")
	}
	var empty *Histogram
	if a, b, c := empty.Percentiles(); a != 0 || b != 0 || c != 0 {
		t.Errorf("nil histogram's percentiles = %v %v %v", a, b, c)
	}
}

// TestMergedHistogramsEqualTheUnshardedOne: the same latencies recorded
// whole and split across shards give, merged, the very histogram and
// percentiles of the whole — not the largest of the shards'.
func TestMergedHistogramsEqualTheUnshardedOne(t *testing.T) {
	ds := latencies(5000, 42)
	whole := NewHistogram(ds)
	for _, n := range []int{2, 3, 7} {
		parts := make([][]time.Duration, n)
		for i, d := range ds {
			parts[i%n] = append(parts[i%n], d)
		}
		var reports []*Report
		for i, p := range parts {
			s := shard(shardName(i, n), 5, 5, VerdictPassed)
			st := Stage{Name: "stream", Attempted: len(p), Histogram: NewHistogram(p)}
			st.P50MS, st.P90MS, st.P99MS = exactPercentile(p, .5), exactPercentile(p, .9), exactPercentile(p, .99)
			s.Stages = []Stage{st}
			reports = append(reports, s)
		}
		m, err := Merge(reports)
		if err != nil {
			t.Fatal(err)
		}
		got := m.Stages[0]
		w50, w90, w99 := whole.Percentiles()
		if got.P50MS != w50 || got.P90MS != w90 || got.P99MS != w99 {
			t.Errorf("%d shards: merged p50/p90/p99 %v/%v/%v, unsharded histogram's %v/%v/%v", n, got.P50MS, got.P90MS, got.P99MS, w50, w90, w99)
		}
		if got.Histogram == nil || got.Histogram.Count != whole.Count || len(got.Histogram.Buckets) != len(whole.Buckets) {
			t.Fatalf("%d shards: merged histogram %+v", n, got.Histogram)
		}
		for i, b := range whole.Buckets {
			if got.Histogram.Buckets[i] != b {
				t.Errorf("%d shards: bucket %d = %+v, want %+v", n, i, got.Histogram.Buckets[i], b)
			}
		}
		if got.Attempted != len(ds) {
			t.Errorf("%d shards: attempted %d", n, got.Attempted)
		}
	}
}

// TestMergeWithoutHistogramsKeepsTheUpperBound: a shard report written
// before histograms leaves its stage at the largest of the shards'
// percentiles, without a histogram that would understate it.
func TestMergeWithoutHistogramsKeepsTheUpperBound(t *testing.T) {
	a, b := shard("0/2", 5, 5, VerdictPassed), shard("1/2", 5, 5, VerdictPassed)
	a.Stages = []Stage{{Name: "login", Attempted: 5, P50MS: 9, P90MS: 9, P99MS: 9, Histogram: NewHistogram([]time.Duration{time.Millisecond})}}
	b.Stages = []Stage{{Name: "login", Attempted: 5, P50MS: 4, P90MS: 12, P99MS: 12}}
	m, err := Merge([]*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Stages[0]; s.P50MS != 9 || s.P99MS != 12 || s.Histogram != nil {
		t.Errorf("stage = %+v", s)
	}
}

func TestMergeRefusesBadHistograms(t *testing.T) {
	tests := []struct {
		name string
		h    Histogram
		want string
	}{
		{"other scheme", Histogram{Scheme: "linear-ms", Count: 1, Buckets: []Bucket{{1, 2, 1}}}, "scheme"},
		{"not a bucket", Histogram{Scheme: HistogramScheme, Count: 1, Buckets: []Bucket{{32, 33, 1}}}, "not a bucket"},
		{"out of order", Histogram{Scheme: HistogramScheme, Count: 2, Buckets: []Bucket{{2, 3, 1}, {1, 2, 1}}}, "out of order"},
		{"empty bucket", Histogram{Scheme: HistogramScheme, Count: 0, Buckets: []Bucket{{1, 2, 0}}}, "counts 0"},
		{"count", Histogram{Scheme: HistogramScheme, Count: 3, Buckets: []Bucket{{1, 2, 1}}}, "count 3"},
	}
	for _, tt := range tests {
		a, b := shard("0/2", 5, 5, VerdictPassed), shard("1/2", 5, 5, VerdictPassed)
		h := tt.h
		b.Stages[0].Histogram = &h
		if _, err := Merge([]*Report{a, b}); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "report 2, stage login") {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if got := h.Quantile(0.5); got < 0 {
			t.Errorf("%s: quantile %v", tt.name, got)
		}
	}
}

// TestMergeNamesShards: every merged finding names the shard that
// reported it, an isolation leak's shards stay as the check set them, and
// the shards' heartbeats are kept in time order, each naming its shard.
func TestMergeNamesShards(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	leak := Finding{ID: "F0001", Kind: KindIsolationLeak, VUser: "u0000", Others: []string{"u0001"}, Shard: "0/2", OtherShards: []string{"1/2"}}
	a := shard("0/2", 5, 5, VerdictFailed, leak)
	b := shard("1/2", 5, 4, VerdictFailed, Finding{ID: "F0001", Kind: KindStageFailure})
	a.Heartbeats = []Heartbeat{{At: t0.Add(2 * time.Second)}, {At: t0.Add(4 * time.Second)}}
	b.Heartbeats = []Heartbeat{{At: t0.Add(3 * time.Second)}}
	m, err := Merge([]*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	shards := map[string]string{}
	for _, f := range m.Findings {
		shards[f.ID] = f.Shard
	}
	if shards["S0-F0001"] != "0/2" || shards["S1-F0001"] != "1/2" {
		t.Errorf("finding shards = %v", shards)
	}
	for _, f := range m.Findings {
		if f.Kind == KindIsolationLeak && strings.Join(f.OtherShards, ",") != "1/2" {
			t.Errorf("leak's other shards = %v", f.OtherShards)
		}
	}
	var got []string
	for _, h := range m.Heartbeats {
		got = append(got, h.Shard+"@"+h.At.Sub(t0).String())
	}
	if strings.Join(got, " ") != "0/2@2s 1/2@3s 0/2@4s" {
		t.Errorf("heartbeats = %v", got)
	}
}

func shardName(i, n int) string { return fmt.Sprintf("%d/%d", i, n) }
