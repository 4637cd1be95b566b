package status

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fabrun/fabrun/internal/inventory"
)

const srvr384 = `Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC
Latency min/avg/max: 0/0.0/0
Received: 12
Sent: 11
Connections: 1
Outstanding: 0
Zxid: 0x100000000
Mode: follower
Node count: 26
`

// fakeZK serves srvr answers on a loopback port; over TLS with cfg (nil:
// plaintext).
func fakeZK(t *testing.T, answer string, cfg *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	t.Cleanup(func() { l.Close() })
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
				io.WriteString(c, answer)
			}(c)
		}
	}()
	return l.Addr().String()
}

type fakeReader struct {
	children map[string][]string
	data     map[string]string
}

func (f fakeReader) Children(p string) ([]string, *zk.Stat, error) {
	c, ok := f.children[p]
	if !ok {
		return nil, nil, zk.ErrNoNode
	}
	return c, &zk.Stat{}, nil
}

func (f fakeReader) Get(p string) ([]byte, *zk.Stat, error) {
	d, ok := f.data[p]
	if !ok {
		return nil, nil, zk.ErrNoNode
	}
	return []byte(d), &zk.Stat{}, nil
}

// The brokers' znodes as Kafka keeps them, at the root or under a chroot:
// read from the chroot given, and nothing from elsewhere.
func TestReadKafkaMeta(t *testing.T) {
	for _, tc := range []struct{ kept, read string }{{"", ""}, {"/kafka", "/kafka"}, {"/kafka", ""}} {
		r := fakeReader{children: map[string][]string{}, data: map[string]string{}}
		for p, kids := range map[string][]string{
			"/brokers/ids":    {"1", "2", "4"},
			"/brokers/topics": {"mychannel", "system-channel", "__consumer_offsets"},
		} {
			r.children[tc.kept+p] = kids
		}
		for p, d := range map[string]string{
			"/brokers/ids/1": `{"endpoints":["PLAINTEXT://127.0.194.215:9092"],"host":"127.0.194.215","port":9092}`,
			"/brokers/ids/2": `{"endpoints":["PLAINTEXT://127.0.194.216:9092"],"host":"127.0.194.216","port":9092}`,
			// broker 4 vanished between the two reads
			"/brokers/topics/mychannel":                         `{"version":2,"partitions":{"0":[4,1,2]}}`,
			"/brokers/topics/mychannel/partitions/0/state":      `{"controller_epoch":1,"leader":4,"version":1,"leader_epoch":0,"isr":[4,1,2]}`,
			"/brokers/topics/system-channel":                    `{"version":2,"partitions":{"0":[1,2,4]}}`,
			"/brokers/topics/system-channel/partitions/0/state": `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":3,"isr":[1,2]}`,
		} {
			r.data[tc.kept+p] = d
		}
		m, err := readKafkaMeta(r, tc.read)
		if err != nil {
			t.Fatal(err)
		}
		if tc.kept != tc.read {
			// Kafka under a chroot, read at the root: no broker, no topic (as an empty ZooKeeper).
			if len(m.Brokers) != 0 || len(m.Topics) != 0 {
				t.Errorf("kept under %q, read at %q: %+v", tc.kept, tc.read, m)
			}
			continue
		}
		if len(m.Brokers) != 2 || m.Brokers[1].Endpoints[0] != "PLAINTEXT://127.0.194.215:9092" {
			t.Errorf("chroot %q: brokers = %+v", tc.read, m.Brokers)
		}
		if got := m.Topics["mychannel"]; got.State.Leader != 4 || !reflect.DeepEqual(got.Replicas, []int{4, 1, 2}) {
			t.Errorf("chroot %q: mychannel = %+v", tc.read, got)
		}
		if got := m.Topics["__consumer_offsets"]; got.State.Leader != -1 {
			t.Errorf("chroot %q: a topic without state has leader %d", tc.read, got.State.Leader)
		}
	}
}

