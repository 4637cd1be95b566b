package tests

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/participation"
)

// TestRaftNative deploys a network that starts on Raft
// (tests/testdata/inventory-raft: fabric_orderer_type etcdraft, no ZooKeeper
// or Kafka, three orderers, one peer per org), verifies it, finds one Raft
// leader per channel, re-runs site.yml (changed=0) and tears it down. Off
// the system channel and a channel made by joining are the migration's
// checks (tests/migration_test.go), on the networks it leaves on Raft.
func TestRaftNative(t *testing.T) {
	tier(t, "network")
	root := RepoRoot(t)
	for _, m := range []string{"fabric_crypto", "fabric_configtx", "fabric_channel", "fabric_chaincode"} {
		ModuleBin(t, m)
	}
	FabricBin(t, "orderer")
	FabricBin(t, "peer")
	dir := t.TempDir()
	hostsDir := filepath.Join(dir, "hosts")
	vars := filepath.Join(dir, "vars.yml")
	if err := os.WriteFile(vars, []byte(fmt.Sprintf(
		"fabrun_home: \"%s/{{ inventory_hostname }}\"\nfabrun_workdir: \"%s/controller\"\npeer_gocache: \"%s\"\nfabrun_software_dir: \"%s\"\n",
		hostsDir, dir, goBuildCache(t), filepath.Join(root, "build"))), 0o644); err != nil {
		t.Fatal(err)
	}
	net := raftNet{dir: dir, hostsDir: hostsDir, inventory: filepath.Join(root, "tests/testdata/inventory-raft"), vars: vars,
		orderers: []string{"127.0.196.1", "127.0.196.2", "127.0.196.3"}}
	t.Cleanup(func() {
		if len(procsMatching(hostsDir+"/")) > 0 {
			AnsiblePlaybook(t, "-i", net.inventory, "playbooks/teardown.yml", "-e", "@"+vars)
		}
	})
	serviceLogsOnFailure(t, hostsDir)
	times := map[string]time.Duration{}
	step := func(name, pb string, extra ...string) CmdResult {
		t.Helper()
		r, d := ansibleMustPlaybook(t, append([]string{"-i", net.inventory, pb, "-e", "@" + vars}, extra...)...)
		for _, seen := times[name]; seen; _, seen = times[name] {
			name += " again"
		}
		times[name] = d
		return r
	}

	site := step("site.yml from nothing", "playbooks/site.yml")
	if strings.Contains(site.Stdout+site.Stderr, "[WARNING]: preflight: ") {
		t.Errorf("preflight warned about three Raft orderers:\n%s", tail(site.Stdout, 80))
	}
	for _, o := range net.orderers {
		if conf := net.ordererConf(t, o); !strings.Contains(conf, "BootstrapMethod: file") {
			t.Errorf("orderer %s does not boot from the genesis block:\n%s", o, conf)
		}
	}
	verify := step("verify.yml", "playbooks/verify.yml")
	for _, w := range []string{"seed check passed: b = 210", "peer0.org2.example.com: b = 210"} {
		if !strings.Contains(verify.Stdout, w) {
			t.Errorf("verify.yml lacks %q:\n%s", w, tail(verify.Stdout, 60))
		}
	}
	net.oneLeader(t, "system-channel", "mychannel")
	net.status(t, "system-channel", "mychannel")

	siteAgain := step("site.yml again", "playbooks/site.yml")
	raftUnchanged(t, "site.yml again", siteAgain)

	step("teardown.yml", "playbooks/teardown.yml", "-e", "teardown_delete_data=true")
	if left := procsMatching(hostsDir + "/"); len(left) > 0 {
		t.Fatalf("left running after teardown: %v", left)
	}
	var total time.Duration
	for name, d := range times {
		t.Logf("%-36s %s", name, d)
		total += d
	}
	t.Logf("%-36s %s", "total", total)
}

