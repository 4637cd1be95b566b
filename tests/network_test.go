package tests

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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

// TestNetworkEndToEnd deploys the guide's whole Kafka-mode network on the
// local inventory from nothing with real ansible-playbook, as a user of the
// collection tarball does: it builds the tarball, installs it offline into
// an empty collections path and runs fabrun.fabric.site (then verify and
// teardown) from a directory outside the checkout. It checks
// every service's health and the Kafka topics, runs the guide's checks
// (verify.yml: a = 100, b = 200 -> b = 210 on every peer), reads b = 210 with
// the real peer CLI, reruns site.yml for changed=0 with nothing restarted,
// and tears down leaving nothing running.
//
// Hosts are relocated like TestKafkaEndToEnd's (homes and controller work dir
// in a temp dir, addresses 127.0.197.<octet>), so the test never touches a
// network someone runs from the same checkout.
func TestNetworkEndToEnd(t *testing.T) {
	tier(t, "network")
	root := RepoRoot(t)
	for _, m := range []string{"fabric_crypto", "fabric_configtx", "fabric_channel", "fabric_chaincode"} {
		ModuleBin(t, m)
	}
	FabricBin(t, "peer")
	FabricBin(t, "orderer")
	dir := t.TempDir()
	hostsDir := filepath.Join(dir, "hosts")
	workdir := filepath.Join(dir, "controller")
	addr := func(octet string) string { return "127.0.197." + octet }
	vars := filepath.Join(dir, "relocate.yml")
	if err := os.WriteFile(vars, []byte(fmt.Sprintf(
		"fabrun_home: \"%s/{{ inventory_hostname }}\"\n"+
			"fabrun_workdir: \"%s\"\n"+
			"peer_gocache: \"%s\"\n"+
			"ansible_host: \"127.0.197.{{ inventory_hostname | regex_replace('^server', '') }}\"\n", hostsDir, workdir, goBuildCache(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	inventory := filepath.Join(root, "inventory/local")
	cols := installCollection(t, buildCollection(t))
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	env := collectionUserEnv(t, work, cols)
	// play runs the installed collection's playbook by FQCN from work.
	playOnce := func(pb string, extra ...string) (CmdResult, time.Duration) {
		t.Helper()
		start := time.Now()
		r := Run(t, work, env, VenvBin(t, "ansible-playbook"), append([]string{"-i", inventory, "fabrun.fabric." + pb, "-e", "@" + vars}, extra...)...)
		return r, time.Since(start)
	}
	// Everything Ansible printed, scanned for secrets at the end.
	ansibleOutput := map[string]string{}
	play := func(pb string, extra ...string) (CmdResult, time.Duration) {
		t.Helper()
		r, d := playOnce(pb, extra...)
		ansibleOutput[fmt.Sprintf("ansible-playbook %s %v (run %d)", pb, extra, len(ansibleOutput)+1)] = r.Stdout + r.Stderr
		if r.Err != nil {
			t.Fatalf("ansible-playbook fabrun.fabric.%s %s: %v\n%s\nstderr:\n%s", pb, strings.Join(extra, " "), r.Err, tail(r.Stdout, 120), tail(r.Stderr, 40))
		}
		return r, d
	}
	t.Cleanup(func() {
		if len(procsMatching(hostsDir+"/")) > 0 {
			playOnce("teardown")
		}
	})
	serviceLogsOnFailure(t, hostsDir)

	// From nothing to the guide's final state.
	r, siteTime := play("site")
	if !strings.Contains(r.Stdout, "fabrun.fabric.") {
		t.Errorf("site ran no task of the installed collection:\n%s", tail(r.Stdout, 20))
	}
	t.Logf("site.yml from nothing: %s", siteTime)

	t.Run("health", func(t *testing.T) {
		modes := []string{}
		member := backboneTLS(t, workdir, backboneNodeDir(workdir, "zookeeper1"))
		for _, o := range networkHosts.zookeeper {
			out, err := zkAsk(addr(o)+":2181", member, "srvr")
			if m := regexp.MustCompile(`Mode: (\w+)`).FindStringSubmatch(out); err != nil || m == nil {
				t.Errorf("zookeeper %s: srvr %q %v", o, out, err)
			} else {
				modes = append(modes, m[1])
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
		bootstrap := addr("214") + ":9092," + addr("215") + ":9092," + addr("216") + ":9092"
		isr := regexp.MustCompile(`Isr: ([0-9,]+)`)
		// The orderers create one topic per channel: the system channel and mychannel.
		for _, topic := range []string{"system-channel", "mychannel"} {
			r := kafkaJava(t, hostsDir, "server215", "org.apache.kafka.tools.TopicCommand",
				"--bootstrap-server", bootstrap, "--describe", "--topic", topic)
			m := isr.FindStringSubmatch(r.Stdout)
			if !strings.Contains(r.Stdout, "ReplicationFactor: 3") || m == nil || len(strings.Split(m[1], ",")) != 3 {
				t.Errorf("topic %s: want replication factor 3 with 3 in-sync replicas:\n%s\n%s", topic, r.Stdout, r.Stderr)
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

	t.Run("verify.yml: the guide's numbers", func(t *testing.T) {
		r, d := play("verify")
		t.Logf("verify.yml: %s", d)
		for _, want := range []string{"a 100 -> 90, b 200 -> 210, a + b = 300", "seed check passed: b = 210",
			"peer0.org1.example.com: b = 210", "peer1.org1.example.com: b = 210"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("verify.yml output lacks %q:\n%s", want, tail(r.Stdout, 60))
			}
		}
	})

	// Independent of the project's own client code: the real peer CLI with
	// the generated Admin MSP and TLS CA reads b from peer1.org1.
	t.Run("peer CLI reads b = 210 on peer1.org1", func(t *testing.T) {
		org := filepath.Join(workdir, "crypto/peerOrganizations/org1.example.com")
		env := []string{
			"FABRIC_CFG_PATH=" + filepath.Join(hostsDir, "server212/peer/etc"),
			"CORE_PEER_ADDRESS=" + addr("212") + ":7051",
			"CORE_PEER_LOCALMSPID=Org1MSP",
			"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(org, "users/Admin@org1.example.com/msp"),
			"CORE_PEER_TLS_ENABLED=true",
			"CORE_PEER_TLS_ROOTCERT_FILE=" + filepath.Join(org, "tlsca/tlsca.org1.example.com-cert.pem"),
			"FABRIC_LOGGING_SPEC=error",
		}
		r := Run(t, dir, env, FabricBin(t, "peer"), "chaincode", "query", "-C", "mychannel", "-n", "mycc",
			"-c", `{"Args":["query","b"]}`)
		if r.Err != nil || strings.TrimSpace(r.Stdout) != "210" {
			t.Fatalf("peer chaincode query b on peer1.org1: %v %q\n%s", r.Err, r.Stdout, r.Stderr)
		}
	})

	t.Run("second site.yml changes and restarts nothing", func(t *testing.T) {
		before := networkPIDs(hostsDir)
		r, d := play("site")
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

	t.Run("verify.yml again: delta and sum", func(t *testing.T) {
		r, _ := play("verify")
		if !strings.Contains(r.Stdout, "a 90 -> 80, b 210 -> 220, a + b = 300") || strings.Contains(r.Stdout, "seed check passed") {
			t.Errorf("second verify.yml:\n%s", tail(r.Stdout, 60))
		}
	})

	t.Run("no private key in any service log or Ansible output", func(t *testing.T) {
		texts := serviceLogs(t, hostsDir)
		for k, v := range ansibleOutput {
			texts[k] = v
		}
		if leaks := privateKeyLeaks(t, filepath.Join(workdir, "crypto"), nil, texts); len(leaks) > 0 {
			t.Errorf("a private key shows in: %v", leaks)
		}
	})

	t.Run("teardown leaves nothing running", func(t *testing.T) {
		_, d := play("teardown")
		t.Logf("teardown.yml: %s", d)
		if left := procsMatching(hostsDir + "/"); len(left) > 0 {
			t.Fatalf("left running after teardown: %v", left)
		}
		if ledgers, _ := filepath.Glob(filepath.Join(hostsDir, "*/data/*")); len(ledgers) == 0 {
			t.Errorf("teardown without teardown_delete_data deleted the data")
		}
		// Deleting data deletes every ledger together: an orderer ledger kept
		// without its Kafka topics (or a peer's without the orderers') could
		// not start again.
		play("teardown", "-e", "teardown_delete_data=true")
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
