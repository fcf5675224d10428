package reports

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"time"
)

// HistogramScheme names the one bucket layout gpcheck writes: log-linear
// buckets over whole microseconds, 16 per power of two. A value v (µs)
// below 32 has a bucket of its own, [v, v+1); above, with e the index of
// v's highest set bit, the bucket is [m·2^(e-4), (m+1)·2^(e-4)) with
// m = v >> (e-4) (16 ≤ m < 32). Every bucket is at most 1/16 (6.25%) of
// its lower bound wide, and the bounds are whole numbers, so a reader in
// any language recomputes them exactly, and histograms of the same scheme
// add up bucket by bucket.
const HistogramScheme = "log-linear-us-16"

// subBucketBits is log2 of the buckets per power of two.
const subBucketBits = 4

// Histogram counts a stage's latencies in the buckets of Scheme. Shards'
// histograms are merged by adding counts bucket by bucket, and the
// percentiles of the sum are those of one histogram of all the shards'
// latencies: what `gpcheck report merge` gives instead of the largest of
// the shards' percentiles.
type Histogram struct {
	// Scheme is the bucket layout, HistogramScheme.
	Scheme string `json:"scheme"`
	// Count is how many latencies were counted: the sum of the buckets'.
	Count int `json:"count"`
	// Buckets are the buckets that counted anything, lowest first.
	Buckets []Bucket `json:"buckets"`
}

// Bucket is one bucket of a Histogram: the latencies in [LoUS, HiUS)
// microseconds.
type Bucket struct {
	LoUS  int64 `json:"lo_us"`
	HiUS  int64 `json:"hi_us"`
	Count int   `json:"count"`
}

// bucketOf returns the bounds of the bucket that holds v microseconds
// (negative values count as 0).
func bucketOf(v int64) (lo, hi int64) {
	if v < 1<<(subBucketBits+1) {
		v = max(v, 0)
		return v, v + 1
	}
	shift := bits.Len64(uint64(v)) - 1 - subBucketBits
	lo = v >> shift << shift
	return lo, lo + 1<<shift
}

// NewHistogram counts ds (each truncated to whole microseconds, as the
// exact percentiles are); nil when ds is empty.
func NewHistogram(ds []time.Duration) *Histogram {
	if len(ds) == 0 {
		return nil
	}
	counts := map[int64]int{}
	for _, d := range ds {
		lo, _ := bucketOf(d.Microseconds())
		counts[lo]++
	}
	h := &Histogram{Scheme: HistogramScheme, Count: len(ds)}
	for lo, n := range counts {
		_, hi := bucketOf(lo)
		h.Buckets = append(h.Buckets, Bucket{LoUS: lo, HiUS: hi, Count: n})
	}
	sort.Slice(h.Buckets, func(i, j int) bool { return h.Buckets[i].LoUS < h.Buckets[j].LoUS })
	return h
}

// Check reports the first way h is not a histogram of Scheme: another
// scheme, a bucket whose bounds are not the scheme's, buckets out of
// order or repeated, a count that is not positive or does not add up.
func (h *Histogram) Check() error {
	if h.Scheme != HistogramScheme {
		return fmt.Errorf("histogram scheme %q, want %q", h.Scheme, HistogramScheme)
	}
	sum := 0
	for i, b := range h.Buckets {
		if lo, hi := bucketOf(b.LoUS); lo != b.LoUS || hi != b.HiUS {
			return fmt.Errorf("histogram bucket [%d, %d) is not a bucket of %s", b.LoUS, b.HiUS, HistogramScheme)
		}
		if i > 0 && b.LoUS <= h.Buckets[i-1].LoUS {
			return fmt.Errorf("histogram buckets out of order at [%d, %d)", b.LoUS, b.HiUS)
		}
		if b.Count <= 0 {
			return fmt.Errorf("histogram bucket [%d, %d) counts %d", b.LoUS, b.HiUS, b.Count)
		}
		sum += b.Count
	}
	if sum != h.Count {
		return fmt.Errorf("histogram count %d, but its buckets count %d", h.Count, sum)
	}
	return nil
}

// Add returns the histogram of both h's and o's latencies; either may be
// nil. Both must be of Scheme (Check).
func (h *Histogram) Add(o *Histogram) *Histogram {
	switch {
	case h == nil && o == nil:
		return nil
	case h == nil:
		h, o = o, nil
	}
	out := &Histogram{Scheme: HistogramScheme, Count: h.Count}
	out.Buckets = append(out.Buckets, h.Buckets...)
	if o == nil {
		return out
	}
	out.Count += o.Count
	byLo := map[int64]int{}
	for i, b := range out.Buckets {
		byLo[b.LoUS] = i
	}
	for _, b := range o.Buckets {
		if i, ok := byLo[b.LoUS]; ok {
			out.Buckets[i].Count += b.Count
			continue
		}
		byLo[b.LoUS] = len(out.Buckets)
		out.Buckets = append(out.Buckets, b)
	}
	sort.Slice(out.Buckets, func(i, j int) bool { return out.Buckets[i].LoUS < out.Buckets[j].LoUS })
	return out
}

// Quantile returns the q-quantile (0 < q ≤ 1) in milliseconds, by the
// rank the exact percentiles use (the ⌈q·n⌉-th smallest latency): the
// largest whole microsecond of the bucket that holds it. It is never
// below the exact quantile and at most one bucket (6.25%) above it; below
// 32 µs it is exact. 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) float64 {
	if h == nil || h.Count <= 0 || len(h.Buckets) == 0 {
		return 0
	}
	rank := max(int(math.Ceil(q*float64(h.Count))), 1)
	seen := 0
	for _, b := range h.Buckets {
		seen += b.Count
		if seen >= rank {
			return float64(b.HiUS-1) / 1000
		}
	}
	last := h.Buckets[len(h.Buckets)-1]
	return float64(last.HiUS-1) / 1000
}

// Percentiles returns the p50, p90 and p99 of h in milliseconds (Quantile).
func (h *Histogram) Percentiles() (p50, p90, p99 float64) {
	return h.Quantile(0.50), h.Quantile(0.90), h.Quantile(0.99)
}
