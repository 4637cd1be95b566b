package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// productionYAML loads a rendered YAML file as a generic tree.
func productionYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// productionAt walks a dotted path ("General.TLS.Enabled"; list indexes as numbers).
func productionAt(tree any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch n := tree.(type) {
		case map[string]any:
			tree = n[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(n) {
				return nil
			}
			tree = n[i]
		default:
			return nil
		}
	}
	return tree
}

// productionRender renders every config file for an inventory without
// contacting any host (playbooks/render.yml; extra vars beat its ssh settings).
func productionRender(t *testing.T, inventory string) (string, CmdResult) {
	t.Helper()
	out := t.TempDir()
	r, _ := ansibleMustPlaybook(t, "-i", inventory, "playbooks/render.yml",
		"-e", "render_root="+out, "-e", "ansible_connection=local",
		"-e", "ansible_python_interpreter="+VenvBin(t, "python"))
	return out, r
}

// TestProductionRenderFabric renders the production inventory's orderer,
// peer and controller files (never contacting 10.100.194.x) and checks them
// against the guide's topology; then generates the production crypto and
// channel artifacts on the controller and decodes the genesis block.
func TestProductionRenderFabric(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	inventory := filepath.Join(root, "inventory/production")
	out, _ := productionRender(t, inventory)

	for octet, name := range map[string]string{"215": "orderer0", "216": "orderer1"} {
		host := "server" + octet
		o := productionYAML(t, filepath.Join(out, host, "opt/fabrun/orderer/etc/orderer.yaml"))
		addr := "10.100.194." + octet
		for path, want := range map[string]any{
			"General.ListenAddress": addr, "General.ListenPort": 7050, "General.TLS.Enabled": true,
			// Mutual TLS by default (fabric_tls_client_auth), every org's TLS CA as the client roots.
			"General.TLS.ClientAuthRequired": true, "General.TLS.ClientRootCAs": "[/opt/fabrun/orderer/tls/client-root-cas.pem]",
			"General.LocalMSPID": "OrdererMSP", "General.BootstrapMethod": "file",
			"General.BootstrapFile":         "/opt/fabrun/orderer/genesis.block",
			"Kafka.Topic.ReplicationFactor": 3, "Kafka.Retry.ShortInterval": "1s", "Kafka.Retry.LongTotal": "100s",
			"Operations.ListenAddress": addr + ":8443", "Operations.TLS.Enabled": true, "Admin.TLS.Enabled": true,
		} {
			if got := productionAt(o, path); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s (%s) orderer.yaml %s = %v, want %v", host, name, path, got, want)
			}
		}
		unit, _ := os.ReadFile(filepath.Join(out, host, "etc/systemd/system/fabrun-orderer.service"))
		for _, w := range []string{"ExecStart=/opt/fabrun/bin/orderer", "FABRIC_CFG_PATH=/opt/fabrun/orderer/etc"} {
			if !strings.Contains(string(unit), w) {
				t.Errorf("%s fabrun-orderer.service lacks %q:\n%s", host, w, unit)
			}
		}
	}

	peers := map[string]struct{ id, msp, bootstrap string }{
		"211": {"peer0.org1.example.com", "Org1MSP", "10.100.194.212:7051"},
		"212": {"peer1.org1.example.com", "Org1MSP", "10.100.194.211:7051"},
		"213": {"peer0.org2.example.com", "Org2MSP", "10.100.194.214:7051"},
		"214": {"peer1.org2.example.com", "Org2MSP", "10.100.194.213:7051"},
	}
	for octet, p := range peers {
		host := "server" + octet
		c := productionYAML(t, filepath.Join(out, host, "opt/fabrun/peer/etc/core.yaml"))
		addr := "10.100.194." + octet
		for path, want := range map[string]any{
			"peer.id": p.id, "peer.address": addr + ":7051", "peer.listenAddress": addr + ":7051",
			"peer.localMspId": p.msp, "peer.tls.enabled": true, "peer.gossip.bootstrap": p.bootstrap,
			"peer.tls.clientAuthRequired": true, "peer.tls.clientRootCAs.files": "[/opt/fabrun/peer/tls/client-root-cas.pem]",
			"peer.gossip.externalEndpoint": addr + ":7051", "peer.gossip.useLeaderElection": true,
			"peer.gossip.orgLeader": false, "ledger.state.stateDatabase": "goleveldb",
			"operations.tls.enabled": true, "vm.endpoint": nil,
			"chaincode.externalBuilders.0.path": "/opt/fabrun/peer/builders/golang",
		} {
			if got := productionAt(c, path); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s core.yaml %s = %v, want %v", host, path, got, want)
			}
		}
	}

	tx := productionYAML(t, filepath.Join(out, "controller/configtx.yaml"))
	for path, want := range map[string]any{
		"Orderer.OrdererType":   "kafka",
		"Orderer.Addresses":     "[10.100.194.215:7050 10.100.194.216:7050]",
		"Orderer.Kafka.Brokers": "[10.100.194.215:9092 10.100.194.216:9092 10.100.194.214:9092]",
		"Orderer.BatchTimeout":  "2s", "Orderer.BatchSize.MaxMessageCount": 10,
		"Orderer.BatchSize.AbsoluteMaxBytes": "98 MB", "Orderer.BatchSize.PreferredMaxBytes": "512 KB",
		"Organizations.1.AnchorPeers.0.Host": "10.100.194.211", "Organizations.2.AnchorPeers.0.Host": "10.100.194.213",
		"Capabilities.Application": "map[V1_4_2:true]",
	} {
		if got := productionAt(tx, path); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("configtx.yaml %s = %v, want %v", path, got, want)
		}
	}
	cc := productionYAML(t, filepath.Join(out, "controller/crypto-config.yaml"))
	if got := fmt.Sprint(productionAt(cc, "PeerOrgs.0.Specs.1.SANS")); got != "[10.100.194.212]" {
		t.Errorf("crypto-config.yaml peer1.org1 SANS = %s", got)
	}

	// The controller-side artifacts for production generate here (no host is
	// contacted), and the genesis block names the guide's brokers.
	workdir := t.TempDir()
	ansibleMustPlaybook(t, "-i", inventory, "playbooks/artifacts.yml", "-e", "fabrun_workdir="+workdir,
		"-e", "ansible_connection=local", "-e", "ansible_python_interpreter="+VenvBin(t, "python"))
	r := MustRun(t, workdir, nil, FabricBin(t, "configtxlator"), "proto_decode", "--type", "common.Block",
		"--input", filepath.Join(workdir, "channel-artifacts/genesis.block"))
	for _, w := range []string{`"10.100.194.214:9092"`, `"10.100.194.215:9092"`, `"10.100.194.216:9092"`,
		`"type": "kafka"`, `"10.100.194.215:7050"`} {
		if !strings.Contains(r.Stdout, w) {
			t.Errorf("production genesis block lacks %s", w)
		}
	}
}
