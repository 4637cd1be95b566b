package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTopologyIsData deploys a topology other than the guide's (3 ZooKeeper
// nodes, 4 Kafka brokers, 3 orderers, 3 orgs: tests/testdata/inventory-large)
// with the same roles, modules and playbooks, from nothing to the verified
// chaincode, and tears it down.
func TestTopologyIsData(t *testing.T) {
	tier(t, "network")
	root := RepoRoot(t)
	for _, m := range []string{"fabric_crypto", "fabric_configtx", "fabric_channel", "fabric_chaincode"} {
		ModuleBin(t, m)
	}
	dir := t.TempDir()
	hostsDir := filepath.Join(dir, "hosts")
	vars := filepath.Join(dir, "vars.yml")
	if err := os.WriteFile(vars, []byte(fmt.Sprintf(
		"fabrun_home: \"%s/{{ inventory_hostname }}\"\nfabrun_workdir: \"%s/controller\"\npeer_gocache: \"%s\"\n"+
			"fabrun_software_dir: \"%s\"\n",
		hostsDir, dir, goBuildCache(t), filepath.Join(root, "build"))), 0o644); err != nil {
		t.Fatal(err)
	}
	inventory := filepath.Join(root, "tests/testdata/inventory-large")
	play := func(pb string) CmdResult {
		t.Helper()
		r, _ := ansibleMustPlaybook(t, "-i", inventory, pb, "-e", "@"+vars)
		return r
	}
	t.Cleanup(func() {
		if len(procsMatching(hostsDir+"/")) > 0 {
			AnsiblePlaybook(t, "-i", inventory, "playbooks/teardown.yml", "-e", "@"+vars)
		}
	})
	serviceLogsOnFailure(t, hostsDir)

	site := play("playbooks/site.yml")
	// 3 ZooKeeper nodes and 4 brokers for replication factor 3 have none of
	// the guide's fault-tolerance weaknesses.
	if strings.Contains(site.Stdout+site.Stderr, "[WARNING]: preflight: ") {
		t.Errorf("preflight warned about a fault-tolerant topology:\n%s", tail(site.Stdout, 80))
	}

	verify := play("playbooks/verify.yml")
	for _, w := range []string{"seed check passed: b = 210", "peer0.org1.example.com: b = 210",
		"peer0.org2.example.com: b = 210", "peer0.org3.example.com: b = 210"} {
		if !strings.Contains(verify.Stdout, w) {
			t.Errorf("verify.yml lacks %q:\n%s", w, tail(verify.Stdout, 60))
		}
	}

	// The orderers of the bigger cluster order through all four brokers.
	ids := kafkaJava(t, hostsDir, "node1", "org.apache.zookeeper.ZooKeeperMain",
		"-server", "127.0.198.1:2181", "ls", "/brokers/ids")
	if !strings.Contains(ids.Stdout, "[0, 1, 2, 3]") {
		t.Errorf("/brokers/ids: want [0, 1, 2, 3]:\n%s\n%s", ids.Stdout, ids.Stderr)
	}
	r := kafkaJava(t, hostsDir, "node1", "org.apache.kafka.tools.TopicCommand",
		"--bootstrap-server", "127.0.198.1:9092", "--describe", "--topic", "mychannel")
	if !strings.Contains(r.Stdout, "ReplicationFactor: 3") {
		t.Errorf("topic mychannel:\n%s\n%s", r.Stdout, r.Stderr)
	}

	// The fault suite's ZooKeeper fault needs three members: it runs here,
	// on this deployment (tests/faults_test.go), with the faults tier.
	if tierChosen(t, "faults") {
		faults := &faultNet{t: t, root: root, inv: inventory, hostsDir: hostsDir + "/", extra: []string{"-e", "@" + vars}, peers: 3}
		t.Run("one ZooKeeper member down", func(t *testing.T) {
			faults.zookeeperDown(t, "node1", func(pb string) { play(pb) })
			for _, x := range faults.timings {
				t.Logf("fault %q | held: %s | recovered in %.1fs", x.fault, x.held, x.recover.Seconds())
			}
		})
	}

	play("playbooks/teardown.yml")
	if left := procsMatching(hostsDir + "/"); len(left) > 0 {
		t.Fatalf("left running after teardown: %v", left)
	}
}
