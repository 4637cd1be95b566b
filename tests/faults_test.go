package tests

// The fault suite: faults one after another on one deployed network, each
// restored before the next (TestNetworkEndToEnd runs them on its network,
// TestTopologyIsData the ZooKeeper fault on its three-member ensemble).
// Every fault checks that nothing was lost: the chaincode's a + b stays
// 300, and every peer ends at the same height with the same latest block
// hash. During a fault, `fabrun status` names the failed node and what it
// affects. Each fault's time to recover goes in a table (faultNet.table).

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fabrun/fabrun/internal/module"
	"github.com/fabrun/fabrun/internal/ready"
)

// faultNet is a deployed network the faults run on, and how a user reaches
// it: fabrun and ansible-playbook commands on its inventory.
type faultNet struct {
	inv      string
	hostsDir string // ends in "/": each host's fabrun_home is hostsDir<host>
	peers    int    // how many peers the inventory has
	// fabrunCmd is `fabrun <args[0]> -i inv ... args[1:]`; playbookCmd runs
	// the collection's playbook of that name (verify, orderer, ...).
	fabrunCmd   func(t *testing.T, args ...string) *exec.Cmd
	playbookCmd func(t *testing.T, name string, extra ...string) *exec.Cmd
	timings     []faultTiming
}

type faultTiming struct {
	fault, held string
	recover     time.Duration
}

// checkoutFaultNet is a network deployed from the checkout: fabrun and
// ansible-playbook playbooks/<name>.yml from the repository root, on inv
// with extra arguments (-e @vars.yml).
func checkoutFaultNet(inv, hostsDir string, extra []string, peers int) *faultNet {
	return &faultNet{inv: inv, hostsDir: hostsDir, peers: peers,
		fabrunCmd: func(t *testing.T, args ...string) *exec.Cmd {
			cmd := exec.Command(FabrunBin(t), append(append([]string{args[0], "-i", inv}, extra...), args[1:]...)...)
			cmd.Dir, cmd.Env = RepoRoot(t), append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+t.TempDir())
			return cmd
		},
		playbookCmd: func(t *testing.T, name string, more ...string) *exec.Cmd {
			args := append(append([]string{"-i", inv, "playbooks/" + name + ".yml"}, extra...), more...)
			cmd := exec.Command(VenvBin(t, "ansible-playbook"), args...)
			cmd.Dir, cmd.Env = RepoRoot(t), append(os.Environ(), AnsibleEnv(t)...)
			return cmd
		},
	}
}

func (f *faultNet) fab(t *testing.T, args ...string) fabrunResult {
	t.Helper()
	return decodeFabrun(t, args, runCmd(f.fabrunCmd(t, args...)))
}

// play runs a playbook; it does not fail the test on a non-zero exit.
func (f *faultNet) play(t *testing.T, name string, extra ...string) CmdResult {
	t.Helper()
	return runCmd(f.playbookCmd(t, name, extra...))
}

// supervisorctl runs supervisorctl against one host's supervisord.
func (f *faultNet) supervisorctl(t *testing.T, host string, args ...string) CmdResult {
	t.Helper()
	conf := filepath.Join(f.hostsDir, host, "etc", "supervisor", "supervisord.conf")
	return Run(t, f.hostsDir, nil, VenvBin(t, "supervisorctl"), append([]string{"-c", conf}, args...)...)
}

// pid is the PID supervisord reports for a host's service (0: not running).
func (f *faultNet) pid(t *testing.T, host, service string) int {
	t.Helper()
	var pid int
	fmt.Sscan(strings.TrimSpace(f.supervisorctl(t, host, "pid", service).Stdout), &pid)
	return pid
}

