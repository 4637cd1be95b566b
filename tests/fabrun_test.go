package tests

// Tests of the runner, build/bin/fabrun, against real Ansible, and the
// helpers of the tests that run it on a real network (TestNetworkEndToEnd).
// Nothing here contacts 10.100.194.x: the production inventory is only
// parsed (`fabrun check`).

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/runner/playbook"
	"gopkg.in/yaml.v3"
)

// FabrunBin is build/bin/fabrun; it fails when the binary is missing or
// stale (freshBinary).
func FabrunBin(t testing.TB) string {
	t.Helper()
	bin := mustExist(t, filepath.Join(RepoRoot(t), "build", "bin", "fabrun"), "make fabrun")
	return freshBinary(t, bin, "./runner", "make fabrun")
}

// fabrunResult is one fabrun run: exit code, output, and the --json document.
type fabrunResult struct {
	Code           int
	Stdout, Stderr string
	Doc            map[string]any
}

func (r fabrunResult) String() string {
	if r.Doc != nil {
		// The JSON document is long; its error and the progress on stderr say it all.
		return fmt.Sprintf("exit %d, error %q\n--- stderr\n%s", r.Code, r.Doc["error"], r.Stderr)
	}
	return fmt.Sprintf("exit %d\n--- stdout\n%s\n--- stderr\n%s", r.Code, r.Stdout, r.Stderr)
}

// fabrun runs build/bin/fabrun from the repository root; with --json among
// the arguments the document is decoded.
func fabrun(t *testing.T, args ...string) fabrunResult {
	t.Helper()
	root := RepoRoot(t)
	r := Run(t, root, []string{"ANSIBLE_LOCAL_TEMP=" + t.TempDir()}, FabrunBin(t), args...)
	return decodeFabrun(t, args, r)
}

// decodeFabrun is a fabrun run's result: its exit code, and with --json
// among args its document.
func decodeFabrun(t *testing.T, args []string, r CmdResult) fabrunResult {
	t.Helper()
	res := fabrunResult{Stdout: r.Stdout, Stderr: r.Stderr}
	if r.Err != nil {
		ee, ok := r.Err.(*exec.ExitError)
		if !ok {
			t.Fatalf("fabrun %v: %v", args, r.Err)
		}
		res.Code = ee.ExitCode()
	}
	for _, a := range args {
		if a == "--json" {
			if err := json.Unmarshal([]byte(r.Stdout), &res.Doc); err != nil {
				t.Fatalf("fabrun %v: stdout is not one JSON document: %v\n%s", args, err, res)
			}
		}
	}
	return res
}

func get(doc map[string]any, path ...string) any {
	var cur any = doc
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func findingRules(doc map[string]any, level string) []string {
	var out []string
	fs, _ := get(doc, "preflight", "findings").([]any)
	for _, f := range fs {
		m := f.(map[string]any)
		if m["level"] == level {
			out = append(out, m["rule"].(string))
		}
	}
	return out
}

// TestFabrunCheckProduction: preflight on the production inventory parses
// it with ansible-inventory only (no host is contacted) and gives the
// seed's two fault-tolerance warnings and no error.
func TestFabrunCheckProduction(t *testing.T) {
	tier(t, "module")
	r := fabrun(t, "check", "-i", "inventory/production", "--json")
	if r.Code != 0 {
		t.Fatalf("fabrun check -i inventory/production: %s", r)
	}
	if got := findingRules(r.Doc, "warning"); strings.Join(got, ",") != "zookeeper-ensemble,kafka-brokers" {
		t.Errorf("warnings = %v, want zookeeper-ensemble, kafka-brokers", got)
	}
	if inv, _ := r.Doc["inventory"].(string); !strings.HasSuffix(inv, "inventory/production") {
		t.Errorf("inventory = %v", r.Doc["inventory"])
	}
	if !strings.Contains(r.Stderr, "ok      preflight") {
		t.Errorf("no preflight line on stderr:\n%s", r.Stderr)
	}
}

// TestFabrunEventsFromAnsible runs the runner's playbook wrapper against
// the real ansible-playbook on localhost: the embedded callback's events
// give plays, changes, retries and the failing host, task and message.
func TestFabrunEventsFromAnsible(t *testing.T) {
	tier(t, "module")
	opts := localPlaybook(t, "probe", `---
- name: Probe play
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Changes something
      ansible.builtin.command: "true"
    - name: Waits
      ansible.builtin.command: "false"
      register: r
      until: r.rc == 0
      retries: 2
      delay: 0
      ignore_errors: true
    - name: Breaks
      ansible.builtin.fail:
        msg: "broken on purpose"
    - name: Never runs
      ansible.builtin.debug:
        msg: unreachable
`)
	var retries int
	opts.OnEvent = func(ev *playbook.Event) {
		if ev.Event == playbook.EventRetry {
			retries++
		}
	}
	res, err := playbook.Run(t.Context(), opts, "probe")
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.ExitCode != 2 {
		t.Errorf("exit %d, OK %v", res.ExitCode, res.OK())
	}
	if len(res.Plays) != 1 || res.Plays[0].Name != "Probe play" || res.Plays[0].Tasks != 3 {
		t.Errorf("plays = %+v", res.Plays[0])
	}
	if len(res.Failures) != 1 {
		t.Fatalf("failures = %+v", res.Failures)
	}
	f := res.Failures[0]
	if f.Host != "localhost" || f.Task != "Breaks" || f.Message != "broken on purpose" || !strings.Contains(f.Path, "probe.yml") {
		t.Errorf("failure = %+v", f)
	}
	if retries != 2 {
		t.Errorf("retry events = %d, want 2", retries)
	}
	if c := res.Changes["localhost"]; len(c) != 1 || c[0] != "Probe play : Changes something" {
		t.Errorf("changes = %v", res.Changes)
	}
	if s := res.Stats["localhost"]; s == nil || s.Failures != 1 || s.Ignored != 1 {
		t.Errorf("stats = %+v", s)
	}
	log, _ := os.ReadFile(res.Log)
	if !strings.Contains(string(log), "PLAY RECAP") || strings.Contains(string(log), "FABRUN-EVENT") {
		t.Errorf("log %s lacks Ansible's output or has event lines", res.Log)
	}
}

// localPlaybook is how the tests below run playbook.Run on localhost: a
// home with the checkout's ansible.cfg and playbooks/<name>.yml holding
// play, the venv's Python, a log of its own.
func localPlaybook(t *testing.T, name, play string) playbook.Options {
	t.Helper()
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "playbooks"), 0o755)
	writeFile(t, filepath.Join(home, "ansible.cfg"), string(mustRead(t, filepath.Join(RepoRoot(t), "ansible.cfg"))), 0o644)
	writeFile(t, filepath.Join(home, "playbooks", name+".yml"), play, 0o644)
	return playbook.Options{
		Home: home, AnsiblePlaybook: VenvBin(t, "ansible-playbook"), Inventory: "localhost,",
		ExtraVars: []string{"ansible_python_interpreter=" + VenvBin(t, "python3")},
		Env:       map[string]string{"ANSIBLE_LOCAL_TEMP": t.TempDir()},
		Log:       filepath.Join(t.TempDir(), name+".log"),
	}
}

