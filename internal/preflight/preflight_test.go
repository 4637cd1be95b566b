package preflight

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fabrun/fabrun/internal/module"
)

// seedInput is the local inventory (the guide's topology: 2 ZooKeeper
// members, 3 brokers, 2 orderers, 2 orgs of 2 peers) with the role
// defaults, as the preflight play gathers it.
func seedInput() *Input {
	ports := func(addr string, ps ...any) []PortFacts {
		var out []PortFacts
		for i := 0; i < len(ps); i += 2 {
			out = append(out, PortFacts{Service: ps[i].(string), Address: addr, Port: ps[i+1]})
		}
		return out
	}
	kafka := func(id int) *KafkaFacts {
		return &KafkaFacts{BrokerID: float64(id), Port: float64(9092), MinInsyncReplicas: float64(2), DefaultReplicationFactor: float64(3),
			MessageMaxBytes: float64(103809024), ReplicaFetchMaxBytes: float64(103809024), UncleanLeaderElectionEnable: false,
			LogRetentionMs: float64(-1), ExtraProperties: map[string]any{}, ZooKeeperConnect: "10.100.194.215:2181,10.100.194.216:2181",
			RenderedProperties: []string{"broker.id", "listeners", "min.insync.replicas", "default.replication.factor", "message.max.bytes"}}
	}
	orderer := func(name string) *OrdererFacts {
		return &OrdererFacts{Name: name, Port: float64(7050), OperationsPort: float64(8443), KafkaReplicationFactor: float64(3)}
	}
	peer := func(name, org string, n int) *PeerFacts {
		return &PeerFacts{Name: name, OrgGroup: org, OrgName: "Org" + string(rune('0'+n)), MSPID: "Org" + string(rune('0'+n)) + "MSP",
			Domain: org + ".example.com", Port: float64(7051), OperationsPort: float64(9443), ReconnectBackoff: "5s"}
	}
	peerPorts := func(addr string) []PortFacts {
		return ports(addr, "peer", float64(7051), "peer chaincode", float64(7052), "peer operations", float64(9443))
	}
	ordererPorts := func(addr string) []PortFacts {
		return ports(addr, "orderer", float64(7050), "orderer operations", float64(8443), "orderer admin", float64(7053))
	}
	zkPorts := func(addr string) []PortFacts {
		return ports(addr, "zookeeper client", float64(2181), "zookeeper quorum", float64(2888), "zookeeper election", float64(3888))
	}
	in := &Input{
		Hosts: []HostFacts{
			{Name: "server211", Groups: []string{"org1", "peer"}, Address: "127.0.194.211", Ports: peerPorts("127.0.194.211"), Peer: peer("peer0", "org1", 1)},
			{Name: "server212", Groups: []string{"org1", "peer"}, Address: "127.0.194.212", Ports: peerPorts("127.0.194.212"), Peer: peer("peer1", "org1", 1)},
			{Name: "server213", Groups: []string{"org2", "peer"}, Address: "127.0.194.213", Ports: peerPorts("127.0.194.213"), Peer: peer("peer0", "org2", 2)},
			{Name: "server214", Groups: []string{"kafka", "org2", "peer"}, Address: "127.0.194.214",
				Ports: append(peerPorts("127.0.194.214"), ports("127.0.194.214", "kafka", float64(9092))...), Peer: peer("peer1", "org2", 2), Kafka: kafka(4)},
			{Name: "server215", Groups: []string{"kafka", "orderer", "zookeeper"}, Address: "127.0.194.215",
				Ports:     append(append(zkPorts("127.0.194.215"), ports("127.0.194.215", "kafka", float64(9092))...), ordererPorts("127.0.194.215")...),
				ZooKeeper: &ZooKeeperFacts{ID: float64(1), ClientPort: float64(2181)}, Kafka: kafka(1), Orderer: orderer("orderer0")},
			{Name: "server216", Groups: []string{"kafka", "orderer", "zookeeper"}, Address: "127.0.194.216",
				Ports:     append(append(zkPorts("127.0.194.216"), ports("127.0.194.216", "kafka", float64(9092))...), ordererPorts("127.0.194.216")...),
				ZooKeeper: &ZooKeeperFacts{ID: float64(2), ClientPort: float64(2181)}, Kafka: kafka(2), Orderer: orderer("orderer1")},
		},
		Groups: []GroupFacts{
			{"all", []string{"server211", "server212", "server213", "server214", "server215", "server216"}},
			{"ungrouped", nil},
			{"zookeeper", []string{"server215", "server216"}},
			{"kafka", []string{"server215", "server216", "server214"}},
			{"orderer", []string{"server215", "server216"}},
			{"peer", []string{"server211", "server212", "server213", "server214"}},
			{"org1", []string{"server211", "server212"}},
			{"org2", []string{"server213", "server214"}},
		},
		Network: NetworkFacts{Channel: "mychannel", SystemChannel: "system-channel", Domain: "example.com", OrdererMSPID: "OrdererMSP",
			Workdir: "/w", OrdererType: "kafka", BatchTimeout: "2s", MaxMessageCount: float64(10), AbsoluteMaxBytes: "98 MB",
			PreferredMaxBytes: "512 KB", ChaincodeName: "mycc", ChaincodeVersion: "1.0", ChaincodePolicy: "OR('Org1MSP.peer','Org2MSP.peer')"},
	}
	return in
}

