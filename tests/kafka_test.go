package tests

// Tests of the Kafka/ZooKeeper half of the cluster and of the shared
// machinery (roles/service, roles/fabrun, roles/preflight, inventories):
//
//   TestKafkaInventoryPlacement   both inventories carry the seed's placement
//   TestKafkaProductionRender     production files rendered, no host contacted
//   TestKafkaPreflightRejects     bad inventories stop before anything starts
//   TestKafkaServiceRole          roles/service under supervisor (no network)
//
// The real ZooKeeper and Kafka are checked in TestNetworkEndToEnd, on the
// whole network.
// Only loopback addresses are ever contacted; the production inventory is
// parsed and rendered with a local connection, never reached.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// kafkaSeedHost is one server of the seed's topology.
type kafkaSeedHost struct {
	octet       int
	zookeeperID int    // 0: not a ZooKeeper member
	brokerID    int    // -1: not a Kafka broker
	orderer     string // orderer_name
	org, peer   string // peer group and peer_name
}

// The deployment guide's placement: orderer0, kafka0 (broker.id 1) and
// zookeeper0 (myid 1) on 215; orderer1, kafka1 (2) and zookeeper1 (2) on 216;
// kafka2 (broker.id 4) with peer1.org2 on 214; the org peers on 211-214.
var kafkaSeed = map[string]kafkaSeedHost{
	"server211": {octet: 211, brokerID: -1, org: "org1", peer: "peer0"},
	"server212": {octet: 212, brokerID: -1, org: "org1", peer: "peer1"},
	"server213": {octet: 213, brokerID: -1, org: "org2", peer: "peer0"},
	"server214": {octet: 214, brokerID: 4, org: "org2", peer: "peer1"},
	"server215": {octet: 215, zookeeperID: 1, brokerID: 1, orderer: "orderer0"},
	"server216": {octet: 216, zookeeperID: 2, brokerID: 2, orderer: "orderer1"},
}

// kafkaInventory is `ansible-inventory --list` output.
type kafkaInventory struct {
	groups   map[string][]string // direct hosts
	children map[string][]string
	hostvars map[string]map[string]any
}

func kafkaListInventory(t *testing.T, dir string) kafkaInventory {
	t.Helper()
	r := MustRun(t, RepoRoot(t), AnsibleEnv(t), VenvBin(t, "ansible-inventory"), "-i", dir, "--list")
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.Stdout), &raw); err != nil {
		t.Fatalf("ansible-inventory --list: %v\n%s", err, r.Stdout)
	}
	inv := kafkaInventory{groups: map[string][]string{}, children: map[string][]string{}}
	for name, msg := range raw {
		if name == "_meta" {
			var meta struct {
				Hostvars map[string]map[string]any `json:"hostvars"`
			}
			if err := json.Unmarshal(msg, &meta); err != nil {
				t.Fatal(err)
			}
			inv.hostvars = meta.Hostvars
			continue
		}
		var g struct {
			Hosts    []string `json:"hosts"`
			Children []string `json:"children"`
		}
		if err := json.Unmarshal(msg, &g); err != nil {
			t.Fatal(err)
		}
		sort.Strings(g.Hosts)
		sort.Strings(g.Children)
		inv.groups[name], inv.children[name] = g.Hosts, g.Children
	}
	return inv
}

func kafkaSorted(s ...string) []string {
	sort.Strings(s)
	return s
}

