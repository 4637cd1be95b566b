package ready

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
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Shopify/sarama"

	"github.com/fabrun/fabrun/internal/module"
)

func call(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	args["_ansible_check_mode"] = false
	b, _ := json.Marshal(args)
	j, _ := json.Marshal(module.Execute(Spec(), b, Run))
	var out map[string]any
	json.Unmarshal(j, &out)
	return out
}

// caFile writes the test server's certificate as the CA to trust.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ca.crt")
	os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	return f
}

func TestHealthz(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"Service Unavailable","failed_checks":[{"component":"kafka","reason":"no producer"}]}`)
			return
		}
		io.WriteString(w, `{"status":"OK"}`)
	}))
	defer srv.Close()
	ca := caFile(t, srv)

	out := call(t, map[string]any{"url": srv.URL + "/healthz", "tls_ca": ca, "interval": 0.01, "timeout": 10})
	if out["failed"] == true || out["status"] != float64(200) || out["tries"] != float64(3) || out["changed"] != false {
		t.Errorf("want ready on the third try: %v", out)
	}

	calls.Store(-1000) // unhealthy from now on
	out = call(t, map[string]any{"url": srv.URL + "/healthz", "tls_ca": ca, "interval": 0.05, "timeout": 0.3})
	if out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "kafka: no producer") || out["status"] != float64(503) {
		t.Errorf("want a failure naming the failed check, with the last answer: %v", out)
	}

	for name, args := range map[string]map[string]any{
		"both kinds":     {"url": srv.URL, "zookeeper": "127.0.0.1:1", "tls_ca": ca},
		"neither":        {"tls_ca": ca},
		"plain http":     {"url": "http://127.0.0.1:1/healthz", "tls_ca": ca},
		"missing CA":     {"url": srv.URL, "tls_ca": "/nonexistent/ca.crt"},
		"a zero timeout": {"url": srv.URL, "tls_ca": ca, "timeout": 0},
	} {
		if out := call(t, args); out["failed"] != true {
			t.Errorf("%s: accepted: %v", name, out)
		}
	}
}

// keystore writes a self-signed client certificate and its key into one
// PEM file, as ZooKeeper's PEM key store holds them.
func keystore(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "member"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := x509.MarshalPKCS8PrivateKey(key)
	f := filepath.Join(t.TempDir(), "keystore.pem")
	os.WriteFile(f, append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...), 0o600)
	return f
}

// mutualTLSListener listens on loopback with the test server's certificate
// (trusted through the CA file returned), wanting a client certificate.
func mutualTLSListener(t *testing.T) (net.Listener, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg := srv.TLS.Clone()
	cfg.ClientAuth = tls.RequireAnyClientCert
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, caFile(t, srv)
}

func TestZooKeeper(t *testing.T) {
	// A TLS listener with the test server's certificate, wanting a client
	// certificate, answering srvr: "looking" twice, then modes[n].
	l, ca := mutualTLSListener(t)
	defer l.Close()
	var n atomic.Int32
	mode := atomic.Value{}
	mode.Store("follower")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 4)
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "srvr" {
					return
				}
				if n.Add(1) <= 2 {
					io.WriteString(c, "This ZooKeeper instance is not currently serving requests\n")
					return
				}
				fmt.Fprintf(c, "Zookeeper version: 3.8.4-abc, built on x\nMode: %s\nNode count: 5\n", mode.Load())
			}(c)
		}
	}()
	ks := keystore(t)
	args := func() map[string]any {
		return map[string]any{"zookeeper": l.Addr().String(), "tls_ca": ca, "tls_keystore": ks, "interval": 0.01, "timeout": 5}
	}
	out := call(t, args())
	if out["failed"] == true || out["mode"] != "follower" || out["tries"] != float64(3) || !strings.Contains(fmt.Sprint(out["stdout"]), "Mode: follower") {
		t.Errorf("want ready on the third try, with srvr's answer: %v", out)
	}

	mode.Store("observer")
	a := args()
	a["timeout"] = 0.2
	out = call(t, a)
	if out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "mode observer, want leader or follower") {
		t.Errorf("an observer is not what was asked for: %v", out)
	}
	a["modes"] = []string{"observer"}
	if out = call(t, a); out["failed"] == true {
		t.Errorf("modes [observer]: %v", out)
	}

	// Without a client certificate the member refuses the handshake.
	a = args()
	delete(a, "tls_keystore")
	a["timeout"] = 0.2
	if out = call(t, a); out["failed"] != true {
		t.Errorf("a member wanting a client certificate answered without one: %v", out)
	}
	a = args()
	a["tls_keystore"] = ca // a certificate, no key
	if out = call(t, a); out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "tls_keystore") {
		t.Errorf("a key store without a key: %v", out)
	}
}

// A TLS broker (sarama's mock, wanting a client certificate) whose metadata
// lists brokers 1 and 2: ready for [1 2], not for [1 2 3].
func TestKafka(t *testing.T) {
	l, ca := mutualTLSListener(t)
	b := sarama.NewMockBrokerListener(t, 1, l)
	defer b.Close()
	b.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest": sarama.NewMockMetadataResponse(t).SetBroker(b.Addr(), 1).SetBroker("127.0.0.1:1", 2).SetController(1),
	})
	ks := keystore(t)
	args := func(ids ...int) map[string]any {
		return map[string]any{"kafka": []string{b.Addr()}, "broker_ids": ids, "tls_ca": ca, "tls_keystore": ks, "interval": 0.01, "timeout": 0.5}
	}
	if out := call(t, args(2, 1)); out["failed"] == true || fmt.Sprint(out["broker_ids"]) != "[1 2]" {
		t.Errorf("want ready with brokers 1 and 2 listed: %v", out)
	}
	if out := call(t, args(1, 2, 3)); out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "brokers 3 are not in the cluster's metadata") {
		t.Errorf("want a failure naming broker 3: %v", out)
	}
	for name, a := range map[string]map[string]any{
		"no broker ids": {"kafka": []string{b.Addr()}, "tls_ca": ca, "tls_keystore": ks},
		"no keystore":   {"kafka": []string{b.Addr()}, "broker_ids": []int{1}, "tls_ca": ca},
		"with url too":  {"kafka": []string{b.Addr()}, "broker_ids": []int{1}, "tls_ca": ca, "tls_keystore": ks, "url": "https://127.0.0.1:1/healthz"},
	} {
		if out := call(t, a); out["failed"] != true {
			t.Errorf("%s: accepted: %v", name, out)
		}
	}
}