func host(in *Input, name string) *HostFacts {
	for i := range in.Hosts {
		if in.Hosts[i].Name == name {
			return &in.Hosts[i]
		}
	}
	panic("no host " + name)
}

func errorsOf(o *Outcome) []string {
	var out []string
	for _, f := range o.Of(Error) {
		out = append(out, f.Message)
	}
	return out
}

// TestSeed: the guide's topology passes, with the warnings its 2
// ZooKeeper members and 3 brokers deserve, and the topology is typed.
func TestSeed(t *testing.T) {
	o := Evaluate(seedInput())
	if errs := errorsOf(o); len(errs) > 0 {
		t.Fatalf("errors on the seed: %v", errs)
	}
	var rules []string
	for _, f := range o.Findings {
		rules = append(rules, string(f.Level)+":"+f.Rule)
	}
	if got, want := strings.Join(rules, " "), "warning:zookeeper-ensemble warning:kafka-brokers info:kafka-deprecated"; got != want {
		t.Errorf("findings = %s, want %s", got, want)
	}
	tp := o.Topology
	if len(tp.ZooKeepers) != 2 || len(tp.Brokers) != 3 || len(tp.Orderers) != 2 || len(tp.Orgs) != 2 || len(tp.Peers()) != 4 {
		t.Errorf("topology = %+v", tp)
	}
	if p, ok := tp.FindPeer("peer1.org2.example.com"); !ok || p.Host != "server214" || p.MSPID != "Org2MSP" || p.Port != 7051 {
		t.Errorf("FindPeer = %+v, %v", p, ok)
	}
	if tp.Orderers[1].FQDN != "orderer1.example.com" || tp.Orderers[1].OpsPort != 8443 || o.MinInsyncReplicas != 2 {
		t.Errorf("orderer1 = %+v, min insync %d", tp.Orderers[1], o.MinInsyncReplicas)
	}
	// Mutual TLS is off unless fabric_tls_client_auth says so (as Ansible's bool reads it).
	if tp.TLSClientAuth {
		t.Error("TLSClientAuth is on by default")
	}
	for _, v := range []any{true, "yes", "True"} {
		in := seedInput()
		in.Network.TLSClientAuth = v
		if o := Evaluate(in); !o.Topology.TLSClientAuth || len(errorsOf(o)) > 0 {
			t.Errorf("fabric_tls_client_auth %v: TLSClientAuth %v, errors %q", v, o.Topology.TLSClientAuth, errorsOf(o))
		}
	}
}

// The brokers' chroot reaches the topology (fabrun status reads there).
func TestKafkaChroot(t *testing.T) {
	for _, chroot := range []string{"", "/kafka", "/a/b"} {
		in := seedInput()
		for i := range in.Hosts {
			if k := in.Hosts[i].Kafka; k != nil {
				k.ZooKeeperConnect = "10.100.194.215:2181,10.100.194.216:2181" + chroot
			}
		}
		if o := Evaluate(in); o.Topology.KafkaChroot != chroot || len(errorsOf(o)) > 0 {
			t.Errorf("chroot %q: topology has %q, errors %q", chroot, o.Topology.KafkaChroot, errorsOf(o))
		}
	}
}

