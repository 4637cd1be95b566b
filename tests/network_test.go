package tests

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// networkHosts is the local inventory's placement, by octet.
var networkHosts = struct {
	zookeeper, kafka, orderer, peer []string
}{
	zookeeper: []string{"215", "216"},
	kafka:     []string{"214", "215", "216"},
	orderer:   []string{"215", "216"},
	peer:      []string{"211", "212", "213", "214"},
}

// networkOrgOf maps a peer octet to its org domain and peer name.
var networkOrgOf = map[string][2]string{
	"211": {"org1.example.com", "peer0"}, "212": {"org1.example.com", "peer1"},
	"213": {"org2.example.com", "peer0"}, "214": {"org2.example.com", "peer1"},
}

// networkHealthz GETs an operations /healthz over TLS, trusting caFile.
func networkHealthz(url, caFile string) (int, string, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return 0, "", err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b := make([]byte, 512)
	n, _ := resp.Body.Read(b)
	return resp.StatusCode, string(b[:n]), nil
}

// networkPIDs maps each service process under hostsDir to its PID.
func networkPIDs(hostsDir string) map[string]int {
	out := map[string]int{}
	for _, p := range procsMatching(hostsDir + "/") {
		if strings.Contains(p.Cmdline, "supervisord") {
			continue
		}
		out[p.Cmdline] = p.PID
	}
	return out
}

