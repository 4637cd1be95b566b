package configtx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned returns a PEM CA certificate for name.
func selfSigned(t testing.TB, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name, Organization: []string{name}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeMSP makes a verifying MSP directory like cryptogen's: cacerts,
// tlscacerts, and with nodeOUs a config.yaml enabling NodeOUs (else an
// admincerts entry).
func writeMSP(t testing.TB, dir, name string, nodeOUs bool) {
	t.Helper()
	ca := selfSigned(t, "ca."+name)
	writeFile(t, filepath.Join(dir, "cacerts", "ca-cert.pem"), ca)
	writeFile(t, filepath.Join(dir, "tlscacerts", "tlsca-cert.pem"), selfSigned(t, "tlsca."+name))
	if nodeOUs {
		writeFile(t, filepath.Join(dir, "config.yaml"), []byte(`NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca-cert.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca-cert.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca-cert.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca-cert.pem
    OrganizationalUnitIdentifier: orderer
`))
	} else {
		writeFile(t, filepath.Join(dir, "admincerts", "admin-cert.pem"), selfSigned(t, "admin."+name))
	}
}

// fixture is a directory with three MSPs and two consenter certificates,
// laid out as the seed's crypto-config tree.
func fixture(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	writeMSP(t, filepath.Join(dir, "crypto", "orderer", "msp"), "example.com", false)
	writeMSP(t, filepath.Join(dir, "crypto", "org1", "msp"), "org1.example.com", true)
	writeMSP(t, filepath.Join(dir, "crypto", "org2", "msp"), "org2.example.com", true)
	writeFile(t, filepath.Join(dir, "crypto", "orderer0", "tls.crt"), selfSigned(t, "orderer0.example.com"))
	writeFile(t, filepath.Join(dir, "crypto", "orderer1", "tls.crt"), selfSigned(t, "orderer1.example.com"))
	return dir
}

func signature(rule string) map[string]any { return map[string]any{"Type": "Signature", "Rule": rule} }
func implicit(rule string) map[string]any {
	return map[string]any{"Type": "ImplicitMeta", "Rule": rule}
}

func stdPolicies() map[string]any {
	return map[string]any{
		"Readers": implicit("ANY Readers"),
		"Writers": implicit("ANY Writers"),
		"Admins":  implicit("MAJORITY Admins"),
	}
}

func orgDef(name, msp, dir string, anchor bool) map[string]any {
	o := map[string]any{
		"Name":   name,
		"ID":     msp,
		"MSPDir": dir,
		"Policies": map[string]any{
			"Readers": signature("OR('" + msp + ".member')"),
			"Writers": signature("OR('" + msp + ".member')"),
			"Admins":  signature("OR('" + msp + ".admin')"),
		},
	}
	if anchor {
		o["AnchorPeers"] = []any{map[string]any{"Host": "peer0." + name, "Port": 7051}}
	}
	return o
}

// seedConfig is the seed's configtx.yaml as an inline (JSON-like) value, the
// way Ansible passes `config`: paths relative to the fixture directory,
// organizations referenced by name. Each call returns a fresh copy.
func seedConfig() map[string]any {
	ordererDefaults := func() map[string]any {
		pol := stdPolicies()
		pol["BlockValidation"] = implicit("ANY Writers")
		return map[string]any{
			"OrdererType":  "kafka",
			"Addresses":    []any{"orderer0.example.com:7050", "orderer1.example.com:7050"},
			"BatchTimeout": "2s",
			"BatchSize": map[string]any{
				"MaxMessageCount":   float64(10),
				"AbsoluteMaxBytes":  "98 MB",
				"PreferredMaxBytes": "512 KB",
			},
			"Kafka":         map[string]any{"Brokers": []any{"kafka0:9092", "kafka1:9092", "kafka2:9092"}},
			"Organizations": []any{"OrdererOrg"},
			"Policies":      pol,
			"Capabilities":  map[string]any{"V2_0": true},
		}
	}
	return map[string]any{
		"Organizations": []any{
			orgDef("OrdererOrg", "OrdererMSP", "crypto/orderer/msp", false),
			orgDef("Org1MSP", "Org1MSP", "crypto/org1/msp", true),
			orgDef("Org2MSP", "Org2MSP", "crypto/org2/msp", true),
		},
		"Profiles": map[string]any{
			"TwoOrgsOrdererGenesis": map[string]any{
				"Policies":     stdPolicies(),
				"Capabilities": map[string]any{"V2_0": true},
				"Orderer":      ordererDefaults(),
				"Consortiums": map[string]any{
					"SampleConsortium": map[string]any{"Organizations": []any{"Org1MSP", "Org2MSP"}},
				},
			},
			"TwoOrgsChannel": map[string]any{
				"Consortium":   "SampleConsortium",
				"Policies":     stdPolicies(),
				"Capabilities": map[string]any{"V2_0": true},
				"Application": map[string]any{
					"Organizations": []any{"Org1MSP", "Org2MSP"},
					"Policies":      stdPolicies(),
					"Capabilities":  map[string]any{"V1_4_2": true},
				},
			},
			"RaftGenesis": map[string]any{
				"Policies":     stdPolicies(),
				"Capabilities": map[string]any{"V2_0": true},
				"Orderer": func() map[string]any {
					o := ordererDefaults()
					o["OrdererType"] = "etcdraft"
					delete(o, "Kafka")
					o["EtcdRaft"] = map[string]any{"Consenters": []any{
						map[string]any{"Host": "orderer0.example.com", "Port": float64(7050), "ClientTLSCert": "crypto/orderer0/tls.crt", "ServerTLSCert": "crypto/orderer0/tls.crt"},
						map[string]any{"Host": "orderer1.example.com", "Port": float64(7050), "ClientTLSCert": "crypto/orderer1/tls.crt", "ServerTLSCert": "crypto/orderer1/tls.crt"},
					}}
					return o
				}(),
				"Consortiums": map[string]any{
					"SampleConsortium": map[string]any{"Organizations": []any{"Org1MSP", "Org2MSP"}},
				},
			},
		},
	}
}

// set changes the value at a dotted path of a generic config (list indexes
// as numbers); a nil value deletes the key.
func set(t testing.TB, root map[string]any, path []any, v any) {
	t.Helper()
	var cur any = root
	for i, k := range path {
		last := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			key := k.(string)
			if last {
				if v == nil {
					delete(c, key)
				} else {
					c[key] = v
				}
				return
			}
			cur = c[key]
		case []any:
			idx := k.(int)
			if last {
				c[idx] = v
				return
			}
			cur = c[idx]
		default:
			t.Fatalf("set: cannot descend into %T at %v", cur, path[:i])
		}
	}
}

// roundTrip gives the config the exact shape Ansible delivers (JSON).
func roundTrip(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
