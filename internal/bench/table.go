package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// Table is the bench's one table: the machine's details, then a row per
// measurement (timings, ratios, throughput), then notes.
type Table struct {
	Head  []string `json:"machine"`
	Rows  []Row    `json:"rows"`
	Notes []string `json:"notes,omitempty"`
}

// Row is one measurement. Median and Range are of the runs' times, or of a
// load run's latencies.
type Row struct {
	What   string `json:"measurement"`
	N      string `json:"n"`
	Median string `json:"median"`
	Range  string `json:"range"`
	Detail string `json:"detail"`
}

var tableColumns = Row{What: "measurement", N: "n", Median: "median", Range: "min - max", Detail: "detail"}

// Timing adds a row of repeated timings (seconds).
func (t *Table) Timing(what string, s Summary, detail string) {
	if s.N == 0 {
		t.Rows = append(t.Rows, Row{What: what, N: "0", Median: "-", Range: "-", Detail: orDash(detail, "not measured")})
		return
	}
	t.Rows = append(t.Rows, Row{What: what, N: fmt.Sprint(s.N), Median: Seconds(s.Median),
		Range: Seconds(s.Min) + " - " + Seconds(s.Max), Detail: detail})
}

// Ratio adds a row of a ratio of medians (NaN: not measured).
func (t *Table) Ratio(what string, r float64, detail string) {
	v := "-"
	if !math.IsNaN(r) && !math.IsInf(r, 0) {
		v = fmt.Sprintf("%.2fx", r)
	}
	t.Rows = append(t.Rows, Row{What: what, N: "", Median: v, Range: "", Detail: detail})
}

// Throughput adds a row for one load run: latency median and range of the
// committed invokes, their rate, and the tail percentiles.
func (t *Table) Throughput(what string, r LoadResult) {
	row := Row{What: what, N: fmt.Sprint(r.Committed()), Median: "-", Range: "-"}
	if r.Committed() > 0 {
		s := Summarize(r.Latencies)
		row.Median, row.Range = Seconds(s.Median), Seconds(s.Min)+" - "+Seconds(s.Max)
	}
	row.Detail = fmt.Sprintf("%.2f tx/s committed, %.2f valid; p90 %s, p99 %s", r.PerSecond(), r.ValidPerSecond(),
		Seconds(r.Latency(90)), Seconds(r.Latency(99)))
	if r.Rejected > 0 {
		row.Detail += fmt.Sprintf("; %d rejected (MVCC)", r.Rejected)
	}
	if r.Failed > 0 {
		row.Detail += fmt.Sprintf("; %d failed: %s", r.Failed, firstLine(r.FirstError))
	}
	t.Rows = append(t.Rows, row)
}

// Render writes the table with aligned columns (n right-aligned).
func (t *Table) Render(w io.Writer) {
	for _, l := range t.Head {
		fmt.Fprintln(w, l)
	}
	rows := append([]Row{tableColumns}, t.Rows...)
	var wWhat, wN, wMed, wRange int
	for _, r := range rows {
		wWhat, wN = max(wWhat, width(r.What)), max(wN, width(r.N))
		wMed, wRange = max(wMed, width(r.Median)), max(wRange, width(r.Range))
	}
	for i, r := range rows {
		line := pad(r.What, wWhat) + "  " + strings.Repeat(" ", wN-width(r.N)) + r.N + "  " +
			strings.Repeat(" ", wMed-width(r.Median)) + r.Median + "  " + pad(r.Range, wRange) + "  " + r.Detail
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		if i == 0 {
			fmt.Fprintln(w, strings.Repeat("-", wWhat+wN+wMed+wRange+8+width(r.Detail)))
		}
	}
	for _, n := range t.Notes {
		fmt.Fprintln(w, n)
	}
}

// Seconds formats a duration in seconds: ms below 1 s, else s.
func Seconds(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x < 0.01:
		return fmt.Sprintf("%.1f ms", x*1000)
	case x < 1:
		return fmt.Sprintf("%.0f ms", x*1000)
	case x < 10:
		return fmt.Sprintf("%.2f s", x)
	default:
		return fmt.Sprintf("%.1f s", x)
	}
}

func width(s string) int { return utf8.RuneCountInString(s) }

func pad(s string, n int) string { return s + strings.Repeat(" ", max(n-width(s), 0)) }

func orDash(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if width(l) > 120 {
		l = string([]rune(l)[:120]) + "..."
	}
	return l
}
