// Package format holds the small text helpers that reports/reporters and
// reports/history share, so that a percentage, a duration or a verdict's
// colour reads the same in every file gpcheck writes.
package format

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gpcheck/gpcheck/reports"
)

// Percent formats a percentage without needless zeros: 100%, 95%,
// 99.99%. Rates reach it floored to two decimals (reports.FloorRate).
func Percent(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// Millis formats milliseconds for people: "1m2.5s", "350ms".
func Millis(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).String()
}

// SortedKeys returns m's keys in order, for deterministic output.
func SortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// VerdictClass maps a verdict to a page's style class: passed, failed or
// unfinished, whatever the report says.
func VerdictClass(v reports.Verdict) string {
	switch v {
	case reports.VerdictPassed, reports.VerdictFailed:
		return string(v)
	default:
		return "unfinished"
	}
}

// Coord formats an SVG coordinate to a tenth of a unit.
func Coord(v float64) string {
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// NiceCeil rounds v up to 1, 2, 4, 6 or 8 times a power of ten, so that
// an axis reads in round numbers; anything not above zero is 1.
func NiceCeil(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 4, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// Trim shortens s to at most n characters (runes), marking a cut with "…".
func Trim(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return strings.TrimSpace(string(rs[:n-1])) + "…"
}

// OneLine folds every run of white space in s, newlines included, into
// one space, for places that show a single line.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
