package tests

// End-to-end tests of the runner, build/bin/fabrun, against real Ansible and
// (TestFabrunDeployEndToEnd) a real network: the local inventory relocated to
// 127.0.199.211-216 and a temp dir, so the user's build/local is untouched.
// Nothing here contacts 10.100.194.x: the production inventory is only
// parsed (`fabrun check`).

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	root := RepoRoot(t)
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "playbooks"), 0o755)
	data, err := os.ReadFile(filepath.Join(root, "ansible.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(home, "ansible.cfg"), data, 0o644)
	os.WriteFile(filepath.Join(home, "playbooks", "probe.yml"), []byte(`---
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
`), 0o644)
	var retries int
	res, err := playbook.Run(t.Context(), playbook.Options{
		Home: home, AnsiblePlaybook: VenvBin(t, "ansible-playbook"), Inventory: "localhost,",
		ExtraVars: []string{"ansible_python_interpreter=" + VenvBin(t, "python3")},
		Env:       map[string]string{"ANSIBLE_LOCAL_TEMP": t.TempDir()},
		Log:       filepath.Join(t.TempDir(), "probe.log"),
		OnEvent: func(ev *playbook.Event) {
			if ev.Event == playbook.EventRetry {
				retries++
			}
		},
	}, "probe")
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

// fabrunE2EPrefix is the address prefix of TestFabrunDeployEndToEnd's hosts:
// not the local inventory's 127.0.194., so a network the user deployed from
// this checkout keeps running, nor another end-to-end test's.
const fabrunE2EPrefix = "127.0.199."

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

// TestFabrunDeployEndToEnd is the whole contract on the local network:
// a fresh deploy verifies the seed's values (a=100, b=200, b=210 on peer0
// and peer1 of org1), status is healthy, a second deploy changes nothing
// and passes the repeat check, plan shows no change, a broken Kafka setting on server214 fails
// the deploy naming the host and the task, and teardown leaves nothing
// running.
func TestFabrunDeployEndToEnd(t *testing.T) {
	tier(t, "network")
	root := RepoRoot(t)
	bin := FabrunBin(t)
	dir := t.TempDir()
	hostsDir := filepath.Join(dir, "hosts") + "/"
	inv := relocatedInventory(t, root, dir, fabrunE2EPrefix)
	// Every command runs on the relocated inventory.
	fab := func(t *testing.T, args ...string) fabrunResult {
		t.Helper()
		return fabrun(t, append([]string{args[0], "-i", inv}, args[1:]...)...)
	}
	if ports := listening(fabrunE2EPrefix); len(ports) > 0 {
		t.Fatalf("the test's addresses are in use by something it did not start: %v", ports)
	}
	// The binary checked at the start tears down, even if the source changed
	// since: nothing the test started may outlive it.
	t.Cleanup(func() {
		if len(procsMatching(hostsDir)) > 0 {
			if r := Run(t, root, nil, bin, "teardown", "-i", inv, "--yes", "--delete-data"); r.Err != nil {
				t.Errorf("cleanup teardown: %v\n%s%s", r.Err, r.Stdout, r.Stderr)
			}
		}
	})
	serviceLogsOnFailure(t, hostsDir)

	t.Run("fresh deploy", func(t *testing.T) {
		r := fab(t, "deploy", "--json")
		if r.Code != 0 {
			t.Fatalf("fabrun deploy: %s", r)
		}
		if leaks := privateKeyLeaks(t, filepath.Join(dir, "controller", "crypto"), nil,
			map[string]string{"fabrun deploy --json": r.Stdout + r.Stderr}); len(leaks) > 0 {
			t.Errorf("a private key shows in: %v", leaks)
		}
		if get(r.Doc, "verify", "mode") != "fresh" || get(r.Doc, "verify", "before", "a") != float64(100) ||
			get(r.Doc, "verify", "before", "b") != float64(200) {
			t.Errorf("verify = %v", r.Doc["verify"])
		}
		after, _ := get(r.Doc, "verify", "after").([]any)
		var peers []string
		for _, a := range after {
			m := a.(map[string]any)
			peers = append(peers, m["peer"].(string))
			if m["b"] != float64(210) || m["a"] != float64(90) {
				t.Errorf("after on %v: a=%v b=%v, want a=90 b=210", m["peer"], m["a"], m["b"])
			}
		}
		if strings.Join(peers, ",") != "peer0.org1.example.com,peer1.org1.example.com" {
			t.Errorf("read on %v, want peer0.org1 and peer1.org1", peers)
		}
		if h, _ := r.Doc["heights"].(map[string]any); len(h) != 4 {
			t.Errorf("heights = %v, want the 4 peers", r.Doc["heights"])
		}
		// The summary a person reads.
		for _, want := range []string{"Deployed and verified", "mychannel", "4 peers joined", "mycc", "b=210"} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("summary lacks %q:\n%s", want, r.Stderr)
			}
		}
		phases, _ := r.Doc["phases"].([]any)
		if len(phases) < 3 || get(r.Doc, "phases", "0", "name") != "preflight" ||
			get(r.Doc, "phases", strconv.Itoa(len(phases)-1), "name") != "verify" {
			t.Errorf("phases = %v", phases)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("status", func(t *testing.T) {
		r := fab(t, "status", "--json")
		if r.Code != 0 {
			t.Fatalf("fabrun status: %s", r)
		}
		// Status reads ZooKeeper with a backbone certificate; neither its
		// document nor any service log shows a private key.
		texts := serviceLogs(t, filepath.Join(dir, "hosts"))
		texts["fabrun status --json"] = r.Stdout + r.Stderr
		if leaks := privateKeyLeaks(t, filepath.Join(dir, "controller", "crypto"), nil, texts); len(leaks) > 0 {
			t.Errorf("a private key shows in: %v", leaks)
		}
		nodes, _ := get(r.Doc, "status", "nodes").([]any)
		kinds := map[string]int{}
		leaders := 0
		for _, n := range nodes {
			m := n.(map[string]any)
			kinds[m["kind"].(string)]++
			if m["healthy"] != true {
				t.Errorf("unhealthy: %v", m)
			}
			if m["kind"] == "zookeeper" && strings.HasPrefix(m["detail"].(string), "leader") {
				leaders++
			}
			if m["kind"] == "peer" && (m["height"] == nil || m["height"].(float64) < 1) {
				t.Errorf("peer without a height: %v", m)
			}
		}
		if kinds["zookeeper"] != 2 || kinds["kafka"] != 3 || kinds["orderer"] != 2 || kinds["peer"] != 4 || kinds["topic"] < 1 {
			t.Errorf("node kinds = %v", kinds)
		}
		if leaders != 1 {
			t.Errorf("ZooKeeper leaders = %d, want 1", leaders)
		}
	})

	t.Run("second deploy changes nothing and passes the repeat check", func(t *testing.T) {
		r := fab(t, "deploy", "--json")
		if r.Code != 0 {
			t.Fatalf("second fabrun deploy: %s", r)
		}
		if ch, _ := get(r.Doc, "playbook", "changes").(map[string]any); len(ch) != 0 {
			t.Errorf("second deploy changed: %v", ch)
		}
		if get(r.Doc, "verify", "mode") != "repeat" || get(r.Doc, "verify", "ok") != true {
			t.Errorf("verify = %v", r.Doc["verify"])
		}
		before := get(r.Doc, "verify", "before").(map[string]any)
		after := get(r.Doc, "verify", "after", "0").(map[string]any)
		if after["a"].(float64) != before["a"].(float64)-10 || after["b"].(float64) != before["b"].(float64)+10 {
			t.Errorf("before %v, after %v", before, after)
		}
	})

	t.Run("plan on the deployed network changes nothing", func(t *testing.T) {
		r := fab(t, "plan", "--json")
		if r.Code != 0 {
			t.Fatalf("fabrun plan: %s", r)
		}
		if plan, _ := r.Doc["plan"].(map[string]any); len(plan) != 0 {
			t.Errorf("plan = %v, want no change", plan)
		}
		if !strings.Contains(r.Stderr, "no changes") {
			t.Errorf("plan output:\n%s", r.Stderr)
		}
	})

	t.Run("a broken Kafka setting on server214 names the host and the task", func(t *testing.T) {
		r := fabrun(t, "deploy", "-i", brokenInventory(t, inv), "--json")
		if r.Code != 2 {
			t.Fatalf("deploy with a broken broker: exit %d, want 2\n%s", r.Code, r)
		}
		fs, _ := r.Doc["failures"].([]any)
		if len(fs) == 0 {
			t.Fatalf("no failures in the document: %s", r)
		}
		f := fs[0].(map[string]any)
		if f["host"] != "server214" || f["task"] == "" || f["message"] == "" {
			t.Errorf("first failure = %v, want server214 with a task and a message", f)
		}
		if !strings.Contains(r.Stderr, "failed on host server214, task ") {
			t.Errorf("output does not name the failing host and task:\n%s", r.Stderr)
		}
		if !strings.Contains(r.Doc["error"].(string), "server214") {
			t.Errorf("error = %v", r.Doc["error"])
		}
	})

	t.Run("teardown leaves nothing running", func(t *testing.T) {
		r := fab(t, "teardown", "--yes", "--delete-data")
		if r.Code != 0 {
			t.Fatalf("fabrun teardown: %s", r)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			procs, ports := procsMatching(hostsDir), listening(fabrunE2EPrefix)
			if len(procs) == 0 && len(ports) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still running after teardown:\nprocesses: %v\nlistening: %v", procs, ports)
			}
			time.Sleep(time.Second)
		}
	})
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