// statusNodes are the nodes of a `fabrun status --json` document.
func statusNodes(r fabrunResult) []map[string]any {
	var out []map[string]any
	nodes, _ := get(r.Doc, "status", "nodes").([]any)
	for _, n := range nodes {
		if m, ok := n.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// expectDown checks that `fabrun status` reports the host's node of this
// kind as not healthy and says what that affects (want in Affects).
func (f *faultNet) expectDown(t *testing.T, kind, host, want string) {
	t.Helper()
	r := f.fab(t, "status", "--json")
	if r.Code == 0 {
		t.Errorf("fabrun status exits 0 with %s on %s down", kind, host)
	}
	for _, n := range statusNodes(r) {
		if n["kind"] != kind || n["host"] != host {
			continue
		}
		affects, _ := n["affects"].(string)
		if n["healthy"] == true || !strings.Contains(affects, want) {
			t.Errorf("status of %s on %s: healthy=%v error=%q affects=%q, want down and affects containing %q",
				kind, host, n["healthy"], n["error"], affects, want)
		}
		if !strings.Contains(r.Stderr, affects) {
			t.Errorf("the status table does not say what the failure affects:\n%s", r.Stderr)
		}
		return
	}
	t.Errorf("fabrun status has no %s node on %s:\n%s", kind, host, r.Stderr)
}

// verify runs `fabrun verify` (query, move 10 from a to b, read back) and
// checks that a + b is still 300.
func (f *faultNet) verify(t *testing.T, during string) {
	t.Helper()
	r := f.fab(t, "verify", "--json")
	if r.Code != 0 || get(r.Doc, "verify", "ok") != true {
		t.Fatalf("fabrun verify %s: %s", during, r)
	}
	checkSum(t, r, during)
}

func checkSum(t *testing.T, r fabrunResult, during string) {
	t.Helper()
	for _, k := range []string{"before", "after/0"} {
		path := append([]string{"verify"}, strings.Split(k, "/")...)
		b, _ := get(r.Doc, path...).(map[string]any)
		a, _ := b["a"].(float64)
		bb, _ := b["b"].(float64)
		if a+bb != 300 {
			t.Errorf("%s: a + b = %v + %v %s, want 300", during, a, bb, k)
		}
	}
}

// converged waits until every peer is healthy at the same height with the
// same latest block hash; it returns that height.
func (f *faultNet) converged(t *testing.T, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		r := f.fab(t, "status", "--json")
		var heights []float64
		hashes := map[string]bool{}
		peers, healthy := 0, 0
		for _, n := range statusNodes(r) {
			if n["kind"] != "peer" {
				continue
			}
			peers++
			if n["healthy"] == true {
				healthy++
			}
			h, _ := n["height"].(float64)
			heights = append(heights, h)
			hash, _ := n["block_hash"].(string)
			hashes[hash] = true
		}
		same := len(heights) == f.peers && len(hashes) == 1 && !hashes[""]
		for _, h := range heights {
			same = same && h == heights[0] && h > 0
		}
		if same && healthy == peers {
			return heights[0]
		}
		last = fmt.Sprintf("peers %d, healthy %d, heights %v, hashes %d\n%s", peers, healthy, heights, len(hashes), r.Stderr)
		if time.Now().After(deadline) {
			t.Fatalf("peers did not converge within %s: %s", timeout, last)
		}
		time.Sleep(2 * time.Second)
	}
}

var isrRE = regexp.MustCompile(`in sync \[([0-9 ]*)\] of replicas \[([0-9 ]*)\]`)

// inEveryISR waits until every channel topic has all its replicas in sync.
func (f *faultNet) inEveryISR(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := f.fab(t, "status", "--json")
		topics, full := 0, 0
		var details []string
		for _, n := range statusNodes(r) {
			if n["kind"] != "topic" {
				continue
			}
			topics++
			d, _ := n["detail"].(string)
			if d == "" {
				d, _ = n["error"].(string)
			}
			details = append(details, fmt.Sprintf("%v: %s", n["name"], d))
			if m := isrRE.FindStringSubmatch(d); m != nil && m[1] == m[2] {
				full++
			}
		}
		if topics >= 2 && full == topics {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every replica back in sync within %s: %v", timeout, details)
		}
		time.Sleep(2 * time.Second)
	}
}

func (f *faultNet) record(t *testing.T, fault, held string, d time.Duration) {
	f.timings = append(f.timings, faultTiming{fault, held, d})
	t.Logf("recovered from %q in %.1fs", fault, d.Seconds())
}

// table is the faults' table: fault, what held, time to recover.
func (f *faultNet) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-58s | %-76s | %s\n", "fault", "what held", "time to recover")
	for _, x := range f.timings {
		fmt.Fprintf(&b, "%-58s | %-76s | %.1fs\n", x.fault, x.held, x.recover.Seconds())
	}
	return b.String()
}

// interruptedDeploy starts `fabrun deploy` on a network that is not
// deployed and interrupts it (SIGINT to its process group, as Ctrl-C does)
// once the Kafka phase has started a broker: it must exit non-zero and
// leave no ansible-playbook behind. The caller deploys again.
func (f *faultNet) interruptedDeploy(t *testing.T) {
	// The Kafka phase has begun when a broker process runs.
	interruptWhen(t, f.fabrunCmd(t, "deploy"), "a Kafka broker runs", 10*time.Minute,
		func() bool { return kafkaRunning(f.hostsDir) })
	// Ansible's forks finish their current task; none may linger.
	for wait := time.Now().Add(time.Minute); len(procsMatching(f.inv)) > 0; time.Sleep(time.Second) {
		if time.Now().After(wait) {
			t.Errorf("ansible-playbook still runs a minute after the interrupted deploy: %v", procsMatching(f.inv))
			break
		}
	}
}

