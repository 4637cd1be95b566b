package cryptogen

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/module"
)

const seedConfig = `
OrdererOrgs:
  - Name: Orderer
    Domain: example.com
    Specs:
      - Hostname: orderer0
        SANS: [127.0.194.211]
      - Hostname: orderer1
PeerOrgs:
  - Name: Org1
    Domain: org1.example.com
    EnableNodeOUs: true
    Template: {Count: 2}
    Users: {Count: 1}
`

func mustBuild(t *testing.T, cfgText, dir string) *Plan {
	t.Helper()
	cfg, err := ParseYAML([]byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(cfg, dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot maps every path under dir to its content ("<dir>" for directories).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel] = "<dir>"
		} else {
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func readCertT(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	c, err := readCert(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func isLowS(t *testing.T, c *x509.Certificate) bool {
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(c.Signature, &sig); err != nil {
		t.Fatal(err)
	}
	n := c.PublicKey.(*ecdsa.PublicKey).Curve.Params().N
	return sig.S.Cmp(new(big.Int).Rsh(n, 1)) <= 0
}

func TestCryptoGenerateProfiles(t *testing.T) {
	dir := t.TempDir()
	p := mustBuild(t, seedConfig, dir)
	if len(p.Units) != 2 {
		t.Fatalf("want one unit per new org, got %d", len(p.Units))
	}
	if err := p.Apply(); err != nil {
		t.Fatal(err)
	}
	for _, u := range p.Units {
		for _, f := range u.Files {
			st, err := os.Stat(filepath.Join(dir, u.Dir, f.Path))
			if err != nil {
				t.Fatal(err)
			}
			isKey := strings.HasSuffix(f.Path, "priv_sk") || strings.HasSuffix(f.Path, ".key")
			if isKey != f.Secret() || (isKey && st.Mode().Perm() != 0o600) {
				t.Errorf("%s: mode %v", f.Path, st.Mode())
			}
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, stagingPrefix+"*"))
	if len(leftovers) != 0 {
		t.Errorf("staging left behind: %v", leftovers)
	}

	type want struct {
		path    string
		ca      string // ca or tlsca
		ku      x509.KeyUsage
		eku     []x509.ExtKeyUsage
		ous     []string
		dns     []string
		ips     []string
		keyPath string
	}
	o := "ordererOrganizations/example.com/"
	p1 := "peerOrganizations/org1.example.com/"
	tlsEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	for _, w := range []want{
		{path: o + "orderers/orderer0.example.com/msp/signcerts/orderer0.example.com-cert.pem", ca: o + "ca", ku: x509.KeyUsageDigitalSignature,
			keyPath: o + "orderers/orderer0.example.com/msp/keystore/priv_sk"},
		{path: o + "orderers/orderer0.example.com/tls/server.crt", ca: o + "tlsca", ku: tlsKeyUsage, eku: tlsEKU,
			dns: []string{"orderer0.example.com", "orderer0"}, ips: []string{"127.0.194.211"}, keyPath: o + "orderers/orderer0.example.com/tls/server.key"},
		{path: o + "orderers/orderer1.example.com/tls/server.crt", ca: o + "tlsca", ku: tlsKeyUsage, eku: tlsEKU,
			dns: []string{"orderer1.example.com", "orderer1"}},
		{path: o + "users/Admin@example.com/msp/signcerts/Admin@example.com-cert.pem", ca: o + "ca", ku: x509.KeyUsageDigitalSignature},
		{path: o + "users/Admin@example.com/tls/client.crt", ca: o + "tlsca", ku: tlsKeyUsage, eku: tlsEKU,
			keyPath: o + "users/Admin@example.com/tls/client.key"},
		{path: p1 + "peers/peer1.org1.example.com/msp/signcerts/peer1.org1.example.com-cert.pem", ca: p1 + "ca", ku: x509.KeyUsageDigitalSignature, ous: []string{"peer"}},
		{path: p1 + "peers/peer0.org1.example.com/tls/server.crt", ca: p1 + "tlsca", ku: tlsKeyUsage, eku: tlsEKU,
			dns: []string{"peer0.org1.example.com", "peer0"}},
		{path: p1 + "users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem", ca: p1 + "ca", ku: x509.KeyUsageDigitalSignature, ous: []string{"admin"}},
		{path: p1 + "users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem", ca: p1 + "ca", ku: x509.KeyUsageDigitalSignature, ous: []string{"client"},
			keyPath: p1 + "users/User1@org1.example.com/msp/keystore/priv_sk"},
	} {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(w.path)))+"/"+filepath.Base(w.path), func(t *testing.T) {
			c := readCertT(t, filepath.Join(dir, w.path))
			caName := "ca."
			if strings.HasSuffix(w.ca, "tlsca") {
				caName = "tlsca."
			}
			matches, _ := filepath.Glob(filepath.Join(dir, w.ca, caName+"*-cert.pem"))
			if len(matches) != 1 {
				t.Fatalf("CA cert: %v", matches)
			}
			ca := readCertT(t, matches[0])
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Errorf("does not chain to %s: %v", w.ca, err)
			}
			if c.IsCA || c.KeyUsage != w.ku || !reflect.DeepEqual(c.ExtKeyUsage, w.eku) {
				t.Errorf("IsCA %v KU %v EKU %v", c.IsCA, c.KeyUsage, c.ExtKeyUsage)
			}
			if !reflect.DeepEqual(c.Subject.OrganizationalUnit, w.ous) || c.Subject.Organization != nil ||
				!reflect.DeepEqual(c.Subject.Country, []string{"US"}) || c.Subject.CommonName != strings.TrimSuffix(filepath.Base(w.path), "-cert.pem") && !strings.HasPrefix(filepath.Base(w.path), "server") && !strings.HasPrefix(filepath.Base(w.path), "client") {
				t.Errorf("subject %v", c.Subject)
			}
			var ips []string
			for _, ip := range c.IPAddresses {
				ips = append(ips, ip.String())
			}
			if !reflect.DeepEqual(c.DNSNames, w.dns) || !reflect.DeepEqual(ips, w.ips) {
				t.Errorf("SANs %v %v", c.DNSNames, ips)
			}
			if !bytes.Equal(c.AuthorityKeyId, ca.SubjectKeyId) || len(c.SubjectKeyId) != 0 {
				t.Errorf("AKI %x, CA SKI %x, SKI %x", c.AuthorityKeyId, ca.SubjectKeyId, c.SubjectKeyId)
			}
			if !isLowS(t, c) || !isLowS(t, ca) {
				t.Errorf("signature is not low-S")
			}
			if !ca.IsCA || ca.KeyUsage != caKeyUsage || !reflect.DeepEqual(ca.ExtKeyUsage, caExtKeyUsage) || len(ca.SubjectKeyId) != 32 {
				t.Errorf("CA profile: IsCA %v KU %v EKU %v SKI %x", ca.IsCA, ca.KeyUsage, ca.ExtKeyUsage, ca.SubjectKeyId)
			}
			if w.keyPath != "" {
				k, err := readKey(filepath.Join(dir, w.keyPath))
				if err != nil || !k.PublicKey.Equal(c.PublicKey) {
					t.Errorf("key %s does not match: %v", w.keyPath, err)
				}
			}
		})
	}

	// Without NodeOUs: the admin's certificate in the org's and nodes'
	// admincerts, a user's own; with NodeOUs: config.yaml, empty admincerts.
	admin, _ := os.ReadFile(filepath.Join(dir, o, "users/Admin@example.com/msp/signcerts/Admin@example.com-cert.pem"))
	for _, f := range []string{"msp/admincerts/Admin@example.com-cert.pem", "orderers/orderer1.example.com/msp/admincerts/Admin@example.com-cert.pem",
		"users/Admin@example.com/msp/admincerts/Admin@example.com-cert.pem"} {
		if b, err := os.ReadFile(filepath.Join(dir, o, f)); err != nil || !bytes.Equal(b, admin) {
			t.Errorf("%s is not the admin's certificate (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, o, "msp/config.yaml")); err == nil {
		t.Errorf("config.yaml without NodeOUs")
	}
	for _, d := range []string{"msp/admincerts", "peers/peer0.org1.example.com/msp/admincerts"} {
		if es, err := os.ReadDir(filepath.Join(dir, p1, d)); err != nil || len(es) != 0 {
			t.Errorf("%s: want an empty directory, got %v %v", d, es, err)
		}
	}
	cfgYAML, _ := os.ReadFile(filepath.Join(dir, p1, "msp/config.yaml"))
	wantYAML := `NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.org1.example.com-cert.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.org1.example.com-cert.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.org1.example.com-cert.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.org1.example.com-cert.pem
    OrganizationalUnitIdentifier: orderer
`
	if string(cfgYAML) != wantYAML {
		t.Errorf("config.yaml:\n%s", cfgYAML)
	}
}

func TestCryptoExtend(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prepare   func(t *testing.T, dir string)
		units     []string
		wantAdmin bool // a new admin certificate is expected
	}{
		{name: "new nodes and users", units: []string{
			"peerOrganizations/org1.example.com/peers/peer2.org1.example.com",
			"peerOrganizations/org1.example.com/users/User2@org1.example.com",
			"peerOrganizations/org2.example.com",
			"ordererOrganizations/example.com/orderers/orderer2.example.com",
		}},
		{name: "lost admin and org msp are recreated from the CAs", prepare: func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "ordererOrganizations/example.com/users/Admin@example.com"))
			os.RemoveAll(filepath.Join(dir, "ordererOrganizations/example.com/msp"))
		}, wantAdmin: true, units: []string{
			"peerOrganizations/org1.example.com/peers/peer2.org1.example.com",
			"peerOrganizations/org1.example.com/users/User2@org1.example.com",
			"peerOrganizations/org2.example.com",
			"ordererOrganizations/example.com/users/Admin@example.com",
			"ordererOrganizations/example.com/msp",
			"ordererOrganizations/example.com/orderers/orderer2.example.com",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := mustBuild(t, seedConfig, dir).Apply(); err != nil {
				t.Fatal(err)
			}
			if again := mustBuild(t, seedConfig, dir); len(again.Units) != 0 {
				t.Fatalf("second run would create %v", again.Created())
			}
			if tc.prepare != nil {
				tc.prepare(t, dir)
			}
			before := snapshot(t, dir)
			bigger := strings.Replace(seedConfig, "      - Hostname: orderer1\n", "      - Hostname: orderer1\n      - Hostname: orderer2\n", 1)
			bigger = strings.Replace(bigger, "Template: {Count: 2}\n    Users: {Count: 1}", "Template: {Count: 3}\n    Users: {Count: 2}", 1)
			bigger += "  - Name: Org2\n    Domain: org2.example.com\n    Template: {Count: 1}\n"
			p := mustBuild(t, bigger, dir)
			var units []string
			for _, u := range p.Units {
				units = append(units, u.Dir)
			}
			if !reflect.DeepEqual(units, tc.units) {
				t.Fatalf("units %q, want %q", units, tc.units)
			}
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			after := snapshot(t, dir)
			for k, v := range before {
				if after[k] != v {
					t.Errorf("%s changed", k)
				}
			}
			// New identities are signed by the existing CAs.
			for _, c := range []struct{ cert, ca string }{
				{"ordererOrganizations/example.com/orderers/orderer2.example.com/msp/signcerts/orderer2.example.com-cert.pem", "ordererOrganizations/example.com/ca/ca.example.com-cert.pem"},
				{"ordererOrganizations/example.com/orderers/orderer2.example.com/tls/server.crt", "ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem"},
				{"peerOrganizations/org1.example.com/users/User2@org1.example.com/msp/signcerts/User2@org1.example.com-cert.pem", "peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem"},
			} {
				if err := readCertT(t, filepath.Join(dir, c.cert)).CheckSignatureFrom(readCertT(t, filepath.Join(dir, c.ca))); err != nil {
					t.Errorf("%s: %v", c.cert, err)
				}
			}
			admin := after["ordererOrganizations/example.com/users/Admin@example.com/msp/signcerts/Admin@example.com-cert.pem"]
			for _, f := range []string{"ordererOrganizations/example.com/orderers/orderer2.example.com/msp/admincerts/Admin@example.com-cert.pem",
				"ordererOrganizations/example.com/msp/admincerts/Admin@example.com-cert.pem"} {
				if after[f] != admin {
					t.Errorf("%s is not the admin's certificate", f)
				}
			}
			if tc.wantAdmin == (admin == before["ordererOrganizations/example.com/users/Admin@example.com/msp/signcerts/Admin@example.com-cert.pem"]) {
				t.Errorf("admin certificate replaced: %v, want %v", !tc.wantAdmin, tc.wantAdmin)
			}
			if again := mustBuild(t, bigger, dir); len(again.Units) != 0 {
				t.Errorf("third run would create %v", again.Created())
			}
		})
	}
}

func TestCryptoExistingMaterialProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(dir string) error
		err    []string
	}{
		{name: "CA key does not match", break_: func(dir string) error {
			k, _ := os.ReadFile(filepath.Join(dir, "peerOrganizations/org1.example.com/tlsca/priv_sk"))
			return os.WriteFile(filepath.Join(dir, "peerOrganizations/org1.example.com/ca/priv_sk"), k, 0o600)
		}, err: []string{"PeerOrgs[0]", "Org1", "does not match", "never replaced"}},
		{name: "CA key missing", break_: func(dir string) error {
			return os.Remove(filepath.Join(dir, "ordererOrganizations/example.com/tlsca/priv_sk"))
		}, err: []string{"OrdererOrgs[0]", "tlsca", "priv_sk"}},
		{name: "CA key garbage", break_: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "ordererOrganizations/example.com/ca/priv_sk"), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
		}, err: []string{"not a PKCS#8 or SEC 1 private key"}},
		{name: "CA dir gone", break_: func(dir string) error {
			return os.RemoveAll(filepath.Join(dir, "ordererOrganizations/example.com/ca"))
		}, err: []string{"OrdererOrgs[0]", "no such file"}},
		{name: "two CA certs", break_: func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "ordererOrganizations/example.com/ca/other-cert.pem"), []byte("x"), 0o644)
		}, err: []string{"exactly one *-cert.pem, found 2"}},
		{name: "admin cert unreadable", break_: func(dir string) error {
			return os.Remove(filepath.Join(dir, "ordererOrganizations/example.com/users/Admin@example.com/msp/signcerts/Admin@example.com-cert.pem"))
		}, err: []string{"existing admin certificate"}},
		{name: "output_dir is a file", break_: func(dir string) error {
			return nil
		}, err: []string{"not a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := mustBuild(t, seedConfig, dir).Apply(); err != nil {
				t.Fatal(err)
			}
			if err := tc.break_(dir); err != nil {
				t.Fatal(err)
			}
			out := dir
			if tc.name == "output_dir is a file" {
				out = filepath.Join(dir, "ordererOrganizations/example.com/ca/priv_sk")
			}
			before := snapshot(t, dir)
			cfg, _ := ParseYAML([]byte(strings.Replace(seedConfig, "Count: 2", "Count: 3", 1)))
			_, err := Build(cfg, out, time.Now())
			checkErr(t, err, tc.err)
			if err != nil && strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("error shows key material: %v", err)
			}
			if !reflect.DeepEqual(before, snapshot(t, dir)) {
				t.Errorf("existing material changed")
			}
		})
	}
}

