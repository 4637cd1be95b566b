// Package tests holds integration tests that drive built binaries: the
// Ansible modules in plugins/modules, the pinned Fabric tools in
// build/fabric/bin and the tools in build/venv. A missing binary fails the
// test (it is never skipped): `make test` builds everything first.
package tests

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fabrun/fabrun/internal/runner/playbook"
)

// Test tiers, cheapest first: "unit" tests start no service, "module" tests
// run real Fabric tools or ansible-playbook on localhost without services,
// "network" tests start real ZooKeeper, Kafka, orderers and peers (the
// fault suite among them), and "servers" tests drive the systemd-container
// lab. The unit tier lives outside tests/ (`make test-unit`).
var testTiers = []string{"unit", "module", "network", "servers"}

// tier skips the test when FABRUN_TEST_TIERS is set (a comma-separated list,
// as `make test-<tier>` sets it) and does not name the test's tier. Unset, every
// tier runs.
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
	t.Skipf("a %s-tier test; FABRUN_TEST_TIERS=%s: run it with `make test-%s` or FABRUN_TEST_TIERS=%s",
		name, chosen, name, name)
}

// suiteDir holds what tests of one run share (built once, read by many);
// TestMain removes it.
var suiteDir string

// TestMain points every fabrun the tests start at a log directory of their
// own (FABRUN_LOG_DIR): the checkout's build/log holds the user's last deploy.
func TestMain(m *testing.M) {
	logs, err := os.MkdirTemp("", "fabrun-test-log-")
	if err == nil {
		suiteDir, err = os.MkdirTemp("", "fabrun-test-suite-")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("FABRUN_LOG_DIR", logs)
	code := m.Run()
	os.RemoveAll(logs)
	os.RemoveAll(suiteDir)
	os.Exit(code)
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

// peerCLIClientCert is the peer CLI's environment for mutual TLS with a
// peer (fabric_tls_client_auth, on by default): the TLS client certificate
// of the user whose crypto material is in userDir (cryptogen's
// users/<name>, e.g. users/Admin@org1.example.com).
func peerCLIClientCert(userDir string) []string {
	tls := filepath.Join(userDir, "tls")
	return []string{"CORE_PEER_TLS_CLIENTAUTHREQUIRED=true",
		"CORE_PEER_TLS_CLIENTCERT_FILE=" + filepath.Join(tls, "client.crt"),
		"CORE_PEER_TLS_CLIENTKEY_FILE=" + filepath.Join(tls, "client.key")}
}

// VenvBin is the path of a tool in the project's Python venv.
func VenvBin(t testing.TB, name string) string {
	t.Helper()
	return mustExist(t, filepath.Join(RepoRoot(t), "build", "venv", "bin", name), "make venv")
}

// ModuleBin is the path of a built Ansible module; it fails when the
// binary is stale (freshBinary).
func ModuleBin(t testing.TB, name string) string {
	t.Helper()
	bin := mustExist(t, filepath.Join(RepoRoot(t), "plugins", "modules", name), "make modules")
	return freshBinary(t, bin, "./modules/"+name, "make modules")
}

// freshBinary fails when bin is older than any Go or embedded file of the
// repository's packages pkg is built from, so a test never exercises stale
// code; hint is the command that rebuilds it.
func freshBinary(t testing.TB, bin, pkg, hint string) string {
	t.Helper()
	if _, ok := freshBinaries.Load(bin); ok {
		return bin
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	root := RepoRoot(t)
	deps := exec.Command("go", "list", "-deps", "-f",
		"{{if not .Standard}}{{range .GoFiles}}{{$.Dir}}/{{.}}\n{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}\n{{end}}{{end}}", pkg)
	deps.Dir = root
	listing, err := deps.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	for _, file := range strings.Fields(string(listing)) {
		if !strings.HasPrefix(file, root+string(os.PathSeparator)) {
			continue // a dependency from the module cache
		}
		if info, err := os.Stat(file); err == nil && info.ModTime().After(st.ModTime()) {
			t.Fatalf("%s is older than %s: run `%s` first", bin, file, hint)
		}
	}
	freshBinaries.Store(bin, true)
	return bin
}

// freshBinaries holds the binaries freshBinary found up to date.
var freshBinaries sync.Map

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
	return runCmd(cmd)
}

// runCmd runs a prepared command and returns what it printed.
func runCmd(cmd *exec.Cmd) CmdResult {
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

// goBuildCache is the machine's Go build cache: the tests' peers build
// chaincode with it (warm, and outside the checkout's build/local).
func goBuildCache(t testing.TB) string {
	t.Helper()
	return strings.TrimSpace(MustRun(t, RepoRoot(t), nil, "go", "env", "GOCACHE").Stdout)
}

// tail is the last n lines of s, for failure messages.
var tail = playbook.LastLines

// freeLoopbackNet picks a random loopback /24 ("127.x.y") whose .1 binds,
// away from the fixed ones the end-to-end tests use (127.0.x), so tests
// running at once do not collide.
func freeLoopbackNet(t testing.TB) string {
	t.Helper()
	for i := 0; i < 50; i++ {
		prefix := fmt.Sprintf("127.%d.%d", 20+rand.Intn(230), 1+rand.Intn(250))
		if l, err := net.Listen("tcp", prefix+".1:0"); err == nil {
			l.Close()
			return prefix
		}
	}
	t.Fatal("no usable loopback address")
	return ""
}

// freePort is a TCP port free on ip right now, below the kernel's
// ephemeral range (32768-60999 here): a port the kernel handed out for
// ":0" can go to another process's outgoing connection or wildcard
// listener before the service under test binds it (a peer's chaincode
// listener once lost its port that way). Each port is handed out once
// per test process.
func freePort(t testing.TB, ip string) int {
	t.Helper()
	freePorts.Lock()
	defer freePorts.Unlock()
	for i := 0; i < 200; i++ {
		port := 20000 + rand.Intn(12000)
		key := fmt.Sprintf("%s:%d", ip, port)
		if freePorts.given[key] {
			continue
		}
		l, err := net.Listen("tcp", key)
		if err != nil {
			continue
		}
		l.Close()
		freePorts.given[key] = true
		return port
	}
	t.Fatalf("no free port on %s", ip)
	return 0
}

var freePorts = struct {
	sync.Mutex
	given map[string]bool
}{given: map[string]bool{}}

// serviceLogsOnFailure shows, when t has failed, the last lines of every
// service log under hostsDir (<host>/log/*): the deployment's own logs go
// with its temporary directory, and a failed task rarely says why a
// service misbehaved.
func serviceLogsOnFailure(t *testing.T, hostsDir string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		logs := readServiceLogs(hostsDir)
		for _, f := range slices.Sorted(maps.Keys(logs)) {
			t.Logf("=== %s (last 30 lines)\n%s", f, tail(logs[f], 30))
		}
	})
}