func TestKafkaInventoryPlacement(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	for _, tc := range []struct {
		dir, prefix, manager, connection string
		home                             func(host string) string
	}{
		{"inventory/production", "10.100.194.", "systemd", "ssh", func(string) string { return "/opt/fabrun" }},
		{"inventory/local", "127.0.194.", "supervisor", "local", nil},
	} {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			inv := kafkaListInventory(t, filepath.Join(root, tc.dir))
			want := map[string][]string{
				"zookeeper": kafkaSorted("server215", "server216"),
				"kafka":     kafkaSorted("server214", "server215", "server216"),
				"orderer":   kafkaSorted("server215", "server216"),
				"org1":      kafkaSorted("server211", "server212"),
				"org2":      kafkaSorted("server213", "server214"),
			}
			for g, hosts := range want {
				if got := strings.Join(inv.groups[g], ","); got != strings.Join(hosts, ",") {
					t.Errorf("group %s: hosts %s, want %s", g, got, strings.Join(hosts, ","))
				}
			}
			if got := strings.Join(inv.children["peer"], ","); got != "org1,org2" {
				t.Errorf("group peer: children %q, want org1,org2", got)
			}
			for host, s := range kafkaSeed {
				hv := inv.hostvars[host]
				if hv == nil {
					t.Errorf("%s missing", host)
					continue
				}
				check := func(key string, want any) {
					t.Helper()
					if got := fmt.Sprint(hv[key]); got != fmt.Sprint(want) {
						t.Errorf("%s: %s = %q, want %q", host, key, got, fmt.Sprint(want))
					}
				}
				check("ansible_host", fmt.Sprintf("%s%d", tc.prefix, s.octet))
				check("fabrun_service_manager", tc.manager)
				check("ansible_connection", tc.connection)
				if tc.home != nil {
					check("fabrun_home", tc.home(host))
					// The guide logs in as root; the production inventory logs
					// in as an ordinary user and becomes root for what needs it.
					check("ansible_user", "deploy")
				} else if h := fmt.Sprint(hv["fabrun_home"]); !strings.Contains(h, "build/local/hosts/{{ inventory_hostname }}") {
					t.Errorf("%s: fabrun_home %q is not under build/local/hosts/<host>", host, h)
				}
				if s.zookeeperID > 0 {
					check("zookeeper_id", s.zookeeperID)
				} else if _, ok := hv["zookeeper_id"]; ok {
					t.Errorf("%s: zookeeper_id set on a host outside the ensemble", host)
				}
				if s.brokerID >= 0 {
					check("kafka_broker_id", s.brokerID)
				}
				if s.orderer != "" {
					check("orderer_name", s.orderer)
				}
				if s.org != "" {
					check("peer_name", s.peer)
					n := s.org[len(s.org)-1:]
					check("org_name", "Org"+n)
					check("org_msp_id", "Org"+n+"MSP")
					check("org_domain", "org"+n+".example.com")
				}
			}
		})
	}
}