func TestCryptoApplyRollsBack(t *testing.T) {
	dir := t.TempDir()
	if err := mustBuild(t, seedConfig, dir).Apply(); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	bigger := strings.Replace(seedConfig, "Count: 2", "Count: 4", 1) + "  - Name: Org2\n    Domain: org2.example.com\n    Template: {Count: 1}\n"
	p := mustBuild(t, bigger, dir)
	if len(p.Units) != 3 {
		t.Fatalf("units: %d", len(p.Units))
	}
	afterRename = func(i int) error {
		if i == 2 {
			return errors.New("disk full")
		}
		return nil
	}
	defer func() { afterRename = nil }()
	if err := p.Apply(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Apply: %v", err)
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		var extra []string
		for k := range after {
			if _, ok := before[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		t.Errorf("a failed run left changes behind: %v", extra)
	}
}

func TestCryptoCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		path string
		err  []string
	}{
		{path: dir},
		{path: filepath.Join(dir, "a", "b", "c")},
		{path: file, err: []string{"not a directory"}},
		{path: filepath.Join(file, "sub"), err: []string{"not a directory"}},
	} {
		checkErr(t, CheckWritable(tc.path), tc.err)
	}
}

func runModule(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(args)
	out := module.Execute(Spec, b, Run)
	// Round-trip through JSON, as Ansible sees it.
	j, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(j, []byte("PRIVATE KEY")) {
		t.Fatalf("the module printed a private key")
	}
	var res map[string]any
	json.Unmarshal(j, &res)
	return res
}