// interruptWhen starts cmd in its own process group, waits until ready
// holds (at most limit), then sends SIGINT to the whole group, as Ctrl-C on a
// terminal does (ansible-playbook and its forks get it too): the command must
// exit non-zero within 3 minutes. It returns the command's output.
func interruptWhen(t *testing.T, cmd *exec.Cmd, what string, limit time.Duration, ready func() bool) string {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(limit)
	for !ready() {
		select {
		case err := <-done:
			t.Fatalf("%s ended (%v) before %s:\n%s", cmd.Args, err, what, out.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("%s: not %s after %s:\n%s", cmd.Args, what, limit, out.String())
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("%s interrupted exits 0:\n%s", cmd.Args, out.String())
		}
	case <-time.After(3 * time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("%s did not stop within 3 minutes of SIGINT:\n%s", cmd.Args, out.String())
	}
	return out.String()
}

// ordererDown: with orderer0 stopped, clients fail over to orderer1; a
// re-run limited to its host restarts it, and it alone then orders.
func (f *faultNet) ordererDown(t *testing.T) {
	if r := f.supervisorctl(t, "server215", "stop", "orderer"); r.Err != nil {
		t.Fatalf("stop orderer: %v %s", r.Err, r.Stdout)
	}
	f.expectDown(t, "orderer", "server215", "clients fail over to orderer1")
	// The reproduction: fabrun verify, and fabric_chaincode
	// invoked by the playbook, with orderer0 stopped.
	f.verify(t, "with orderer0 down")
	if r := f.play(t, "verify"); r.Err != nil {
		t.Fatalf("verify.yml (fabric_chaincode invoke) with orderer0 down: %v\n%s", r.Err, tail(r.Stdout, 40))
	}
	// The re-run is site.yml limited to the failed node's host, as an
	// operator would run it (CI time); it verifies afterwards.
	start := time.Now()
	if r := f.fab(t, "deploy", "--limit", "server215", "--json"); r.Code != 0 {
		t.Fatalf("deploy with orderer0 down: %s", r)
	}
	if f.pid(t, "server215", "orderer") == 0 {
		t.Fatal("the re-run did not start orderer0")
	}
	recovered := time.Since(start)
	// Caught up: with orderer1 stopped in turn, orderer0 alone orders
	// and delivers the blocks.
	if r := f.supervisorctl(t, "server216", "stop", "orderer"); r.Err != nil {
		t.Fatalf("stop orderer1: %v %s", r.Err, r.Stdout)
	}
	f.verify(t, "through orderer0 alone after its restart")
	// The orderer phase starts orderer1 again and waits until it is ready.
	if r := f.play(t, "orderer", "--limit", "server216"); r.Err != nil {
		t.Fatalf("orderer.yml for orderer1: %v\n%s", r.Err, tail(r.Stdout, 40))
	}
	f.converged(t, time.Minute)
	f.record(t, "one orderer down (orderer0)", "invokes commit through orderer1; a re-run restarts it; it alone then orders", recovered)
}

// ordererWithKafkaDown: a Kafka-mode orderer panics when /healthz is polled
// before its chains have a Kafka producer; the orderer role waits for its
// log instead, fails clearly while Kafka is down, and succeeds (without
// restarting the orderer) once Kafka is back.
func (f *faultNet) ordererWithKafkaDown(t *testing.T) {
	brokers := []string{"server214", "server215", "server216"}
	for _, h := range brokers {
		if r := f.supervisorctl(t, h, "stop", "kafka"); r.Err != nil {
			t.Fatalf("stop kafka on %s: %v %s", h, r.Err, r.Stdout)
		}
	}
	if r := f.supervisorctl(t, "server215", "restart", "orderer"); r.Err != nil {
		t.Fatalf("restart orderer0: %v %s", r.Err, r.Stdout)
	}
	pid := f.pid(t, "server215", "orderer")
	// Kafka stays down: the role fails, naming the channels that wait
	// and the brokers, and the orderer is still the same process.
	// Results as JSON: long messages are not folded.
	held := f.playbookCmd(t, "orderer", "--limit", "server215", "-e", "orderer_ready_timeout=10")
	held.Env = append(held.Env, "ANSIBLE_CALLBACK_RESULT_FORMAT=json")
	r := runCmd(held)
	if r.Err == nil {
		t.Fatalf("the orderer role passed with every broker down:\n%s", tail(r.Stdout, 30))
	}
	for _, want := range []string{"orderer is not ready", "not ready yet", "are the Kafka brokers (server214, server215, server216) running"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the role's failure lacks %q:\n%s", want, tail(r.Stdout, 40))
		}
	}
	if p := f.pid(t, "server215", "orderer"); p != pid {
		t.Fatalf("orderer0 did not survive the role's wait (pid %d, now %d)", pid, p)
	}
	// Kafka comes back while the role waits: the role succeeds, and the
	// orderer never restarted. (Quickly: an orderer whose Kafka retries
	// run out, orderer_kafka_retry's 30 s + 100 s, exits by itself.)
	start := time.Now()
	cmd := f.playbookCmd(t, "orderer", "--limit", "server215")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	var started sync.WaitGroup
	for _, h := range brokers {
		started.Add(1)
		go func(h string) {
			defer started.Done()
			if r := f.supervisorctl(t, h, "start", "kafka"); r.Err != nil {
				t.Errorf("start kafka on %s: %v %s", h, r.Err, r.Stdout)
			}
		}(h)
	}
	started.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the orderer role with Kafka back: %v\n%s", err, tail(out.String(), 40))
	}
	if p := f.pid(t, "server215", "orderer"); p != pid {
		t.Errorf("orderer0 restarted or crashed while Kafka came back (pid %d, now %d)", pid, p)
	}
	f.verify(t, "after Kafka came back")
	f.converged(t, time.Minute)
	f.record(t, "orderer started while every Kafka broker is down", "the orderer (never /healthz-polled early); the role fails clearly, then succeeds once Kafka is back", time.Since(start))
}