// kafkaProps reads key=value lines.
func kafkaProps(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestKafkaProductionRender(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	out := t.TempDir()
	// Extra vars beat the inventory's ssh settings: nothing is contacted.
	r, _ := ansibleMustPlaybook(t, "-i", filepath.Join(root, "inventory/production"),
		"playbooks/render.yml",
		"-e", "render_root="+out,
		"-e", "ansible_connection=local",
		"-e", "ansible_python_interpreter="+VenvBin(t, "python"))
	for _, w := range []string{"a ZooKeeper ensemble of 2 tolerates 0 failed nodes",
		"3 Kafka brokers with default.replication.factor 3: a channel cannot be created while one broker is down"} {
		if !strings.Contains(strings.Join(strings.Fields(r.Stdout+r.Stderr), " "), w) { // Ansible warns on stderr
			t.Errorf("preflight warning %q missing", w)
		}
	}

	zkServers := []string{"server.1=10.100.194.215:2888:3888", "server.2=10.100.194.216:2888:3888"}
	for host, s := range kafkaSeed {
		zooCfg := filepath.Join(out, host, "opt/fabrun/etc/zookeeper/zoo.cfg")
		if s.zookeeperID == 0 {
			if _, err := os.Stat(zooCfg); err == nil {
				t.Errorf("%s: zoo.cfg rendered for a host outside the ensemble", host)
			}
		} else {
			zc := kafkaProps(t, zooCfg)
			addr := fmt.Sprintf("10.100.194.%d", s.octet)
			for k, v := range map[string]string{
				"secureClientPort": "2181", "secureClientPortAddress": addr, "clientPort": "",
				"serverCnxnFactory": "org.apache.zookeeper.server.NettyServerCnxnFactory", "ssl.clientAuth": "need",
				"ssl.keyStore.location": "/opt/fabrun/etc/zookeeper/tls/keystore.pem", "ssl.keyStore.type": "PEM",
				"ssl.trustStore.location": "/opt/fabrun/etc/zookeeper/tls/ca.crt", "sslQuorum": "true",
				"ssl.quorum.keyStore.location": "/opt/fabrun/etc/zookeeper/tls/keystore.pem",
				"dataDir":                      "/opt/fabrun/data/zookeeper",
				"4lw.commands.whitelist":       "srvr,ruok,mntr,stat", "admin.enableServer": "false",
				"quorumListenOnAllIPs": "false",
			} {
				if zc[k] != v {
					t.Errorf("%s zoo.cfg: %s=%q, want %q", host, k, zc[k], v)
				}
			}
			b, _ := os.ReadFile(zooCfg)
			var servers []string
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "server.") {
					servers = append(servers, l)
				}
			}
			if strings.Join(servers, " ") != strings.Join(zkServers, " ") {
				t.Errorf("%s zoo.cfg servers %v, want %v", host, servers, zkServers)
			}
			myid, _ := os.ReadFile(filepath.Join(out, host, "opt/fabrun/data/zookeeper/myid"))
			if strings.TrimSpace(string(myid)) != fmt.Sprint(s.zookeeperID) {
				t.Errorf("%s myid %q, want %d", host, myid, s.zookeeperID)
			}
			unit, _ := os.ReadFile(filepath.Join(out, host, "etc/systemd/system/fabrun-zookeeper.service"))
			for _, w := range []string{"# fabrun-priority: 100", "-Xmx256m",
				"-cp /opt/fabrun/bin/zookeeper-3.8.4/libs/* org.apache.zookeeper.server.quorum.QuorumPeerMain /opt/fabrun/etc/zookeeper/zoo.cfg",
				"WorkingDirectory=/opt/fabrun/data/zookeeper", "WantedBy=multi-user.target"} {
				if !strings.Contains(string(unit), w) {
					t.Errorf("%s fabrun-zookeeper.service lacks %q:\n%s", host, w, unit)
				}
			}
		}

		props := filepath.Join(out, host, "opt/fabrun/etc/kafka/server.properties")
		if s.brokerID < 0 {
			if _, err := os.Stat(props); err == nil {
				t.Errorf("%s: server.properties rendered for a host outside the kafka group", host)
			}
			continue
		}
		p := kafkaProps(t, props)
		addr := fmt.Sprintf("10.100.194.%d", s.octet)
		for k, v := range map[string]string{
			"broker.id":                      fmt.Sprint(s.brokerID),
			"listeners":                      "SSL://" + addr + ":9092",
			"advertised.listeners":           "SSL://" + addr + ":9092",
			"listener.security.protocol.map": "SSL:SSL",
			"ssl.client.auth":                "required",
			"authorizer.class.name":          "kafka.security.authorizer.AclAuthorizer",
			"allow.everyone.if.no.acl.found": "false",
			"super.users":                    "User:kafka1.backbone.example.com;User:kafka2.backbone.example.com;User:kafka4.backbone.example.com",
			"zookeeper.ssl.client.enable":    "true",
			"zookeeper.clientCnxnSocket":     "org.apache.zookeeper.ClientCnxnSocketNetty",
			"zookeeper.connect":              "10.100.194.215:2181,10.100.194.216:2181",
			"log.dirs":                       "/opt/fabrun/data/kafka",
			"unclean.leader.election.enable": "false",
			"min.insync.replicas":            "2",
			"default.replication.factor":     "3",
			"message.max.bytes":              "103809024",
			"replica.fetch.max.bytes":        "103809024",
			"log.retention.ms":               "-1",
			"auto.create.topics.enable":      "false",
		} {
			if p[k] != v {
				t.Errorf("%s server.properties: %s=%q, want %q", host, k, p[k], v)
			}
		}
		unit, _ := os.ReadFile(filepath.Join(out, host, "etc/systemd/system/fabrun-kafka.service"))
		for _, w := range []string{"# fabrun-priority: 200", "-Xmx512m", "-Xms256m", "User=fabrun",
			"NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "ProtectSystem=strict", "ReadWritePaths=-/opt/fabrun/data/kafka\n",
			"ReadWritePaths=-/opt/fabrun/log\n", "PrivateTmp=yes", "ProtectHome=yes",
			"-cp /opt/fabrun/bin/kafka-3.9.1/libs/* kafka.Kafka /opt/fabrun/etc/kafka/server.properties"} {
			if !strings.Contains(string(unit), w) {
				t.Errorf("%s fabrun-kafka.service lacks %q:\n%s", host, w, unit)
			}
		}
		// Where ZooKeeper runs beside the broker, systemd starts it first.
		if after := strings.Contains(string(unit), "fabrun-zookeeper.service"); after != (s.zookeeperID > 0) {
			t.Errorf("%s fabrun-kafka.service: After= fabrun-zookeeper.service is %v, want %v", host, after, s.zookeeperID > 0)
		}
	}
}

