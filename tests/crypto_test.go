package tests

// Integration tests of the fabric_crypto module against the real Fabric
// tools: cryptogen as the oracle for the tree and certificate profiles,
// configtxgen and peer for Fabric's own MSP validation, and ansible-playbook
// for the module's Ansible behaviour.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/cryptogen"
)

func cryptoFixture(t testing.TB, name string) string {
	t.Helper()
	return mustExist(t, filepath.Join(RepoRoot(t), "tests", "testdata", "crypto", name), "git checkout")
}

// runCryptoModule runs the built fabric_crypto binary the way Ansible does
// (an arguments file) and returns its JSON result.
func runCryptoModule(t testing.TB, args map[string]any) map[string]any {
	t.Helper()
	bin := ModuleBin(t, "fabric_crypto")
	b, _ := json.Marshal(args)
	argsFile := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(argsFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := Run(t, "", nil, bin, argsFile)
	var res map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("fabric_crypto printed no JSON object (%v): %s %s", err, r.Stdout, r.Stderr)
	}
	if strings.Contains(r.Stdout, "PRIVATE KEY") {
		t.Fatalf("fabric_crypto printed a private key")
	}
	return res
}

func mustCrypto(t testing.TB, configFile, outputDir string) map[string]any {
	t.Helper()
	res := runCryptoModule(t, map[string]any{"config_file": configFile, "output_dir": outputDir})
	if res["failed"] == true {
		t.Fatalf("fabric_crypto failed: %v", res["msg"])
	}
	return res
}

// tree lists every path under dir, directories marked with a trailing "/".
func tree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// contents maps every file under dir to its bytes.
func contents(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range tree(t, dir) {
		if !strings.HasSuffix(p, "/") {
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			out[p] = b
		}
	}
	return out
}

// sameContentGroups partitions a tree's files by content: which files are
// copies of one another (a CA certificate in every cacerts, the admin's
// certificate in admincerts ...). Only groups of two or more are listed.
func sameContentGroups(files map[string][]byte) []string {
	byHash := map[[32]byte][]string{}
	for p, b := range files {
		h := sha256.Sum256(b)
		byHash[h] = append(byHash[h], p)
	}
	var groups []string
	for _, ps := range byHash {
		if len(ps) > 1 {
			sort.Strings(ps)
			groups = append(groups, strings.Join(ps, " = "))
		}
	}
	sort.Strings(groups)
	return groups
}

func parseCertFile(t testing.TB, p string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("%s: not exactly one PEM certificate", p)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return c
}

// certProfile describes everything about a certificate that does not vary
// between two runs: not the key, serial, dates or signature, but the
// subject and issuer, CA-ness, usages, SANs, key identifiers, the validity
// period, algorithms and the exact list of extensions.
func certProfile(c *x509.Certificate) string {
	var exts []string
	for _, e := range c.Extensions {
		exts = append(exts, fmt.Sprintf("%v(critical=%v)", e.Id, e.Critical))
	}
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	pub := c.PublicKey.(*ecdsa.PublicKey)
	pubBytes := elliptic.Marshal(pub.Curve, pub.X, pub.Y) //nolint:staticcheck // the SKI is defined over this encoding
	ski := sha256.Sum256(pubBytes)
	return fmt.Sprintf("subject=%q issuer=%q ca=%v basic=%v maxpath=%d ku=%d eku=%v dns=%q ips=%q ou=%q "+
		"ski=%s aki=%v validity=%v sig=%v pub=%v/%s exts=%v",
		c.Subject.String(), c.Issuer.String(), c.IsCA, c.BasicConstraintsValid, c.MaxPathLen, c.KeyUsage, c.ExtKeyUsage,
		c.DNSNames, ips, c.Subject.OrganizationalUnit,
		map[bool]string{true: "sha256(pub)", false: fmt.Sprintf("len%d", len(c.SubjectKeyId))}[bytes.Equal(c.SubjectKeyId, ski[:])],
		len(c.AuthorityKeyId) > 0, c.NotAfter.Sub(c.NotBefore), c.SignatureAlgorithm, c.PublicKeyAlgorithm, pub.Curve.Params().Name, exts)
}

