package reports

import "math"

// DefaultConfidence is the confidence, in percent, of failure-rate bounds
// when the run spec sets none.
const DefaultConfidence = 95.0

// FailureBound is the upper bound, in percent, of the failure rate that
// failed of attempted flows show at confidence (percent): the exact
// one-sided Clopper–Pearson bound, so with no failure 1-(1-c)^(1/n) —
// about 300/n percent at 95% (the rule of three): 20/20 completed flows
// show a failure rate below 13.92%. It is rounded up to two decimals, so
// that it never understates; 100 when nothing was attempted.
func FailureBound(failed, attempted int, confidence float64) float64 {
	if attempted <= 0 || failed >= attempted {
		return 100
	}
	alpha := 1 - confidence/100
	if failed <= 0 {
		return ceil2(100 * (1 - math.Pow(alpha, 1/float64(attempted))))
	}
	// The p at which P(X <= failed) = alpha, by bisection: the binomial
	// CDF falls as p grows.
	lo, hi := float64(failed)/float64(attempted), 1.0
	for range 100 {
		mid := (lo + hi) / 2
		if binomialCDF(failed, attempted, mid) > alpha {
			lo = mid
		} else {
			hi = mid
		}
	}
	return ceil2(100 * hi)
}

// FlowsToShow is the fewest flows that, every one completing, bound the
// failure rate to maxRate (percent) at confidence (percent): 299 for 1% at
// 95%.
func FlowsToShow(maxRate, confidence float64) int {
	if maxRate <= 0 || maxRate >= 100 {
		return 0
	}
	return int(math.Ceil(math.Log(1-confidence/100) / math.Log(1-maxRate/100)))
}

// binomialCDF is P(X <= k) for X ~ Binomial(n, p), summed in log space.
func binomialCDF(k, n int, p float64) float64 {
	if p <= 0 {
		return 1
	}
	if p >= 1 {
		return 0
	}
	lgN, _ := math.Lgamma(float64(n + 1))
	lp, lq := math.Log(p), math.Log1p(-p)
	sum := 0.0
	for i := 0; i <= k; i++ {
		a, _ := math.Lgamma(float64(i + 1))
		b, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(lgN - a - b + float64(i)*lp + float64(n-i)*lq)
	}
	return math.Min(sum, 1)
}

func ceil2(v float64) float64 { return math.Ceil(v*100-1e-9) / 100 }
