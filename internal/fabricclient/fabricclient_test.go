package fabricclient

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	mb "github.com/hyperledger/fabric-protos-go/msp"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/multi"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/status"
	"github.com/pkg/errors"
	"gopkg.in/yaml.v3"
)

type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pem  []byte
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{key: key, cert: c, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) issue(t *testing.T, cn string, notAfter time.Time) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

type fakeCfg struct {
	id   string
	msps []*mb.MSPConfig
}

func (f fakeCfg) ID() string            { return f.id }
func (f fakeCfg) BlockNumber() uint64   { return 3 }
func (f fakeCfg) MSPs() []*mb.MSPConfig { return f.msps }

func mspConfig(t *testing.T, name string, root []byte) *mb.MSPConfig {
	b, err := proto.Marshal(&mb.FabricMSPConfig{Name: name, RootCerts: [][]byte{root}})
	if err != nil {
		t.Fatal(err)
	}
	return &mb.MSPConfig{Type: 0, Config: b}
}

func serialize(msp string, certPEM []byte) []byte {
	b, _ := proto.Marshal(&mb.SerializedIdentity{Mspid: msp, IdBytes: certPEM})
	return b
}

func TestChannelMembership(t *testing.T) {
	org1, org2 := newTestCA(t, "ca.org1"), newTestCA(t, "ca.org2")
	m := &channelMembership{msps: map[string]*x509.VerifyOptions{}}
	for name, ca := range map[string]*testCA{"Org1MSP": org1, "Org2MSP": org2} {
		fc := &mb.FabricMSPConfig{}
		proto.Unmarshal(mspConfig(t, name, ca.pem).Config, fc)
		opts := &x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
		c, _ := parsePEMCert(fc.RootCerts[0])
		opts.Roots.AddCert(c)
		m.msps[fc.Name] = opts
	}
	peerKey, peerCert := org1.issue(t, "peer0.org1", time.Now().Add(time.Hour))
	_, expired := org1.issue(t, "old.org1", time.Now().Add(-time.Minute))
	msg := []byte("proposal response")
	h := sha256.Sum256(msg)
	sig, _ := ecdsa.SignASN1(rand.Reader, peerKey, h[:])

	tests := []struct {
		name    string
		id      []byte
		sig     []byte
		wantErr string
	}{
		{"valid", serialize("Org1MSP", peerCert), sig, ""},
		{"wrong MSP", serialize("Org2MSP", peerCert), sig, "not issued by that MSP"},
		{"unknown MSP", serialize("Org3MSP", peerCert), sig, "not a member of the channel"},
		{"expired", serialize("Org1MSP", expired), sig, "expired"},
		{"bad signature", serialize("Org1MSP", peerCert), []byte{1, 2, 3}, "does not verify"},
		{"not PEM", serialize("Org1MSP", []byte("junk")), sig, "no PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, m.Verify(tt.id, msg, tt.sig), tt.wantErr)
		})
	}
	if !m.ContainsMSP("Org2MSP") || m.ContainsMSP("Org3MSP") {
		t.Fatal("ContainsMSP")
	}
}

func TestOrdererStatus(t *testing.T) {
	notFound := status.New(status.OrdererServerStatus, int32(common.Status_NOT_FOUND), "error status from ordering service", nil)
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"direct", notFound, true},
		{"wrapped", errors.WithMessage(notFound, "retrieve block failed"), true},
		{"multi", multi.Errors{notFound}, true},
		{"fmt wrapped", fmt.Errorf("x: %w", notFound), true},
		{"other status", status.New(status.OrdererServerStatus, int32(common.Status_FORBIDDEN), "no", nil), false},
		{"plain", errors.New("NOT_FOUND"), false},
	}
	for _, tt := range tests {
		if got := IsChannelNotFound(tt.err); got != tt.want {
			t.Errorf("%s: IsChannelNotFound = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLastConfigIndex(t *testing.T) {
	sigMeta := func(idx uint64) []byte {
		v, _ := proto.Marshal(&common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: idx}})
		b, _ := proto.Marshal(&common.Metadata{Value: v})
		return b
	}
	block := &common.Block{Header: &common.BlockHeader{Number: 7}, Metadata: &common.BlockMetadata{Metadata: [][]byte{sigMeta(4), {}, {}, {}, {}}}}
	if i, err := LastConfigIndex(block); err != nil || i != 4 {
		t.Fatalf("index %d, %v", i, err)
	}
	genesis := &common.Block{Header: &common.BlockHeader{Number: 0}}
	if i, err := LastConfigIndex(genesis); err != nil || i != 0 {
		t.Fatalf("genesis: %d, %v", i, err)
	}
	if _, err := LastConfigIndex(&common.Block{Header: &common.BlockHeader{Number: 3}, Metadata: &common.BlockMetadata{}}); err == nil {
		t.Fatal("no metadata accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "tlsca")
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, ca.pem, 0o644)
	cert := filepath.Join(dir, "admin.pem")
	os.WriteFile(cert, ca.pem, 0o644)
	notPEM := filepath.Join(dir, "junk")
	os.WriteFile(notPEM, []byte("junk"), 0o644)
	good := Config{MSPID: "Org1MSP", AdminCert: cert, AdminKey: cert,
		Orderers: []Endpoint{{Address: "127.0.0.1:7050", TLSCA: caFile}}, Peers: []Endpoint{{Address: "127.0.0.1:7051", TLSCA: caFile}}}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{"good", func(*Config) {}, ""},
		{"no msp", func(c *Config) { c.MSPID = "" }, "msp_id is required"},
		{"missing key", func(c *Config) { c.AdminKey = filepath.Join(dir, "nokey") }, "admin_key: open"},
		{"half mTLS", func(c *Config) { c.ClientTLSCert = cert }, "client_tls_cert and client_tls_key"},
		{"orderer no port", func(c *Config) { c.Orderers[0].Address = "orderer0" }, "orderer must be host:port"},
		{"orderer bad port", func(c *Config) { c.Orderers[0].Address = "orderer0:99999" }, "orderer has an invalid port"},
		{"orderer no CA", func(c *Config) { c.Orderers[0].TLSCA = "" }, "orderer_tls_ca is required"},
		{"second orderer no port", func(c *Config) { c.Orderers = append(c.Orderers, Endpoint{Address: "orderer1", TLSCA: caFile}) }, "orderers[1] must be host:port"},
		{"second orderer no CA", func(c *Config) { c.Orderers = append(c.Orderers, Endpoint{Address: "127.0.0.2:7050"}) }, "orderer_tls_ca is required"},
		{"peer CA not PEM", func(c *Config) { c.Peers[0].TLSCA = notPEM }, "peer_tls_ca " + notPEM + ": no PEM certificate"},
		{"extra peer", func(c *Config) { c.Peers = append(c.Peers, Endpoint{Address: "x"}) }, "endorsing_peers[0] must be host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.Orderers = append([]Endpoint{}, good.Orderers...)
			c.Peers = append([]Endpoint{}, good.Peers...)
			tt.mod(&c)
			wantErr(t, c.Validate(), tt.wantErr)
		})
	}
}

