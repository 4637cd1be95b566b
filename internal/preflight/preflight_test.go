package preflight

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/fabrun/fabrun/internal/inventory"
)

// seedDefaults are the guide's settings as role defaults would carry them.
var seedDefaults = map[string]any{
	"kafka_min_insync_replicas":            2,
	"kafka_default_replication_factor":     3,
	"kafka_message_max_bytes":              103809024,
	"kafka_replica_fetch_max_bytes":        103809024,
	"kafka_unclean_leader_election_enable": false,
	"kafka_log_retention_ms":               -1,
	"artifacts_absolute_max_bytes":         "98 MB",
	"orderer_kafka_replication_factor":     3,
}

// seedInventory is the local inventory (the seed's topology) with the
// guide's settings as role defaults, plus changes.
func seedInventory(t *testing.T, hostVars map[string]map[string]any, extra ...string) (*inventory.Inventory, *inventory.Topology) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "seed-inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	inv.Dir = "/repo/inventory/local"
	for k, v := range seedDefaults {
		inv.Defaults[k] = v
	}
	for h, vars := range hostVars {
		for k, v := range vars {
			inv.HostVars[h][k] = v
		}
	}
	if err := inv.AddExtraVars(extra, ""); err != nil {
		t.Fatal(err)
	}
	topo, problems := inv.Topology()
	if len(problems) > 0 {
		t.Fatalf("seed inventory problems: %v", problems)
	}
	return inv, topo
}