// TestRules: one change to the seed, the error it causes (naming the
// variable and the host).
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"duplicate zookeeper id", func(in *Input) { host(in, "server216").ZooKeeper.ID = float64(1) },
			"server216: zookeeper_id 1 is also the id of server215"},
		{"zookeeper id out of range", func(in *Input) { host(in, "server216").ZooKeeper.ID = float64(256) },
			"server216: zookeeper_id 256 is outside 1..255"},
		{"zookeeper id not a number", func(in *Input) { host(in, "server216").ZooKeeper.ID = "two" },
			`server216: zookeeper_id "two" is not a whole number`},
		{"zookeeper id unset", func(in *Input) { host(in, "server216").ZooKeeper.ID = nil },
			"server216: zookeeper_id is not set"},
		{"duplicate broker id", func(in *Input) { host(in, "server214").Kafka.BrokerID = float64(2) },
			"server216: kafka_broker_id 2 is also the id of server214"},
		{"negative broker id", func(in *Input) { host(in, "server214").Kafka.BrokerID = float64(-1) },
			"server214: kafka_broker_id -1 is negative"},
		{"zookeeper.connect not host:port", func(in *Input) { host(in, "server214").Kafka.ZooKeeperConnect = "zk1,zk2/kafka" },
			`server214: kafka_zookeeper_connect: ZooKeeper connect string "zk1,zk2/kafka": "zk1" is not host:port`},
		{"brokers under different chroots", func(in *Input) {
			host(in, "server214").Kafka.ZooKeeperConnect = "10.100.194.215:2181,10.100.194.216:2181/kafka"
		}, "the brokers keep their znodes under different ZooKeeper chroots (server215, server216 under the root; server214 under /kafka)"},
		{"host in no group", func(in *Input) {
			in.Hosts = append(in.Hosts, HostFacts{Name: "stray", Groups: []string{"ungrouped"}, Address: "127.0.0.9"})
		}, "stray: the host is in no group"},
		{"org without peers", func(in *Input) { in.Groups = append(in.Groups, GroupFacts{Name: "org3"}) },
			`group "org3" has no hosts`},
		{"no peer group", func(in *Input) { in.Groups = in.Groups[:5] },
			`the inventory has no group "peer"`},
		{"empty orderer group", func(in *Input) { in.Groups[4].Hosts = nil },
			`group "orderer" has no hosts`},
		{"two services on one port", func(in *Input) { host(in, "server215").Ports[0].Port = float64(9092) },
			"server215: zookeeper client and server215 kafka both bind 127.0.194.215:9092"},
		{"port out of range", func(in *Input) { host(in, "server211").Ports[0].Port = float64(70000) },
			"server211: peer port 70000 is outside 1..65535"},
		{"bad address", func(in *Input) { host(in, "server212").Address = "peer_one!" },
			`server212: ansible_host "peer_one!" is neither an IP address nor a host name`},
		{"mistyped ip", func(in *Input) { host(in, "server212").Address = "127.0.194.300" },
			`server212: ansible_host "127.0.194.300" is neither an IP address nor a host name`},
		{"duplicate orderer name", func(in *Input) { host(in, "server216").Orderer.Name = "orderer0" },
			"server216: orderer_name orderer0 is also the name of server215"},
		{"peer name twice in an org", func(in *Input) { host(in, "server212").Peer.Name = "peer0" },
			"server212: peer_name peer0 is also the name of server211 in org group org1"},
		{"org vars differ", func(in *Input) { host(in, "server212").Peer.MSPID = "OrgXMSP" },
			`server212: org_msp_id "OrgXMSP" differs from "Org1MSP"`},
		{"peer without org vars", func(in *Input) { host(in, "server212").Peer.Domain = nil },
			"server212: org_domain is not set"},
		{"peer reconnect backoff unreadable", func(in *Input) { host(in, "server213").Peer.ReconnectBackoff = "5 seconds" },
			`server213: peer_deliveryclient_reconnect_backoff_threshold "5 seconds" is not a duration such as 2s or 500ms`},
		{"peer reconnect backoff zero", func(in *Input) { host(in, "server213").Peer.ReconnectBackoff = "0s" },
			"server213: peer_deliveryclient_reconnect_backoff_threshold 0s is not positive"},
		{"upper-case channel", func(in *Input) { in.Network.Channel = "MyChannel" },
			`localhost: fabric_channel "MyChannel" is not a valid channel name`},
		{"empty channel", func(in *Input) { in.Network.Channel = "" },
			"localhost: fabric_channel missing"},
		{"long channel", func(in *Input) { in.Network.Channel = strings.Repeat("c", 250) },
			"localhost: fabric_channel \"" + strings.Repeat("c", 250) + "\" is longer than 249 characters"},
		{"channel is the system channel", func(in *Input) { in.Network.Channel = "system-channel" },
			`localhost: fabric_channel "system-channel" is also the system channel's name`},
		{"chaincode name", func(in *Input) { in.Network.ChaincodeName = "my cc" },
			`localhost: chaincode_name "my cc" does not match`},
		{"chaincode version", func(in *Input) { in.Network.ChaincodeVersion = "1.0 beta" },
			`localhost: chaincode_version "1.0 beta" does not match`},
		{"policy syntax", func(in *Input) { in.Network.ChaincodePolicy = "OR('Org1MSP.peer'" },
			`localhost: chaincode_policy "OR('Org1MSP.peer'": OR( is not closed`},
		{"policy role", func(in *Input) { in.Network.ChaincodePolicy = "OR('Org1MSP.boss')" },
			`principal "Org1MSP.boss" is not 'MSPID.role'`},
		{"policy unknown org", func(in *Input) { in.Network.ChaincodePolicy = "AND('Org1MSP.peer', 'Org9MSP.peer')" },
			"localhost: chaincode_policy names Org9MSP, which no org of the inventory has"},
		{"policy OutOf", func(in *Input) { in.Network.ChaincodePolicy = "OutOf(3, 'Org1MSP.peer', 'Org2MSP.peer')" },
			"OutOf(3, ...) with 2 rules can never be satisfied"},
		{"tls client auth not a boolean", func(in *Input) { in.Network.TLSClientAuth = "maybe" },
			"localhost: fabric_tls_client_auth maybe is not a boolean"},
		{"batch timeout zero", func(in *Input) { in.Network.BatchTimeout = "0s" },
			"localhost: artifacts_batch_timeout 0s is not positive"},
		{"batch timeout unreadable", func(in *Input) { in.Network.BatchTimeout = "2 seconds" },
			`localhost: artifacts_batch_timeout "2 seconds" is not a duration`},
		{"max message count zero", func(in *Input) { in.Network.MaxMessageCount = float64(0) },
			"localhost: artifacts_max_message_count 0 is below 1"},
		{"preferred over absolute", func(in *Input) { in.Network.PreferredMaxBytes = "99 MB" },
			"localhost: artifacts_preferred_max_bytes 103809024 (99 MiB) is more than artifacts_absolute_max_bytes 102760448 (98 MiB)"},
		{"absolute unreadable", func(in *Input) { in.Network.AbsoluteMaxBytes = "lots" },
			"localhost: artifacts_absolute_max_bytes"},
		{"min insync equals replication", func(in *Input) {
			for _, h := range []string{"server214", "server215", "server216"} {
				host(in, h).Kafka.MinInsyncReplicas = float64(3)
			}
		}, "server214: kafka_min_insync_replicas 3 is not below kafka_default_replication_factor 3"},
		{"replication over brokers", func(in *Input) { host(in, "server215").Kafka.DefaultReplicationFactor = float64(4) },
			"server215: kafka_default_replication_factor 4 is more than the 3 brokers"},
		{"message size below block", func(in *Input) {
			host(in, "server215").Kafka.MessageMaxBytes = float64(1048576)
			host(in, "server215").Kafka.ReplicaFetchMaxBytes = float64(1048576)
		}, "server215: kafka_message_max_bytes 1048576 is below the channel's artifacts_absolute_max_bytes 102760448 (98 MiB)"},
		{"fetch below message", func(in *Input) { host(in, "server215").Kafka.ReplicaFetchMaxBytes = float64(103809023) },
			"server215: kafka_replica_fetch_max_bytes 103809023 is below kafka_message_max_bytes 103809024"},
		{"unknown kafka variable", func(in *Input) { host(in, "server215").Kafka.UnknownVariables = []string{"kafka_properties"} },
			"server215: kafka_properties is not a variable of the kafka role"},
		{"extra property repeats a rendered key", func(in *Input) {
			host(in, "server215").Kafka.ExtraProperties = map[string]any{"min.insync.replicas": float64(1)}
		}, `server215: kafka_extra_properties["min.insync.replicas"] repeats a key server.properties already renders`},
		{"unclean election not a boolean", func(in *Input) { host(in, "server215").Kafka.UncleanLeaderElectionEnable = "maybe" },
			"server215: kafka_unclean_leader_election_enable maybe is not a boolean"},
		{"orderer replication factor", func(in *Input) { host(in, "server215").Orderer.KafkaReplicationFactor = float64(5) },
			"server215: orderer_kafka_replication_factor 5 is outside 1..3"},
		{"no zookeeper for kafka", func(in *Input) {
			in.Groups[2].Hosts = nil
			host(in, "server215").ZooKeeper, host(in, "server216").ZooKeeper = nil, nil
		}, "Kafka hosts server214, server215, server216 need a ZooKeeper ensemble"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := seedInput()
			tc.change(in)
			errs := errorsOf(Evaluate(in))
			for _, e := range errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("no error containing %q; errors: %q", tc.want, errs)
		})
	}
}

