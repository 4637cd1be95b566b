package tests

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMoleculeScenarios runs `molecule test` of every scenario in
// extensions/molecule from the checkout, as a user would, and logs each
// scenario's time. The controller-only scenarios and common/service run
// alone (destroy, create, [prepare], converge, idempotence, verify,
// destroy): module tier for the controller-only ones, network tier for the
// ones that start processes. The network roles' scenarios share one
// deployment (shared_state: the default scenario's create and destroy), run
// as one chain in which each scenario's prepare finds what it needs already
// running from the scenario before it.
func TestMoleculeScenarios(t *testing.T) {
	root := RepoRoot(t)
	for _, m := range collectionModules(t) {
		ModuleBin(t, m)
	}
	alone := []struct{ name, tier string }{
		{"fabric", "module"},
		{"artifacts", "module"},
		{"preflight", "module"},
		{"fabrun", "network"},
		{"service", "network"},
	}
	// The chain's order: each role's dependencies come before it.
	chain := []string{"zookeeper", "kafka", "orderer", "peer", "channel", "chaincode"}
	dirs, _ := filepath.Glob(filepath.Join(root, "extensions", "molecule", "*", "molecule.yml"))
	if want := len(alone) + len(chain) + 1; len(dirs) != want { // + default, the chain's hosts
		t.Errorf("extensions/molecule has %d scenarios, the test runs %d: add the new one here", len(dirs), want)
	}
	for _, s := range alone {
		t.Run(s.name, func(t *testing.T) {
			tier(t, s.tier)
			start := time.Now()
			r := Run(t, root, AnsibleEnv(t), VenvBin(t, "molecule"), "test", "-s", s.name)
			t.Logf("molecule test -s %s: %s", s.name, time.Since(start).Round(100*time.Millisecond))
			checkMoleculeRun(t, "-s "+s.name, r)
		})
	}
	t.Run("chain", func(t *testing.T) {
		tier(t, "network")
		args := []string{"test"}
		for _, s := range chain {
			args = append(args, "-s", s)
		}
		start := time.Now()
		// CI and GITLAB_CI make Molecule mark each step's start and end with a
		// timestamp: each scenario's time is read from them.
		r := Run(t, root, append(AnsibleEnv(t), "CI=true", "GITLAB_CI=true"), VenvBin(t, "molecule"), args...)
		t.Logf("molecule %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Second))
		steps := moleculeSteps(r.Stdout + r.Stderr)
		for _, s := range append([]string{"default"}, chain...) {
			t.Logf("  %-10s %s", s, moleculeStepsText(steps[s]))
		}
		checkMoleculeRun(t, strings.Join(args[1:], " "), r)
		for _, s := range chain {
			if got, want := moleculeStepNames(steps[s]), "prepare,converge,idempotence,verify"; got != want {
				t.Errorf("scenario %s ran steps %q, want %q", s, got, want)
			}
		}
		if got := moleculeStepNames(steps["default"]); got != "create,destroy" {
			t.Errorf("the shared hosts (scenario default) ran %q, want create then destroy, once", got)
		}
		if out := r.Stdout + r.Stderr; strings.Contains(out, "already prepared") {
			t.Errorf("a scenario's prepare was skipped (Molecule's shared prepared flag):\n%s", tail(out, 40))
		}
	})
}

// checkMoleculeRun fails the test when molecule exited non-zero or a play
// failed or missed a step.
func checkMoleculeRun(t *testing.T, what string, r CmdResult) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("molecule test %s: %v\n%s\n%s", what, r.Err, tail(r.Stdout, 80), tail(r.Stderr, 80))
	}
	if out := r.Stdout + r.Stderr; !strings.Contains(out, "failed=0") || strings.Contains(out, "missing=1") {
		t.Errorf("molecule test %s: a step failed or is missing:\n%s", what, tail(out, 20))
	}
}

// moleculeStepMarks are Molecule's GitLab CI section marks around each step:
// section_start:<unix time>:<scenario>.<step>, then section_end.
var moleculeStepMarks = regexp.MustCompile(`section_(start|end):(\d+):([\w-]+)\.(\w+)`)

// moleculeStep is one step of a scenario and how long it took.
type moleculeStep struct {
	name    string
	seconds int64
}

// moleculeSteps reads the section marks: each scenario's steps, in order.
func moleculeSteps(out string) map[string][]moleculeStep {
	steps := map[string][]moleculeStep{}
	started := map[string]int64{}
	for _, m := range moleculeStepMarks.FindAllStringSubmatch(out, -1) {
		ts, _ := strconv.ParseInt(m[2], 10, 64)
		key := m[3] + "." + m[4]
		if m[1] == "start" {
			started[key] = ts
			continue
		}
		steps[m[3]] = append(steps[m[3]], moleculeStep{m[4], ts - started[key]})
	}
	return steps
}

// moleculeStepNames is "prepare,converge,..."; moleculeStepsText adds each
// step's time and the total.
func moleculeStepNames(steps []moleculeStep) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.name
	}
	return strings.Join(names, ",")
}

func moleculeStepsText(steps []moleculeStep) string {
	var total int64
	parts := make([]string, len(steps))
	for i, s := range steps {
		total += s.seconds
		parts[i] = fmt.Sprintf("%s %ds", s.name, s.seconds)
	}
	return fmt.Sprintf("%4ds (%s)", total, strings.Join(parts, ", "))
}