func isCertFile(p string) bool { return strings.HasSuffix(p, ".pem") || strings.HasSuffix(p, ".crt") }
func isKeyFile(p string) bool  { return strings.HasSuffix(p, "priv_sk") || strings.HasSuffix(p, ".key") }

// compareWithCryptogen asserts that two crypto trees are the same but for
// the random parts: the same paths, the same copies, byte-identical
// config.yaml files, the same certificate profiles, P-256 PKCS#8 keys with
// mode 0600 and the right signers.
func compareWithCryptogen(t *testing.T, want, got string) {
	t.Helper()
	wt, gt := tree(t, want), tree(t, got)
	if !reflect.DeepEqual(wt, gt) {
		t.Fatalf("trees differ:\n%s", listDiff(wt, gt))
	}
	wc, gc := contents(t, want), contents(t, got)
	if w, g := sameContentGroups(wc), sameContentGroups(gc); !reflect.DeepEqual(w, g) {
		t.Errorf("copies differ:\n%s", listDiff(w, g))
	}
	nCerts := 0
	for p := range wc {
		switch {
		case strings.HasSuffix(p, "config.yaml"):
			if !bytes.Equal(wc[p], gc[p]) {
				t.Errorf("%s differs:\ncryptogen:\n%s\nfabric_crypto:\n%s", p, wc[p], gc[p])
			}
		case isCertFile(p):
			nCerts++
			w, g := certProfile(parseCertFile(t, filepath.Join(want, p))), certProfile(parseCertFile(t, filepath.Join(got, p)))
			if w != g {
				t.Errorf("%s: certificate profiles differ:\ncryptogen:     %s\nfabric_crypto: %s", p, w, g)
			}
		case isKeyFile(p):
			for _, side := range []string{want, got} {
				st, err := os.Stat(filepath.Join(side, p))
				if err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v (%v)", filepath.Join(side, p), st.Mode(), err)
				}
				block, _ := pem.Decode(mustRead(t, filepath.Join(side, p)))
				if block == nil || block.Type != "PRIVATE KEY" {
					t.Fatalf("%s: not a PEM PKCS#8 key", filepath.Join(side, p))
				}
				k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
				if ec, ok := k.(*ecdsa.PrivateKey); err != nil || !ok || ec.Curve != elliptic.P256() {
					t.Errorf("%s: not a P-256 key (%v)", filepath.Join(side, p), err)
				}
			}
		default:
			t.Errorf("unexpected file %s", p)
		}
	}
	if nCerts == 0 {
		t.Fatal("no certificates compared")
	}
	t.Logf("%d paths, %d certificates compared", len(wt), nCerts)
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func listDiff(want, got []string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	for _, s := range got {
		g[s] = true
	}
	var b strings.Builder
	for _, s := range want {
		if !g[s] {
			fmt.Fprintf(&b, "  only cryptogen:     %s\n", s)
		}
	}
	for _, s := range got {
		if !w[s] {
			fmt.Fprintf(&b, "  only fabric_crypto: %s\n", s)
		}
	}
	return b.String()
}

func TestCryptoOracleGenerate(t *testing.T) {
	tier(t, "module")
	cryptogen := FabricBin(t, "cryptogen")
	ModuleBin(t, "fabric_crypto") // its freshness check stays out of the timings
	for _, fixture := range []string{"crypto-config.yaml", "crypto-config-extras.yaml"} {
		t.Run(fixture, func(t *testing.T) {
			cfg := cryptoFixture(t, fixture)
			dir := t.TempDir()
			want, got := filepath.Join(dir, "cryptogen"), filepath.Join(dir, "fabric_crypto")
			start := time.Now()
			MustRun(t, dir, nil, cryptogen, "generate", "--config="+cfg, "--output="+want)
			tCryptogen := time.Since(start)
			start = time.Now()
			res := mustCrypto(t, cfg, got)
			tModule := time.Since(start)
			t.Logf("generate %s: cryptogen %v, fabric_crypto %v (%d files)", fixture, tCryptogen.Round(time.Millisecond),
				tModule.Round(time.Millisecond), len(res["created"].([]any)))
			if res["changed"] != true {
				t.Errorf("first run: changed=%v", res["changed"])
			}
			compareWithCryptogen(t, want, got)
			if res := mustCrypto(t, cfg, got); res["changed"] != false {
				t.Errorf("second run: changed=%v created=%v", res["changed"], res["created"])
			}
		})
	}
}

