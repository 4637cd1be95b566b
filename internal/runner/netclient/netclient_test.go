package netclient

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/inventory"
)

func topology(t *testing.T, withAdmin bool) *inventory.Topology {
	t.Helper()
	topo := &inventory.Topology{Channel: "mychannel", Domain: "example.com", Workdir: t.TempDir()}
	topo.Orderers = []inventory.Orderer{
		{Node: inventory.Node{Host: "server215", Address: "127.0.194.215", Port: 7050}, Name: "orderer0", FQDN: "orderer0.example.com"},
		{Node: inventory.Node{Host: "server216", Address: "127.0.194.216", Port: 7050}, Name: "orderer1", FQDN: "orderer1.example.com"},
	}
	for i, org := range []string{"org1", "org2"} {
		o := inventory.Org{Group: org, Name: "Org" + org[3:], MSPID: "Org" + org[3:] + "MSP", Domain: org + ".example.com"}
		for j, name := range []string{"peer0", "peer1"} {
			o.Peers = append(o.Peers, inventory.Peer{
				Node: inventory.Node{Host: "h", Address: "127.0.194." + string(rune('1'+i*2+j)), Port: 7051},
				Name: name, FQDN: name + "." + o.Domain, Org: org, MSPID: o.MSPID, Domain: o.Domain,
			})
		}
		topo.Orgs = append(topo.Orgs, o)
		if withAdmin {
			msp := topo.OrgAdminMSP(o)
			os.MkdirAll(filepath.Join(msp, "signcerts"), 0o755)
			os.MkdirAll(filepath.Join(msp, "keystore"), 0o755)
			os.WriteFile(filepath.Join(msp, "signcerts", "Admin@"+o.Domain+"-cert.pem"), []byte("cert"), 0o644)
			os.WriteFile(filepath.Join(msp, "keystore", "priv_sk"), []byte("key"), 0o600)
		}
	}
	return topo
}

func TestConfig(t *testing.T) {
	topo := topology(t, true)
	cfg, order, err := Config(topo, topo.Orgs[0], "peer1.org1.example.com", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(order, []string{"peer1.org1.example.com", "peer0.org1.example.com"}) {
		t.Errorf("order = %v", order)
	}
	if cfg.MSPID != "Org1MSP" || cfg.ChannelID != "mychannel" || cfg.Timeout != time.Minute ||
		!strings.HasSuffix(cfg.AdminCert, "users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem") ||
		!strings.HasSuffix(cfg.AdminKey, "users/Admin@org1.example.com/msp/keystore/priv_sk") {
		t.Errorf("cfg = %+v", cfg)
	}
	// Every orderer, in inventory order, for failover.
	if len(cfg.Orderers) != 2 || cfg.Orderers[0].Address != "127.0.194.215:7050" || cfg.Orderers[1].Address != "127.0.194.216:7050" ||
		cfg.Orderers[1].TLSCA != topo.OrdererTLSCA() {
		t.Errorf("orderers = %+v", cfg.Orderers)
	}
	if len(cfg.Peers) != 2 || cfg.Peers[0].Address != "127.0.194.2:7051" || cfg.Peers[0].TLSCA != topo.OrgTLSCA(topo.Orgs[0]) {
		t.Errorf("peers = %+v", cfg.Peers)
	}
	// Default primary: the org's first peer.
	if _, order, _ := Config(topo, topo.Orgs[1], "", 0); order[0] != "peer0.org2.example.com" {
		t.Errorf("default primary order = %v", order)
	}
	if _, _, err := Config(topo, topo.Orgs[0], "peer0.org2.example.com", 0); err == nil {
		t.Error("a primary from another org: no error")
	}
	if _, _, err := Config(topology(t, false), topo.Orgs[0], "", 0); err == nil || !strings.Contains(err.Error(), "has the artifacts phase run?") {
		t.Errorf("no crypto material: err = %v", err)
	}
	// Without mutual TLS no client certificate; with it, the Admin's TLS one.
	if cfg.ClientTLSCert != "" || cfg.ClientTLSKey != "" {
		t.Errorf("client certificate without fabric_tls_client_auth: %q %q", cfg.ClientTLSCert, cfg.ClientTLSKey)
	}
	topo.TLSClientAuth = true
	cfg, _, _ = Config(topo, topo.Orgs[1], "", 0)
	if !strings.HasSuffix(cfg.ClientTLSCert, "users/Admin@org2.example.com/tls/client.crt") ||
		!strings.HasSuffix(cfg.ClientTLSKey, "users/Admin@org2.example.com/tls/client.key") {
		t.Errorf("mutual TLS: client certificate %q, key %q", cfg.ClientTLSCert, cfg.ClientTLSKey)
	}
}

func TestFindOrg(t *testing.T) {
	topo := topology(t, false)
	for in, want := range map[string]string{"": "org1", "org2": "org2", "Org2": "org2", "Org2MSP": "org2"} {
		o, err := FindOrg(topo, in)
		if err != nil || o.Group != want {
			t.Errorf("FindOrg(%q) = %s, %v; want %s", in, o.Group, err, want)
		}
	}
	if _, err := FindOrg(topo, "org3"); err == nil {
		t.Error("FindOrg(org3): no error")
	}
	if _, err := FindOrg(&inventory.Topology{}, ""); err == nil {
		t.Error("no orgs: no error")
	}
}

func TestOpenErrors(t *testing.T) {
	topo := topology(t, false)
	if _, err := Open(topo, Options{Primary: "peer9.org1.example.com"}); err == nil {
		t.Error("unknown primary: no error")
	}
	if _, err := Open(topo, Options{Org: "org1", Primary: "peer0.org2.example.com"}); err == nil || !strings.Contains(err.Error(), "not in org org1") {
		t.Errorf("primary outside the org: %v", err)
	}
	if _, err := Open(topo, Options{}); err == nil || !strings.Contains(err.Error(), "Admin certificate") {
		t.Errorf("no crypto: %v", err)
	}
}

func TestSDKError(t *testing.T) {
	tests := map[string]string{
		"QueryInfo failed: Transaction processing for endorser [127.0.194.214:7051]: Chaincode status Code: (500) UNKNOWN. Description: channel 'mychannel' not found": "channel 'mychannel' not found (from 127.0.194.214:7051)",
		"Chaincode status Code: (500) UNKNOWN. Description: Entity not found":                                                                                          "Entity not found",
		"connection refused\nretrying": "connection refused retrying",
	}
	for in, want := range tests {
		if got := sdkError(errors.New(in)).Error(); got != want {
			t.Errorf("sdkError(%q) = %q, want %q", in, got, want)
		}
	}
}