func rulesOf(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func TestSeedGivesTheTwoWarnings(t *testing.T) {
	inv, topo := seedInventory(t, nil)
	r := Check(Input{Inventory: inv, Topology: topo, SkipFiles: true})
	if !r.OK() {
		t.Fatalf("seed has errors: %v", r.Of(Error))
	}
	warnings := r.Of(Warning)
	if got := rulesOf(warnings); !reflect.DeepEqual(got, []string{"zookeeper-ensemble", "kafka-brokers"}) {
		t.Fatalf("seed warnings = %v, want [zookeeper-ensemble kafka-brokers]", warnings)
	}
	zk, kb := warnings[0], warnings[1]
	if !strings.Contains(zk.Message, "ensemble of 2 tolerates 0 failed nodes") || !strings.Contains(zk.Advice, "3, 5 or 7") {
		t.Errorf("ZooKeeper warning = %s", zk)
	}
	if !reflect.DeepEqual(zk.Hosts, []string{"server215", "server216"}) {
		t.Errorf("ZooKeeper warning hosts = %v", zk.Hosts)
	}
	if !strings.Contains(kb.Message, "3 Kafka brokers with default.replication.factor 3: a channel cannot be created while one broker is down") ||
		!strings.Contains(kb.Advice, "K >= 4") {
		t.Errorf("Kafka warning = %s", kb)
	}
	if len(kb.Hosts) != 3 {
		t.Errorf("Kafka warning hosts = %v, want the 3 brokers", kb.Hosts)
	}
	if got := rulesOf(r.Of(Info)); !reflect.DeepEqual(got, []string{"kafka-deprecated"}) {
		t.Errorf("notes = %v", got)
	}
	if r.Settings.AbsoluteMaxBytes.Value != 102760448 || r.Settings.AbsoluteMaxBytes.Source != "role default" {
		t.Errorf("AbsoluteMaxBytes = %+v", r.Settings.AbsoluteMaxBytes)
	}
}

func TestKafkaRules(t *testing.T) {
	tests := []struct {
		name      string
		hostVars  map[string]map[string]any
		extra     []string
		wantError []string // rules
		wantWarn  []string // rules besides the seed's two
		wantHosts []string // hosts of the first error
		wantText  string   // in the first error's message
	}{
		{name: "seed", wantWarn: nil},
		{name: "min.insync equal to RF is an error", extra: []string{"kafka_min_insync_replicas=3"},
			wantError: []string{"kafka-min-insync"}, wantHosts: []string{"server215", "server216", "server214"},
			wantText: "min.insync.replicas 3 (kafka_min_insync_replicas, extra vars) is not below default.replication.factor 3"},
		{name: "min.insync above RF is an error", extra: []string{"kafka_min_insync_replicas=4"},
			wantError: []string{"kafka-min-insync"}},
		{name: "min.insync on one broker", hostVars: map[string]map[string]any{"server214": {"kafka_min_insync_replicas": 3}},
			wantError: []string{"kafka-min-insync"}, wantHosts: []string{"server214"}, wantText: "(kafka_min_insync_replicas, inventory)"},
		{name: "min.insync 1 is a warning", extra: []string{"kafka_min_insync_replicas=1"},
			wantWarn: []string{"kafka-min-insync"}},
		{name: "message.max.bytes below AbsoluteMaxBytes is an error", extra: []string{"kafka_message_max_bytes=102760447"},
			wantError: []string{"kafka-message-size"},
			wantText:  "message.max.bytes 102760447 (kafka_message_max_bytes, extra vars) is below the channel's AbsoluteMaxBytes 102760448 (98 MiB)"},
		{name: "replica.fetch.max.bytes below AbsoluteMaxBytes is an error", extra: []string{"kafka_replica_fetch_max_bytes=1048576"},
			wantError: []string{"kafka-message-size"}, wantText: "replica.fetch.max.bytes 1048576"},
		{name: "AbsoluteMaxBytes raised above the brokers' limit", extra: []string{"artifacts_absolute_max_bytes='100 MB'"},
			wantError: []string{"kafka-message-size", "kafka-message-size"}},
		{name: "no headroom is a warning", extra: []string{"kafka_message_max_bytes=102760448 kafka_replica_fetch_max_bytes=102760448"},
			wantWarn: []string{"kafka-message-size"}},
		{name: "properties dict", hostVars: map[string]map[string]any{"server215": {"kafka_properties": map[string]any{"message.max.bytes": 1000}}},
			wantError: []string{"kafka-message-size"}, wantHosts: []string{"server215"}, wantText: "kafka_properties['message.max.bytes']"},
		{name: "unset settings fall back to Kafka's defaults", extra: nil,
			hostVars: map[string]map[string]any{}, wantError: nil},
		{name: "replication factor above brokers", extra: []string{"kafka_default_replication_factor=4 orderer_kafka_replication_factor=4"},
			wantError: []string{"kafka-replication-factor", "orderer-replication-factor"}},
		{name: "orderer RF differs", extra: []string{"orderer_kafka_replication_factor=2"},
			wantWarn: []string{"orderer-replication-factor"}},
		{name: "unclean election", extra: []string{"kafka_unclean_leader_election_enable=true"},
			wantWarn: []string{"kafka-unclean-election"}},
		{name: "log retention", extra: []string{"kafka_log_retention_ms=604800000"},
			wantWarn: []string{"kafka-log-retention"}},
		{name: "non-integer setting", extra: []string{"kafka_min_insync_replicas=two"},
			wantError: []string{"settings"}, wantText: `"two" is not an integer`},
		{name: "bad size", extra: []string{"artifacts_absolute_max_bytes=98TB"},
			wantError: []string{"settings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, topo := seedInventory(t, tt.hostVars, tt.extra...)
			r := Check(Input{Inventory: inv, Topology: topo, SkipFiles: true})
			errs := r.Of(Error)
			if got := rulesOf(errs); !reflect.DeepEqual(got, tt.wantError) {
				t.Fatalf("errors = %v, want rules %v", errs, tt.wantError)
			}
			warn := rulesOf(r.Of(Warning))
			want := append([]string{"zookeeper-ensemble", "kafka-brokers"}, tt.wantWarn...)
			if tt.name == "replication factor above brokers" {
				want = []string{"zookeeper-ensemble"}
			}
			sort.Strings(warn)
			sort.Strings(want)
			if !reflect.DeepEqual(warn, want) {
				t.Errorf("warnings = %v, want %v", r.Of(Warning), want)
			}
			if len(errs) > 0 && tt.wantHosts != nil && !reflect.DeepEqual(errs[0].Hosts, tt.wantHosts) {
				t.Errorf("error hosts = %v, want %v", errs[0].Hosts, tt.wantHosts)
			}
			if len(errs) > 0 && tt.wantText != "" && !strings.Contains(errs[0].Message, tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", errs[0].Message, tt.wantText)
			}
		})
	}
}

func TestKafkaDefaultsWhenUnset(t *testing.T) {
	inv, topo := seedInventory(t, nil)
	inv.Defaults = map[string]any{"artifacts_absolute_max_bytes": "98 MB"}
	r := Check(Input{Inventory: inv, Topology: topo, SkipFiles: true})
	// Kafka's defaults: M = 1, R = 1, message.max.bytes ~1 MiB: the message
	// size errors, and M = R = 1 is an error too.
	got := rulesOf(r.Of(Error))
	want := []string{"kafka-min-insync", "kafka-message-size", "kafka-message-size"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v, want %v", r.Of(Error), want)
	}
	if s := r.Settings.Brokers[0].MessageMaxBytes; s.Source != "Kafka default" || s.Value != 1048588 {
		t.Errorf("message.max.bytes = %+v", s)
	}
}

func TestZooKeeperEnsembles(t *testing.T) {
	tests := []struct {
		n    int
		want string // "" for no warning
	}{
		{1, "ensemble of 1 tolerates 0 failed nodes"},
		{2, "ensemble of 2 tolerates 0 failed nodes"},
		{3, ""},
		{4, "ensemble of 4 tolerates 1 failed nodes, no more than 3"},
		{5, ""},
		{7, ""},
		{9, "ensemble of 9 nodes tolerates 4"},
	}
	for _, tt := range tests {
		topo := &inventory.Topology{}
		for i := 0; i < tt.n; i++ {
			topo.ZooKeepers = append(topo.ZooKeepers, inventory.ZooKeeper{ID: i + 1})
		}
		fs := CheckZooKeeper(topo)
		switch {
		case tt.want == "" && len(fs) != 0:
			t.Errorf("N=%d: %v, want no warning", tt.n, fs)
		case tt.want != "" && (len(fs) != 1 || !strings.Contains(fs[0].Message, tt.want) || fs[0].Level != Warning):
			t.Errorf("N=%d: %v, want a warning with %q", tt.n, fs, tt.want)
		}
	}
}

func TestBrokerCounts(t *testing.T) {
	tests := []struct {
		k, r  int
		level Level // "" for nothing
		text  string
	}{
		{3, 3, Warning, "a channel cannot be created while one broker is down"},
		{4, 3, "", ""},
		{5, 3, "", ""},
		{3, 2, Warning, "fewer than the 4"},
		{2, 3, Error, "larger than the 2 brokers"},
	}
	for _, tt := range tests {
		topo := &inventory.Topology{}
		s := &Settings{AbsoluteMaxBytes: Setting{Value: 1 << 20}, OrdererReplicationFactor: Setting{Value: int64(tt.r)}}
		for i := 0; i < tt.k; i++ {
			topo.Brokers = append(topo.Brokers, inventory.Broker{ID: i})
			s.Brokers = append(s.Brokers, BrokerSettings{
				MinInsyncReplicas: Setting{Value: 2}, ReplicationFactor: Setting{Value: int64(tt.r)},
				MessageMaxBytes: Setting{Value: 3 << 20}, ReplicaFetchMaxBytes: Setting{Value: 3 << 20}, LogRetentionMs: Setting{Value: -1},
			})
		}
		if tt.r <= 2 {
			for i := range s.Brokers {
				s.Brokers[i].MinInsyncReplicas.Value = 1
			}
		}
		var found *Finding
		for _, f := range CheckKafka(topo, s) {
			if f.Rule == "kafka-brokers" || f.Rule == "kafka-replication-factor" {
				f := f
				found = &f
			}
		}
		switch {
		case tt.level == "" && found != nil:
			t.Errorf("K=%d R=%d: %v, want nothing", tt.k, tt.r, found)
		case tt.level != "" && (found == nil || found.Level != tt.level || !strings.Contains(found.Message, tt.text)):
			t.Errorf("K=%d R=%d: %v, want %s with %q", tt.k, tt.r, found, tt.level, tt.text)
		}
	}
}

func TestInventoryProblemsAreErrors(t *testing.T) {
	inv, err := inventory.Parse([]byte(`{"all": {"hosts": ["h"]}, "_meta": {"hostvars": {"h": {}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	topo, problems := inv.Topology()
	r := Check(Input{Inventory: inv, Topology: topo, Problems: problems, SkipFiles: true})
	if r.OK() || len(r.Of(Error)) != 4 {
		t.Errorf("errors = %v, want the 4 missing groups", r.Of(Error))
	}
}

func TestCheckFiles(t *testing.T) {
	home := t.TempDir()
	mk := func(p string) {
		p = filepath.Join(home, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mk("plugins/modules/fabric_crypto.yml")
	mk("plugins/modules/fabric_channel.yml")
	fs := CheckFiles(home, "")
	if len(fs) != 7 {
		t.Fatalf("empty build: %d findings, want 7: %v", len(fs), fs)
	}
	for _, p := range []string{"build/venv/bin/ansible-playbook", "build/fabric/bin/peer", "build/fabric/bin/orderer",
		"build/artifacts/kafka-3.9.1.tar.gz", "build/artifacts/zookeeper-3.8.4.tar.gz", "plugins/modules/fabric_crypto"} {
		mk(p)
	}
	fs = CheckFiles(home, filepath.Join(home, "build/venv/bin/ansible-playbook"))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "module fabric_channel") || !strings.Contains(fs[0].Advice, "make modules") {
		t.Errorf("one module missing: %v", fs)
	}
}

func TestCheckCollectionFiles(t *testing.T) {
	home := t.TempDir()
	for _, p := range []string{"plugins/modules/fabric_crypto.yml", "plugins/modules/fabric_crypto", "plugins/modules/fabric_channel.yml"} {
		if err := os.MkdirAll(filepath.Join(home, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, p), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, ansiblePlaybook string
		want                  []string
	}{
		{"ansible-playbook found", "/usr/bin/ansible-playbook", []string{"module fabric_channel is missing"}},
		{"no ansible-playbook", "", []string{"ansible-playbook is not on PATH", "module fabric_channel is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := CheckCollectionFiles(home, tt.ansiblePlaybook)
			var got []string
			for _, f := range fs {
				got = append(got, f.Message)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %d %q lacks %q", i, got[i], w)
				}
			}
		})
	}
}