func TestCryptoOracleExtend(t *testing.T) {
	tier(t, "module")
	cryptogen := FabricBin(t, "cryptogen")
	seed, grown := cryptoFixture(t, "crypto-config.yaml"), cryptoFixture(t, "crypto-config-extended.yaml")
	dir := t.TempDir()
	want, got := filepath.Join(dir, "cryptogen"), filepath.Join(dir, "fabric_crypto")
	MustRun(t, dir, nil, cryptogen, "generate", "--config="+seed, "--output="+want)
	mustCrypto(t, seed, got)
	before := contents(t, got)

	MustRun(t, dir, nil, cryptogen, "extend", "--config="+grown, "--input="+want)
	start := time.Now()
	res := mustCrypto(t, grown, got)
	t.Logf("extend: fabric_crypto %v, %d new files", time.Since(start).Round(time.Millisecond), len(res["created"].([]any)))
	if res["changed"] != true {
		t.Errorf("extend: changed=%v", res["changed"])
	}
	compareWithCryptogen(t, want, got)
	after := contents(t, got)
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("extend changed %s", p)
		}
	}
	if res := mustCrypto(t, grown, got); res["changed"] != false {
		t.Errorf("run after extend: changed=%v", res["changed"])
	}
}

// TestCryptoCertificates checks every certificate of the seed's material:
// it chains to its org's CA or TLS CA, TLS certificates carry the node's
// names and address, NodeOU orgs' certificates carry the node type's OU.
func TestCryptoCertificates(t *testing.T) {
	tier(t, "module")
	out := t.TempDir()
	res := mustCrypto(t, cryptoFixture(t, "crypto-config.yaml"), out)
	wantSANs := map[string][]string{
		"orderer0.example.com":   {"orderer0.example.com", "orderer0", "127.0.194.211"},
		"orderer1.example.com":   {"orderer1.example.com", "orderer1", "127.0.194.212"},
		"peer0.org1.example.com": {"peer0.org1.example.com", "peer0", "peer0.alt.org1.example.com"},
		"peer1.org1.example.com": {"peer1.org1.example.com", "peer1", "peer1.alt.org1.example.com"},
		"peer0.org2.example.com": {"peer0.org2.example.com", "peer0"},
		"peer1.org2.example.com": {"peer1.org2.example.com", "peer1"},
		"Admin@example.com":      nil,
		"Admin@org1.example.com": nil,
		"User1@org1.example.com": nil,
		"Admin@org2.example.com": nil,
		"User1@org2.example.com": nil,
	}
	seen := map[string]int{}
	for org, v := range res["orgs"].(map[string]any) {
		o := v.(map[string]any)
		orgDir := o["dir"].(string)
		nodeOUs := o["node_ous"].(bool)
		pool := func(sub string) (*x509.CertPool, *x509.Certificate) {
			m, _ := filepath.Glob(filepath.Join(orgDir, sub, "*-cert.pem"))
			if len(m) != 1 {
				t.Fatalf("%s/%s: %v", orgDir, sub, m)
			}
			c := parseCertFile(t, m[0])
			p := x509.NewCertPool()
			p.AddCert(c)
			return p, c
		}
		signRoots, signCA := pool("ca")
		tlsRoots, tlsCA := pool("tlsca")
		if !signCA.IsCA || !tlsCA.IsCA || signCA.Subject.Organization[0] != o["domain"] {
			t.Errorf("%s: CA certificates %v / %v", org, signCA.Subject, tlsCA.Subject)
		}
		for _, p := range tree(t, orgDir) {
			if !isCertFile(p) {
				continue
			}
			c := parseCertFile(t, filepath.Join(orgDir, p))
			if c.IsCA {
				continue // the CA certificates and their copies
			}
			parts := strings.Split(p, "/")
			typ, name := parts[0], parts[1] // peers|orderers|users, node or user name
			switch {
			case strings.Contains(p, "/msp/signcerts/") || strings.Contains(p, "/msp/admincerts/") || strings.HasPrefix(p, "msp/admincerts/"):
				if _, err := c.Verify(x509.VerifyOptions{Roots: signRoots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
					t.Errorf("%s/%s does not chain to its CA: %v", org, p, err)
				}
				if c.KeyUsage != x509.KeyUsageDigitalSignature || len(c.ExtKeyUsage) != 0 || len(c.DNSNames)+len(c.IPAddresses) != 0 {
					t.Errorf("%s/%s: signing profile KU=%v EKU=%v", org, p, c.KeyUsage, c.ExtKeyUsage)
				}
				if !strings.Contains(p, "/signcerts/") {
					continue
				}
				seen[c.Subject.CommonName]++
				var wantOU []string
				if nodeOUs {
					wantOU = []string{map[string]string{"peers": "peer", "orderers": "orderer", "users": "client"}[typ]}
					if strings.HasPrefix(name, "Admin@") {
						wantOU = []string{"admin"}
					}
				}
				if !reflect.DeepEqual(c.Subject.OrganizationalUnit, wantOU) || c.Subject.CommonName != name {
					t.Errorf("%s/%s: subject %v, want CN %s OU %v", org, p, c.Subject, name, wantOU)
				}
			case strings.Contains(p, "/tls/"):
				eku := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
				if _, err := c.Verify(x509.VerifyOptions{Roots: tlsRoots, KeyUsages: eku}); err != nil {
					t.Errorf("%s/%s does not chain to its TLS CA: %v", org, p, err)
				}
				var sans []string
				sans = append(sans, c.DNSNames...)
				for _, ip := range c.IPAddresses {
					sans = append(sans, ip.String())
				}
				if !reflect.DeepEqual(sans, wantSANs[name]) || c.Subject.CommonName != name || len(c.Subject.OrganizationalUnit) != 0 {
					t.Errorf("%s/%s: CN %s SANs %q, want %s %q", org, p, c.Subject.CommonName, sans, name, wantSANs[name])
				}
				if want := map[bool]string{true: "client.crt", false: "server.crt"}[typ == "users"]; filepath.Base(p) != want {
					t.Errorf("%s/%s: want %s", org, p, want)
				}
				if len(sans) > 0 {
					if err := c.VerifyHostname(sans[len(sans)-1]); err != nil {
						t.Errorf("%s/%s: %v", org, p, err)
					}
				}
			default:
				t.Errorf("%s/%s: unexpected certificate", org, p)
			}
		}
	}
	for name := range wantSANs {
		if seen[name] != 1 {
			t.Errorf("%s: %d signing certificates", name, seen[name])
		}
	}
}

// peerCoreYAML is the least core.yaml the peer CLI needs to load a local MSP.
const peerCoreYAML = `peer:
  mspConfigPath: msp
  localMspId: SampleOrg
  localMspType: bccsp
  BCCSP:
    Default: SW
    SW:
      Hash: SHA2
      Security: 256
`

// TestCryptoMSPsAcceptedByFabric hands every generated MSP to Fabric's own
// code: configtxgen reads the org MSPs and the orderers' TLS certificates
// into a genesis block and a channel creation transaction, and the peer CLI
// sets up each MSP as its local MSP (Fabric's MSP validation: CA chain,
// admincerts, NodeOU config.yaml, signing identity) to sign that
// transaction. Org MSPs, which have no signing identity, are set up with
// their admin's key and certificate added.
func TestCryptoMSPsAcceptedByFabric(t *testing.T) {
	tier(t, "module")
	configtxgen, peer := FabricBin(t, "configtxgen"), FabricBin(t, "peer")
	dir := t.TempDir()
	out := filepath.Join(dir, "crypto")
	res := mustCrypto(t, cryptoFixture(t, "crypto-config-extended.yaml"), out)
	orgs := res["orgs"].(map[string]any)
	var peerOrgs []string
	for name, o := range orgs {
		if o.(map[string]any)["type"] == "peer" {
			peerOrgs = append(peerOrgs, name)
		}
	}
	sort.Strings(peerOrgs)

	net := configtxNetwork{
		OrdererMSPDir:    orgs["Orderer"].(map[string]any)["msp_dir"].(string),
		OrdererEndpoints: []string{"127.0.194.211:7050", "127.0.194.212:7050"},
		AppCapability:    "V2_0", OrdererType: "etcdraft", BatchTimeout: "2s",
	}
	for _, name := range peerOrgs {
		o := orgs[name].(map[string]any)
		peer0 := o["nodes"].(map[string]any)["peer0"].(map[string]any)
		net.Orgs = append(net.Orgs, configtxNetworkOrg{Alias: name, MSPID: name + "MSP", MSPDir: o["msp_dir"].(string),
			AnchorHost: peer0["name"].(string), AnchorPort: 7051})
	}
	var orderers []string
	for name := range orgs["Orderer"].(map[string]any)["nodes"].(map[string]any) {
		orderers = append(orderers, name)
	}
	sort.Strings(orderers)
	for _, name := range orderers {
		n := orgs["Orderer"].(map[string]any)["nodes"].(map[string]any)[name].(map[string]any)
		net.Consenters = append(net.Consenters, configtxConsenter{Host: n["sans"].([]any)[2].(string), Port: 7050,
			TLSCert: n["tls_dir"].(string) + "/server.crt"})
	}
	writeConfigtx(t, filepath.Join(dir, "configtx.yaml"), net)
	MustRun(t, dir, nil, configtxgen, "-configPath", dir, "-profile", "Genesis", "-channelID", "system-channel", "-outputBlock", filepath.Join(dir, "genesis.block"))
	MustRun(t, dir, nil, configtxgen, "-configPath", dir, "-profile", "Channel", "-channelID", "mychannel", "-outputCreateChannelTx", filepath.Join(dir, "channel.tx"))
	inspect := MustRun(t, dir, nil, configtxgen, "-inspectBlock", filepath.Join(dir, "genesis.block"))
	for _, name := range append([]string{"OrdererMSP"}, "Org1MSP", "Org2MSP", "Org3MSP") {
		if !strings.Contains(inspect.Stdout, `"name": "`+name+`"`) {
			t.Errorf("genesis block has no MSP %s", name)
		}
	}

	cfgDir := filepath.Join(dir, "peercfg")
	os.MkdirAll(cfgDir, 0o755)
	os.WriteFile(filepath.Join(cfgDir, "core.yaml"), []byte(peerCoreYAML), 0o644)
	tx := mustRead(t, filepath.Join(dir, "channel.tx"))
	signWith := func(mspID, mspDir string) CmdResult {
		f := filepath.Join(t.TempDir(), "channel.tx")
		os.WriteFile(f, tx, 0o644)
		r := Run(t, dir, []string{"FABRIC_CFG_PATH=" + cfgDir, "CORE_PEER_LOCALMSPID=" + mspID, "CORE_PEER_MSPCONFIGPATH=" + mspDir},
			peer, "channel", "signconfigtx", "-f", f)
		if r.Err == nil && len(mustRead(t, f)) <= len(tx) {
			r.Err = fmt.Errorf("the transaction was not signed")
		}
		return r
	}

	nMSPs := 0
	for name, v := range orgs {
		o := v.(map[string]any)
		mspID := name + "MSP"
		var local []string
		for _, group := range []string{"nodes", "users"} {
			for _, id := range o[group].(map[string]any) {
				local = append(local, id.(map[string]any)["msp_dir"].(string))
			}
		}
		// The org MSP, with its admin's signing identity added.
		orgMSP := filepath.Join(t.TempDir(), "msp")
		copyTree(t, o["msp_dir"].(string), orgMSP)
		admin := o["admin"].(map[string]any)["msp_dir"].(string)
		copyTree(t, filepath.Join(admin, "signcerts"), filepath.Join(orgMSP, "signcerts"))
		copyTree(t, filepath.Join(admin, "keystore"), filepath.Join(orgMSP, "keystore"))
		local = append(local, orgMSP)
		for _, msp := range local {
			nMSPs++
			if r := signWith(mspID, msp); r.Err != nil {
				t.Errorf("Fabric rejects the MSP %s: %v\n%s%s", msp, r.Err, r.Stdout, r.Stderr)
			}
		}
	}
	t.Logf("%d MSPs set up by the peer CLI", nMSPs)

	// The check is real: an MSP whose signing certificate comes from
	// another org's CA is refused.
	bad := filepath.Join(t.TempDir(), "msp")
	copyTree(t, orgs["Org1"].(map[string]any)["admin"].(map[string]any)["msp_dir"].(string), bad)
	os.RemoveAll(filepath.Join(bad, "cacerts"))
	copyTree(t, filepath.Join(orgs["Org2"].(map[string]any)["msp_dir"].(string), "cacerts"), filepath.Join(bad, "cacerts"))
	if r := signWith("Org1MSP", bad); r.Err == nil {
		t.Errorf("the peer accepted an MSP whose identity does not chain to its CA")
	}
}

// cryptoPlaybook runs tests/playbooks/crypto.yml on localhost (testPlaybook).
func cryptoPlaybook(t *testing.T, extra ...string) (string, int, int) {
	t.Helper()
	return testPlaybook(t, "crypto.yml", extra...)
}

func TestCryptoAnsiblePlaybook(t *testing.T) {
	tier(t, "module")
	ModuleBin(t, "fabric_crypto") // fail early on a stale build
	seed, grown := cryptoFixture(t, "crypto-config.yaml"), cryptoFixture(t, "crypto-config-extended.yaml")
	dir := t.TempDir()
	out := filepath.Join(dir, "crypto")
	vars := func(cfg string) []string {
		return []string{"-e", "crypto_output_dir=" + out, "-e", "crypto_config_file=" + cfg}
	}
	step := func(name string, wantChanged int, extra ...string) string {
		t.Helper()
		start := time.Now()
		output, changed, failed := cryptoPlaybook(t, extra...)
		t.Logf("%s: changed=%d in %v", name, changed, time.Since(start).Round(time.Millisecond))
		if failed != 0 || changed != wantChanged {
			t.Fatalf("%s: changed=%d failed=%d, want changed=%d:\n%s", name, changed, failed, wantChanged, output)
		}
		if strings.Contains(output, "PRIVATE KEY") {
			t.Fatalf("%s: a private key was printed", name)
		}
		return output
	}

	// Check mode on nothing: would change, writes nothing; --diff lists the files.
	output := step("check mode", 1, append(vars(seed), "--check", "--diff")...)
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("check mode created %s", out)
	}
	if !strings.Contains(output, "+peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/server.crt") {
		t.Errorf("--diff does not list the new files:\n%s", output)
	}

	step("first run", 1, vars(seed)...)
	first := contents(t, out)
	step("second run", 0, vars(seed)...)

	// The same config inline (a dict) is the same material: nothing to do.
	step("inline config", 0, "-e", "crypto_output_dir="+out, "-e", "@"+cryptoFixture(t, "inline-vars.yml"))

	// Extending: check mode with diff shows the additions and writes nothing.
	output = step("extend, check mode", 1, append(vars(grown), "--check", "--diff")...)
	if !strings.Contains(output, "+ordererOrganizations/example.com/orderers/orderer2.example.com/tls/server.crt") ||
		!strings.Contains(output, "+peerOrganizations/org3.example.com/ca/priv_sk") {
		t.Errorf("--diff does not list the additions:\n%s", output)
	}
	if !reflect.DeepEqual(contents(t, out), first) {
		t.Fatalf("check mode changed the material")
	}

	step("extend", 1, vars(grown)...)
	after := contents(t, out)
	for p, b := range first {
		if !bytes.Equal(after[p], b) {
			t.Errorf("extend changed %s", p)
		}
	}
	for _, p := range []string{
		"ordererOrganizations/example.com/orderers/orderer2.example.com/msp/keystore/priv_sk",
		"peerOrganizations/org1.example.com/peers/peer2.org1.example.com/tls/server.key",
		"peerOrganizations/org2.example.com/users/User2@org2.example.com/msp/signcerts/User2@org2.example.com-cert.pem",
		"peerOrganizations/org3.example.com/ca/priv_sk",
	} {
		if after[p] == nil {
			t.Errorf("extend did not create %s", p)
		}
	}
	ca := parseCertFile(t, filepath.Join(out, "peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem"))
	if err := parseCertFile(t, filepath.Join(out, "peerOrganizations/org1.example.com/peers/peer2.org1.example.com/tls/server.crt")).CheckSignatureFrom(ca); err != nil {
		t.Errorf("the new peer's TLS certificate is not from the existing TLS CA: %v", err)
	}
	step("after extend", 0, vars(grown)...)

	// Bad input fails, names the field, and leaves the material untouched.
	output, changed, failed := cryptoPlaybook(t, vars(cryptoFixture(t, "bad-unknown-field.yaml"))...)
	if failed != 1 || changed != 0 || !strings.Contains(output, `PeerOrgs[0].Template (line 6): unknown field`) || !strings.Contains(output, `Cont`) {
		t.Errorf("bad input: changed=%d failed=%d:\n%s", changed, failed, output)
	}
	output, _, failed = cryptoPlaybook(t, "-e", "crypto_output_dir="+out)
	if failed != 1 || !strings.Contains(output, "one of the following is required: config, config_file") {
		t.Errorf("no config: failed=%d:\n%s", failed, output)
	}
	if !reflect.DeepEqual(contents(t, out), after) {
		t.Errorf("a failed run changed the material")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(out, ".fabric_crypto-*")); len(leftovers) != 0 {
		t.Errorf("staging directories left behind: %v", leftovers)
	}
}