func TestKafkaPreflightRejects(t *testing.T) {
	tier(t, "module")
	for _, tc := range []struct {
		inventory string
		want      []string
	}{
		{"bad-no-zookeeper", []string{
			"Kafka hosts kafkaA, kafkaB need a ZooKeeper ensemble, but group zookeeper has no hosts"}},
		{"bad-port-clash", []string{
			"nodeA: zookeeper client and nodeA kafka both bind 127.0.195.11:2181",
			"nodeC: zookeeper client and nodeB zookeeper client both bind 127.0.195.12:2181"}},
		{"bad-empty-orderer", []string{`group "orderer" has no hosts`}},
	} {
		t.Run(tc.inventory, func(t *testing.T) {
			home := t.TempDir()
			r, _ := ansibleTimedPlaybook(t, "-i", "tests/testdata/kafka/"+tc.inventory, "playbooks/kafka.yml",
				"-e", "fabrun_home="+home+"/{{ inventory_hostname }}")
			if r.Err == nil {
				t.Fatalf("kafka.yml succeeded on a bad inventory:\n%s", tail(r.Stdout, 60))
			}
			flat := strings.Join(strings.Fields(r.Stdout), " ")
			for _, w := range append(tc.want, "error(s), nothing was started") {
				if !strings.Contains(flat, w) {
					t.Errorf("output lacks %q:\n%s\nstderr:\n%s", w, tail(r.Stdout, 60), tail(r.Stderr, 30))
				}
			}
			if strings.Contains(r.Stdout, "PLAY [Kafka brokers]") {
				t.Errorf("the Kafka play started after a failed preflight")
			}
			if entries, _ := os.ReadDir(home); len(entries) > 0 {
				t.Errorf("preflight left files in fabrun_home: %v", entries)
			}
		})
	}
}

func TestKafkaServiceRole(t *testing.T) {
	tier(t, "module")
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	inv := filepath.Join(dir, "hosts.yml")
	if err := os.WriteFile(inv, []byte(fmt.Sprintf(
		"all:\n  hosts:\n    svc:\n      ansible_connection: local\n      ansible_host: 127.0.0.1\n"+
			"      fabrun_service_manager: supervisor\n      ansible_python_interpreter: %s\n",
		VenvBin(t, "python"))), 0o644); err != nil {
		t.Fatal(err)
	}
	play := func(step string) (CmdResult, time.Duration) {
		return ansibleTimedPlaybook(t, "-i", inv, "tests/testdata/kafka/service.yml",
			"-e", "fabrun_home="+home, "-e", "step="+step)
	}
	must := func(step string) map[string]int {
		t.Helper()
		r, _ := play(step)
		if r.Err != nil {
			t.Fatalf("step %s: %v\n%s", step, r.Err, tail(r.Stdout, 80))
		}
		return ansibleRecap(t, r.Stdout)["svc"]
	}
	teardown := func() CmdResult {
		return AnsiblePlaybook(t, "-i", inv, "playbooks/teardown.yml", "-e", "fabrun_home="+home)
	}
	t.Cleanup(func() { teardown() })
	sleeperPID := func() int {
		t.Helper()
		var mine []procInfo
		for _, p := range procsMatching("sleep 600") {
			if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", p.PID)); err == nil && cwd == home {
				mine = append(mine, p)
			}
		}
		if len(mine) != 1 {
			t.Fatalf("want one sleeper running in %s, found %v", home, mine)
		}
		return mine[0].PID
	}

	if rc := must("start"); rc["changed"] == 0 {
		t.Errorf("first start changed nothing: %v", rc)
	}
	pid := sleeperPID()
	log, _ := os.ReadFile(filepath.Join(home, "log", "sleeper.log"))
	if want := `sleeper FOO=[bar "baz" 50%] ARG=[two words] 100%`; !strings.Contains(string(log), want) {
		t.Errorf("sleeper log %q lacks %q: argv, env or %% lost in quoting", log, want)
	}
	if rc := must("start"); rc["changed"] != 0 {
		t.Errorf("second start: changed=%d, want 0", rc["changed"])
	}
	if p := sleeperPID(); p != pid {
		t.Errorf("second start restarted the service (pid %d -> %d)", pid, p)
	}
	if rc := must("restart"); rc["changed"] == 0 {
		t.Errorf("a pending restart changed nothing: %v", rc)
	}
	if p := sleeperPID(); p == pid {
		t.Errorf("a pending restart did not restart the service (pid %d)", p)
	}
	pid = sleeperPID()
	if rc := must("redefine"); rc["changed"] != 2 {
		t.Errorf("a changed program definition: changed=%d, want 2 (the program file, its load and start)", rc["changed"])
	}
	if p := sleeperPID(); p == pid {
		t.Errorf("a changed program definition did not restart the service (pid %d)", p)
	}
	if log, _ := os.ReadFile(filepath.Join(home, "log", "sleeper.log")); !strings.Contains(string(log), "FOO=[redefined]") {
		t.Errorf("sleeper log %q lacks the redefined FOO: the new definition was not loaded", log)
	}
	pid = sleeperPID()
	if rc := must("restart-now"); rc["changed"] != 1 {
		t.Errorf("the restart entry point on sleeper and an undefined service: changed=%d, want 1 (sleeper only)", rc["changed"])
	}
	if p := sleeperPID(); p == pid {
		t.Errorf("the restart entry point did not restart the service (pid %d)", p)
	}
	if _, err := os.Stat(filepath.Join(home, "etc", "supervisor", "programs", "ghost.conf")); err == nil {
		t.Errorf("restarting an undefined service defined it")
	}

	r, _ := play("fail")
	if r.Err == nil {
		t.Errorf("a service that exits at once did not fail the play")
	}
	for _, w := range []string{"crasher did not start", "crasher-last-words"} {
		if !strings.Contains(r.Stdout, w) {
			t.Errorf("the failure does not show %q:\n%s", w, tail(r.Stdout, 40))
		}
	}

	if rc := must("stop"); rc["changed"] == 0 {
		t.Errorf("stop changed nothing")
	}
	for _, p := range procsMatching("sleep 600") {
		if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", p.PID)); cwd == home {
			t.Errorf("sleeper still runs after stop: %v", p)
		}
	}
	if r := teardown(); r.Err != nil {
		t.Fatalf("teardown: %v\n%s", r.Err, tail(r.Stdout, 60))
	}
	if ps := procsMatching(home); len(ps) > 0 {
		t.Errorf("processes left after teardown: %v", ps)
	}
	if r := teardown(); r.Err != nil {
		t.Fatalf("second teardown: %v\n%s", r.Err, tail(r.Stdout, 60))
	} else if rc := ansibleRecap(t, r.Stdout)["svc"]; rc["changed"] != 0 {
		t.Errorf("second teardown changed=%d, want 0", rc["changed"])
	}
}