// brokerDown: with one broker stopped, invokes commit and status names it; a
// re-run limited to its host restarts it, back in every ISR.
func (f *faultNet) brokerDown(t *testing.T) {
	if r := f.supervisorctl(t, "server214", "stop", "kafka"); r.Err != nil {
		t.Fatalf("stop kafka: %v %s", r.Err, r.Stdout)
	}
	f.expectDown(t, "kafka", "server214", "brokers up")
	f.verify(t, "with broker 0 down")
	start := time.Now()
	if r := f.fab(t, "deploy", "--limit", "server214", "--json"); r.Code != 0 {
		t.Fatalf("deploy with a broker down: %s", r)
	} else {
		checkSum(t, r, "after the broker's restart")
	}
	if f.pid(t, "server214", "kafka") == 0 {
		t.Fatal("the re-run did not start the broker")
	}
	f.inEveryISR(t, 3*time.Minute)
	f.converged(t, time.Minute)
	f.record(t, "one Kafka broker down (server214)", "invokes commit; a re-run restarts it, back in every ISR", time.Since(start))
}

// peerKilled: a peer killed with SIGKILL is restarted by its service
// manager and catches up.
func (f *faultNet) peerKilled(t *testing.T) {
	before := f.pid(t, "server214", "peer")
	if before == 0 {
		t.Fatal("peer1.org2 is not running")
	}
	start := time.Now()
	if err := syscall.Kill(before, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// supervisord restarts it within seconds, often before status has
	// read the inventory: then there is no fault left to report.
	r := f.fab(t, "status", "--json")
	for _, n := range statusNodes(r) {
		if n["kind"] == "peer" && n["host"] == "server214" {
			affects, _ := n["affects"].(string)
			switch {
			case n["healthy"] == true:
				t.Logf("peer1.org2 was already back when status read it")
			case !strings.Contains(affects, "Org2MSP endorses and answers through peer0.org2"):
				t.Errorf("status of the killed peer: error %q, affects %q", n["error"], affects)
			}
		}
	}
	f.verify(t, "with peer1.org2 killed")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if p := f.pid(t, "server214", "peer"); p != 0 && p != before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("supervisord did not restart the killed peer")
		}
		time.Sleep(500 * time.Millisecond)
	}
	f.converged(t, 2*time.Minute)
	f.record(t, "a peer killed with SIGKILL (peer1.org2)", "the service manager restarts it; it catches up", time.Since(start))
}