// TestArtifacts: existing keys and genesis blocks are checked; missing
// ones only when the run does not make them.
func TestArtifacts(t *testing.T) {
	dir := t.TempDir()
	crypto, channel := filepath.Join(dir, "crypto"), filepath.Join(dir, "channel-artifacts")
	key := filepath.Join(crypto, "ordererOrganizations", "example.com", "orderers", "orderer0.example.com", "msp", "keystore", "priv_sk")
	os.MkdirAll(filepath.Dir(key), 0o700)
	os.MkdirAll(channel, 0o755)
	in := seedInput()
	in.Network.CryptoDir, in.Network.ChannelDir = crypto, channel
	tlsKey := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(key))), "tls", "server.key")
	os.MkdirAll(filepath.Dir(tlsKey), 0o700)
	os.WriteFile(tlsKey, []byte("k"), 0o600)
	errs := errorsOf(Evaluate(in))
	if len(errs) != 1 || !strings.Contains(errs[0], "server215: the orderer orderer0.example.com signing key "+key+" (artifacts_crypto_dir) is missing") {
		t.Errorf("missing key in an existing identity: %q", errs)
	}
	os.WriteFile(key, []byte("k"), 0o644)
	os.WriteFile(filepath.Join(channel, "genesis.block"), []byte("not a block"), 0o644)
	errs = errorsOf(Evaluate(in))
	if len(errs) != 2 || !strings.Contains(errs[0], "genesis.block (artifacts_channel_dir) is corrupt") || !strings.Contains(errs[1], "has mode 0644") {
		t.Errorf("corrupt block, open key: %q", errs)
	}
	in.Network.ChannelDir = filepath.Join(dir, "none")
	in.Network.ArtifactsRequired = true
	os.Chmod(key, 0o600)
	errs = errorsOf(Evaluate(in))
	if len(errs) == 0 || !strings.Contains(errs[0], "genesis.block (artifacts_channel_dir) is missing, and this playbook does not make it") {
		t.Errorf("required and missing: %q", errs)
	}
}

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // MSP IDs, or the error
	}{
		{"OR('Org1MSP.peer','Org2MSP.peer')", "Org1MSP Org2MSP"},
		{`AND("A.member", OR('B.admin', 'C.client'))`, "A B C"},
		{"OutOf(2, 'A.member', 'B.member', 'C.orderer')", "A B C"},
		{"outof('1', 'A.member')", "A"},
		{"'A.peer'", "A"},
		{"", "ends where a rule was expected"},
		{"OR()", "expected AND(, OR( or OutOf( or a quoted principal at offset 3"},
		{"XOR('A.peer')", `unknown gate "XOR"`},
		{"OR('A.peer') x", "unexpected"},
		{"OR('A.peer'", "is not closed"},
		{"OR('A.peer)", "unclosed quote"},
		{"OutOf(0, 'A.peer')", "can never be satisfied"},
		{"OutOf(x, 'A.peer')", "OutOf needs a number"},
		{strings.Repeat("OR(", 40) + "'A.peer'" + strings.Repeat(")", 40), "nested more than"},
	} {
		p, err := ParsePolicy(tc.in)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = strings.Join(p.MSPIDs(), " ")
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("ParsePolicy(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidateAddress(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"server-1.example.com", true}, {"localhost", true}, {"a.", true},
		{"", false}, {"-a", false}, {"a..b", false}, {"10.0.0.256", false}, {"a b", false}, {strings.Repeat("a", 64), false},
	} {
		if err := ValidateAddress(tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateAddress(%q) = %v", tc.in, err)
		}
	}
}