func TestCryptoAnsibleDoc(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	ModuleBin(t, "fabric_crypto")
	r := MustRun(t, root, AnsibleEnv(t), VenvBin(t, "ansible-doc"), "fabrun.fabric.fabric_crypto")
	for _, want := range []string{"fabric_crypto", "OPTIONS", "config_file", "output_dir", "EXAMPLES", "RETURN VALUES", "created", "msp_dir"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("ansible-doc output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stderr, "WARNING") || strings.Contains(r.Stderr, "ERROR") {
		t.Errorf("ansible-doc complained:\n%s", r.Stderr)
	}
	j := MustRun(t, root, AnsibleEnv(t), VenvBin(t, "ansible-doc"), "--json", "fabrun.fabric.fabric_crypto")
	var parsed map[string]map[string]any
	if err := json.Unmarshal([]byte(j.Stdout), &parsed); err != nil {
		t.Fatalf("ansible-doc --json: %v", err)
	}
	opts := parsed["fabrun.fabric.fabric_crypto"]["doc"].(map[string]any)["options"].(map[string]any)
	var names []string
	for k := range opts {
		names = append(names, k)
	}
	var spec []string
	for k := range cryptogen.Spec.Options {
		spec = append(spec, k)
	}
	sort.Strings(names)
	sort.Strings(spec)
	if !reflect.DeepEqual(names, spec) {
		t.Errorf("documented options %v, the module takes %v", names, spec)
	}
}