// hostCrashed: every process of server214 (its supervisord, Kafka broker 4
// and peer1.org2) killed at once, as when the host loses power. The
// broker's ZooKeeper session outlives it by the session timeout; a deploy
// right away waits for it to time out before it starts the broker (started
// sooner, the broker exits: its registration is still there, NodeExists),
// and says so; then both services are back and the broker rejoins every ISR.
func (f *faultNet) hostCrashed(t *testing.T) {
	procs := procsMatching(f.hostsDir + "server214/")
	if len(procs) < 3 {
		t.Fatalf("want supervisord, the broker and the peer on server214, found %v", procs)
	}
	kafkaLog := f.hostsDir + "server214/log/kafka.log"
	logged := len(mustRead(t, kafkaLog))
	start := time.Now()
	for _, p := range procs {
		syscall.Kill(p.PID, syscall.SIGKILL)
	}
	for deadline := time.Now().Add(10 * time.Second); len(procsMatching(f.hostsDir+"server214/")) > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still running on server214 after SIGKILL: %v", procsMatching(f.hostsDir+"server214/"))
		}
	}
	logs := t.TempDir()
	r := f.fab(t, "deploy", "--limit", "server214", "--json", "--log-dir", logs)
	if r.Code != 0 {
		t.Fatalf("deploy after server214 lost power: %s", r)
	}
	checkSum(t, r, "after server214 lost power")
	site := string(mustRead(t, filepath.Join(logs, "fabrun-site.log")))
	if !regexp.MustCompile(`ZooKeeper held broker 4's registration from a run that ended \(session 0x[0-9a-f]+\) until that session timed out \(waited [0-9.]+ s\)`).MatchString(site) {
		t.Errorf("the deploy did not say it waited for broker 4's old ZooKeeper session:\n%s", tail(site, 60))
	}
	if since := string(mustRead(t, kafkaLog)[logged:]); strings.Contains(since, "NodeExists") {
		t.Errorf("broker 4 was started while its old registration was still there:\n%s", tail(since, 20))
	}
	for _, service := range []string{"kafka", "peer"} {
		if f.pid(t, "server214", service) == 0 {
			t.Errorf("the deploy did not start %s on server214", service)
		}
	}
	f.inEveryISR(t, 3*time.Minute)
	f.converged(t, 2*time.Minute)
	f.record(t, "server214 lost power (every process killed)", "a deploy waits out the broker's old ZooKeeper session, then starts it and the peer", time.Since(start))
}

// stopAndStart: everything stopped (teardown keeping data) and deployed
// again keeps the ledger. One broker has also drifted (a file's mode), so
// the Kafka group runs in full, every broker together: a broker started on
// its own would wait for that one, which starts only after the wait. The
// groups whose hosts were only stopped start without a full run, each in
// one batch, as defined (no definition rendered again).
func (f *faultNet) stopAndStart(t *testing.T) {
	height := f.converged(t, time.Minute)
	if r := f.fab(t, "teardown", "--yes"); r.Code != 0 {
		t.Fatalf("teardown (keeping data): %s", r)
	}
	if left := procsMatching(f.hostsDir); len(left) > 0 {
		t.Fatalf("still running after teardown: %v", left)
	}
	drifted := f.hostsDir + "server214/etc/kafka/log4j.properties"
	info, err := os.Stat(drifted)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drifted, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	start := time.Now()
	r := f.fab(t, "deploy", "--json", "--log-dir", logs)
	if r.Code != 0 {
		t.Fatalf("deploy after a full stop: %s", r)
	}
	if now, err := os.Stat(drifted); err != nil || now.Mode() != info.Mode() {
		t.Errorf("%s after the deploy: %v %v, want mode %v back", drifted, now.Mode(), err, info.Mode())
	}
	site := string(mustRead(t, filepath.Join(logs, "fabrun-site.log")))
	for role, batch := range map[string]string{"zookeeper": "server215,server216", "orderer": "server215,server216", "kafka": ""} {
		// The task that starts a group without a full run, and its hosts when it ran.
		started := regexp.MustCompile(`(?m)^TASK \[Its service alone was stopped[^\]]*, ` + role + `\] \**\n(?:included: ` + role + ` for (.*))?`).FindStringSubmatch(site)
		var hosts []string
		if started != nil && started[1] != "" {
			hosts = strings.Split(started[1], ", ")
			slices.Sort(hosts)
		}
		switch {
		case started == nil:
			t.Errorf("%s: no start-without-a-full-run task in the deploy's log", role)
		case batch == "" && hosts != nil:
			t.Errorf("%s: started without a full run on %v while a member had drifted", role, hosts)
		case batch != "" && strings.Join(hosts, ",") != batch:
			t.Errorf("%s: started without a full run on %v, want %s in one batch", role, hosts, batch)
		case batch != "" && strings.Contains(site, "TASK [service : Supervisor program for "+role+"]"):
			// service's `start`: the check just compared the definition.
			t.Errorf("%s: started without a full run, but its program definition was rendered again", role)
		}
	}
	if get(r.Doc, "verify", "mode") != "repeat" {
		t.Errorf("the ledger was not kept: verify = %v", r.Doc["verify"])
	}
	checkSum(t, r, "after a full stop and start")
	if h := f.converged(t, time.Minute); h <= height {
		t.Errorf("height %v after the restart and a move, want above %v", h, height)
	}
	f.record(t, "everything stopped and started again", "the ledger: same chain, a + b = 300", time.Since(start))
}