// TestModuleRun: the module fails with every error in its message and
// returns the outcome either way; warnings become Ansible warnings.
func TestModuleRun(t *testing.T) {
	in := seedInput()
	b, _ := json.Marshal(map[string]any{"hosts": in.Hosts, "network": in.Network, "groups": map[string]any{
		"all": in.Groups[0].Hosts, "zookeeper": in.Groups[2].Hosts, "kafka": in.Groups[3].Hosts, "orderer": in.Groups[4].Hosts,
		"peer": in.Groups[5].Hosts, "org1": in.Groups[6].Hosts, "org2": in.Groups[7].Hosts}})
	out := executeModule(b)
	if out["failed"] == true || len(out["warnings"].([]string)) != 2 {
		t.Fatalf("seed: %v", out)
	}
	var o Outcome
	raw, _ := json.Marshal(out[ResultKey])
	if err := json.Unmarshal(raw, &o); err != nil || o.Topology == nil || len(o.Topology.Orgs) != 2 {
		t.Errorf("outcome = %s (%v)", raw, err)
	}
	in.Network.Channel = "Bad"
	b, _ = json.Marshal(map[string]any{"hosts": in.Hosts, "network": in.Network, "groups": map[string]any{"all": []string{}}})
	out = executeModule(b)
	if out["failed"] != true || !strings.Contains(out["msg"].(string), `fabric_channel "Bad"`) {
		t.Errorf("bad channel: %v", out)
	}
	if _, has := out[ResultKey].(map[string]any)["topology"]; has {
		t.Errorf("a failed result carries the topology")
	}
	out = executeModule([]byte(`{"hosts": "x", "groups": {}, "network": {}}`))
	if out["failed"] != true || !strings.Contains(out["msg"].(string), "hosts") {
		t.Errorf("bad arguments: %v", out)
	}
}

