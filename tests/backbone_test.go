package tests

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The ordering backbone (ZooKeeper, Kafka, the orderers' Kafka clients) is
// TLS only with certificates from its own CA, which the artifacts role
// generates next to the Fabric orgs' (crypto/ordererOrganizations/backbone.<domain>).

// backboneNodeDir is the controller directory of one backbone node's TLS
// material (ca.crt, server.crt, server.key): node is "zookeeper1", "kafka2",
// "orderer0".
func backboneNodeDir(workdir, node string) string {
	return filepath.Join(workdir, "crypto/ordererOrganizations/backbone.example.com/orderers",
		node+".backbone.example.com/tls")
}

// backboneTLS is a client TLS config that trusts the backbone CA and, when
// certDir is not empty, presents the certificate in certDir (a cryptogen
// tls/ directory: server.crt, server.key).
func backboneTLS(t testing.TB, workdir, certDir string) *tls.Config {
	t.Helper()
	ca, err := os.ReadFile(filepath.Join(backboneNodeDir(workdir, "kafka1"), "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("backbone ca.crt holds no certificate")
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certDir != "" {
		pair, err := tls.LoadX509KeyPair(filepath.Join(certDir, "server.crt"), filepath.Join(certDir, "server.key"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

// dialLoopback connects to addr, over TLS when cfg is not nil (the
// handshake included). Tests talk only to loopback and to the servers they
// make themselves (the lab's subnet, servers_test.go).
func dialLoopback(addr string, cfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !(ip.IsLoopback() || strings.HasPrefix(host, serversSubnet+".")) {
		return nil, fmt.Errorf("%s is neither a loopback address nor a lab server's: tests only talk to 127.0.0.0/8 and %s.0/24", addr, serversSubnet)
	}
	d := &net.Dialer{Timeout: timeout}
	if cfg == nil {
		return d.Dial("tcp", addr)
	}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// zkAsk sends a four-letter word to a ZooKeeper client port (TLS when cfg is
// set) and returns the answer.
func zkAsk(addr string, cfg *tls.Config, word string) (string, error) {
	c, err := dialLoopback(addr, cfg, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// In plaintext a fifth byte: ZooKeeper reads the word from the first four
	// (a plaintext port would still answer it), while a TLS port waits for a
	// whole 5-byte record header before it refuses, which four bytes never
	// complete (the probe then took its 10 s deadline).
	if cfg == nil {
		word += "\n"
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	if len(b) > 0 {
		err = nil
	}
	return string(b), err
}

// kafkaTopicError asks a broker for one topic's metadata (Metadata v0, the
// request every Kafka client starts with) and returns the topic's error code
// (0 none, 29 TOPIC_AUTHORIZATION_FAILED), or an error when no well-formed
// answer came back (a refused connection, a failed handshake, a closed one).
func kafkaTopicError(addr string, cfg *tls.Config, topic string) (int16, error) {
	c, err := dialLoopback(addr, cfg, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	const correlation = 4242
	var req bytes.Buffer
	str := func(s string) {
		binary.Write(&req, binary.BigEndian, int16(len(s)))
		req.WriteString(s)
	}
	binary.Write(&req, binary.BigEndian, int16(3)) // api key: Metadata
	binary.Write(&req, binary.BigEndian, int16(0)) // version 0
	binary.Write(&req, binary.BigEndian, int32(correlation))
	str("fabrun-test")
	binary.Write(&req, binary.BigEndian, int32(1))
	str(topic)
	frame := binary.BigEndian.AppendUint32(nil, uint32(req.Len()))
	if _, err := c.Write(append(frame, req.Bytes()...)); err != nil {
		return 0, err
	}
	var size int32
	if err := binary.Read(c, binary.BigEndian, &size); err != nil {
		return 0, err
	}
	if size < 8 || size > 1<<20 {
		return 0, fmt.Errorf("not a Kafka response (size %d)", size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(c, body); err != nil {
		return 0, err
	}
	r := bytes.NewReader(body)
	var corr, n int32
	binary.Read(r, binary.BigEndian, &corr)
	if corr != correlation {
		return 0, fmt.Errorf("not a Kafka response (correlation id %d)", corr)
	}
	skipString := func() {
		var l int16
		binary.Read(r, binary.BigEndian, &l)
		r.Seek(int64(l), io.SeekCurrent)
	}
	binary.Read(r, binary.BigEndian, &n) // brokers: node id, host, port
	for i := int32(0); i < n; i++ {
		r.Seek(4, io.SeekCurrent)
		skipString()
		r.Seek(4, io.SeekCurrent)
	}
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || n < 1 {
		return 0, errors.New("metadata response without topics")
	}
	var code int16
	if err := binary.Read(r, binary.BigEndian, &code); err != nil {
		return 0, err
	}
	return code, nil
}

// checkBackboneRefusesStrangers checks, on a deployed network whose crypto
// material is under workdir, that ZooKeeper and Kafka speak TLS only, want a
// certificate from the backbone CA, and that Kafka's ACLs let only the
// orderers at a channel's topic. zkAddrs and kafkaAddrs are host:port.
func checkBackboneRefusesStrangers(t *testing.T, workdir string, zkAddrs, kafkaAddrs []string, channel, peerTLSDir string) {
	noCert := backboneTLS(t, workdir, "")
	zkMember := backboneTLS(t, workdir, backboneNodeDir(workdir, "zookeeper1"))
	orderer := backboneTLS(t, workdir, backboneNodeDir(workdir, "orderer0"))
	// A Fabric peer's TLS certificate: valid, but from an org's CA.
	fabricPeer := backboneTLS(t, workdir, peerTLSDir)
	for _, a := range zkAddrs {
		if out, err := zkAsk(a, nil, "ruok"); strings.Contains(out, "imok") {
			t.Errorf("ZooKeeper %s answers plaintext ruok: %q %v", a, out, err)
		}
		if out, err := zkAsk(a, noCert, "ruok"); strings.Contains(out, "imok") {
			t.Errorf("ZooKeeper %s answers a TLS client without a certificate: %q %v", a, out, err)
		}
		if out, err := zkAsk(a, fabricPeer, "ruok"); strings.Contains(out, "imok") {
			t.Errorf("ZooKeeper %s answers a Fabric peer's certificate: %q %v", a, out, err)
		}
		if out, err := zkAsk(a, zkMember, "srvr"); !regexp.MustCompile(`Mode: (leader|follower)`).MatchString(out) {
			t.Errorf("ZooKeeper %s over TLS with a backbone certificate: srvr %q %v", a, out, err)
		}
	}
	for _, a := range kafkaAddrs {
		if code, err := kafkaTopicError(a, nil, channel); err == nil {
			t.Errorf("Kafka %s answers a plaintext client (topic error %d)", a, code)
		}
		if code, err := kafkaTopicError(a, noCert, channel); err == nil {
			t.Errorf("Kafka %s answers a TLS client without a certificate (topic error %d)", a, code)
		}
		if code, err := kafkaTopicError(a, fabricPeer, channel); err == nil {
			t.Errorf("Kafka %s answers a Fabric peer's certificate (topic error %d)", a, code)
		}
		// A certificate of the backbone CA that is not an orderer's: the
		// ACLs hide the channel's topic.
		if code, err := kafkaTopicError(a, zkMember, channel); err != nil || code != 29 {
			t.Errorf("Kafka %s, topic %s as zookeeper1: error code %d %v, want 29 (TOPIC_AUTHORIZATION_FAILED)", a, channel, code, err)
		}
		if code, err := kafkaTopicError(a, orderer, channel); err != nil || code != 0 {
			t.Errorf("Kafka %s, topic %s as orderer0: error code %d %v, want 0", a, channel, code, err)
		}
	}
}

// privateKeyLeaks returns, for each text that shows a private key (a PEM
// block or the body of one of the keys under cryptoDir) or one of the
// secrets, the text's name.
func privateKeyLeaks(t testing.TB, cryptoDir string, secrets []string, texts map[string]string) []string {
	t.Helper()
	needles := append([]string{"PRIVATE KEY-----"}, secrets...)
	filepath.WalkDir(cryptoDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, "_sk") || strings.HasSuffix(p, ".key")) {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, line := range strings.Split(string(b), "\n") {
			if len(line) >= 40 && !strings.HasPrefix(line, "-----") {
				needles = append(needles, line[:40])
				break
			}
		}
		return nil
	})
	if len(needles) < 3 {
		t.Fatalf("no private keys found under %s", cryptoDir)
	}
	var leaks []string
	for name, text := range texts {
		for _, n := range needles {
			if n != "" && strings.Contains(text, n) {
				leaks = append(leaks, fmt.Sprintf("%s (%.20s...)", name, n))
				break
			}
		}
	}
	return leaks
}

// serviceLogs reads every log file under each host's log/ directory below
// hostsDir (supervisor's program logs).
func serviceLogs(t testing.TB, hostsDir string) map[string]string {
	t.Helper()
	out := readServiceLogs(hostsDir)
	if len(out) == 0 {
		t.Fatalf("no service logs under %s/*/log", hostsDir)
	}
	return out
}

// readServiceLogs maps each service log under hostsDir (<host>/log/*) to
// its text.
func readServiceLogs(hostsDir string) map[string]string {
	files, _ := filepath.Glob(filepath.Join(hostsDir, "*/log/*"))
	out := map[string]string{}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			out[f] = string(b)
		}
	}
	return out
}
