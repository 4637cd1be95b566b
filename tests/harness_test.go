// Package tests holds integration tests that drive built binaries: the
// Ansible modules in plugins/modules, the pinned Fabric tools in
// build/fabric/bin and the tools in build/venv. A missing binary fails the
// test (it is never skipped): `make test` builds everything first.
package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Test tiers, cheapest first: "unit" tests run no process, "module" tests
// run real Fabric tools or ansible-playbook on localhost without services,
// "network" tests start real ZooKeeper, Kafka, orderers and peers, and
// "servers" tests drive the systemd-container lab. The unit tier lives outside
// tests/ (`make test-unit`).
var testTiers = []string{"unit", "module", "network", "servers"}

// tier skips the test when FABRUN_TEST_TIERS is set (a comma-separated list,
// as `make test-<tier>` sets it) and does not name the test's tier. Unset, every
// tier runs, as `make test` does.
func tier(t *testing.T, name string) {
	t.Helper()
	if !slices.Contains(testTiers, name) {
		t.Fatalf("unknown test tier %q (tiers: %s)", name, strings.Join(testTiers, ", "))
	}
	chosen := os.Getenv("FABRUN_TEST_TIERS")
	if chosen == "" {
		return
	}
	for _, c := range strings.Split(chosen, ",") {
		if strings.TrimSpace(c) == name {
			return
		}
	}
	t.Skipf("a %s-tier test; FABRUN_TEST_TIERS=%s: run it with `make test-%s` or FABRUN_TEST_TIERS=%s", name, chosen, name, name)
}

// RepoRoot is the checkout's root, found from this file's own path.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the test's own path")
	}
	return filepath.Dir(filepath.Dir(file))
}

// mustExist fails the test when path is missing, telling how to build it.
func mustExist(t testing.TB, path, hint string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing (%v): run `%s` first", path, err, hint)
	}
	return path
}

// FabricBin is the path of a pinned Fabric tool (peer, orderer, configtxgen,
// configtxlator, cryptogen).
func FabricBin(t testing.TB, name string) string {
	t.Helper()
	return mustExist(t, filepath.Join(RepoRoot(t), "build", "fabric", "bin", name), "make fabric")
}

// VenvBin is the path of a tool in the project's Python venv.
func VenvBin(t testing.TB, name string) string {
	t.Helper()
	return mustExist(t, filepath.Join(RepoRoot(t), "build", "venv", "bin", name), "make venv")
}

// ModuleBin is the path of a built Ansible module. It fails when the binary
// is older than any Go source of the repository's packages it is built
// from, so a test never exercises stale code.
func ModuleBin(t testing.TB, name string) string {
	t.Helper()
	root := RepoRoot(t)
	bin := mustExist(t, filepath.Join(root, "plugins", "modules", name), "make modules")
	if _, ok := freshModules.Load(bin); ok {
		return bin
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	deps := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./modules/"+name)
	deps.Dir = root
	listing, err := deps.Output()
	if err != nil {
		t.Fatalf("go list -deps ./modules/%s: %v", name, err)
	}
	for _, dir := range strings.Fields(string(listing)) {
		if !strings.HasPrefix(dir, root+string(os.PathSeparator)) {
			continue // a dependency from the module cache
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			if info, err := e.Info(); err == nil && info.ModTime().After(st.ModTime()) {
				t.Fatalf("%s is older than %s: run `make modules` first", bin, filepath.Join(dir, n))
			}
		}
	}
	freshModules.Store(bin, true)
	return bin
}

// freshModules holds the module binaries ModuleBin found up to date.
var freshModules sync.Map

// CmdResult is what a finished command printed.
type CmdResult struct {
	Stdout, Stderr string
	Err            error
}

// Run runs a command in dir with extra environment entries and returns what
// it printed. It does not fail the test on a non-zero exit: callers decide.
func Run(t testing.TB, dir string, env []string, name string, args ...string) CmdResult {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return CmdResult{Stdout: out.String(), Stderr: errb.String(), Err: err}
}

// MustRun is Run that fails the test on a non-zero exit.
func MustRun(t testing.TB, dir string, env []string, name string, args ...string) CmdResult {
	t.Helper()
	r := Run(t, dir, env, name, args...)
	if r.Err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), r.Err, r.Stdout, r.Stderr)
	}
	return r
}

// AnsibleEnv is the environment for running Ansible from the checkout: the
// repository's ansible.cfg (the checkout as the collection fabrun.fabric,
// roles), the venv and
// the Fabric binaries first on PATH, and a private local temp dir.
func AnsibleEnv(t testing.TB) []string {
	t.Helper()
	root := RepoRoot(t)
	VenvBin(t, "ansible-playbook")
	return []string{
		"ANSIBLE_CONFIG=" + filepath.Join(root, "ansible.cfg"),
		"ANSIBLE_LOCAL_TEMP=" + t.TempDir(),
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_FORCE_COLOR=0",
		"PATH=" + filepath.Join(root, "build", "venv", "bin") + string(os.PathListSeparator) +
			filepath.Join(root, "build", "fabric", "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
}

// AnsiblePlaybook runs build/venv/bin/ansible-playbook from the repository
// root with AnsibleEnv and the given arguments.
func AnsiblePlaybook(t testing.TB, args ...string) CmdResult {
	t.Helper()
	return Run(t, RepoRoot(t), AnsibleEnv(t), VenvBin(t, "ansible-playbook"), args...)
}

// testPlaybook runs tests/playbooks/<name> on localhost with real
// ansible-playbook from the repository root (so ansible.cfg applies) and
// returns its output and localhost's changed and failed counts. Results are
// JSON, so long messages are not folded as in the YAML format.
func testPlaybook(t *testing.T, name string, extra ...string) (string, int, int) {
	t.Helper()
	args := append([]string{"-i", "localhost,", "-c", "local", filepath.Join(RepoRoot(t), "tests", "playbooks", name)}, extra...)
	env := append(AnsibleEnv(t), "ANSIBLE_CALLBACK_RESULT_FORMAT=json")
	r := Run(t, RepoRoot(t), env, VenvBin(t, "ansible-playbook"), args...)
	out := r.Stdout + r.Stderr
	if !strings.Contains(out, "PLAY RECAP") {
		t.Fatalf("ansible-playbook %s %s: no recap (%v):\n%s", name, strings.Join(extra, " "), r.Err, out)
	}
	c := ansibleRecap(t, out)["localhost"]
	if (c["failed"] == 0) != (r.Err == nil) {
		t.Fatalf("exit status %v but recap failed=%d:\n%s", r.Err, c["failed"], out)
	}
	return out, c["changed"], c["failed"]
}

// copyTree copies the directories and regular files under src to dst,
// keeping each file's permission bits.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
