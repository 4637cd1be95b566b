package tests

// Integration tests of the fabric_configtx module: its artifacts against
// the real configtxgen (decoded by the real configtxlator), a real orderer
// bootstrapped from its genesis block, and the module driven by a real
// ansible-playbook.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/fabrun/fabrun/internal/configtx"
)

// configtxWorkDir is a directory laid out as the seed's ~/kafkapeer:
// configtx.yaml (tests/testdata/configtx) next to the crypto-config tree the
// real cryptogen generates from the seed's crypto-config.yaml.
func configtxWorkDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(RepoRoot(t), "tests", "testdata", "configtx")
	for _, f := range []string{"configtx.yaml", "crypto-config.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	MustRun(t, dir, nil, FabricBin(t, "cryptogen"), "generate", "--config=crypto-config.yaml", "--output=crypto-config")
	return dir
}

// configtxModule runs the built module binary the way Ansible does (an
// arguments file) and returns its JSON result.
func configtxModule(t testing.TB, args map[string]any) map[string]any {
	t.Helper()
	bin := ModuleBin(t, "fabric_configtx")
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	argsFile := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(argsFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := Run(t, "", nil, bin, argsFile)
	var out map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("module output is not JSON (%v): %s %s", err, r.Stdout, r.Stderr)
	}
	return out
}

func configtxModuleOK(t testing.TB, args map[string]any) map[string]any {
	t.Helper()
	out := configtxModule(t, args)
	if out["failed"] == true {
		t.Fatalf("fabric_configtx failed: %v", out["msg"])
	}
	return out
}

// configtxDecode decodes an artifact with the real configtxlator.
func configtxDecode(t testing.TB, typ, file string) map[string]any {
	t.Helper()
	r := MustRun(t, "", nil, FabricBin(t, "configtxlator"), "proto_decode", "--type", typ, "--input", file)
	var tree map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &tree); err != nil {
		t.Fatalf("configtxlator output for %s is not JSON: %v", file, err)
	}
	return tree
}

// configtxStrip removes what legitimately differs between two encodings of
// one configuration, and nothing else:
//   - channel_header.timestamp: the time of generation (whole seconds);
//   - the genesis block's signature_header.nonce: 24 random bytes, and the
//     two fields derived from it, channel_header.tx_id (sha256 of nonce and
//     creator) and header.data_hash (sha256 of the envelope, which holds the
//     timestamp and nonce);
//   - signatures: none are made (configtxgen signs nothing), so these are
//     absent on both sides; removed so a difference here cannot hide.
//
// Transactions carry no nonce (configtxgen leaves the signature header
// empty), so only their timestamp is removed. The paths are explicit: a
// difference anywhere else fails the comparison.
func configtxStrip(t testing.TB, typ string, tree map[string]any) {
	t.Helper()
	del := func(path ...string) {
		var cur any = tree
		for i, k := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("%s: no %s in the decoded artifact", typ, strings.Join(path[:i+1], "."))
			}
			if i == len(path)-1 {
				if _, ok := m[k]; !ok && k != "signature" {
					t.Fatalf("%s: no %s in the decoded artifact", typ, strings.Join(path, "."))
				}
				delete(m, k)
				return
			}
			cur = m[k]
			if l, ok := cur.([]any); ok && len(l) == 1 { // data.data[0]
				cur = l[0]
			}
		}
	}
	switch typ {
	case "common.Block":
		del("header", "data_hash")
		del("data", "data", "payload", "header", "channel_header", "timestamp")
		del("data", "data", "payload", "header", "channel_header", "tx_id")
		del("data", "data", "payload", "header", "signature_header", "nonce")
		del("data", "data", "signature")
	case "common.Envelope":
		del("payload", "header", "channel_header", "timestamp")
		del("payload", "data", "signatures")
		del("signature")
	}
}