// kafkaRunning says a Kafka broker of the test's hosts runs.
func kafkaRunning(hostsDir string) bool {
	for _, p := range procsMatching(hostsDir) {
		if strings.Contains(p.Cmdline, "kafka.Kafka") {
			return true
		}
	}
	return false
}

// zookeeperDown stops one member of a three-node ensemble: status names it
// and says the quorum holds, invokes still commit, and the ZooKeeper phase
// of site.yml starts it again, back in the ensemble. It runs on
// TestTopologyIsData's deployment (tests/testdata/inventory-large).
func (f *faultNet) zookeeperDown(t *testing.T, host string) {
	if r := f.supervisorctl(t, host, "stop", "zookeeper"); r.Err != nil {
		t.Fatalf("stop zookeeper on %s: %v %s", host, r.Err, r.Stdout)
	}
	f.expectDown(t, "zookeeper", host, "keeps its quorum (2 of 3 members up, 2 needed)")
	f.verify(t, "with a ZooKeeper member down")
	start := time.Now()
	if r := f.play(t, "zookeeper"); r.Err != nil {
		t.Fatalf("zookeeper.yml: %v\n%s", r.Err, tail(r.Stdout, 40))
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r := f.fab(t, "status", "--json")
		up := 0
		for _, n := range statusNodes(r) {
			if n["kind"] == "zookeeper" && n["healthy"] == true {
				up++
			}
		}
		if up == 3 && r.Code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ensemble is not whole again:\n%s", r.Stderr)
		}
		time.Sleep(2 * time.Second)
	}
	f.verify(t, "after the ZooKeeper member rejoined")
	f.converged(t, time.Minute)
	f.record(t, fmt.Sprintf("one ZooKeeper member down of 3 (%s)", host), "ordering (quorum 2 of 3); the zookeeper phase restarts it, it rejoins", time.Since(start))
}