func TestTopicNodes(t *testing.T) {
	meta := &KafkaMeta{Topics: map[string]Topic{
		"mychannel":          {Name: "mychannel", Replicas: []int{4, 1, 2}, State: PartitionState{Leader: 4, ISR: []int{4, 1, 2}}},
		"system-channel":     {Name: "system-channel", Replicas: []int{1, 2, 4}, State: PartitionState{Leader: 1, ISR: []int{1, 2}}},
		"orphan":             {Name: "orphan", Replicas: []int{1}, State: PartitionState{Leader: -1}},
		"__consumer_offsets": {Name: "__consumer_offsets", State: PartitionState{Leader: 1, ISR: []int{1}}},
	}}
	tests := []struct {
		minInsync int
		expected  []string
		want      map[string]bool
	}{
		{0, []string{"system-channel", "mychannel"}, map[string]bool{"mychannel": true, "system-channel": false, "orphan": false}},
		{2, []string{"system-channel", "mychannel"}, map[string]bool{"mychannel": true, "system-channel": true, "orphan": false}},
		{2, []string{"otherchannel"}, map[string]bool{"mychannel": true, "system-channel": true, "orphan": false, "otherchannel": false}},
	}
	for _, tt := range tests {
		got := map[string]bool{}
		for _, n := range TopicNodes(meta, tt.expected, tt.minInsync) {
			got[n.Name] = n.Healthy
			if n.Name == "mychannel" && n.Detail != "leader 4, in sync [1 2 4] of replicas [1 2 4]" {
				t.Errorf("detail = %q", n.Detail)
			}
			if n.Name == "otherchannel" && !strings.Contains(n.Error, "does not exist") {
				t.Errorf("missing topic error = %q", n.Error)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("minInsync %d: %v, want %v", tt.minInsync, got, tt.want)
		}
	}
}

type fakeHeights map[string]uint64

func (f fakeHeights) ChainInfo(_ context.Context, peer string) (uint64, []byte, error) {
	h, ok := f[peer]
	if !ok {
		return 0, nil, errors.New("channel mychannel not found")
	}
	return h, []byte{byte(h)}, nil
}

// TestCollect runs every check against loopback stand-ins: a fake ZooKeeper
// (srvr only; Kafka metadata then cannot be read), an httptest TLS /healthz
// for the orderer and peers, and fake heights.
func TestCollect(t *testing.T) {
	ok := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"status":"OK","time":"2026-01-01T00:00:00Z"}`)
	}))
	defer ok.Close()
	bad := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"status":"Service Unavailable","failed_checks":[{"component":"kafka","reason":"no brokers"}]}`)
	}))
	defer bad.Close()

	// Both test servers use the same httptest certificate: write it as
	// every org's TLS CA in a crypto tree.
	work := t.TempDir()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ok.Certificate().Raw})
	// ZooKeeper serves only TLS clients that present a certificate: the
	// fake wants one, and the backbone Admin's is the httptest pair too.
	zkAddr := fakeZK(t, srvr384, &tls.Config{Certificates: ok.TLS.Certificates, ClientAuth: tls.RequireAnyClientCert})
	key, err := x509.MarshalPKCS8PrivateKey(ok.TLS.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	admin := filepath.Join(work, "crypto/ordererOrganizations/backbone.example.com/users/Admin@backbone.example.com/tls")
	for name, data := range map[string][]byte{"ca.crt": caPEM, "client.crt": caPEM,
		"client.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})} {
		if err := os.MkdirAll(admin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(admin, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	topo := &inventory.Topology{Channel: "mychannel", Domain: "example.com", Workdir: work}
	host := func(s *httptest.Server) (string, int) {
		a := s.Listener.Addr().(*net.TCPAddr)
		return a.IP.String(), a.Port
	}
	zh, zp, _ := net.SplitHostPort(zkAddr)
	var zport int
	_, _ = fmtSscan(zp, &zport)
	topo.ZooKeepers = []inventory.ZooKeeper{{Node: inventory.Node{Host: "server215", Address: zh, Port: zport}, ID: 1}}
	oh, op := host(bad)
	topo.Orderers = []inventory.Orderer{{Node: inventory.Node{Host: "server215", Address: oh, Port: 1}, Name: "orderer0", FQDN: "orderer0.example.com", OpsPort: op}}
	ph, pp := host(ok)
	org := inventory.Org{Group: "org1", Name: "Org1", MSPID: "Org1MSP", Domain: "org1.example.com"}
	org.Peers = []inventory.Peer{
		{Node: inventory.Node{Host: "server211", Address: ph, Port: 1}, Name: "peer0", FQDN: "peer0.org1.example.com", Org: "org1", OpsPort: pp},
		{Node: inventory.Node{Host: "server212", Address: ph, Port: 1}, Name: "peer1", FQDN: "peer1.org1.example.com", Org: "org1", OpsPort: pp},
	}
	topo.Orgs = []inventory.Org{org}
	for _, p := range []string{topo.OrdererTLSCA(), topo.OrgTLSCA(org)} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, caPEM, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	r := Collect(context.Background(), topo, Options{Timeout: 2 * time.Second, Topics: []string{"mychannel"},
		Heights: fakeHeights{"peer0.org1.example.com": 7}})
	got := map[string]Node{}
	var order []string
	for _, n := range r.Nodes {
		got[n.Kind+" "+n.Name] = n
		order = append(order, n.Kind+" "+n.Name)
	}
	wantOrder := []string{"zookeeper zookeeper 1", "orderer orderer0.example.com", "peer peer0.org1.example.com", "peer peer1.org1.example.com"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("order = %v, want %v", order, wantOrder)
	}
	if n := got["zookeeper zookeeper 1"]; !n.Healthy || !strings.HasPrefix(n.Detail, "follower, ZooKeeper 3.8.4") {
		t.Errorf("zookeeper = %+v", n)
	}
	if n := got["orderer orderer0.example.com"]; n.Healthy || n.Error != "healthz 503: kafka: no brokers" {
		t.Errorf("orderer = %+v", n)
	}
	if n := got["peer peer0.org1.example.com"]; !n.Healthy || n.Height != 7 || n.Detail != "healthz OK, mychannel height 7" {
		t.Errorf("peer0 = %+v", n)
	}
	if n := got["peer peer1.org1.example.com"]; n.Healthy || !strings.Contains(n.Error, "channel mychannel not found") {
		t.Errorf("peer1 = %+v", n)
	}
	if r.Healthy {
		t.Error("report healthy with an unhealthy orderer")
	}
}

func fmtSscan(s string, n *int) (int, error) {
	v := 0
	for _, c := range s {
		v = v*10 + int(c-'0')
	}
	*n = v
	return 1, nil
}