// FuzzEvaluate: no preflight input, however malformed, makes decoding or
// the rules panic.
func FuzzEvaluate(f *testing.F) {
	seed, _ := json.Marshal(seedInput())
	f.Add(seed)
	f.Add([]byte(`{"hosts":[{"name":"a","groups":[],"kafka":{"kafka_extra_properties":[1]},"peer":{},"ports":[{"port":"x"}]}]}`))
	f.Add([]byte(`{"network":{"chaincode_policy":"OutOf(1,","artifacts_absolute_max_bytes":"1 XB"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeInput(data)
		if err != nil {
			return
		}
		in.Network.CryptoDir, in.Network.ChannelDir = nil, nil // no file system in a fuzz run
		Evaluate(in)
	})
}

// FuzzParsePolicy: any string parses or fails without panicking, and a
// parsed policy's gates are satisfiable.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"OR('A.peer','B.peer')", "OutOf(2,'A.member','B.admin','C.client')", "AND('A.peer', OR('B.peer'))", "OR(", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(s)
		if err != nil {
			return
		}
		var check func(*Policy)
		check = func(q *Policy) {
			if q.MSPID == "" && (q.N < 1 || q.N > len(q.Rules)) {
				t.Fatalf("%q: gate %d of %d", s, q.N, len(q.Rules))
			}
			for _, r := range q.Rules {
				check(r)
			}
		}
		check(p)
	})
}

func executeModule(args []byte) map[string]any {
	return module.Execute(Spec(), args, Run)
}
