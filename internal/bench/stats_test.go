package bench

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one", []float64{3}, Summary{N: 1, Median: 3, Min: 3, Max: 3}},
		{"odd, unsorted", []float64{5, 1, 3}, Summary{N: 3, Median: 3, Min: 1, Max: 5}},
		{"even: mean of the middle two", []float64{4, 1, 2, 10}, Summary{N: 4, Median: 3, Min: 1, Max: 10}},
		{"ties", []float64{2, 2, 2}, Summary{N: 3, Median: 2, Min: 2, Max: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarize(tc.xs); got != tc.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tc.xs, got, tc.want)
			}
		})
	}
	xs := []float64{3, 1, 2}
	Summarize(xs)
	if xs[0] != 3 {
		t.Error("Summarize sorted its argument")
	}
	if s := Summarize([]float64{1, 4, 2}).Spread(); s != 3 {
		t.Errorf("spread = %v, want 3", s)
	}
}

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100..1, unsorted
	}
	for _, tc := range []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"p50 of 1..100", hundred, 50, 50},
		{"p90 of 1..100", hundred, 90, 90},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the maximum", hundred, 100, 100},
		{"p0 is the minimum", hundred, 0, 1},
		{"one value", []float64{7}, 99, 7},
		{"nearest rank rounds up", []float64{1, 2, 3, 4}, 50, 2},
		{"p99 of four is the largest", []float64{1, 2, 3, 4}, 99, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.xs, tc.p); got != tc.want {
				t.Errorf("Percentile(p%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("percentile of nothing is not NaN")
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b Summary
		want float64 // NaN: no ratio
	}{
		{"medians", Summary{N: 3, Median: 6}, Summary{N: 2, Median: 2}, 3},
		{"a missing", Summary{}, Summary{N: 1, Median: 2}, math.NaN()},
		{"b missing", Summary{N: 1, Median: 2}, Summary{}, math.NaN()},
		{"b zero", Summary{N: 1, Median: 2}, Summary{N: 1}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Ratio(tc.a, tc.b)
			if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && got != tc.want) {
				t.Errorf("Ratio = %v, want %v", got, tc.want)
			}
		})
	}
}
