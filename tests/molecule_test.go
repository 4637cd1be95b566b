package tests

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMoleculeScenarios runs `molecule test` of every scenario in
// extensions/molecule (destroy, create, [prepare], converge, idempotence,
// verify, destroy) from the checkout, as a user would, and logs each
// scenario's time. Scenarios that start processes (supervisord, services)
// are network tier; the controller-only ones module tier.
func TestMoleculeScenarios(t *testing.T) {
	root := RepoRoot(t)
	for _, m := range collectionModules(t) {
		ModuleBin(t, m)
	}
	scenarios := []struct{ name, tier string }{
		{"topology", "module"},
		{"artifacts", "module"},
		{"preflight", "module"},
		{"common", "network"},
		{"service", "network"},
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "extensions", "molecule", "*", "molecule.yml"))
	if len(dirs) != len(scenarios) {
		t.Errorf("extensions/molecule has %d scenarios, the test runs %d: add the new one here", len(dirs), len(scenarios))
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			tier(t, s.tier)
			start := time.Now()
			r := Run(t, root, AnsibleEnv(t), VenvBin(t, "molecule"), "test", "-s", s.name)
			t.Logf("molecule test -s %s: %s", s.name, time.Since(start).Round(100*time.Millisecond))
			if r.Err != nil {
				t.Fatalf("molecule test -s %s: %v\n%s\n%s", s.name, r.Err, tail(r.Stdout, 80), tail(r.Stderr, 80))
			}
			if out := r.Stdout + r.Stderr; !strings.Contains(out, "failed=0") || strings.Contains(out, "missing=1") {
				t.Errorf("molecule test -s %s: a step failed or is missing:\n%s", s.name, tail(out, 20))
			}
		})
	}
}
