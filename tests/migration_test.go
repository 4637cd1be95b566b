package tests

// The Kafka-to-Raft migration (fabric_consensus, playbooks/migrate_raft.yml,
// fabrun migrate), mirroring Fabric's integration/kafka/migration_test.go at
// v2.5.9, on a Kafka network a test already deployed: TestNetworkEndToEnd
// (the guide's two orderers) and TestTopologyIsData (three orderers, mutual
// TLS) each call raftMigrationChecks near their end.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/consensus"
	"github.com/fabrun/fabrun/internal/module"
)

// migrationNet is a deployed Kafka network as the migration checks reach it.
type migrationNet struct {
	workdir   string   // fabrun_workdir (crypto material, the migration record)
	hostsDir  string   // the hosts' fabrun_home directories
	orderers  []string // host:port of every orderer
	names     []string // their orderer_name, in the same order
	mutualTLS bool     // fabric_tls_client_auth
	// fabrun runs fabrun on the network's inventory; fabrunCmd is the
	// command it would run (to interrupt it).
	fabrun    func(t *testing.T, args ...string) fabrunResult
	fabrunCmd func(args ...string) *exec.Cmd
	// interrupt: stop the first fabrun migrate with SIGINT once every
	// channel is etcdraft, before the orderers restart, and resume it.
	interrupt bool
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
	}
	if n.mutualTLS {
		a["client_tls_cert"], a["client_tls_key"] = filepath.Join(admin, "tls/client.crt"), filepath.Join(admin, "tls/client.key")
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
	times := map[string]time.Duration{}
	defer func() {
		for _, k := range []string{"maintenance (fabric_consensus, both channels)", "fabrun migrate (interrupted)",
			"fabrun migrate", "fabrun migrate again", "transactions refused"} {
			if d, ok := times[k]; ok {
				t.Logf("raft migration: %-48s %s", k, d.Round(100*time.Millisecond))
			}
		}
	}()
	before := n.fabrun(t, "verify", "--json")
	if before.Code != 0 {
		t.Fatalf("fabrun verify before the migration: %s", before)
	}
	lastA, lastB := get(before.Doc, "verify", "after", "0", "a"), get(before.Doc, "verify", "after", "0", "b")

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
	times["maintenance (fabric_consensus, both channels)"] = time.Since(start)
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

	if n.interrupt {
		t.Run("fabrun migrate interrupted before the orderers restart", func(t *testing.T) {
			start := time.Now()
			record := filepath.Join(n.workdir, "raft-migration.yml")
			interruptWhen(t, n.fabrunCmd("migrate"), "every channel is etcdraft (the migration record)", 20*time.Minute,
				func() bool { _, err := os.Stat(record); return err == nil })
			times["fabrun migrate (interrupted)"] = time.Since(start)
			for _, ch := range migrationChannels {
				if s := n.setting(t, ch); s != "etcdraft/maintenance" {
					t.Errorf("after the interruption %s is %s, want etcdraft/maintenance", ch, s)
				}
			}
		})
	}

	t.Run("fabrun migrate", func(t *testing.T) {
		start := time.Now()
		r := n.fabrun(t, "migrate", "--json")
		times["fabrun migrate"] = time.Since(start)
		if r.Code != 0 {
			t.Fatalf("fabrun migrate: %s", r)
		}
		// The window closed when the application channel left maintenance;
		// the verification play follows it.
		verifySeconds := 0.0
		phases, _ := get(r.Doc, "phases").([]any)
		for _, p := range phases {
			m := p.(map[string]any)
			t.Logf("  phase %-70v %6.1f s", m["name"], m["seconds"])
			if name, _ := m["name"].(string); strings.HasPrefix(name, "Verify") {
				verifySeconds += m["seconds"].(float64)
			}
		}
		times["transactions refused"] = time.Since(refusedSince) - time.Duration(verifySeconds*float64(time.Second))
		for _, ch := range migrationChannels {
			if s := n.setting(t, ch); s != "etcdraft/normal" {
				t.Errorf("%s is %s, want etcdraft/normal", ch, s)
			}
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

	t.Run("earlier values are there and values keep moving", func(t *testing.T) {
		r := n.fabrun(t, "verify", "--json")
		if r.Code != 0 {
			t.Fatalf("fabrun verify after the migration: %s", r)
		}
		// migrate_raft.yml's own verification moved 10 once more.
		a, b := get(r.Doc, "verify", "before", "a"), get(r.Doc, "verify", "before", "b")
		if a != lastA.(float64)-10 || b != lastB.(float64)+10 {
			t.Errorf("after the migration a=%v b=%v, want a=%v b=%v (the values before it, moved once by its verification)", a, b, lastA.(float64)-10, lastB.(float64)+10)
		}
		if get(r.Doc, "verify", "ok") != true {
			t.Errorf("verify = %v", r.Doc["verify"])
		}
	})

	t.Run("fabrun migrate again changes no channel and restarts no orderer", func(t *testing.T) {
		pids := ordererPIDs(n.hostsDir)
		start := time.Now()
		r := n.fabrun(t, "migrate", "--json")
		times["fabrun migrate again"] = time.Since(start)
		if r.Code != 0 {
			t.Fatalf("fabrun migrate again: %s", r)
		}
		if after := ordererPIDs(n.hostsDir); !sameInts(pids, after) {
			t.Errorf("orderer pids %v -> %v: a second migrate restarted an orderer", pids, after)
		}
		for _, ch := range migrationChannels {
			if s := n.setting(t, ch); s != "etcdraft/normal" {
				t.Errorf("%s is %s after the second migrate", ch, s)
			}
		}
	})
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
// as that test reaches it; the migration is interrupted once and resumed.
func guideMigrationNet(workdir, hostsDir, inventory string,
	fab func(t *testing.T, inv string, args ...string) fabrunResult, fabrunCmd func(inv string, args ...string) *exec.Cmd) migrationNet {
	return migrationNet{workdir: workdir, hostsDir: hostsDir + "/",
		orderers: []string{"127.0.197.215:7050", "127.0.197.216:7050"}, names: []string{"orderer0", "orderer1"},
		fabrun:    func(t *testing.T, args ...string) fabrunResult { return fab(t, inventory, args...) },
		fabrunCmd: func(args ...string) *exec.Cmd { return fabrunCmd(inventory, args...) },
		interrupt: true}
}

// largeMigrationNet is TestTopologyIsData's network (three orderers on
// 127.0.198.1-3, mutual TLS), run from the checkout.
func largeMigrationNet(dir, hostsDir, inventory, vars string) migrationNet {
	return migrationNet{workdir: filepath.Join(dir, "controller"), hostsDir: hostsDir + "/", mutualTLS: true,
		orderers: []string{"127.0.198.1:7050", "127.0.198.2:7050", "127.0.198.3:7050"},
		names:    []string{"orderer0", "orderer1", "orderer2"},
		fabrun: func(t *testing.T, args ...string) fabrunResult {
			return fabrun(t, append([]string{args[0], "-i", inventory, "-e", "@" + vars}, args[1:]...)...)
		}}
}