// configtxAt returns the value at a dotted path of a decoded tree.
func configtxAt(tree any, path string) any {
	cur := tree
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// TestConfigtxOracle: for the same configtx.yaml and crypto material, the
// module's artifacts decode (with the real configtxlator) to exactly what
// the real configtxgen's decode to, timestamps and nonces aside.
func TestConfigtxOracle(t *testing.T) {
	tier(t, "module")
	dir := configtxWorkDir(t)
	configtxgen := FabricBin(t, "configtxgen")
	const cfgBase = "channel_group.groups"
	tests := []struct {
		name, profile, kind, channel, org string
		flag                              string // configtxgen's output flag
		facts                             map[string]any
	}{
		{name: "kafka genesis block", profile: "TwoOrgsOrdererGenesis", kind: "genesis_block", channel: "system-channel", flag: "-outputBlock",
			facts: map[string]any{
				"Orderer.values.ConsensusType.value.type":                                         "kafka",
				"Orderer.values.KafkaBrokers.value.brokers":                                       []any{"kafka0:9092", "kafka1:9092", "kafka2:9092"},
				"Orderer.values.BatchTimeout.value.timeout":                                       "2s",
				"Orderer.values.BatchSize.value.max_message_count":                                float64(10),
				"Orderer.values.BatchSize.value.absolute_max_bytes":                               float64(98 * 1024 * 1024),
				"Orderer.values.BatchSize.value.preferred_max_bytes":                              float64(512 * 1024),
				"Orderer.values.Capabilities.value.capabilities.V2_0":                             map[string]any{},
				"Consortiums.groups.SampleConsortium.groups.Org1MSP.values.MSP.value.config.name": "Org1MSP",
				"Consortiums.groups.SampleConsortium.groups.Org2MSP.values.MSP.value.config.name": "Org2MSP",
			}},
		{name: "etcdraft genesis block", profile: "TwoOrgsEtcdRaftGenesis", kind: "genesis_block", channel: "system-channel", flag: "-outputBlock",
			facts: map[string]any{
				"Orderer.values.ConsensusType.value.type":                           "etcdraft",
				"Orderer.values.ConsensusType.value.metadata.options.tick_interval": "500ms",
				"Orderer.groups.OrdererOrg.values.Endpoints.value.addresses":        []any{"orderer0.example.com:7050", "orderer1.example.com:7050"},
			}},
		{name: "kafka channel creation tx", profile: "TwoOrgsChannel", kind: "channel_tx", channel: "mychannel", flag: "-outputCreateChannelTx"},
		{name: "etcdraft channel creation tx", profile: "TwoOrgsEtcdRaftChannel", kind: "channel_tx", channel: "mychannel", flag: "-outputCreateChannelTx"},
		{name: "Org1 anchor peer update", profile: "TwoOrgsChannel", kind: "anchor_tx", channel: "mychannel", org: "Org1MSP", flag: "-outputAnchorPeersUpdate"},
		{name: "Org2 anchor peer update", profile: "TwoOrgsChannel", kind: "anchor_tx", channel: "mychannel", org: "Org2MSP", flag: "-outputAnchorPeersUpdate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := filepath.Join(dir, "ref-"+strings.ReplaceAll(tc.name, " ", "-"))
			mine := filepath.Join(dir, "mine-"+strings.ReplaceAll(tc.name, " ", "-"))
			args := []string{"-configPath", dir, "-profile", tc.profile, "-channelID", tc.channel, tc.flag, ref}
			if tc.org != "" {
				args = append(args, "-asOrg", tc.org)
			}
			MustRun(t, dir, nil, configtxgen, args...)
			margs := map[string]any{"config_file": filepath.Join(dir, "configtx.yaml"), "profile": tc.profile,
				"kind": tc.kind, "channel_id": tc.channel, "output": mine}
			if tc.org != "" {
				margs["org"] = tc.org
			}
			res := configtxModuleOK(t, margs)
			if res["changed"] != true || res["output"] != mine || res["kind"] != tc.kind || res["channel_id"] != tc.channel {
				t.Fatalf("module result %v", res)
			}
			typ := "common.Envelope"
			if tc.kind == "genesis_block" {
				typ = "common.Block"
			}
			want, got := configtxDecode(t, typ, ref), configtxDecode(t, typ, mine)
			configtxStrip(t, typ, want)
			configtxStrip(t, typ, got)
			if !reflect.DeepEqual(want, got) {
				diffs := configtx.Differences(&configtx.Decoded{Tree: want}, &configtx.Decoded{Tree: got}, 0)
				t.Fatalf("decoded artifacts differ from configtxgen's (configtxgen -> fabric_configtx) at %d places:\n%s", len(diffs), strings.Join(diffs, "\n"))
			}
			config := configtxAt(got, "data.data")
			if l, ok := config.([]any); ok && len(l) == 1 {
				config = configtxAt(l[0], "payload.data.config")
			}
			for path, v := range tc.facts {
				if g := configtxAt(config, cfgBase+"."+path); !reflect.DeepEqual(g, v) {
					t.Errorf("%s = %v, want %v", path, g, v)
				}
			}
			if tc.kind != "genesis_block" {
				if cid := configtxAt(got, "payload.data.config_update.channel_id"); cid != tc.channel {
					t.Errorf("config_update.channel_id = %v", cid)
				}
			}
			// configtxgen's own artifact encodes the same configuration, so
			// the module adopts it as it is (changed=false, not rewritten).
			before, err := os.ReadFile(ref)
			if err != nil {
				t.Fatal(err)
			}
			margs["output"] = ref
			if res := configtxModuleOK(t, margs); res["changed"] != false {
				t.Errorf("the module would replace configtxgen's equivalent artifact: %v", res["msg"])
			}
			if after, _ := os.ReadFile(ref); !bytes.Equal(before, after) {
				t.Error("configtxgen's artifact was rewritten")
			}
		})
	}

	// Timing: producing the kafka genesis block, module vs configtxgen
	// (each a fresh process, median of 5).
	median := func(run func(i int)) time.Duration {
		var ds []time.Duration
		for i := 0; i < 5; i++ {
			start := time.Now()
			run(i)
			ds = append(ds, time.Since(start))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[2]
	}
	bin := ModuleBin(t, "fabric_configtx")
	gen := median(func(i int) {
		MustRun(t, dir, nil, configtxgen, "-configPath", dir, "-profile", "TwoOrgsOrdererGenesis", "-channelID", "system-channel",
			"-outputBlock", filepath.Join(dir, fmt.Sprintf("timing-ref-%d.block", i)))
	})
	argsFile := filepath.Join(dir, "timing-args.json")
	mod := median(func(i int) {
		b, _ := json.Marshal(map[string]any{"config_file": filepath.Join(dir, "configtx.yaml"), "profile": "TwoOrgsOrdererGenesis",
			"kind": "genesis_block", "channel_id": "system-channel", "output": filepath.Join(dir, fmt.Sprintf("timing-%d.block", i))})
		os.WriteFile(argsFile, b, 0o600)
		MustRun(t, dir, nil, bin, argsFile)
	})
	t.Logf("kafka genesis block: fabric_configtx %v, configtxgen %v (median of 5 runs each)", mod.Round(time.Millisecond/10), gen.Round(time.Millisecond/10))
}

// configtxOrderer is one orderer process started by a test.
type configtxOrderer struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

func (o *configtxOrderer) logs() string {
	b, _ := os.ReadFile(o.log)
	return string(b)
}

// stop ends the orderer's process group (it was started with its own).
func (o *configtxOrderer) stop() {
	select {
	case <-o.done:
		return
	default:
	}
	syscall.Kill(-o.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-o.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-o.cmd.Process.Pid, syscall.SIGKILL)
		<-o.done
	}
}