func TestProfile(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "tlsca")
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, ca.pem, 0o644)
	c := &Client{OrgName: "org", Cfg: Config{MSPID: "Org1MSP", ChannelID: "mychannel", Timeout: time.Minute,
		Orderers: []Endpoint{{Address: "10.0.0.1:7050", TLSCA: caFile, TLSHostname: "orderer0.example.com"}, {Address: "10.0.0.4:7050", TLSCA: caFile}},
		Peers:    []Endpoint{{Address: "10.0.0.2:7051", TLSCA: caFile}, {Address: "10.0.0.3:7051", TLSCA: caFile, MSPID: "Org2MSP"}}}}
	b, err := c.profile(ca.pem, []byte("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Orderers map[string]struct {
			URL         string         `yaml:"url"`
			GRPCOptions map[string]any `yaml:"grpcOptions"`
		} `yaml:"orderers"`
		Peers         map[string]struct{ URL string } `yaml:"peers"`
		Organizations map[string]struct {
			MSPID string   `yaml:"mspid"`
			Peers []string `yaml:"peers"`
		} `yaml:"organizations"`
		Channels map[string]struct {
			Orderers []string                  `yaml:"orderers"`
			Peers    map[string]map[string]any `yaml:"peers"`
		} `yaml:"channels"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Orderers["orderer0"].URL != "grpcs://10.0.0.1:7050" || p.Orderers["orderer0"].GRPCOptions["ssl-target-name-override"] != "orderer0.example.com" ||
		p.Orderers["orderer1"].URL != "grpcs://10.0.0.4:7050" || p.Orderers["orderer1"].GRPCOptions["ssl-target-name-override"] != "10.0.0.4" {
		t.Errorf("orderer: %+v", p.Orderers)
	}
	if p.Peers["peer0"].URL != "grpcs://10.0.0.2:7051" || p.Peers["peer1"].URL != "grpcs://10.0.0.3:7051" {
		t.Errorf("peers: %+v", p.Peers)
	}
	if p.Organizations["org"].MSPID != "Org1MSP" || p.Organizations["other1"].MSPID != "Org2MSP" || p.Organizations["other1"].Peers[0] != "peer1" {
		t.Errorf("organizations: %+v", p.Organizations)
	}
	ch := p.Channels["mychannel"]
	if strings.Join(ch.Orderers, ",") != "orderer0,orderer1" || ch.Peers["peer0"]["eventSource"] != true || ch.Peers["peer1"]["eventSource"] != false {
		t.Errorf("channel: %+v", ch)
	}
}

func TestLoggerRedactsKeys(t *testing.T) {
	var buf bytes.Buffer
	l := &sdkLogger{p: &sdkLogProvider{w: &buf, level: 4}, module: "m"}
	l.Debugf("config: Pem:-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n rest")
	l.Debugf("cut: -----BEGIN EC PRIVATE KEY-----\nMIGHAgEAMBMG")
	if strings.Contains(buf.String(), "MIGHAgEAMBMG") || !strings.Contains(buf.String(), "rest") {
		t.Fatalf("log: %q", buf.String())
	}
	quiet := &sdkLogger{p: &sdkLogProvider{w: &buf, level: -1}, module: "m"}
	buf.Reset()
	quiet.Errorf("nothing")
	if buf.Len() != 0 {
		t.Fatal("a disabled logger wrote")
	}
}

// wantErr fails t unless err contains want, or is nil when want is empty.
func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" && err != nil {
		t.Fatal(err)
	}
	if want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