// TestCancelledRunStopsAnsible cancels playbook.Run (what Ctrl-C or SIGTERM
// does to fabrun) while a task's module runs: ansible-playbook, its worker
// and the module must all be gone soon after, as after Ctrl-C in a terminal.
// Ansible's workers run in sessions of their own, so a SIGKILL of
// ansible-playbook alone left them and their modules running.
func TestCancelledRunStopsAnsible(t *testing.T) {
	tier(t, "module")
	// A sleep no other process has: its seconds carry a fraction of our own.
	sleep := fmt.Sprintf("sleep 3600.%d", os.Getpid())
	opts := localPlaybook(t, "long", `---
- name: Long play
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Sleeps
      ansible.builtin.command: "`+sleep+`"
`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if len(procsMatching(sleep)) > 0 {
				break
			}
		}
		cancel()
	}()
	start := time.Now()
	res, err := playbook.Run(ctx, opts, "long")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cancelled run returned after %s: exit %d, %q", time.Since(start).Round(100*time.Millisecond), res.ExitCode, res.Error)
	if res.OK() {
		t.Errorf("a cancelled run is OK: %+v", res)
	}
	var left []procInfo
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if left = append(procsMatching(sleep), procsMatching(opts.Home)...); len(left) == 0 {
			break
		}
	}
	for _, p := range left {
		syscall.Kill(p.PID, syscall.SIGKILL)
	}
	if len(left) > 0 {
		t.Errorf("still running 10 s after the cancelled run returned: %v", left)
	}
}

// e2ePorts are the service ports of the guide's network, per address.
var e2ePorts = []int{2181, 2888, 3888, 9092, 7050, 8443, 7053, 7051, 7052, 9443}

// listening lists the service address:ports of the six hosts
// <prefix><211-216> that accept a connection.
func listening(prefix string) []string {
	var out []string
	for octet := 211; octet <= 216; octet++ {
		for _, port := range e2ePorts {
			addr := net.JoinHostPort(fmt.Sprintf("%s%d", prefix, octet), strconv.Itoa(port))
			if c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
				c.Close()
				out = append(out, addr)
			}
		}
	}
	return out
}

// relocatedInventory copies inventory/local to dir/inventory with every host
// moved to prefix<octet> and every directory it creates (host homes,
// controller work dir) under dir, so a test's network shares nothing with
// the checkout's build/local. The peers' chaincode builds use the Go build
// cache of the machine, warm and outside build/local.
func relocatedInventory(t *testing.T, root, dir, prefix string) string {
	t.Helper()
	inv := filepath.Join(dir, "inventory")
	copyTree(t, filepath.Join(root, "inventory", "local"), inv)
	hostsFile := filepath.Join(inv, "hosts.yml")
	hosts := strings.ReplaceAll(string(mustRead(t, hostsFile)), "ansible_host: 127.0.194.", "ansible_host: "+prefix)
	if err := os.WriteFile(hostsFile, []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	allFile := filepath.Join(inv, "group_vars", "all.yml")
	var all map[string]any
	if err := yaml.Unmarshal(mustRead(t, allFile), &all); err != nil {
		t.Fatal(err)
	}
	gocache := goBuildCache(t)
	for k, v := range map[string]string{
		// The copy is not two levels under the checkout: name the root.
		"fabrun_repo_root": root,
		"fabrun_home":      filepath.Join(dir, "hosts") + "/{{ inventory_hostname }}",
		"fabrun_workdir":   filepath.Join(dir, "controller"),
		"peer_gocache":     gocache,
	} {
		if _, ok := all[k]; !ok {
			t.Fatalf("%s no longer sets %s: update relocatedInventory", allFile, k)
		}
		all[k] = v
	}
	b, err := yaml.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(allFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return inv
}

// brokenInventory copies the inventory at src and gives server214's broker
// an invalid num.network.threads, which Kafka refuses at start-up and
// preflight does not check.
func brokenInventory(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "broken-inventory")
	copyTree(t, src, dst)
	hv := filepath.Join(dst, "host_vars")
	os.MkdirAll(hv, 0o755)
	f, err := os.OpenFile(filepath.Join(hv, "server214.yml"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\nkafka_num_network_threads: 0\n"); err != nil {
		t.Fatal(err)
	}
	return dst
}