// ordererChannels lists the channels of the orderer whose admin endpoint
// (host:port) is admin, as the orderer org's Admin. cryptoDir is
// fabrun_workdir/crypto.
func ordererChannels(t *testing.T, cryptoDir, admin string) participation.ChannelList {
	t.Helper()
	org := filepath.Join(cryptoDir, "ordererOrganizations/example.com")
	c, err := participation.New(admin, participation.TLS{CA: filepath.Join(org, "tlsca/tlsca.example.com-cert.pem"),
		Cert: filepath.Join(org, "users/Admin@example.com/tls/client.crt"), Key: filepath.Join(org, "users/Admin@example.com/tls/client.key")}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, err := c.List()
	if err != nil {
		t.Fatalf("listing the channels of orderer %s: %v", admin, err)
	}
	return l
}

// raftUnchanged fails when a playbook run changed anything.
func raftUnchanged(t *testing.T, what string, r CmdResult) {
	t.Helper()
	for host, c := range ansibleRecap(t, r.Stdout) {
		if c["changed"] != 0 || c["failed"] != 0 {
			t.Errorf("%s: %s changed=%d failed=%d, want 0:\n%s", what, host, c["changed"], c["failed"], tail(r.Stdout, 80))
		}
	}
}

// raftNet is TestRaftNative's deployment.
type raftNet struct {
	dir, hostsDir, inventory, vars string
	orderers                       []string // addresses (ansible_host)
}

func (n raftNet) crypto(rel string) string { // the orderer org's material
	return filepath.Join(n.dir, "controller/crypto/ordererOrganizations/example.com", rel)
}

// ordererConf is the orderer.yaml of the orderer at addr.
func (n raftNet) ordererConf(t *testing.T, addr string) string {
	t.Helper()
	host := map[string]string{"127.0.196.1": "raft1", "127.0.196.2": "raft2", "127.0.196.3": "raft3"}[addr]
	return string(mustRead(t, filepath.Join(n.hostsDir, host, "orderer/etc/orderer.yaml")))
}

// status runs fabrun status: healthy, with one Raft node per channel (a
// leader, cluster size 3) and no Kafka broker or topic.
func (n raftNet) status(t *testing.T, channels ...string) {
	t.Helper()
	raftStatus(t, fabrun(t, "status", "-i", n.inventory, "-e", "@"+n.vars, "--json"), 3, channels...)
}

// raftStatus checks a `fabrun status --json` of a Raft network: healthy,
// one Raft node per channel with a leader and the cluster size, and no
// Kafka broker, topic or ZooKeeper member.
func raftStatus(t *testing.T, r fabrunResult, size int, channels ...string) {
	t.Helper()
	if r.Code != 0 {
		t.Errorf("fabrun status: %s", r)
	}
	detail := regexp.MustCompile(fmt.Sprintf(`^leader orderer\d\.example\.com, cluster size %d$`, size))
	nodes, _ := get(r.Doc, "status", "nodes").([]any)
	var raft []string
	for _, x := range nodes {
		node := x.(map[string]any)
		switch node["kind"] {
		case "raft":
			raft = append(raft, node["name"].(string))
			if node["healthy"] != true || !detail.MatchString(fmt.Sprint(node["detail"])) {
				t.Errorf("fabrun status: Raft %v", node)
			}
		case "kafka", "topic", "zookeeper":
			t.Errorf("fabrun status on a Raft network shows %v", node)
		}
	}
	slices.Sort(raft)
	slices.Sort(channels)
	if !slices.Equal(raft, channels) {
		t.Errorf("fabrun status shows Raft channels %v, want %v", raft, channels)
	}
}

// oneLeader checks, on the orderers' operations endpoints, that each channel
// has exactly one Raft leader (consensus_etcdraft_is_leader) and a cluster
// of all three orderers (consensus_etcdraft_cluster_size). A new leader may
// take an election timeout to appear.
func (n raftNet) oneLeader(t *testing.T, channels ...string) {
	t.Helper()
	ca, err := os.ReadFile(n.crypto("tlsca/tlsca.example.com-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	// /metrics wants a client certificate: the orderer org Admin's TLS one.
	pair, err := tls.LoadX509KeyPair(n.crypto("users/Admin@example.com/tls/client.crt"), n.crypto("users/Admin@example.com/tls/client.key"))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}}
	defer client.CloseIdleConnections()
	for _, ch := range channels {
		var leaders []string
		var sizes []string
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
			leaders, sizes = nil, nil
			for _, o := range n.orderers {
				m := raftMetrics(t, client, o, ch)
				if m["consensus_etcdraft_is_leader"] == "1" {
					leaders = append(leaders, o)
				}
				sizes = append(sizes, m["consensus_etcdraft_cluster_size"])
			}
			if len(leaders) == 1 || time.Now().After(deadline) {
				break
			}
		}
		if len(leaders) != 1 || slices.ContainsFunc(sizes, func(s string) bool { return s != "3" }) {
			t.Errorf("channel %s: leaders %v, cluster sizes %v; want one leader and size 3 everywhere", ch, leaders, sizes)
		}
	}
}

// raftMetrics are the etcdraft gauges of one channel on one orderer.
func raftMetrics(t *testing.T, client *http.Client, addr, channel string) map[string]string {
	t.Helper()
	resp, err := client.Get("https://" + addr + ":8443/metrics")
	if err != nil {
		t.Fatalf("metrics of orderer %s: %v", addr, err)
	}
	defer resp.Body.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	label := `channel="` + channel + `"`
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), "{")
		if !ok || !strings.HasPrefix(name, "consensus_etcdraft_") || !strings.Contains(rest, label) {
			continue
		}
		if i := strings.LastIndex(rest, "} "); i >= 0 {
			out[name] = strings.TrimSpace(rest[i+2:])
		}
	}
	return out
}