func TestCryptoModule(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "crypto-config.yaml")
	os.WriteFile(cfgFile, []byte(seedConfig), 0o644)
	out := filepath.Join(dir, "crypto")

	for _, tc := range []struct {
		name string
		args map[string]any
		err  string
	}{
		{"neither config nor config_file", map[string]any{"output_dir": out}, "one of the following is required: config, config_file"},
		{"both", map[string]any{"output_dir": out, "config_file": cfgFile, "config": map[string]any{}}, "mutually exclusive: config|config_file"},
		{"no output_dir", map[string]any{"config_file": cfgFile}, "missing required arguments: output_dir"},
		{"empty output_dir", map[string]any{"config_file": cfgFile, "output_dir": " "}, "output_dir: must not be empty"},
		{"missing config file", map[string]any{"config_file": filepath.Join(dir, "nope.yaml"), "output_dir": out}, "config_file: open"},
		{"unknown field in config", map[string]any{"output_dir": out, "config": map[string]any{"PeerOrgs": []any{map[string]any{"Domain": "d", "Peers": 1}}}},
			`config: PeerOrgs[0]: unknown field "Peers"`},
		{"unwritable output_dir", map[string]any{"config_file": cfgFile, "output_dir": filepath.Join(cfgFile, "crypto")}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runModule(t, tc.args)
			if res["failed"] != true || !strings.Contains(res["msg"].(string), tc.err) {
				t.Errorf("got %v, want failure %q", res, tc.err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed run created %s", out)
			}
		})
	}

	// Check mode with diff: reports, writes nothing.
	res := runModule(t, map[string]any{"config_file": cfgFile, "output_dir": out, "_ansible_check_mode": true, "_ansible_diff": true})
	if res["changed"] != true || res["failed"] == true {
		t.Fatalf("check mode: %v", res)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("check mode wrote %s", out)
	}
	created := res["created"].([]any)
	d := res["diff"].(map[string]any)
	if !strings.Contains(d["after"].(string), "peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/server.crt\n") || d["before"] != "" {
		t.Errorf("diff %v", d)
	}
	if !strings.HasPrefix(res["msg"].(string), "would create") {
		t.Errorf("msg %v", res["msg"])
	}

	// The real run creates exactly what check mode announced.
	res = runModule(t, map[string]any{"config_file": cfgFile, "output_dir": out})
	if res["changed"] != true || !reflect.DeepEqual(res["created"], created) {
		t.Fatalf("run: %v", res)
	}
	var files []any
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if !reflect.DeepEqual(files, created) {
		t.Errorf("files on disk differ from created:\n%v\n%v", files, created)
	}
	orgs := res["orgs"].(map[string]any)
	org1 := orgs["Org1"].(map[string]any)
	if org1["msp_dir"] != filepath.Join(out, "peerOrganizations/org1.example.com/msp") ||
		org1["nodes"].(map[string]any)["peer1"].(map[string]any)["tls_dir"] != filepath.Join(out, "peerOrganizations/org1.example.com/peers/peer1.org1.example.com/tls") ||
		org1["admin"].(map[string]any)["msp_dir"] != filepath.Join(out, "peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp") {
		t.Errorf("orgs: %v", org1)
	}
	ids := res["identities"].([]any)
	if len(ids) != 2*4+2+3 { // per org: CA, TLS CA, org MSP, admin; 2 orderers; 2 peers and a user
		t.Errorf("identities %v", ids)
	}

	// Idempotent; the inline form gives the same result.
	var inline map[string]any
	if c, err := ParseYAML([]byte(seedConfig)); err != nil {
		t.Fatal(err)
	} else {
		b, _ := json.Marshal(c)
		json.Unmarshal(b, &inline)
	}
	for _, args := range []map[string]any{
		{"config_file": cfgFile, "output_dir": out, "_ansible_diff": true},
		{"config": inline, "output_dir": out},
	} {
		res = runModule(t, args)
		if res["changed"] != false || res["failed"] == true || len(res["created"].([]any)) != 0 || res["diff"] != nil {
			t.Errorf("second run: %v", res)
		}
	}

	// Extending in diff mode shows only the additions.
	bigger := strings.Replace(seedConfig, "Users: {Count: 1}", "Users: {Count: 2}", 1)
	os.WriteFile(cfgFile, []byte(bigger), 0o644)
	res = runModule(t, map[string]any{"config_file": cfgFile, "output_dir": out, "_ansible_diff": true})
	d = res["diff"].(map[string]any)
	if res["changed"] != true || len(res["created"].([]any)) != 8 ||
		!strings.Contains(d["after"].(string), "users/User2@org1.example.com/msp/keystore/priv_sk") ||
		strings.Contains(d["before"].(string), "User2@") || !strings.Contains(d["before"].(string), "User1@") {
		t.Errorf("extend: %v", res)
	}
}

func TestCryptoLowSSigner(t *testing.T) {
	kp, err := newKey()
	if err != nil {
		t.Fatal(err)
	}
	s := lowS{kp.key}
	half := new(big.Int).Rsh(kp.key.Curve.Params().N, 1)
	for i := 0; i < 64; i++ {
		digest := bytes.Repeat([]byte{byte(i)}, 32)
		der, err := s.Sign(nil, digest, nil)
		if err != nil {
			t.Fatal(err)
		}
		var sig struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &sig); err != nil {
			t.Fatal(err)
		}
		if sig.S.Cmp(half) > 0 || !ecdsa.Verify(&kp.key.PublicKey, digest, sig.R, sig.S) {
			t.Fatalf("signature %d: high S or invalid", i)
		}
	}
}

// Secret reports whether the file holds a private key.
func (f File) Secret() bool { return f.Mode&0o077 == 0 }