// TestLogReady runs the log-based readiness check of fabric_ready (the
// service role's `ready` entry point, the orderer's wait before /healthz)
// on orderer and Kafka logs with the roles' own patterns: a stand-in
// supervisord reports a live process whose start time splits the log into
// an earlier run and the current one.
func TestLogReady(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	dir := t.TempDir()
	sleeper := exec.Command("sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	// supervisord's getProcessInfo: STOPPED with dir/stopped; with dir/pids,
	// each call answers its next line (then its last): a program the
	// service manager keeps starting again.
	sock := filepath.Join(dir, "supervisor.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		state, pid := "RUNNING", sleeper.Process.Pid
		if _, err := os.Stat(filepath.Join(dir, "stopped")); err == nil {
			state, pid = "STOPPED", 0
		} else if b, err := os.ReadFile(filepath.Join(dir, "pids")); err == nil && len(b) > 0 {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			pid, _ = strconv.Atoi(lines[0])
			if len(lines) > 1 {
				os.WriteFile(filepath.Join(dir, "pids"), []byte(strings.Join(lines[1:], "\n")+"\n"), 0o644)
			}
		}
		fmt.Fprintf(w, `<methodResponse><params><param><value><struct>`+
			`<member><name>statename</name><value><string>%s</string></value></member>`+
			`<member><name>pid</name><value><int>%d</int></value></member></struct></value></param></params></methodResponse>`, state, pid)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	// systemd's tools: systemctl lists properties in its own order (not as
	// asked), journalctl prints the unit's log.
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	for name, body := range map[string]string{
		"systemctl": fmt.Sprintf("#!/bin/sh\nstate=active; [ -e %[1]s/stopped ] && state=inactive\n"+
			"printf 'MainPID=%[2]d\\nActiveState=%%s\\nInvocationID=0123abcd\\n' $state\n", dir, sleeper.Process.Pid),
		"journalctl": fmt.Sprintf("#!/bin/sh\ncat %s/orderer.log\n", dir),
	} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Fabric's log format, colours included.
	line := func(at time.Time, channel, what string) string {
		return fmt.Sprintf("\x1b[34m%s UTC 0001 INFO\x1b[0m [orderer.consensus.kafka] \x1b[34;1mstartThread\x1b[0m -> [channel: %s] %s\n",
			at.Local().Format("2006-01-02 15:04:05.000"), channel, what)
	}
	// Kafka's (log4j's) format.
	kafkaLine := func(at time.Time, what string) string {
		stamp := strings.Replace(at.Local().Format("2006-01-02 15:04:05.000"), ".", ",", 1)
		if what == "registered" {
			return fmt.Sprintf("[%s] INFO Registered broker 4 at path /brokers/ids/4 with addresses: SSL://127.0.0.1:9092 (kafka.zk.KafkaZkClient)\n", stamp)
		}
		return fmt.Sprintf("[%s] INFO [KafkaServer id=4] %s (kafka.server.KafkaServer)\n", stamp, what)
	}
	now, old := time.Now().Add(time.Second), time.Now().Add(-time.Hour)
	const starting, started = "Starting chain with last persisted offset 3 and last recorded block [1]", "Start phase completed successfully"
	tests := []struct {
		name    string
		log     string
		stopped bool
		wantOK  bool
		want    string
		kafka   bool           // a broker's log, with the kafka role's patterns
		extra   map[string]any // more options
		systemd bool           // under systemd (the journal) instead of supervisor
		pids    []int          // the program's process at each poll (supervisor)
	}{
		{"every chain started", line(now, "sys", starting) + line(now, "mychannel", starting) + line(now, "sys", started) + line(now, "mychannel", started),
			false, true, `"ready":true`, false, nil, false, nil},
		{"one chain still starting", line(now, "sys", starting) + line(now, "mychannel", starting) + line(now, "sys", started),
			false, false, "channel mychannel not ready yet; are the brokers up?", false, nil, false, nil},
		{"an earlier run's start phase does not count", line(old, "sys", starting) + line(old, "sys", started) + line(now, "sys", starting),
			false, false, "channel sys not ready yet", false, nil, false, nil},
		{"nothing started in this run", line(old, "sys", starting) + line(old, "sys", started),
			false, false, "no channel has begun starting yet", false, nil, false, nil},
		{"not running", line(now, "sys", starting) + line(now, "sys", started), true, false, "the service is not running", false, nil, false, nil},
		{"kafka broker started", kafkaLine(old, "registered") + kafkaLine(old, "started") + kafkaLine(now, "registered") + kafkaLine(now, "started"),
			false, true, `"keys":["4"]`, true, nil, false, nil},
		{"kafka broker still starting", kafkaLine(old, "started") + kafkaLine(now, "registered"),
			false, false, "broker 4 not ready yet", true, nil, false, nil},
		{"up long enough: its start rotated out of the log", line(old, "sys", started),
			false, true, `"settled":true`, false, map[string]any{"settled": 0}, false, nil},
		{"kafka broker started again and again (it refuses its settings after its start counted)", kafkaLine(now, "registered"),
			false, false, "it exits while starting: started again 3 times", true, map[string]any{"timeout": 30}, false,
			[]int{sleeper.Process.Pid, os.Getpid(), os.Getppid(), 1}},
		{"systemd: every chain started", line(now, "sys", starting) + line(now, "sys", started),
			false, true, `"ready":true`, false, nil, true, nil},
		{"systemd: not running", line(now, "sys", starting) + line(now, "sys", started),
			true, false, "the service is not running", false, nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(dir, "orderer.log")
			os.WriteFile(log, []byte(tt.log), 0o644)
			os.Remove(filepath.Join(dir, "stopped"))
			if tt.stopped {
				os.WriteFile(filepath.Join(dir, "stopped"), nil, 0o644)
			}
			os.Remove(filepath.Join(dir, "pids"))
			if tt.pids != nil {
				var b strings.Builder
				for _, p := range tt.pids {
					fmt.Fprintln(&b, p)
				}
				os.WriteFile(filepath.Join(dir, "pids"), []byte(b.String()), 0o644)
			}
			args := readyPatterns(t, filepath.Join(root, "roles/orderer/tasks/health.yml"))
			if tt.kafka {
				args = readyPatterns(t, filepath.Join(root, "roles/kafka/tasks/health.yml"))
			}
			args["manager"], args["program"], args["socket"], args["log"] = "supervisor", "orderer", sock, log
			if tt.systemd {
				args = map[string]any{"begin": args["begin"], "done": args["done"], "what": args["what"], "manager": "systemd", "unit": "fabrun-orderer"}
				t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			}
			args["hint"], args["timeout"], args["interval"] = "are the brokers up?", 1, 0.2
			maps.Copy(args, tt.extra)
			b, _ := json.Marshal(args)
			out, _ := json.Marshal(module.Execute(ready.Spec(), b, ready.Run))
			failed := strings.Contains(string(out), `"failed":true`)
			if failed == tt.wantOK || !strings.Contains(string(out), tt.want) {
				t.Errorf("result %s; want ready %v and %q", out, tt.wantOK, tt.want)
			}
		})
	}
}

// readyPatterns are the fabric_ready log options of the role tasks file's
// call to the service role's `ready` entry point.
func readyPatterns(t *testing.T, tasksFile string) map[string]any {
	t.Helper()
	var tasks []struct {
		IncludeRole struct {
			TasksFrom string `yaml:"tasks_from"`
		} `yaml:"ansible.builtin.include_role"`
		Vars map[string]string `yaml:"vars"`
	}
	if err := yaml.Unmarshal(mustRead(t, tasksFile), &tasks); err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		if task.IncludeRole.TasksFrom == "ready" {
			v := task.Vars
			return map[string]any{"begin": kafkaReadyLog(t, tasksFile, v["service_ready_begin"]),
				"done": kafkaReadyLog(t, tasksFile, v["service_ready_done"]), "what": v["service_ready_what"]}
		}
	}
	t.Fatalf("%s does not call the service role's ready entry point", tasksFile)
	return nil
}

