package tests

// The Kafka-to-Raft migration (fabric_consensus, playbooks/migrate_raft.yml,
// remove_system_channel.yml, fabrun migrate), mirroring Fabric's
// integration/kafka/migration_test.go at v2.5.9, on a Kafka network a test
// already deployed: TestNetworkEndToEnd (the guide's two orderers; the
// migration interrupted and aborted back to Kafka, then run again, then a new
// channel and the inventory switched to etcdraft) and TestTopologyIsData
// (three orderers, mutual TLS; the migration in one run) each
// call raftMigrationChecks near their end.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/consensus"
	"github.com/fabrun/fabrun/internal/module"
	"gopkg.in/yaml.v3"
)

// migrationNet is a deployed Kafka network as the migration checks reach it.
type migrationNet struct {
	workdir  string   // fabrun_workdir (crypto material, the migration record)
	hostsDir string   // the hosts' fabrun_home directories
	orderers []string // host:port of every orderer
	names    []string // their orderer_name, in the same order
	// fabrun runs fabrun on the network's inventory; fabrunCmd is the
	// command it would run (to interrupt it).
	fabrun    func(t *testing.T, args ...string) fabrunResult
	fabrunCmd func(args ...string) *exec.Cmd
	// interrupt: stop the first fabrun migrate with SIGINT once every
	// channel is etcdraft, before the orderers restart, and resume it;
	// abort: then first abort it (fabrun migrate --abort) back to Kafka.
	interrupt, abort bool
	// again: a second fabrun migrate changes no channel and restarts no
	// orderer (one network checks it: the check does not depend on the
	// topology, and it costs half a minute).
	again    bool
	peerHost string   // a host of org1's peers (its core.yaml for the peer CLI)
	admins   []string // host:port of every orderer's admin endpoint
	// afterMigration, when set, runs what only this network checks once it
	// is off the system channel.
	afterMigration func(t *testing.T)
}

// peerFetch runs `peer channel fetch` of mychannel's block at pos (newest,
// oldest, a number) from the first orderer as org1's Admin: a peer
// organisation's identity, which maintenance mode refuses.
func (n migrationNet) peerFetch(t *testing.T, pos string) CmdResult {
	t.Helper()
	org := filepath.Join(n.workdir, "crypto/peerOrganizations/org1.example.com")
	admin := filepath.Join(org, "users/Admin@org1.example.com")
	env := []string{
		"FABRIC_CFG_PATH=" + filepath.Join(n.hostsDir, n.peerHost, "peer/etc"),
		"FABRIC_LOGGING_SPEC=error",
		"CORE_PEER_LOCALMSPID=Org1MSP",
		"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(admin, "msp"),
	}
	dir := t.TempDir()
	// Mutual TLS (fabric_tls_client_auth, the default): the Admin's TLS client certificate.
	args := []string{"channel", "fetch", pos, filepath.Join(dir, "block.pb"), "-c", "mychannel", "-o", n.orderers[0], "--tls",
		"--cafile", filepath.Join(n.workdir, "crypto/ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem"),
		"--clientauth", "--certfile", filepath.Join(admin, "tls/client.crt"), "--keyfile", filepath.Join(admin, "tls/client.key")}
	return Run(t, dir, env, FabricBin(t, "peer"), args...)
}

// consensusArgs are fabric_consensus's options as the orderer Admin.
func (n migrationNet) consensusArgs(channel string, extra map[string]any) map[string]any {
	org := filepath.Join(n.workdir, "crypto/ordererOrganizations/example.com")
	admin := filepath.Join(org, "users/Admin@example.com")
	a := map[string]any{
		"channel_id": channel, "orderers": n.orderers,
		"orderer_tls_ca": filepath.Join(org, "tlsca/tlsca.example.com-cert.pem"),
		"msp_id":         "OrdererMSP",
		"admin_cert":     filepath.Join(admin, "msp/signcerts/Admin@example.com-cert.pem"),
		"admin_key":      filepath.Join(admin, "msp/keystore/priv_sk"),
		"timeout":        60,
		// Mutual TLS (fabric_tls_client_auth, the default).
		"client_tls_cert": filepath.Join(admin, "tls/client.crt"),
		"client_tls_key":  filepath.Join(admin, "tls/client.key"),
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// consenters is the consenter set migrate_raft.yml builds: every orderer,
// its TLS server certificate as client and server certificate.
func (n migrationNet) consenters(t *testing.T) []any {
	var out []any
	for i, addr := range n.orderers {
		host, port, _ := strings.Cut(addr, ":")
		crt := filepath.Join(n.workdir, "crypto/ordererOrganizations/example.com/orderers", n.names[i]+".example.com/tls/server.crt")
		p, err := strconv.Atoi(port)
		if err != nil {
			t.Fatalf("orderer address %q: %v", addr, err)
		}
		out = append(out, map[string]any{"host": host, "port": p, "client_tls_cert": crt, "server_tls_cert": crt})
	}
	return out
}

// consensusModule runs fabric_consensus through its Go API (what the binary
// runs) and returns what Ansible would read.
func consensusModule(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(module.Execute(consensus.Spec(), b, consensus.Run))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), "PRIVATE KEY") {
		t.Fatalf("fabric_consensus output shows a private key: %s", j)
	}
	var out map[string]any
	json.Unmarshal(j, &out)
	return out
}

