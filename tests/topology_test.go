package tests

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTopologyIsData deploys a topology other than the guide's (3 ZooKeeper
// nodes, 4 Kafka brokers, 3 orderers, 3 orgs: tests/testdata/inventory-large)
// with the same roles, modules and playbooks, from nothing to the verified
// chaincode, and tears it down. Mutual TLS on the Fabric endpoints is the
// default (fabric_tls_client_auth): the roles, verify.yml and fabrun present
// the Admins' client certificates, and a client without one is refused by
// peers and orderers.
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

	clientAuthRequired(t, dir, hostsDir)
	// fabrun's own clients (verify, status) present the Admin's certificate too.
	for _, cmd := range []string{"verify", "status"} {
		r := fabrun(t, cmd, "-i", inventory, "-e", "@"+vars, "--json")
		if r.Code != 0 {
			t.Errorf("fabrun %s with mutual TLS: %s", cmd, r)
		}
		if cmd != "status" {
			continue
		}
		// It reads the brokers' registrations under the inventory's chroot.
		healthy := 0
		for _, n := range statusNodes(r) {
			if n["kind"] == "kafka" && n["healthy"] == true {
				healthy++
			}
		}
		if healthy != 4 {
			t.Errorf("fabrun status: %d healthy brokers, want 4 (registered under /kafka): %s", healthy, r)
		}
	}

	// The orderers of the bigger cluster order through all four brokers,
	// registered under the inventory's chroot.
	ids := kafkaJava(t, hostsDir, "node1", "org.apache.zookeeper.ZooKeeperMain",
		"-server", "127.0.198.1:2181", "ls", "/kafka/brokers/ids")
	if !strings.Contains(ids.Stdout, "[0, 1, 2, 3]") {
		t.Errorf("/kafka/brokers/ids: want [0, 1, 2, 3]:\n%s\n%s", ids.Stdout, ids.Stderr)
	}
	r := kafkaJava(t, hostsDir, "node1", "org.apache.kafka.tools.TopicCommand",
		"--bootstrap-server", "127.0.198.1:9092", "--describe", "--topic", "mychannel")
	if !strings.Contains(r.Stdout, "ReplicationFactor: 3") {
		t.Errorf("topic mychannel:\n%s\n%s", r.Stdout, r.Stderr)
	}

	// The fault suite's ZooKeeper fault needs three members: it runs here,
	// on this deployment (tests/faults_test.go).
	t.Run("one ZooKeeper member down", func(t *testing.T) {
		faults := checkoutFaultNet(inventory, hostsDir+"/", []string{"-e", "@" + vars}, 3)
		faults.zookeeperDown(t, "node1")
		t.Log(faults.table())
	})

	t.Run("fabrun migrate: three orderers to Raft", func(t *testing.T) {
		raftMigrationChecks(t, largeMigrationNet(t, dir, hostsDir, inventory, vars))
	})

	play("playbooks/teardown.yml")
	if left := procsMatching(hostsDir + "/"); len(left) > 0 {
		t.Fatalf("left running after teardown: %v", left)
	}
}

// clientAuthRequired checks a deployment with fabric_tls_client_auth: a TLS
// client without a certificate is refused by a peer (7051) and an orderer
// (7050), while the real peer CLI with org1's Admin TLS client certificate
// queries the peer and fetches a block from the orderer (the deliver
// request carries the certificate's hash, which mutual TLS makes Fabric
// check), and without one fails.
func clientAuthRequired(t *testing.T, dir, hostsDir string) {
	t.Helper()
	crypto := filepath.Join(dir, "controller", "crypto")
	ordererCA := filepath.Join(crypto, "ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem")
	org1 := filepath.Join(crypto, "peerOrganizations/org1.example.com")
	org1CA := filepath.Join(org1, "tlsca/tlsca.org1.example.com-cert.pem")
	admin := filepath.Join(org1, "users/Admin@org1.example.com")
	clientCert, clientKey := filepath.Join(admin, "tls/client.crt"), filepath.Join(admin, "tls/client.key")
	peer, orderer := "127.0.198.4:7051", "127.0.198.1:7050"

	for _, e := range []struct{ name, addr, ca string }{{"peer0.org1", peer, org1CA}, {"orderer0", orderer, ordererCA}} {
		if err := tlsClientRefused(e.addr, e.ca, "", ""); err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("%s %s: a TLS client without a certificate: want \"certificate required\", got %v", e.name, e.addr, err)
		}
		if err := tlsClientRefused(e.addr, e.ca, clientCert, clientKey); err != nil {
			t.Errorf("%s %s: a TLS client with the Admin's client certificate was refused: %v", e.name, e.addr, err)
		}
	}

	cli := func(withCert bool, args ...string) CmdResult {
		env := []string{
			"FABRIC_CFG_PATH=" + filepath.Join(hostsDir, "node4/peer/etc"),
			"FABRIC_LOGGING_SPEC=warning",
			"CORE_PEER_LOCALMSPID=Org1MSP",
			"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(admin, "msp"),
			"CORE_PEER_ADDRESS=" + peer,
			"CORE_PEER_TLS_ROOTCERT_FILE=" + org1CA,
		}
		if withCert {
			env = append(env, peerCLIClientCert(admin)...)
			args = append(args, "--clientauth", "--certfile", clientCert, "--keyfile", clientKey)
		} else {
			// (node4's core.yaml asks for a client certificate.)
			env = append(env, "CORE_PEER_TLS_CLIENTAUTHREQUIRED=false")
		}
		return Run(t, dir, env, FabricBin(t, "peer"), args...)
	}
	query := []string{"chaincode", "query", "-C", "mychannel", "-n", "mycc", "-c", `{"Args":["query","b"]}`}
	block := filepath.Join(dir, "newest.block")
	fetch := []string{"channel", "fetch", "newest", block, "-c", "mychannel", "-o", orderer, "--tls", "--cafile", ordererCA}
	if r := cli(true, query...); r.Err != nil || strings.TrimSpace(r.Stdout) != "210" {
		t.Errorf("peer chaincode query with the Admin's client certificate: %v\n%s\n%s", r.Err, r.Stdout, tail(r.Stderr, 20))
	}
	if r := cli(true, fetch...); r.Err != nil {
		t.Errorf("peer channel fetch from %s with the Admin's client certificate: %v\n%s", orderer, r.Err, tail(r.Stderr, 20))
	} else if st, err := os.Stat(block); err != nil || st.Size() == 0 {
		t.Errorf("peer channel fetch wrote no block: %v", err)
	}
	for _, args := range [][]string{query, fetch} {
		if r := cli(false, args...); r.Err == nil {
			t.Errorf("peer %s without a client certificate succeeded:\n%s", strings.Join(args[:2], " "), r.Stdout)
		}
	}
}

// tlsClientRefused opens a TLS connection to addr, trusting ca, with the
// client certificate cert/key ("": none), and returns the server's refusal.
// Under TLS 1.3 a server rejects a missing client certificate after the
// client's side of the handshake is done: the first read shows it.
func tlsClientRefused(addr, ca, cert, key string) error {
	pem, err := os.ReadFile(ca)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	host, _, _ := net.SplitHostPort(addr)
	cfg := &tls.Config{RootCAs: pool, ServerName: host, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A gRPC server speaks first after the handshake (its HTTP/2 SETTINGS)
	// or waits for the client's preface: data or a timeout both mean served.
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err != nil && !os.IsTimeout(err) {
		return err
	}
	return nil
}
