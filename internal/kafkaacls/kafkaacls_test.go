package kafkaacls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Shopify/sarama"

	"github.com/fabrun/fabrun/internal/module"
)

func TestWantedAndMissing(t *testing.T) {
	o0, o1 := "User:orderer0.backbone.example.com", "User:orderer1.backbone.example.com"
	tests := []struct {
		name       string
		principals []string
		operations []string
		have       []Entry
		wantErr    string
		missing    []string
	}{
		{"nothing yet", []string{o0}, []string{"Write", "read"}, nil, "",
			[]string{o0 + " may READ from *", o0 + " may WRITE from *"}},
		{"all there", []string{o0}, []string{"Write"},
			[]Entry{{o0, "*", sarama.AclOperationWrite}}, "", nil},
		{"another host does not count", []string{o0}, []string{"Write"},
			[]Entry{{o0, "10.0.0.1", sarama.AclOperationWrite}}, "", []string{o0 + " may WRITE from *"}},
		{"one of two principals", []string{o0, o1}, []string{"Describe"},
			[]Entry{{o0, "*", sarama.AclOperationDescribe}}, "", []string{o1 + " may DESCRIBE from *"}},
		{"repeated pairs once", []string{o0, o0}, []string{"Create"}, nil, "", []string{o0 + " may CREATE from *"}},
		{"no principal", nil, []string{"Write"}, nil, "principals", nil},
		{"not a user principal", []string{"orderer0"}, []string{"Write"}, nil, "principals: \"orderer0\"", nil},
		{"unknown operation", []string{o0}, []string{"Produce"}, nil, "operations: unknown operation \"Produce\"", nil},
		{"no operation", []string{o0}, nil, nil, "operations", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Args{Principals: tt.principals, Operations: tt.operations}.Wanted()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := lines(Missing(w, tt.have))
			if strings.Join(got, "|") != strings.Join(tt.missing, "|") {
				t.Errorf("missing = %q, want %q", got, tt.missing)
			}
		})
	}
}

// Bad options fail naming the option, before any connection.
func TestRunRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.crt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	base := map[string]any{"bootstrap": []any{"127.0.0.1:1"}, "tls_ca": notPEM, "tls_keystore": notPEM,
		"principals": []any{"User:o0"}, "operations": []any{"Write"}}
	tests := []struct {
		name    string
		change  map[string]any
		wantMsg string
	}{
		{"principal", map[string]any{"principals": []any{"o0"}}, "principals"},
		{"operation", map[string]any{"operations": []any{"Fly"}}, "operations"},
		{"empty topic", map[string]any{"topic": ""}, "topic"},
		{"CA not PEM", nil, "tls_ca"},
		{"no bootstrap", map[string]any{"bootstrap": nil}, "bootstrap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := map[string]any{}
			for k, v := range base {
				args[k] = v
			}
			for k, v := range tt.change {
				if v == nil {
					delete(args, k)
				} else {
					args[k] = v
				}
			}
			b, _ := json.Marshal(args)
			out := module.Execute(Spec(), b, Run)
			if out["failed"] != true || !strings.Contains(out["msg"].(string), tt.wantMsg) {
				t.Errorf("got %v, want a failure naming %q", out, tt.wantMsg)
			}
		})
	}
}

// selfSigned writes one PEM file with a certificate for 127.0.0.1 and its
// key: the mock broker's identity, the CA to trust and the client's key
// store at once.
func selfSigned(t *testing.T) (string, tls.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kafka1"}, IsCA: true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := x509.MarshalPKCS8PrivateKey(key)
	both := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})...)
	f := filepath.Join(t.TempDir(), "keystore.pem")
	os.WriteFile(f, both, 0o600)
	pair, err := tls.X509KeyPair(both, both)
	if err != nil {
		t.Fatal(err)
	}
	return f, pair
}

// Against a TLS broker (sarama's mock) that has one of the four ACLs:
// check mode reports the three missing and sends nothing; a run adds them
// in one request; diff mode shows the topic's ACLs before and after.
func TestRunAddsWhatIsMissing(t *testing.T) {
	pemFile, pair := selfSigned(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAnyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	b := sarama.NewMockBrokerListener(t, 1, l)
	defer b.Close()
	o0, o1 := "User:orderer0", "User:orderer1"
	have := &sarama.DescribeAclsResponse{ResourceAcls: []*sarama.ResourceAcls{{
		Resource: sarama.Resource{ResourceType: sarama.AclResourceTopic, ResourceName: "*"},
		Acls:     []*sarama.Acl{{Principal: o0, Host: "*", Operation: sarama.AclOperationWrite, PermissionType: sarama.AclPermissionAllow}},
	}}}
	b.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest":     sarama.NewMockMetadataResponse(t).SetBroker(b.Addr(), 1).SetController(1),
		"DescribeAclsRequest": sarama.NewMockWrapper(have),
		"CreateAclsRequest":   sarama.NewMockCreateAclsResponse(t),
	})
	run := func(check bool) map[string]any {
		args, _ := json.Marshal(map[string]any{"bootstrap": []string{b.Addr()}, "tls_ca": pemFile, "tls_keystore": pemFile,
			"principals": []string{o0, o1}, "operations": []string{"Write", "Read"}, "timeout": 5,
			"_ansible_check_mode": check, "_ansible_diff": true})
		j, _ := json.Marshal(module.Execute(Spec(), args, Run))
		var out map[string]any
		json.Unmarshal(j, &out)
		return out
	}
	creates := func() (n int) {
		for _, r := range b.History() {
			if req, ok := r.Request.(*sarama.CreateAclsRequest); ok {
				n += len(req.AclCreations)
			}
		}
		return n
	}

	out := run(true)
	added := fmt.Sprint(out["added"])
	if out["changed"] != true || creates() != 0 || strings.Count(added, " may ") != 3 || strings.Contains(added, o0+" may WRITE") {
		t.Fatalf("check mode: %v, %d ACLs sent", out, creates())
	}
	diff, _ := out["diff"].(map[string]any)
	if !strings.Contains(fmt.Sprint(diff["after"]), o1+" may READ from *") || strings.Contains(fmt.Sprint(diff["before"]), o1) {
		t.Errorf("diff: %v", diff)
	}
	if out = run(false); out["changed"] != true || creates() != 3 {
		t.Fatalf("run: %v, %d ACLs sent, want 3", out, creates())
	}
	// All four there now: nothing to add.
	for _, p := range []string{o0, o1} {
		for _, op := range []sarama.AclOperation{sarama.AclOperationWrite, sarama.AclOperationRead} {
			if p != o0 || op != sarama.AclOperationWrite {
				have.ResourceAcls[0].Acls = append(have.ResourceAcls[0].Acls, &sarama.Acl{Principal: p, Host: "*", Operation: op, PermissionType: sarama.AclPermissionAllow})
			}
		}
	}
	if out = run(false); out["changed"] != false || creates() != 3 {
		t.Errorf("second run: %v, %d ACLs sent in all, want still 3", out, creates())
	}
}
