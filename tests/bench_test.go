package tests

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchThroughputCheck runs `fabrun bench --throughput` briefly against the
// network TestNetworkEndToEnd deployed (fab runs fabrun on inventory): one
// table row per concurrency, each with committed invokes and the machine's
// details above. It checks that the bench works, never a timing.
func benchThroughputCheck(t *testing.T, fab func(*testing.T, string, ...string) fabrunResult, inventory string) {
	start := time.Now()
	r := fab(t, inventory, "bench", "--throughput", "--duration", "2s", "--concurrency", "1,4", "--json")
	t.Logf("fabrun bench --throughput --duration 2s --concurrency 1,4: %s", time.Since(start).Round(100*time.Millisecond))
	if r.Code != 0 {
		t.Fatalf("fabrun bench --throughput: %s", r)
	}
	machine, _ := get(r.Doc, "extra", "bench", "machine").([]any)
	if len(machine) == 0 || !strings.Contains(machine[0].(string), "cores") {
		t.Errorf("no machine details: %v", get(r.Doc, "extra", "bench"))
	}
	rows, _ := get(r.Doc, "extra", "bench", "rows").([]any)
	var names []string
	for _, row := range rows {
		m := row.(map[string]any)
		names = append(names, m["measurement"].(string))
		if n, _ := strconv.Atoi(m["n"].(string)); n < 1 || !strings.Contains(m["detail"].(string), "tx/s committed") {
			t.Errorf("row %v: no committed invoke", m)
		}
		if strings.Contains(m["detail"].(string), "failed") {
			t.Errorf("row %v: invokes failed", m)
		}
	}
	if strings.Join(names, "; ") != "invoke, 1 client; invoke, 4 clients" {
		t.Errorf("rows %v, want one per concurrency", names)
	}
	if !strings.Contains(r.Stderr, "invoke, 4 clients") || !strings.Contains(r.Stderr, "p99") {
		t.Errorf("no table on stderr:\n%s", r.Stderr)
	}
}