// TestNetworkEndToEnd is the guide's whole Kafka-mode network on the local
// inventory, deployed once and checked by every user path that does not
// need a network of its own. As a user of the collection tarball: it builds
// the tarball, installs it offline into an empty collections path, and
// works from a directory outside the checkout.
//   - `fabrun deploy --collection` interrupted with SIGINT in the Kafka
//     phase, then again from nothing: the guide's numbers (a=100,
//     b=200, then b=210 on peer0 and peer1 of org1), the summary, no key in
//     its output.
//   - Health of every service, the ZooKeeper ensemble, the brokers and the
//     orderers' replicated topics, a backbone that refuses strangers,
//     `fabrun status`.
//   - ansible-playbook fabrun.fabric.verify and the real peer CLI; a second
//     fabrun.fabric.site changes and restarts nothing; `fabrun plan` shows
//     no change; `fabrun verify` passes its repeat check.
//   - A broker setting changed on one host restarts that broker only.
//   - The fault suite (tests/faults_test.go): one orderer down, an orderer
//     started while Kafka is down, one broker down, a peer killed; each
//     restored, with nothing lost.
//   - A setting Kafka refuses fails the deploy at once, naming the host and
//     the task; everything stopped and deployed again keeps the ledger.
//   - No private key in any service log, Ansible or fabrun output.
//   - Teardown keeps the data and leaves nothing running; a second teardown
//     changes nothing; teardown_delete_data deletes every ledger.
//
// Its hosts are 127.0.197.211-216 and its directories are temporary (the
// local inventory relocated), so a network the user deployed from this
// checkout keeps running.
func TestNetworkEndToEnd(t *testing.T) {
	tier(t, "network")
	root := RepoRoot(t)
	fabrunBin := FabrunBin(t)
	FabricBin(t, "peer")
	FabricBin(t, "orderer")
	const prefix = "127.0.197."
	addr := func(octet string) string { return prefix + octet }
	if ports := listening(prefix); len(ports) > 0 {
		t.Fatalf("the test's addresses are in use by something it did not start: %v", ports)
	}
	dir := t.TempDir()
	hostsDir := filepath.Join(dir, "hosts")
	workdir := filepath.Join(dir, "controller")
	inventory := relocatedInventory(t, root, dir, prefix)
	cols := installCollection(t, buildCollection(t))
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	env := collectionUserEnv(t, work, cols)

	// Everything Ansible and fabrun printed, scanned for secrets at the end.
	outputs := map[string]string{}
	record := func(what string, r CmdResult) {
		outputs[fmt.Sprintf("%s (run %d)", what, len(outputs)+1)] = r.Stdout + r.Stderr
	}
	// The commands a user of the installed collection runs from work:
	// fabrun on an inventory, and the collection's playbooks by FQCN.
	logDir := t.TempDir()
	fabrunCmd := func(inv string, args ...string) *exec.Cmd {
		cmd := exec.Command(fabrunBin, append([]string{args[0], "-i", inv, "--collection", "--log-dir", logDir}, args[1:]...)...)
		cmd.Dir, cmd.Env = work, append(os.Environ(), env...)
		return cmd
	}
	playbookCmd := func(t *testing.T, name string, extra ...string) *exec.Cmd {
		cmd := exec.Command(VenvBin(t, "ansible-playbook"), append([]string{"-i", inventory, "fabrun.fabric." + name}, extra...)...)
		cmd.Dir, cmd.Env = work, append(os.Environ(), env...)
		return cmd
	}
	playOnce := func(pb string, extra ...string) (CmdResult, time.Duration) {
		start := time.Now()
		r := runCmd(playbookCmd(t, pb, extra...))
		record("ansible-playbook "+pb+" "+strings.Join(extra, " "), r)
		return r, time.Since(start)
	}
	play := func(t *testing.T, pb string, extra ...string) (CmdResult, time.Duration) {
		t.Helper()
		r, d := playOnce(pb, extra...)
		if r.Err != nil {
			t.Fatalf("ansible-playbook fabrun.fabric.%s %s: %v\n%s\nstderr:\n%s", pb, strings.Join(extra, " "), r.Err, tail(r.Stdout, 120), tail(r.Stderr, 40))
		}
		return r, d
	}
	fab := func(t *testing.T, inv string, args ...string) fabrunResult {
		t.Helper()
		r := runCmd(fabrunCmd(inv, args...))
		record("fabrun "+strings.Join(args, " "), r)
		return decodeFabrun(t, args, r)
	}
	// The fault suite (tests/faults_test.go) runs on this network, reached
	// the same way.
	faults := &faultNet{inv: inventory, hostsDir: hostsDir + "/", peers: 4,
		fabrunCmd:   func(_ *testing.T, args ...string) *exec.Cmd { return fabrunCmd(inventory, args...) },
		playbookCmd: playbookCmd,
	}
	t.Cleanup(func() {
		if len(procsMatching(hostsDir+"/")) > 0 {
			playOnce("teardown", "-e", "teardown_delete_data=true")
		}
		t.Log(faults.table())
	})
	serviceLogsOnFailure(t, hostsDir)

	// From nothing to the guide's final state, after a first deploy
	// interrupted with SIGINT in the Kafka phase.
	t.Run("fabrun deploy interrupted in the Kafka phase", faults.interruptedDeploy)
	if t.Failed() {
		return
	}
	t.Run("fabrun deploy from nothing", func(t *testing.T) {
		start := time.Now()
		r := fab(t, inventory, "deploy", "--json")
		t.Logf("fabrun deploy from nothing: %s", time.Since(start).Round(100*time.Millisecond))
		if r.Code != 0 {
			t.Fatalf("fabrun deploy: %s", r)
		}
		faults.record(t, "fabrun deploy interrupted (SIGINT) in the Kafka phase", "the next deploy completes and verifies from scratch", time.Since(start))
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
		for i := range phases {
			if name, _ := get(r.Doc, "phases", strconv.Itoa(i), "name").(string); name == "" {
				t.Errorf("phase %d has no name: %v", i, phases)
			}
		}
		if logs, _ := filepath.Glob(filepath.Join(logDir, "*")); len(logs) == 0 {
			t.Errorf("no playbook log in --log-dir %s", logDir)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("health", func(t *testing.T) {
		modes := []string{}
		member := backboneTLS(t, workdir, backboneNodeDir(workdir, "zookeeper1"))
		for _, o := range networkHosts.zookeeper {
			out, err := zkAsk(addr(o)+":2181", member, "srvr")
			if m := kafkaZKMode.FindStringSubmatch(out); err != nil || m == nil {
				t.Errorf("zookeeper %s: srvr %q %v", o, out, err)
			} else {
				modes = append(modes, m[1])
			}
			if ok, _ := zkAsk(addr(o)+":2181", member, "ruok"); ok != "imok" {
				t.Errorf("zookeeper %s: ruok %q", o, ok)
			}
		}
		sort.Strings(modes)
		if strings.Join(modes, ",") != "follower,leader" {
			t.Errorf("ZooKeeper modes %v: want one leader and one follower", modes)
		}
		ordererCA := filepath.Join(workdir, "crypto/ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem")
		for _, o := range networkHosts.orderer {
			if code, body, err := networkHealthz("https://"+addr(o)+":8443/healthz", ordererCA); err != nil || code != 200 {
				t.Errorf("orderer on %s: /healthz %d %s %v", o, code, body, err)
			}
		}
		for _, o := range networkHosts.peer {
			ca := filepath.Join(workdir, "crypto/peerOrganizations", networkOrgOf[o][0], "tlsca/tlsca."+networkOrgOf[o][0]+"-cert.pem")
			if code, body, err := networkHealthz("https://"+addr(o)+":9443/healthz", ca); err != nil || code != 200 {
				t.Errorf("peer on %s: /healthz %d %s %v", o, code, body, err)
			}
		}
	})

	t.Run("orderers order through Kafka", func(t *testing.T) {
		ids := kafkaJava(t, hostsDir, "server215", "org.apache.zookeeper.ZooKeeperMain",
			"-server", addr("215")+":2181,"+addr("216")+":2181", "ls", "/brokers/ids")
		if !strings.Contains(ids.Stdout, "[1, 2, 4]") {
			t.Errorf("/brokers/ids: want [1, 2, 4]:\n%s\n%s", ids.Stdout, ids.Stderr)
		}
		bootstrap := addr("214") + ":9092," + addr("215") + ":9092," + addr("216") + ":9092"
		isr := regexp.MustCompile(`Isr: ([0-9,]+)`)
		// The orderers create one topic per channel: the system channel and
		// mychannel, replicated as the guide's broker settings say.
		for _, topic := range []string{"system-channel", "mychannel"} {
			r := kafkaJava(t, hostsDir, "server215", "org.apache.kafka.tools.TopicCommand",
				"--bootstrap-server", bootstrap, "--describe", "--topic", topic)
			m := isr.FindStringSubmatch(r.Stdout)
			if !strings.Contains(r.Stdout, "ReplicationFactor: 3") || m == nil || len(strings.Split(m[1], ",")) != 3 {
				t.Errorf("topic %s: want replication factor 3 with 3 in-sync replicas:\n%s\n%s", topic, r.Stdout, r.Stderr)
			}
			for _, w := range []string{"min.insync.replicas=2", "unclean.leader.election.enable=false",
				"max.message.bytes=103809024", "retention.ms=-1"} {
				if !strings.Contains(r.Stdout, w) {
					t.Errorf("topic %s: describe lacks %q:\n%s", topic, w, r.Stdout)
				}
			}
		}
	})

	t.Run("the ordering backbone refuses strangers", func(t *testing.T) {
		var zk, brokers []string
		for _, o := range networkHosts.zookeeper {
			zk = append(zk, addr(o)+":2181")
		}
		for _, o := range networkHosts.kafka {
			brokers = append(brokers, addr(o)+":9092")
		}
		checkBackboneRefusesStrangers(t, workdir, zk, brokers, "mychannel",
			filepath.Join(workdir, "crypto/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls"))
	})

	t.Run("fabrun status", func(t *testing.T) {
		r := fab(t, inventory, "status", "--json")
		if r.Code != 0 {
			t.Fatalf("fabrun status: %s", r)
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

	t.Run("verify.yml: a + b stays 300", func(t *testing.T) {
		r, d := play(t, "verify")
		t.Logf("verify.yml: %s", d)
		for _, want := range []string{"a 90 -> 80, b 210 -> 220, a + b = 300",
			"peer0.org1.example.com: b = 220", "peer1.org1.example.com: b = 220"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("verify.yml output lacks %q:\n%s", want, tail(r.Stdout, 60))
			}
		}
		if strings.Contains(r.Stdout, "seed check passed") {
			t.Errorf("verify.yml ran the fresh network's seed check on a verified network:\n%s", tail(r.Stdout, 60))
		}
	})

	// Independent of the project's own client code: the real peer CLI with
	// the generated Admin MSP, TLS CA and TLS client certificate (mutual TLS
	// is the default) reads b from peer1.org1.
	t.Run("peer CLI reads b = 220 on peer1.org1", func(t *testing.T) {
		org := filepath.Join(workdir, "crypto/peerOrganizations/org1.example.com")
		env := append([]string{
			"FABRIC_CFG_PATH=" + filepath.Join(hostsDir, "server212/peer/etc"),
			"CORE_PEER_ADDRESS=" + addr("212") + ":7051",
			"CORE_PEER_LOCALMSPID=Org1MSP",
			"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(org, "users/Admin@org1.example.com/msp"),
			"CORE_PEER_TLS_ENABLED=true",
			"CORE_PEER_TLS_ROOTCERT_FILE=" + filepath.Join(org, "tlsca/tlsca.org1.example.com-cert.pem"),
			"FABRIC_LOGGING_SPEC=error",
		}, peerCLIClientCert(filepath.Join(org, "users", "Admin@org1.example.com"))...)
		r := Run(t, dir, env, FabricBin(t, "peer"), "chaincode", "query", "-C", "mychannel", "-n", "mycc",
			"-c", `{"Args":["query","b"]}`)
		if r.Err != nil || strings.TrimSpace(r.Stdout) != "220" {
			t.Fatalf("peer chaincode query b on peer1.org1: %v %q\n%s", r.Err, r.Stdout, r.Stderr)
		}
	})

	t.Run("peers run the chaincode compiled once on the controller, without Go", func(t *testing.T) {
		checkPeersRunPrebuiltChaincode(t, hostsDir, filepath.Join(workdir, "chaincode", "mycc-1.0"))
	})

	t.Run("second site.yml changes and restarts nothing", func(t *testing.T) {
		before := networkPIDs(hostsDir)
		r, d := play(t, "site")
		t.Logf("site.yml again: %s", d)
		for host, c := range ansibleRecap(t, r.Stdout) {
			if c["changed"] != 0 {
				t.Errorf("second site.yml: %s changed=%d, want 0", host, c["changed"])
			}
		}
		after := networkPIDs(hostsDir)
		for cmd, pid := range before {
			if after[cmd] != pid && !strings.Contains(cmd, "chaincode") {
				t.Errorf("restarted by the second run: %s (pid %d -> %d)", cmd, pid, after[cmd])
			}
		}
	})

	t.Run("a re-run finds and fixes drift on some peers, and only there", faults.hostStateDrift)

	// The whole network's re-run was just shown to change nothing; plan is
	// the same run in check mode, here on one host (CI time).
	t.Run("fabrun plan shows no change", func(t *testing.T) {
		r := fab(t, inventory, "plan", "--limit", "server214", "--json")
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

	t.Run("fabrun verify: the repeat check", func(t *testing.T) {
		r := fab(t, inventory, "verify", "--json")
		if r.Code != 0 {
			t.Fatalf("fabrun verify: %s", r)
		}
		if get(r.Doc, "verify", "mode") != "repeat" || get(r.Doc, "verify", "ok") != true {
			t.Errorf("verify = %v", r.Doc["verify"])
		}
		before := get(r.Doc, "verify", "before").(map[string]any)
		after := get(r.Doc, "verify", "after", "0").(map[string]any)
		if before["a"] != float64(80) || before["b"] != float64(220) || after["a"] != float64(70) || after["b"] != float64(230) {
			t.Errorf("before %v, after %v; want a 80 -> 70, b 220 -> 230", before, after)
		}
	})

	t.Run("fabrun bench --throughput", func(t *testing.T) { benchThroughputCheck(t, fab, inventory) })

	// Input refused by preflight leaves the running network's files as they
	// were: the controller's crypto material and channel artifacts (genesis
	// block included), and every peer's and orderer's ledger. (The bad-input
	// table, tests/badinput_test.go, covers each rule on a network's
	// controller files; this is the same check with ledgers in use.)
	t.Run("bad input changes nothing on the running network", func(t *testing.T) {
		sums := func() map[string]string {
			all := map[string]string{}
			dirs := []string{filepath.Join(workdir, "crypto"), filepath.Join(workdir, "channel-artifacts")}
			for _, kind := range []string{"peer", "orderer"} {
				ds, _ := filepath.Glob(filepath.Join(hostsDir, "*", "data", kind))
				dirs = append(dirs, ds...)
			}
			for _, d := range dirs {
				for rel, sum := range treeSums(t, d) {
					// LevelDB's own diagnostic log is not ledger data.
					if b := filepath.Base(rel); b != "LOG" && b != "LOG.old" {
						all[filepath.Join(d, rel)] = sum
					}
				}
			}
			return all
		}
		before := sums()
		for _, bad := range [][]string{
			{`{"fabric_channel": "My_Channel"}`, "fabric_channel"},
			{`{"chaincode_policy": "OR('Org1MSP.peer'"}`, "chaincode_policy"},
		} {
			r := fab(t, inventory, "deploy", "--json", "-e", bad[0])
			if r.Code != 4 || !findingHas(r.Doc, "error", bad[1]) {
				t.Errorf("fabrun deploy -e %s: exit %d (want 4), no error naming %s:\n%s", bad[0], r.Code, bad[1], r)
			}
		}
		sameTree(t, "a refused deploy", before, sums())
	})

	// A config change restarts that broker (handler -> service `main`), and
	// only it; the play still waits for every broker.
	t.Run("a broker setting changed on server214 restarts that broker only", func(t *testing.T) {
		before := kafkaProcs(hostsDir)
		r, _ := play(t, "kafka", "--limit", "server214", "-e", "kafka_log_level=WARN")
		if c := ansibleRecap(t, r.Stdout)["server214"]; c["changed"] == 0 {
			t.Errorf("changing kafka_log_level changed nothing on server214: %v", c)
		}
		after := kafkaProcs(hostsDir)
		for k, pid := range before {
			if restarted := after[k] != pid; restarted != (k == "server214 kafka") {
				t.Errorf("after a config change on server214: %s restarted=%v (pid %d -> %d)", k, restarted, pid, after[k])
			}
		}
	})

	// The faults, each restored before the next.
	for _, fault := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"one orderer down", faults.ordererDown},
		{"orderer started while Kafka is down", faults.ordererWithKafkaDown},
		{"one Kafka broker down", faults.brokerDown},
		{"a peer killed with SIGKILL", faults.peerKilled},
		{"server214 lost power", faults.hostCrashed},
	} {
		if !t.Run(fault.name, fault.run) {
			return
		}
	}

	// The broker on server214 is left stopped by a setting it refuses; the
	// stop and start that follows starts it again with its own settings.
	t.Run("a setting Kafka refuses on server214 fails the deploy, naming the host and the task", func(t *testing.T) {
		start := time.Now()
		r := fab(t, brokenInventory(t, inventory), "deploy", "--json")
		t.Logf("failed deploy: %s", time.Since(start).Round(100*time.Millisecond))
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

	if !t.Run("everything stopped and started again", faults.stopAndStart) {
		return
	}

	// Last of the changes: Kafka to Raft and off the system channel
	// (tests/migration_test.go); the key scan and teardown cover it too.
	t.Run("fabrun migrate: Kafka to Raft, off the system channel", func(t *testing.T) {
		raftMigrationChecks(t, guideMigrationNet(workdir, hostsDir, inventory, fab, fabrunCmd, play))
	})

	t.Run("no private key in any service log, Ansible or fabrun output", func(t *testing.T) {
		texts := serviceLogs(t, hostsDir)
		for k, v := range outputs {
			texts[k] = v
		}
		if leaks := privateKeyLeaks(t, filepath.Join(workdir, "crypto"), nil, texts); len(leaks) > 0 {
			t.Errorf("a private key shows in: %v", leaks)
		}
	})

	t.Run("teardown leaves nothing running", func(t *testing.T) {
		_, d := play(t, "teardown")
		t.Logf("teardown.yml: %s", d)
		deadline := time.Now().Add(30 * time.Second)
		for {
			procs, ports := procsMatching(hostsDir+"/"), listening(prefix)
			if len(procs) == 0 && len(ports) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still running after teardown:\nprocesses: %v\nlistening: %v", procs, ports)
			}
			time.Sleep(time.Second)
		}
		if ledgers, _ := filepath.Glob(filepath.Join(hostsDir, "*/data/*")); len(ledgers) == 0 {
			t.Errorf("teardown without teardown_delete_data deleted the data")
		}
		r, _ := play(t, "teardown")
		for host, c := range ansibleRecap(t, r.Stdout) {
			if c["changed"] != 0 || c["failed"] != 0 {
				t.Errorf("second teardown: %s %v, want no change", host, c)
			}
		}
		// Deleting data deletes every ledger together: an orderer ledger kept
		// without its Kafka topics (or a peer's without the orderers') could
		// not start again.
		play(t, "teardown", "-e", "teardown_delete_data=true")
		var kept []string
		filepath.WalkDir(hostsDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && (d.Name() == "ledger" || d.Name() == "ledgersData" || d.Name() == "version-2") {
				kept = append(kept, p)
			}
			return nil
		})
		if len(kept) > 0 {
			t.Errorf("ledgers left after teardown_delete_data=true: %v", kept)
		}
	})
}
