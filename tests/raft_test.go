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
// leader per channel, takes it off the system channel
// (playbooks/remove_system_channel.yml), shows the application channel
// still moves value, creates a new channel by joining the orderers and then
// the peers (playbooks/join_channel.yml), re-runs site.yml (changed=0) and
// tears it down.
func TestRaftNative(t *testing.T) {
	tier(t, "network")
	root := RepoRoot(t)
	for _, m := range []string{"fabric_crypto", "fabric_configtx", "fabric_channel", "fabric_chaincode", "fabric_consensus", "fabric_orderer_channel"} {
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

	offSystemChannel(t, func(pb string, extra ...string) CmdResult { return step(pb, "playbooks/"+pb+".yml", extra...) },
		filepath.Join(dir, "controller/crypto"), []string{"127.0.196.1:7053", "127.0.196.2:7053", "127.0.196.3:7053"}, "mychannel")
	for _, o := range net.orderers {
		if conf := net.ordererConf(t, o); !strings.Contains(conf, "BootstrapMethod: none") {
			t.Errorf("orderer %s still boots from a file after the system channel's removal", o)
		}
	}
	// The application channel keeps ordering: value moves again.
	verify = step("verify.yml off the system channel", "playbooks/verify.yml")
	if !strings.Contains(verify.Stdout, "b = 220") {
		t.Errorf("verify.yml off the system channel did not move b to 220:\n%s", tail(verify.Stdout, 60))
	}
	net.oneLeader(t, "mychannel", "newchannel")
	net.status(t, "mychannel")

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

// offSystemChannel takes a running etcdraft network off its system channel
// and checks each step on every orderer's admin endpoint (admins,
// host:port): remove_system_channel.yml leaves every orderer without the
// system channel and with appChannel, a second run changes nothing, and
// join_channel.yml creates channel newchannel by joining every orderer and
// then every peer (again: no change). play runs a playbook by its name
// (remove_system_channel, join_channel) with extra arguments and fails the
// test when it fails. TestRaftNative calls it on its Raft-native network;
// after playbooks/migrate_raft.yml, the seed network (TestNetworkEndToEnd)
// can too, with a play that adds -e fabric_orderer_type=etcdraft while the
// inventory still says kafka. cryptoDir is fabrun_workdir/crypto.
func offSystemChannel(t *testing.T, play func(pb string, extra ...string) CmdResult, cryptoDir string, admins []string, appChannel string) {
	t.Helper()
	list := func(admin string) participation.ChannelList {
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
	play("remove_system_channel")
	for _, a := range admins {
		if l := list(a); l.SystemChannel != nil || !slices.Equal(l.Names(), []string{appChannel}) {
			t.Errorf("orderer %s lists system channel %v and channels %v, want only %s", a, l.SystemChannel, l.Names(), appChannel)
		}
	}
	raftUnchanged(t, "remove_system_channel.yml again", play("remove_system_channel"))

	join := play("join_channel", "-e", "join_channel=newchannel")
	for _, a := range admins {
		// The API lists channels in no particular order.
		want := []string{appChannel, "newchannel"}
		slices.Sort(want)
		if names := list(a).Names(); !slices.Equal(slices.Sorted(slices.Values(names)), want) {
			t.Errorf("orderer %s lists %v, want %s and newchannel", a, names, appChannel)
		}
	}
	changed := 0
	for _, c := range ansibleRecap(t, join.Stdout) {
		changed += c["changed"]
	}
	if changed < len(admins) {
		t.Errorf("join_channel.yml changed %d things, want at least the %d orderers' joins:\n%s", changed, len(admins), tail(join.Stdout, 60))
	}
	raftUnchanged(t, "join_channel.yml again", play("join_channel", "-e", "join_channel=newchannel"))
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
	r := fabrun(t, "status", "-i", n.inventory, "-e", "@"+n.vars, "--json")
	if r.Code != 0 {
		t.Errorf("fabrun status: %s", r)
	}
	nodes, _ := get(r.Doc, "status", "nodes").([]any)
	var raft []string
	for _, x := range nodes {
		node := x.(map[string]any)
		switch node["kind"] {
		case "raft":
			raft = append(raft, node["name"].(string))
			if node["healthy"] != true || !regexp.MustCompile(`^leader orderer\d\.example\.com, cluster size 3$`).MatchString(fmt.Sprint(node["detail"])) {
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