// kafkaReadyLog resolves a pattern the role picks by consensus type,
// "{{ <var>[fabric_orderer_type].<key> }}", to the role defaults' Kafka entry
// (these cases are a Kafka network's logs); a literal pattern is itself.
func kafkaReadyLog(t *testing.T, tasksFile, value string) string {
	t.Helper()
	m := regexp.MustCompile(`^\{\{ (\w+)\[fabric_orderer_type\]\.(\w+) \}\}$`).FindStringSubmatch(value)
	if m == nil {
		return value
	}
	var defaults map[string]map[string]map[string]string
	defaultsFile := filepath.Join(filepath.Dir(filepath.Dir(tasksFile)), "defaults", "main.yml")
	var all map[string]any
	if err := yaml.Unmarshal(mustRead(t, defaultsFile), &all); err != nil {
		t.Fatal(err)
	}
	raw, _ := yaml.Marshal(map[string]any{m[1]: all[m[1]]})
	if err := yaml.Unmarshal(raw, &defaults); err != nil {
		t.Fatalf("%s: %s: %v", defaultsFile, m[1], err)
	}
	p := defaults[m[1]]["kafka"][m[2]]
	if p == "" {
		t.Fatalf("%s has no %s.kafka.%s", defaultsFile, m[1], m[2])
	}
	return p
}

// TestEveryOrdererDown: when no orderer answers, fabric_channel's error
// gives each orderer's address and reason (nothing listens on the ports).
func TestEveryOrdererDown(t *testing.T) {
	tier(t, "module")
	bin := ModuleBin(t, "fabric_channel")
	dir := t.TempDir()
	ca := newTestCertKey(t, dir)
	down := []string{fmt.Sprintf("127.0.0.1:%d", freePort(t, "127.0.0.1")), fmt.Sprintf("127.0.0.2:%d", freePort(t, "127.0.0.2"))}
	args, _ := json.Marshal(map[string]any{
		"state": "fetched", "channel_id": "mychannel", "block_path": filepath.Join(dir, "b.block"),
		"orderers": down, "orderer_tls_ca": ca.cert, "msp_id": "Org1MSP",
		"admin_cert": ca.cert, "admin_key": ca.key, "timeout": 20,
	})
	argsFile := filepath.Join(dir, "args.json")
	os.WriteFile(argsFile, args, 0o600)
	r := Run(t, dir, nil, bin, argsFile)
	var res struct {
		Failed bool   `json:"failed"`
		Msg    string `json:"msg"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("module output: %v\n%s", err, r.Stdout)
	}
	if !res.Failed || !strings.Contains(res.Msg, "all 2 orderers failed") {
		t.Fatalf("msg = %q", res.Msg)
	}
	for _, addr := range down {
		if !strings.Contains(res.Msg, addr+": nothing answers") || !strings.Contains(res.Msg, addr+": Orderer Client Status Code") {
			t.Errorf("msg lacks %s's reason: %q", addr, res.Msg)
		}
	}
}

type certKey struct{ cert, key string }

// newTestCertKey writes a self-signed ECDSA certificate and its key.
func newTestCertKey(t *testing.T, dir string) certKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "admin"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	out := certKey{filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")}
	os.WriteFile(out.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(out.key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600)
	return out
}
