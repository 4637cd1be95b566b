package tests

// Helpers for tests that run playbooks against the local inventory: PLAY
// RECAP parsing, timed runs and a /proc scan for the processes a deployment
// left running (ZooKeeper's four-letter words go over TLS: backbone_test.go).

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var ansibleRecapLine = regexp.MustCompile(`(?m)^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$`)

// ansibleRecap parses the PLAY RECAP of an ansible-playbook run:
// host -> counter ("ok", "changed", "failed", ...) -> value.
func ansibleRecap(t testing.TB, out string) map[string]map[string]int {
	t.Helper()
	i := strings.LastIndex(out, "PLAY RECAP")
	if i < 0 {
		t.Fatalf("no PLAY RECAP in the output:\n%s", tail(out, 60))
	}
	recap := map[string]map[string]int{}
	for _, m := range ansibleRecapLine.FindAllStringSubmatch(out[i:], -1) {
		counts := map[string]int{}
		for _, kv := range strings.Fields(m[2]) {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("recap %q: %v", m[0], err)
			}
			counts[k] = n
		}
		recap[m[1]] = counts
	}
	if len(recap) == 0 {
		t.Fatalf("empty PLAY RECAP:\n%s", tail(out, 60))
	}
	return recap
}

// ansibleTimedPlaybook runs build/venv/bin/ansible-playbook from the repo
// root (AnsiblePlaybook) and reports how long it took.
func ansibleTimedPlaybook(t testing.TB, args ...string) (CmdResult, time.Duration) {
	t.Helper()
	start := time.Now()
	r := AnsiblePlaybook(t, args...)
	d := time.Since(start).Round(100 * time.Millisecond)
	t.Logf("ansible-playbook %s: %s (err=%v)", strings.Join(args, " "), d, r.Err)
	return r, d
}

// ansibleMustPlaybook is ansibleTimedPlaybook that fails the test on a
// non-zero exit, showing the end of the output.
func ansibleMustPlaybook(t testing.TB, args ...string) (CmdResult, time.Duration) {
	t.Helper()
	r, d := ansibleTimedPlaybook(t, args...)
	if r.Err != nil {
		t.Fatalf("ansible-playbook %s: %v\n%s\nstderr:\n%s", strings.Join(args, " "), r.Err,
			tail(r.Stdout, 120), tail(r.Stderr, 40))
	}
	return r, d
}

// procInfo is a running process.
type procInfo struct {
	PID     int
	Cmdline string
}

// procsMatching lists the running processes whose command line contains
// substr (a /proc scan, like `pgrep -af substr` but without matching the
// scanning process itself).
func procsMatching(substr string) []procInfo {
	var out []procInfo
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		cmd := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		if strings.Contains(cmd, substr) {
			out = append(out, procInfo{PID: pid, Cmdline: cmd})
		}
	}
	return out
}