// kafkaJava runs a class from a host's Kafka jars under hostsDir (with the
// tools' quiet log4j config), returning its output. ZooKeeper and Kafka are
// TLS only: ZooKeeper's CLI and Kafka's tools connect as the host's broker
// (the kafka role's zookeeper-client.properties and client-ssl.properties).
func kafkaJava(t *testing.T, hostsDir, host string, args ...string) CmdResult {
	t.Helper()
	home := filepath.Join(hostsDir, host)
	libs, _ := filepath.Glob(filepath.Join(home, "bin/kafka-*/libs"))
	if len(libs) != 1 {
		t.Fatalf("%s: want one bin/kafka-*/libs, found %v", host, libs)
	}
	conf := filepath.Join(home, "etc/kafka")
	switch args[0] {
	case "org.apache.zookeeper.ZooKeeperMain":
		// -waitforconnection: the connection's WATCHER:: event is printed
		// before the command runs, not into the middle of its answer.
		args = append([]string{args[0], "-waitforconnection", "-client-configuration", filepath.Join(conf, "zookeeper-client.properties")}, args[1:]...)
	case "org.apache.kafka.tools.TopicCommand", "kafka.admin.AclCommand":
		args = append(append([]string{}, args...), "--command-config", filepath.Join(conf, "client-ssl.properties"))
	}
	argv := append([]string{"-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dlog4j.configuration=file:" + filepath.Join(home, "etc/kafka/tools-log4j.properties"),
		"-cp", libs[0] + "/*"}, args...)
	return Run(t, home, nil, "java", argv...)
}

var kafkaZKMode = regexp.MustCompile(`Mode: (\w+)`)

// kafkaProcs maps "<host> zookeeper|kafka" to the PID of the ZooKeeper and
// Kafka JVMs whose homes are under hostsDir.
func kafkaProcs(hostsDir string) map[string]int {
	prefix := hostsDir + "/"
	out := map[string]int{}
	for _, p := range procsMatching(prefix) {
		h := strings.SplitN(p.Cmdline[strings.Index(p.Cmdline, prefix)+len(prefix):], "/", 2)[0]
		switch {
		case strings.Contains(p.Cmdline, "QuorumPeerMain"):
			out[h+" zookeeper"] = p.PID
		case strings.Contains(p.Cmdline, " kafka.Kafka "):
			out[h+" kafka"] = p.PID
		}
	}
	return out
}
