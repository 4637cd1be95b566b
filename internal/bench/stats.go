// Package bench measures fabrun and the network it deploys: repeated
// timings summarised as median and spread, a load generator for chaincode
// invokes with latency percentiles, the machine's details, and the one
// table that shows them (fabrun bench, internal/runner/app/bench.go).
package bench

import (
	"math"
	"slices"
)

// Summary is a set of measurements (seconds, or any unit) by its median and
// range. The spread is max - min: with the few runs a bench affords, the
// range says more honestly than a standard deviation how much a number moves.
type Summary struct {
	N                int
	Median, Min, Max float64
}

// Summarize summarises xs; an empty xs gives N = 0.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{N: n, Median: med, Min: s[0], Max: s[n-1]}
}

// Spread is max - min.
func (s Summary) Spread() float64 { return s.Max - s.Min }

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of xs: the
// smallest value at least p % of the values are not above. p <= 0 gives the
// minimum; an empty xs gives NaN.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// Ratio is a / b, NaN when either is missing (N = 0) or b is 0.
func Ratio(a, b Summary) float64 {
	if a.N == 0 || b.N == 0 || b.Median == 0 {
		return math.NaN()
	}
	return a.Median / b.Median
}
