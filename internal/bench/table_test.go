package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0.0042, "4.2 ms"},
		{0.25, "250 ms"},
		{1.234, "1.23 s"},
		{61.26, "61.3 s"},
		{math.NaN(), "-"},
	} {
		if got := Seconds(tc.x); got != tc.want {
			t.Errorf("Seconds(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
}

func TestTableRender(t *testing.T) {
	tb := &Table{Head: []string{"machine: 2 cores"}, Notes: []string{"note: shared machine"}}
	tb.Timing("deploy from nothing", Summarize([]float64{120, 100, 110}), "")
	tb.Timing("plain script", Summary{}, "")
	tb.Ratio("re-run / deploy", 0.1, "goal <= 10 %")
	tb.Ratio("deploy / script", math.NaN(), "script not measured")
	tb.Throughput("invoke, 4 clients", LoadResult{Concurrency: 4, Elapsed: 2 * time.Second, Valid: 2, Rejected: 2, Failed: 1,
		Latencies: []float64{0.5, 0.6, 0.7, 2.1}, FirstError: "timeout\nmore"})
	var b strings.Builder
	tb.Render(&b)
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i, want := range []string{
		"machine: 2 cores",
		"measurement          n  median  min - max      detail",
		"---",
		"deploy from nothing  3  110.0 s  100.0 s - 120.0 s",
		"plain script         0       -  -                not measured",
		"re-run / deploy          0.10x                   goal <= 10 %",
		"deploy / script              -                   script not measured",
		"invoke, 4 clients    4  650 ms  500 ms - 2.10 s  2.00 tx/s committed, 1.00 valid; p90 2.10 s, p99 2.10 s; 2 rejected (MVCC); 1 failed: timeout",
		"note: shared machine",
	} {
		if i >= len(lines) || !strings.HasPrefix(strings.Join(strings.Fields(lines[i]), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("line %d: want %q\n%s", i, want, out)
		}
	}
	// The columns line up: every row's median ends where the header's does.
	end := strings.Index(lines[1], "median") + len("median")
	for _, l := range lines[3:5] {
		if len(l) < end || l[end-1] == ' ' {
			t.Errorf("median column not right-aligned at %d:\n%s", end, out)
		}
	}
}