// waitLog waits until the orderer's log matches re, or fails.
func (o *configtxOrderer) waitLog(t testing.TB, re *regexp.Regexp, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if re.MatchString(o.logs()) {
			return
		}
		select {
		case <-o.done:
			t.Fatalf("orderer exited before logging %q:\n%s", re, tail(o.logs(), 40))
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("orderer did not log %q within %v:\n%s", re, within, tail(o.logs(), 40))
}

// configtxStartOrderer runs build/fabric/bin/orderer from a genesis block
// with TLS on its listener and on its operations and admin endpoints, all on
// ip. Its identity is orderer0's from cryptoDir's crypto-config; its
// configuration, ledger and log go to dir. It returns the orderer and its
// operations address.
func configtxStartOrderer(t *testing.T, cryptoDir, dir, ip string, port int, genesis string) (*configtxOrderer, string) {
	t.Helper()
	bin := FabricBin(t, "orderer")
	node := filepath.Join(cryptoDir, "crypto-config", "ordererOrganizations", "example.com", "orderers", "orderer0.example.com")
	tlsDir := filepath.Join(node, "tls")
	ops := fmt.Sprintf("%s:%d", ip, freePort(t, ip))
	admin := fmt.Sprintf("%s:%d", ip, freePort(t, ip))
	data := filepath.Join(dir, "orderer-data")
	cfgDir := filepath.Join(dir, "orderer-config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A minimal orderer.yaml: everything not set here takes the orderer's
	// built-in defaults (orderer/common/localconfig).
	yaml := fmt.Sprintf(`General:
  ListenAddress: %[1]s
  ListenPort: %[2]d
  TLS:
    Enabled: true
    PrivateKey: %[3]s/server.key
    Certificate: %[3]s/server.crt
    RootCAs: [%[3]s/ca.crt]
    ClientAuthRequired: false
  Cluster:
    ClientCertificate: %[3]s/server.crt
    ClientPrivateKey: %[3]s/server.key
    RootCAs: [%[3]s/ca.crt]
  BootstrapMethod: file
  BootstrapFile: %[4]s
  LocalMSPDir: %[5]s/msp
  LocalMSPID: OrdererMSP
  BCCSP:
    Default: SW
    SW:
      Hash: SHA2
      Security: 256
FileLedger:
  Location: %[6]s/ledger
Consensus:
  WALDir: %[6]s/etcdraft/wal
  SnapDir: %[6]s/etcdraft/snapshot
Kafka:
  Retry:
    ShortInterval: 1s
    ShortTotal: 30s
    LongInterval: 10s
    LongTotal: 100s
Operations:
  ListenAddress: %[7]s
  TLS:
    Enabled: true
    Certificate: %[3]s/server.crt
    PrivateKey: %[3]s/server.key
    ClientAuthRequired: false
Metrics:
  Provider: disabled
Admin:
  ListenAddress: %[8]s
  TLS:
    Enabled: true
    Certificate: %[3]s/server.crt
    PrivateKey: %[3]s/server.key
    ClientAuthRequired: true
    ClientRootCAs: [%[3]s/ca.crt]
ChannelParticipation:
  Enabled: false
`, ip, port, tlsDir, genesis, node, data, ops, admin)
	if err := os.WriteFile(filepath.Join(cfgDir, "orderer.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "orderer.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FABRIC_CFG_PATH="+cfgDir, "FABRIC_LOGGING_SPEC=info")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatal(err)
	}
	o := &configtxOrderer{cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { cmd.Wait(); logFile.Close(); close(o.done) }()
	t.Cleanup(o.stop)
	return o, ops
}

// configtxHealthz polls https://ops/healthz (TLS verified against the
// orderer org's TLS CA) until it answers 200 or the orderer exits.
func configtxHealthz(t *testing.T, o *configtxOrderer, ops, caFile string, within time.Duration) string {
	t.Helper()
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "orderer0.example.com"},
	}}
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := client.Get("https://" + ops + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			last = fmt.Sprintf("HTTP %d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-o.done:
			t.Fatalf("orderer exited (last health check: %s):\n%s", last, tail(o.logs(), 40))
		case <-time.After(300 * time.Millisecond):
		}
	}
	t.Fatalf("orderer not healthy within %v (last: %s):\n%s", within, last, tail(o.logs(), 40))
	return ""
}

// TestConfigtxOrdererBoots: a real v2.5.9 orderer bootstraps from a genesis
// block made by the module — a single-node etcdraft system channel, TLS on —
// elects itself leader and reports healthy on its operations endpoint. It
// also accepts the kafka genesis block with the seed's capabilities
// (Channel V2_0, Orderer V2_0, Application V1_4_2) and starts the kafka
// chain (which then retries to reach brokers that are not there).
func TestConfigtxOrdererBoots(t *testing.T) {
	tier(t, "network")
	dir := configtxWorkDir(t)
	ip := freeLoopbackNet(t) + ".1"
	port := freePort(t, ip)
	addr := fmt.Sprintf("%s:%d", ip, port)
	tlsCert := "crypto-config/ordererOrganizations/example.com/orderers/orderer0.example.com/tls/server.crt"
	caFile := filepath.Join(dir, "crypto-config", "ordererOrganizations", "example.com", "tlsca", "tlsca.example.com-cert.pem")

	// The boot profiles are appended to the seed's configtx.yaml, reusing
	// its anchors (inline config with names is covered by unit tests).
	b, err := os.ReadFile(filepath.Join(dir, "configtx.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	profiles := fmt.Sprintf(`
  BootEtcdRaft:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      OrdererType: etcdraft
      Addresses: [%[1]s]
      EtcdRaft:
        Consenters:
          - Host: %[2]s
            Port: %[3]d
            ClientTLSCert: %[4]s
            ServerTLSCert: %[4]s
      Organizations: [*OrdererOrg]
      Capabilities:
        <<: *OrdererCapabilities
    Consortiums:
      SampleConsortium:
        Organizations: [*Org1, *Org2]
  BootKafka:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      Addresses: [%[1]s]
      Kafka:
        Brokers: [%[2]s:1]
      Organizations: [*OrdererOrg]
      Capabilities:
        <<: *OrdererCapabilities
    Consortiums:
      SampleConsortium:
        Organizations: [*Org1, *Org2]
`, addr, ip, port, tlsCert)
	if err := os.WriteFile(filepath.Join(dir, "configtx.yaml"), append(b, profiles...), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("etcdraft", func(t *testing.T) {
		genesis := filepath.Join(dir, "raft", "genesis.block")
		configtxModuleOK(t, map[string]any{"config_file": filepath.Join(dir, "configtx.yaml"), "profile": "BootEtcdRaft",
			"kind": "genesis_block", "channel_id": "system-channel", "output": genesis})
		start := time.Now()
		o, ops := configtxStartOrderer(t, dir, filepath.Join(dir, "raft"), ip, port, genesis)
		body := configtxHealthz(t, o, ops, caFile, 60*time.Second)
		o.waitLog(t, regexp.MustCompile(`Raft leader changed: 0 -> 1 channel=system-channel`), 30*time.Second)
		t.Logf("orderer healthy (%s) and raft leader after %v", strings.TrimSpace(body), time.Since(start).Round(time.Millisecond))
		// The orderer serves TLS with its certificate on the listener too.
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{
			RootCAs: func() *x509.CertPool {
				p := x509.NewCertPool()
				ca, _ := os.ReadFile(caFile)
				p.AppendCertsFromPEM(ca)
				return p
			}(), ServerName: "orderer0.example.com", NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatalf("TLS handshake with the orderer listener: %v", err)
		}
		conn.Close()
		o.stop()
	})

	t.Run("kafka", func(t *testing.T) {
		genesis := filepath.Join(dir, "kafka", "genesis.block")
		configtxModuleOK(t, map[string]any{"config_file": filepath.Join(dir, "configtx.yaml"), "profile": "BootKafka",
			"kind": "genesis_block", "channel_id": "system-channel", "output": genesis})
		o, _ := configtxStartOrderer(t, dir, filepath.Join(dir, "kafka"), ip, port, genesis)
		o.waitLog(t, regexp.MustCompile(`Beginning to serve requests`), 60*time.Second)
		o.waitLog(t, regexp.MustCompile(`\[channel: system-channel\] Starting chain with last persisted offset`), 30*time.Second)
		o.waitLog(t, regexp.MustCompile(`\[channel: system-channel\] Setting up the topic for this channel`), 30*time.Second)
		if strings.Contains(o.logs(), "PANI") {
			t.Fatalf("orderer panicked:\n%s", tail(o.logs(), 40))
		}
		o.stop()
	})
}

// configtxPlaybook runs tests/playbooks/configtx.yml on localhost (testPlaybook).
func configtxPlaybook(t *testing.T, extra ...string) (string, int, int) {
	t.Helper()
	return testPlaybook(t, "configtx.yml", extra...)
}

// TestConfigtxAnsiblePlaybook: through real ansible-playbook the module is
// changed then unchanged, check mode writes nothing, a different
// configuration without force fails and leaves the block byte-identical,
// and force rewrites it. Transactions go through the same path.
func TestConfigtxAnsiblePlaybook(t *testing.T) {
	tier(t, "module")
	ModuleBin(t, "fabric_configtx")
	dir := configtxWorkDir(t)
	cfg := filepath.Join(dir, "configtx.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	changedCfg := filepath.Join(dir, "configtx-changed.yaml")
	edited := bytes.Replace(b, []byte("MaxMessageCount: 10"), []byte("MaxMessageCount: 50"), 1)
	if bytes.Equal(edited, b) {
		t.Fatal("could not edit the configuration")
	}
	if err := os.WriteFile(changedCfg, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "channel-artifacts", "genesis.block")
	vars := func(config string, extra ...string) []string {
		v := []string{"-e", "ctx_config_file=" + config, "-e", "ctx_output=" + out,
			"-e", "ctx_profile=TwoOrgsOrdererGenesis", "-e", "ctx_kind=genesis_block", "-e", "ctx_channel_id=system-channel"}
		return append(v, extra...)
	}
	step := func(name string, wantChanged, wantFailed int, extra ...string) string {
		t.Helper()
		start := time.Now()
		output, changed, failed := configtxPlaybook(t, extra...)
		t.Logf("%s: changed=%d failed=%d in %v", name, changed, failed, time.Since(start).Round(time.Millisecond))
		if failed != wantFailed || changed != wantChanged {
			t.Fatalf("%s: changed=%d failed=%d, want changed=%d failed=%d:\n%s", name, changed, failed, wantChanged, wantFailed, output)
		}
		return output
	}
	read := func() []byte {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// Check mode on a fresh output: would change, writes nothing, diff is
	// the decoded configuration.
	output := step("check mode, no block yet", 1, 0, append(vars(cfg), "--check", "--diff")...)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("check mode wrote %s", out)
	}
	if !strings.Contains(output, `"KafkaBrokers"`) || !strings.Contains(output, "kafka2:9092") {
		t.Fatalf("check-mode diff does not show the decoded configuration:\n%s", output)
	}

	step("first run", 1, 0, vars(cfg)...)
	first := read()
	st1, _ := os.Stat(out)
	step("second run", 0, 0, vars(cfg)...)
	if st2, _ := os.Stat(out); !bytes.Equal(read(), first) || !st1.ModTime().Equal(st2.ModTime()) {
		t.Fatal("an unchanged run rewrote the genesis block")
	}

	// A different configuration: check mode with force predicts the change
	// and writes nothing; without force the run fails and says why.
	output = step("changed config, force, check mode", 1, 0, append(vars(changedCfg, "-e", "ctx_force=true"), "--check", "--diff")...)
	if !bytes.Equal(read(), first) {
		t.Fatal("check mode modified the genesis block")
	}
	if !strings.Contains(output, `"max_message_count": 50`) || !strings.Contains(output, `"max_message_count": 10`) {
		t.Fatalf("diff does not show the before/after batch size:\n%s", output)
	}
	output = step("changed config without force", 0, 1, vars(changedCfg)...)
	if !bytes.Equal(read(), first) {
		t.Fatal("a refused run modified the genesis block")
	}
	if !strings.Contains(output, "refusing to overwrite the genesis block") || !strings.Contains(output, "max_message_count: 10 -> 50") {
		t.Fatalf("the failure does not say why:\n%s", output)
	}

	step("changed config with force", 1, 0, vars(changedCfg, "-e", "ctx_force=true")...)
	if bytes.Equal(read(), first) {
		t.Fatal("force did not rewrite the genesis block")
	}
	got := configtxDecode(t, "common.Block", out)
	if n := configtxAt(configtxAt(got, "data.data").([]any)[0], "payload.data.config.channel_group.groups.Orderer.values.BatchSize.value.max_message_count"); n != float64(50) {
		t.Fatalf("rewritten block has max_message_count %v", n)
	}
	step("changed config again", 0, 0, vars(changedCfg)...)

	// The channel creation tx and an anchor peer update, as the roles make them.
	tx := filepath.Join(dir, "channel-artifacts", "mychannel.tx")
	txVars := []string{"-e", "ctx_config_file=" + cfg, "-e", "ctx_output=" + tx, "-e", "ctx_profile=TwoOrgsChannel",
		"-e", "ctx_kind=channel_tx", "-e", "ctx_channel_id=mychannel"}
	step("channel tx", 1, 0, txVars...)
	step("channel tx again", 0, 0, txVars...)
	anchor := filepath.Join(dir, "channel-artifacts", "Org1MSPanchors.tx")
	step("anchor tx", 1, 0, "-e", "ctx_config_file="+cfg, "-e", "ctx_output="+anchor, "-e", "ctx_profile=TwoOrgsChannel",
		"-e", "ctx_kind=anchor_tx", "-e", "ctx_channel_id=mychannel", "-e", "ctx_org=Org1MSP")
	configtxDecode(t, "common.Envelope", anchor)
}

// TestConfigtxAnsibleDoc: ansible-doc renders the sidecar without
// complaint, and it documents exactly the options the module accepts, with
// their types, defaults and choices.
func TestConfigtxAnsibleDoc(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	ModuleBin(t, "fabric_configtx")
	r := MustRun(t, root, AnsibleEnv(t), VenvBin(t, "ansible-doc"), "fabrun.fabric.fabric_configtx")
	for _, want := range []string{"fabric_configtx", "OPTIONS", "config_file", "genesis_block", "EXAMPLES", "RETURN VALUES", "summary", "force"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("ansible-doc output lacks %q", want)
		}
	}
	if strings.Contains(r.Stderr, "WARNING") || strings.Contains(r.Stderr, "ERROR") {
		t.Errorf("ansible-doc complained:\n%s", r.Stderr)
	}
	j := MustRun(t, root, AnsibleEnv(t), VenvBin(t, "ansible-doc"), "--json", "fabrun.fabric.fabric_configtx")
	var parsed map[string]map[string]any
	if err := json.Unmarshal([]byte(j.Stdout), &parsed); err != nil {
		t.Fatalf("ansible-doc --json: %v", err)
	}
	opts, _ := parsed["fabrun.fabric.fabric_configtx"]["doc"].(map[string]any)["options"].(map[string]any)
	for name, o := range configtx.Spec.Options {
		d, ok := opts[name].(map[string]any)
		if !ok {
			t.Errorf("option %s is not documented", name)
			continue
		}
		if d["type"] != string(o.Type) {
			t.Errorf("option %s: documented type %v, spec %s", name, d["type"], o.Type)
		}
		if req, _ := d["required"].(bool); req != o.Required {
			t.Errorf("option %s: documented required=%v, spec %v", name, req, o.Required)
		}
		if o.Default != nil && fmt.Sprint(d["default"]) != fmt.Sprint(o.Default) {
			t.Errorf("option %s: documented default %v, spec %v", name, d["default"], o.Default)
		}
		if len(o.Choices) > 0 && fmt.Sprint(d["choices"]) != fmt.Sprint(o.Choices) {
			t.Errorf("option %s: documented choices %v, spec %v", name, d["choices"], o.Choices)
		}
	}
	for name := range opts {
		if _, ok := configtx.Spec.Options[name]; !ok {
			t.Errorf("documented option %s does not exist", name)
		}
	}
}

// configtxNetwork is the data of tests/testdata/configtx/network.yaml.tmpl,
// the one configtx.yaml the tests that start or sign for a network write.
type configtxNetwork struct {
	OrdererMSPDir    string
	OrdererEndpoints []string
	Orgs             []configtxNetworkOrg
	AppCapability    string // e.g. V2_0
	OrdererType      string // solo or etcdraft (with Consenters)
	Addresses        []string
	Consenters       []configtxConsenter
	BatchTimeout     string
}

type configtxNetworkOrg struct {
	Alias, MSPID, MSPDir string
	AnchorHost           string
	AnchorPort           int
}

type configtxConsenter struct {
	Host    string
	Port    int
	TLSCert string
}

// writeConfigtx renders the tests' configtx.yaml for n into path.
func writeConfigtx(t testing.TB, path string, n configtxNetwork) {
	t.Helper()
	tmpl := template.Must(template.New("network.yaml.tmpl").Option("missingkey=error").
		ParseFiles(filepath.Join(RepoRoot(t), "tests", "testdata", "configtx", "network.yaml.tmpl")))
	var b bytes.Buffer
	if err := tmpl.Execute(&b, n); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