func (n migrationNet) setting(t *testing.T, channel string) string {
	t.Helper()
	r := consensusModule(t, n.consensusArgs(channel, nil))
	if r["failed"] == true {
		t.Fatalf("reading %s's consensus: %v", channel, r["msg"])
	}
	return r["consensus_type"].(string) + "/" + r["consensus_state"].(string)
}

var migrationChannels = []string{"system-channel", "mychannel"}

func raftMigrationChecks(t *testing.T, n migrationNet) {
	var steps []string
	times := map[string]time.Duration{}
	timed := func(name string, d time.Duration) {
		steps = append(steps, name)
		times[name] = d
	}
	defer func() {
		for _, k := range steps {
			t.Logf("raft migration: %-58s %s", k, times[k].Round(100*time.Millisecond))
		}
	}()
	before := n.fabrun(t, "verify", "--json")
	if before.Code != 0 {
		t.Fatalf("fabrun verify before the migration: %s", before)
	}
	lastA, lastB := get(before.Doc, "verify", "after", "0", "a").(float64), get(before.Doc, "verify", "after", "0", "b").(float64)

	t.Run("check mode shows the change and changes nothing", func(t *testing.T) {
		r := consensusModule(t, n.consensusArgs("mychannel", map[string]any{
			"consensus_state": "maintenance", "_ansible_check_mode": true, "_ansible_diff": true}))
		d, _ := json.Marshal(r["diff"])
		if r["failed"] == true || r["changed"] != true || !strings.Contains(string(d), "state: maintenance") {
			t.Errorf("check mode: %v", r)
		}
		if s := n.setting(t, "mychannel"); s != "kafka/normal" {
			t.Errorf("after check mode mychannel is %s", s)
		}
	})

	// Fabric's forbidden transitions, from a channel in normal state.
	t.Run("forbidden transitions are refused before anything is submitted", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			extra map[string]any
			want  string
		}{
			{"state and type together", map[string]any{"consensus_state": "maintenance", "consensus_type": "etcdraft", "consenters": n.consenters(t)},
				"cannot change in one update"},
			{"type change outside maintenance", map[string]any{"consensus_state": "normal", "consensus_type": "etcdraft", "consenters": n.consenters(t)},
				"only in maintenance"},
			{"an unknown type", map[string]any{"consensus_type": "solo"}, "consensus_type"},
			{"etcdraft without consenters", map[string]any{"consensus_type": "etcdraft"}, "consenters is required"},
		} {
			r := consensusModule(t, n.consensusArgs("mychannel", tc.extra))
			if msg, _ := r["msg"].(string); r["failed"] != true || !strings.Contains(msg, tc.want) {
				t.Errorf("%s: %v, want a failure saying %q", tc.name, r["msg"], tc.want)
			}
		}
		if s := n.setting(t, "mychannel"); s != "kafka/normal" {
			t.Errorf("after refused updates mychannel is %s", s)
		}
	})

	if r := n.peerFetch(t, "newest"); r.Err != nil {
		t.Fatalf("org1's Admin cannot fetch mychannel's newest block before the migration: %v\n%s", r.Err, tail(r.Stderr, 20))
	}

	// Step 1 of Fabric's procedure by hand, as migration_test.go does, so the
	// maintenance checks run; fabrun migrate then finds it done.
	start := time.Now()
	refusedSince := time.Now()
	t.Run("maintenance on every channel, system channel first", func(t *testing.T) {
		for _, ch := range migrationChannels {
			r := consensusModule(t, n.consensusArgs(ch, map[string]any{"consensus_state": "maintenance"}))
			if r["failed"] == true || r["changed"] != true || len(r["confirmed_by"].([]any)) != len(n.orderers) {
				t.Fatalf("maintenance on %s: %v", ch, r)
			}
			if ch == "mychannel" {
				refusedSince = time.Now()
			}
			again := consensusModule(t, n.consensusArgs(ch, map[string]any{"consensus_state": "maintenance"}))
			if again["failed"] == true || again["changed"] != false {
				t.Errorf("maintenance again on %s: %v, want changed=false", ch, again)
			}
		}
	})
	timed("maintenance by hand (fabric_consensus, both channels)", time.Since(start))
	if t.Failed() {
		return
	}

	t.Run("in maintenance a normal transaction fails", func(t *testing.T) {
		r := n.fabrun(t, "verify", "--json")
		if r.Code == 0 {
			t.Fatalf("fabrun verify passed in maintenance mode: %s", r)
		}
		if !strings.Contains(r.Stdout+r.Stderr, "maintenance") {
			t.Errorf("the refusal does not say maintenance: %s", r)
		}
	})

	// In maintenance the orderers deliver only to the orderer organisation
	// (/Channel/Orderer/Readers): a peer organisation is FORBIDDEN.
	t.Run("in maintenance peers cannot deliver", func(t *testing.T) {
		r := n.peerFetch(t, "newest")
		if r.Err == nil || !strings.Contains(r.Stdout+r.Stderr, "FORBIDDEN") {
			t.Errorf("peer channel fetch as org1's Admin in maintenance: %v, want FORBIDDEN\n%s%s", r.Err, r.Stdout, tail(r.Stderr, 20))
		}
	})

	t.Run("in maintenance the forbidden transitions are refused", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			extra map[string]any
			want  string
		}{
			{"type change together with leaving maintenance", map[string]any{"consensus_state": "normal", "consensus_type": "etcdraft", "consenters": n.consenters(t)},
				"while leaving maintenance"},
			{"a consenter whose certificate is another orderer's", map[string]any{"consensus_type": "etcdraft", "consenters": swappedCerts(n.consenters(t))},
				"presents the TLS certificate of"},
		} {
			r := consensusModule(t, n.consensusArgs("mychannel", tc.extra))
			if msg, _ := r["msg"].(string); r["failed"] != true || !strings.Contains(msg, tc.want) {
				t.Errorf("%s: %v, want a failure saying %q", tc.name, r["msg"], tc.want)
			}
		}
		if s := n.setting(t, "mychannel"); s != "kafka/maintenance" {
			t.Errorf("after refused updates mychannel is %s", s)
		}
	})

	if n.interrupt || n.abort {
		t.Run("fabrun migrate interrupted before the orderers restart", func(t *testing.T) {
			start := time.Now()
			record := filepath.Join(n.workdir, "raft-migration.yml")
			interruptWhen(t, n.fabrunCmd("migrate"), "every channel is etcdraft (the migration record)", 20*time.Minute,
				func() bool { _, err := os.Stat(record); return err == nil })
			timed("fabrun migrate (interrupted once every channel is etcdraft)", time.Since(start))
			for _, ch := range migrationChannels {
				if s := n.setting(t, ch); s != "etcdraft/maintenance" {
					t.Errorf("after the interruption %s is %s, want etcdraft/maintenance", ch, s)
				}
			}
		})
	}
	if t.Failed() {
		return
	}

	// Fabric's "abort and rollback": the backup taken in maintenance back,
	// Kafka in normal state; the same command then migrates from Kafka.
	if n.abort {
		t.Run("fabrun migrate --abort gives back a working Kafka network", func(t *testing.T) {
			start := time.Now()
			r := n.fabrun(t, "migrate", "--abort", "--yes", "--json")
			timed("fabrun migrate --abort", time.Since(start))
			timed("transactions refused (maintenance by hand to the abort's end)", time.Since(refusedSince))
			if r.Code != 0 {
				t.Fatalf("fabrun migrate --abort: %s", r)
			}
			for _, ch := range migrationChannels {
				if s := n.setting(t, ch); s != "kafka/normal" {
					t.Errorf("after the abort %s is %s, want kafka/normal", ch, s)
				}
			}
			if _, err := os.Stat(filepath.Join(n.workdir, "raft-migration.yml")); err == nil {
				t.Errorf("the migration record is still there after the abort")
			}
			// Older than the ledgers now: the next migration takes its own.
			if used, _ := filepath.Glob(filepath.Join(n.hostsDir, "*/backup/raft-migration.tar.gz")); len(used) > 0 {
				t.Errorf("the backup the abort restored is still the migration's: %v", used)
			}
			v := n.fabrun(t, "verify", "--json")
			if v.Code != 0 || get(v.Doc, "verify", "ok") != true {
				t.Fatalf("fabrun verify on Kafka after the abort: %s", v)
			}
			lastA, lastB = get(v.Doc, "verify", "after", "0", "a").(float64), get(v.Doc, "verify", "after", "0", "b").(float64)
			if lastA+lastB != 300 {
				t.Errorf("after the abort a=%v b=%v: a + b is not 300", lastA, lastB)
			}
		})
		if t.Failed() {
			return
		}
		refusedSince = time.Now() // the next migrate starts with maintenance
	}

	t.Run("fabrun migrate", func(t *testing.T) {
		start := time.Now()
		r := n.fabrun(t, "migrate", "--json")
		timed("fabrun migrate", time.Since(start))
		if r.Code != 0 {
			t.Fatalf("fabrun migrate: %s", r)
		}
		// Transactions are refused until the application channel leaves
		// maintenance: the plays after it (verification, leaving the system
		// channel) do not count.
		var after float64
		leftMaintenance := false
		phases, _ := get(r.Doc, "phases").([]any)
		for _, p := range phases {
			m := p.(map[string]any)
			t.Logf("  phase %-70v %6.1f s", m["name"], m["seconds"])
			if leftMaintenance {
				after += m["seconds"].(float64)
			}
			if name, _ := m["name"].(string); strings.HasPrefix(name, "Raft migration: leave maintenance") {
				leftMaintenance = true
			}
		}
		timed("transactions refused (maintenance to leaving it)", time.Since(refusedSince)-time.Duration(after*float64(time.Second)))
		if s := n.setting(t, "mychannel"); s != "etcdraft/normal" {
			t.Errorf("mychannel is %s, want etcdraft/normal", s)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("the orderers order with Raft, Kafka and ZooKeeper stopped", func(t *testing.T) {
		for _, p := range procsMatching(n.hostsDir) {
			if strings.Contains(p.Cmdline, "kafka.Kafka") || strings.Contains(p.Cmdline, "QuorumPeerMain") {
				t.Errorf("still running after the migration: %s", p.Cmdline)
			}
		}
		// Every channel, the system channel too until its removal, ran on Raft.
		leader := regexp.MustCompile(`Raft leader changed: \d+ -> [1-9]\d*.* channel=(\S+)`)
		found := map[string]int{}
		for name, text := range readServiceLogs(n.hostsDir) {
			if !strings.Contains(name, "orderer") {
				continue
			}
			seen := map[string]bool{}
			for _, m := range leader.FindAllStringSubmatch(text, -1) {
				seen[m[1]] = true
			}
			for ch := range seen {
				found[ch]++
			}
		}
		for _, ch := range migrationChannels {
			if found[ch] != len(n.orderers) {
				t.Errorf("channel %s: %d of %d orderers logged a Raft leader", ch, found[ch], len(n.orderers))
			}
		}
	})

	t.Run("off the system channel: every orderer has mychannel only and boots without a genesis block", func(t *testing.T) {
		for _, a := range n.admins {
			if l := ordererChannels(t, filepath.Join(n.workdir, "crypto"), a); l.SystemChannel != nil || !slices.Equal(l.Names(), []string{"mychannel"}) {
				t.Errorf("orderer %s lists system channel %v and channels %v, want only mychannel", a, l.SystemChannel, l.Names())
			}
		}
		confs, _ := filepath.Glob(filepath.Join(n.hostsDir, "*/orderer/etc/orderer.yaml"))
		if len(confs) != len(n.orderers) {
			t.Fatalf("orderer.yaml files %v, want %d", confs, len(n.orderers))
		}
		for _, c := range confs {
			if !strings.Contains(string(mustRead(t, c)), "BootstrapMethod: none") {
				t.Errorf("%s still boots from the genesis block", c)
			}
		}
	})

	t.Run("earlier blocks and values are there and values keep moving", func(t *testing.T) {
		for _, pos := range []string{"oldest", "newest"} {
			if r := n.peerFetch(t, pos); r.Err != nil {
				t.Errorf("peer channel fetch %s after the migration: %v\n%s", pos, r.Err, tail(r.Stderr, 20))
			}
		}
		r := n.fabrun(t, "verify", "--json")
		if r.Code != 0 {
			t.Fatalf("fabrun verify after the migration: %s", r)
		}
		// migrate_raft.yml's own verification moved 10 once more.
		a, b := get(r.Doc, "verify", "before", "a"), get(r.Doc, "verify", "before", "b")
		if a != lastA-10 || b != lastB+10 {
			t.Errorf("after the migration a=%v b=%v, want a=%v b=%v (the values before it, moved once by its verification)", a, b, lastA-10, lastB+10)
		}
		if get(r.Doc, "verify", "ok") != true {
			t.Errorf("verify = %v", r.Doc["verify"])
		}
	})

	if n.again {
		t.Run("fabrun migrate again changes no channel and restarts no orderer", func(t *testing.T) {
			pids := ordererPIDs(n.hostsDir)
			start := time.Now()
			r := n.fabrun(t, "migrate", "--json")
			timed("fabrun migrate again", time.Since(start))
			if r.Code != 0 {
				t.Fatalf("fabrun migrate again: %s", r)
			}
			if after := ordererPIDs(n.hostsDir); !sameInts(pids, after) {
				t.Errorf("orderer pids %v -> %v: a second migrate restarted an orderer", pids, after)
			}
			// Only the verification (it moves 10) changes anything.
			phases, _ := get(r.Doc, "phases").([]any)
			for _, p := range phases {
				m := p.(map[string]any)
				name, _ := m["name"].(string)
				if detail, _ := m["detail"].(string); !strings.HasPrefix(name, "Verify") && name != "preflight" &&
					!strings.Contains(detail, "no change") && !strings.Contains(detail, "no hosts matched") {
					t.Errorf("fabrun migrate again: phase %q: %s, want no change", name, detail)
				}
			}
			if s := n.setting(t, "mychannel"); s != "etcdraft/normal" {
				t.Errorf("mychannel is %s after the second migrate", s)
			}
		})
	}

	if n.afterMigration != nil && !t.Failed() {
		start := time.Now()
		n.afterMigration(t)
		timed("after the migration (new channel, inventory switched to etcdraft)", time.Since(start))
	}
}

// swappedCerts gives the first consenter the second's certificates.
func swappedCerts(cs []any) []any {
	a, b := cs[0].(map[string]any), cs[1].(map[string]any)
	x := map[string]any{"host": a["host"], "port": a["port"], "client_tls_cert": b["client_tls_cert"], "server_tls_cert": b["server_tls_cert"]}
	return append([]any{x}, cs[1:]...)
}

func ordererPIDs(hostsDir string) []int {
	var out []int
	for _, p := range procsMatching(hostsDir) {
		if strings.HasSuffix(strings.Fields(p.Cmdline)[0], "/bin/orderer") {
			out = append(out, p.PID)
		}
	}
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[int]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, y := range b {
		if !m[y] {
			return false
		}
	}
	return true
}

// guideMigrationNet is TestNetworkEndToEnd's network (the guide's two
// orderers on 127.0.197.215-216), reached through the installed collection
// as that test reaches it (fab, fabrunCmd and play: fabrun on an inventory,
// the command it would run, a collection playbook by name). The migration
// is interrupted once, aborted back to Kafka and run again (the smaller
// network restarts its Kafka for the second backup in half the time the
// three-orderer one takes); off the system channel, a new channel is
// made by joining orderers and peers and carries the chaincode, and the
// inventory switched to etcdraft (no ZooKeeper or Kafka) deploys again.
func guideMigrationNet(workdir, hostsDir, inventory string,
	fab func(t *testing.T, inv string, args ...string) fabrunResult, fabrunCmd func(inv string, args ...string) *exec.Cmd,
	play func(t *testing.T, name string, extra ...string) (CmdResult, time.Duration)) migrationNet {
	n := migrationNet{workdir: workdir, hostsDir: hostsDir + "/",
		orderers: []string{"127.0.197.215:7050", "127.0.197.216:7050"}, names: []string{"orderer0", "orderer1"},
		admins:    []string{"127.0.197.215:7053", "127.0.197.216:7053"},
		peerHost:  "server212",
		fabrun:    func(t *testing.T, args ...string) fabrunResult { return fab(t, inventory, args...) },
		fabrunCmd: func(args ...string) *exec.Cmd { return fabrunCmd(inventory, args...) },
		interrupt: true, abort: true, again: true}
	n.afterMigration = func(t *testing.T) {
		t.Run("a new channel, joined by the orderers and then the peers, carries the chaincode", func(t *testing.T) {
			play(t, "join_channel", "-e", "fabric_orderer_type=etcdraft", "-e", "join_channel=newchannel")
			again, _ := play(t, "join_channel", "-e", "fabric_orderer_type=etcdraft", "-e", "join_channel=newchannel")
			raftUnchanged(t, "join_channel.yml again", again)
			play(t, "chaincode", "-e", "fabric_orderer_type=etcdraft", "-e", "fabric_channel=newchannel")
			r := fab(t, inventory, "verify", "--json", "-e", "fabric_channel=newchannel")
			if r.Code != 0 || get(r.Doc, "verify", "mode") != "fresh" || get(r.Doc, "verify", "after", "0", "b") != float64(210) {
				t.Errorf("fabrun verify on newchannel: want a fresh a=100 b=200 moved to b=210: %s", r)
			}
		})
		t.Run("the inventory switched to etcdraft, without ZooKeeper and Kafka, deploys and shows Raft", func(t *testing.T) {
			inv := raftInventory(t, inventory)
			if r := fab(t, inv, "deploy", "--json"); r.Code != 0 || get(r.Doc, "verify", "mode") != "repeat" {
				t.Fatalf("fabrun deploy on the switched inventory: %s", r)
			}
			// fabrun status reads the inventory's channel (fabric_channel).
			raftStatus(t, fab(t, inv, "status", "--json"), 2, "mychannel")
		})
	}
	return n
}

// raftInventory copies the inventory at src as a user edits it after the
// migration: fabric_orderer_type etcdraft, the zookeeper and kafka groups gone.
func raftInventory(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "raft-inventory")
	copyTree(t, src, dst)
	hostsFile := filepath.Join(dst, "hosts.yml")
	var hosts map[string]any
	if err := yaml.Unmarshal(mustRead(t, hostsFile), &hosts); err != nil {
		t.Fatal(err)
	}
	children := hosts["all"].(map[string]any)["children"].(map[string]any)
	delete(children, "zookeeper")
	delete(children, "kafka")
	b, err := yaml.Marshal(hosts)
	if err != nil {
		t.Fatal(err)
	}
	all := filepath.Join(dst, "group_vars", "all.yml")
	vars := append(mustRead(t, all), []byte("\nfabric_orderer_type: etcdraft\n")...)
	if err := os.WriteFile(hostsFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(all, vars, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// largeMigrationNet is TestTopologyIsData's network (three orderers on
// 127.0.198.1-3, mutual TLS), run from the checkout; the migration runs
// through once (TestNetworkEndToEnd checks the interruption, the abort and a
// second migrate, which do not depend on the number of orderers).
func largeMigrationNet(t *testing.T, dir, hostsDir, inventory, vars string) migrationNet {
	withInventory := func(args []string) []string {
		return append([]string{args[0], "-i", inventory, "-e", "@" + vars}, args[1:]...)
	}
	return migrationNet{workdir: filepath.Join(dir, "controller"), hostsDir: hostsDir + "/",
		orderers: []string{"127.0.198.1:7050", "127.0.198.2:7050", "127.0.198.3:7050"},
		names:    []string{"orderer0", "orderer1", "orderer2"},
		admins:   []string{"127.0.198.1:7053", "127.0.198.2:7053", "127.0.198.3:7053"},
		peerHost: "node4",
		fabrun:   func(t *testing.T, args ...string) fabrunResult { return fabrun(t, withInventory(args)...) },
		fabrunCmd: func(args ...string) *exec.Cmd {
			cmd := exec.Command(FabrunBin(t), withInventory(args)...)
			cmd.Dir, cmd.Env = RepoRoot(t), append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+t.TempDir())
			return cmd
		}}
}
