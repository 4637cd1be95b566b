package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// repoRoot is the checkout: the tests read the real role defaults.
var repoRoot = filepath.Join("..", "..")

// testdata/*.json are `ansible-inventory -i inventory/<name> --list` outputs.
func loadTestdata(t *testing.T, name, dir string) *Inventory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	inv.Source, inv.Dir = dir, dir
	return inv
}

func TestParseGroups(t *testing.T) {
	inv := loadTestdata(t, "local", "/repo/inventory/local")
	tests := []struct {
		group string
		want  []string
	}{
		{"zookeeper", []string{"server215", "server216"}},
		{"kafka", []string{"server215", "server216", "server214"}},
		{"orderer", []string{"server215", "server216"}},
		{"org1", []string{"server211", "server212"}},
		{"peer", []string{"server211", "server212", "server213", "server214"}},
		{"nosuch", nil},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			got := inv.GroupHosts(tt.group)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GroupHosts(%s) = %v, want %v", tt.group, got, tt.want)
			}
		})
	}
	if got := inv.Children("peer"); !reflect.DeepEqual(got, []string{"org1", "org2"}) {
		t.Errorf("Children(peer) = %v", got)
	}
	if len(inv.Hosts()) != 6 {
		t.Errorf("Hosts() = %v", inv.Hosts())
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"_meta": {"hostvars": {}}}`, `{"all": 3}`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}

func TestVarRendering(t *testing.T) {
	inv := loadTestdata(t, "local", "/repo/inventory/local")
	if err := inv.LoadRoleDefaults(repoRoot, "topology", "artifacts", "nosuchrole"); err != nil {
		t.Fatal(err)
	}
	// The inventory finds the checkout with Jinja tests and filters (is file,
	// ternary) beyond the subset evaluated here: that is reported, and the
	// runner asks Ansible instead (env.go, Workdir).
	if _, _, err := inv.Var("server215", "fabrun_workdir"); !errors.Is(err, ErrTemplate) {
		t.Fatalf("fabrun_workdir from the inventory's own fabrun_repo_root: err = %v, want ErrTemplate", err)
	}
	if err := inv.AddExtraVars([]string{"fabrun_repo_root=/repo"}, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, name string
		want       any
	}{
		{"server215", "fabrun_workdir", "/repo/build/local/controller"},
		{"server211", "fabrun_home", "/repo/build/local/hosts/server211"},
		{"server215", "kafka_broker_id", 1},
		{"server215", "kafka_port", 9092},
		{"server211", "artifacts_crypto_dir", "/repo/build/local/controller/crypto"},
		{"server211", "artifacts_absolute_max_bytes", "98 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := inv.Var(tt.host, tt.name)
			if err != nil || !ok {
				t.Fatalf("Var(%s, %s) = %v, %v, %v", tt.host, tt.name, got, ok, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Var(%s, %s) = %#v, want %#v", tt.host, tt.name, got, tt.want)
			}
		})
	}
	// Extra vars win over host vars and defaults.
	if err := inv.AddExtraVars([]string{"kafka_port=9999 fabrun_repo_root=/elsewhere"}, ""); err != nil {
		t.Fatal(err)
	}
	if n, err := inv.Int("server215", "kafka_port"); err != nil || n != 9999 {
		t.Errorf("kafka_port with extra vars = %d, %v", n, err)
	}
	if s, err := inv.String("server215", "fabrun_workdir"); err != nil || s != "/elsewhere/build/local/controller" {
		t.Errorf("fabrun_workdir with extra vars = %q, %v", s, err)
	}
	// A lookup() the runner cannot evaluate is reported, not guessed.
	inv.Defaults["peer_go_root"] = "{{ lookup('ansible.builtin.pipe', 'go env GOROOT') }}"
	if _, _, err := inv.Var("server211", "peer_go_root"); !errors.Is(err, ErrTemplate) {
		t.Errorf("lookup(): err = %v, want ErrTemplate", err)
	}
	// A loop is caught.
	inv.Extra["a"], inv.Extra["b"] = "{{ b }}", "{{ a }}"
	if _, _, err := inv.Var("", "a"); err == nil {
		t.Error("template loop: no error")
	}
}

func TestRender(t *testing.T) {
	vars := map[string]any{"dir": "/a/b/c", "n": 3, "empty": "", "name": "orderer0", "dom": "example.com"}
	lookup := func(name string) (any, bool, error) { v, ok := vars[name]; return v, ok, nil }
	tests := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{"plain", "plain", false},
		{"{{ dir }}", "/a/b/c", false},
		{"{{ dir | dirname }}", "/a/b", false},
		{"{{ dir | dirname | dirname }}/x", "/a/x", false},
		{"{{ dir|basename }}", "c", false},
		{"{{ n }}", 3, false},
		{"n={{ n }}", "n=3", false},
		{"{{ name }}.{{ dom }}", "orderer0.example.com", false},
		{"{{ missing | default('d') }}", "d", false},
		{"{{ empty | default('d') }}", "d", false},
		{"{{ n | string }}", "3", false},
		{"{{ missing }}", nil, true},
		{"{{ dir | regex_replace('a', 'b') }}", nil, true},
		{"{{ groups['kafka'] | length }}", nil, true},
		{"{{ dir", nil, true},
		{"a {{ dir }", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := render(tt.in, lookup)
			if (err != nil) != tt.wantErr {
				t.Fatalf("render(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("render(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseExtraVars(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vars.yml"), []byte("kafka_min_insync_replicas: 3\nlist: [1, 2]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in      string
		want    map[string]any
		wantErr bool
	}{
		{"a=1", map[string]any{"a": "1"}, false},
		{"a=1 b=two", map[string]any{"a": "1", "b": "two"}, false},
		{`msg="hello world" x='y z'`, map[string]any{"msg": "hello world", "x": "y z"}, false},
		{"teardown_delete_data=true", map[string]any{"teardown_delete_data": "true"}, false},
		{`{"a": 1, "b": {"c": "d"}}`, map[string]any{"a": 1, "b": map[string]any{"c": "d"}}, false},
		{"{a: 2}", map[string]any{"a": 2}, false},
		{"@vars.yml", map[string]any{"kafka_min_insync_replicas": 3, "list": []any{1, 2}}, false},
		{"", map[string]any{}, false},
		{"novalue", nil, true},
		{"=x", nil, true},
		{`a="open`, nil, true},
		{"@missing.yml", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseExtraVars(tt.in, dir)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseExtraVars(%q) err = %v", tt.in, err)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseExtraVars(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTopologyLocal(t *testing.T) {
	inv := loadTestdata(t, "local", "/repo/inventory/local")
	if err := inv.LoadRoleDefaults(repoRoot, "topology"); err != nil {
		t.Fatal(err)
	}
	if topo, _ := inv.Topology(); topo.Workdir != "" || !errors.Is(topo.WorkdirErr, ErrTemplate) {
		t.Errorf("Workdir = %q (%v), want it left to Ansible", topo.Workdir, topo.WorkdirErr)
	}
	// As Ansible renders it for the checkout at /repo.
	if err := inv.AddExtraVars([]string{"fabrun_repo_root=/repo"}, ""); err != nil {
		t.Fatal(err)
	}
	topo, errs := inv.Topology()
	if len(errs) > 0 {
		t.Fatalf("Topology() problems: %v", errs)
	}
	if topo.Channel != "mychannel" || topo.Domain != "example.com" || topo.OrdererMSPID != "OrdererMSP" {
		t.Errorf("network values = %q %q %q", topo.Channel, topo.Domain, topo.OrdererMSPID)
	}
	if topo.Workdir != "/repo/build/local/controller" {
		t.Errorf("Workdir = %q", topo.Workdir)
	}
	if len(topo.ZooKeepers) != 2 || topo.ZooKeepers[0].ID != 1 || topo.ZooKeepers[0].Endpoint() != "127.0.194.215:2181" {
		t.Errorf("ZooKeepers = %+v", topo.ZooKeepers)
	}
	var brokerIDs []int
	for _, b := range topo.Brokers {
		brokerIDs = append(brokerIDs, b.ID)
	}
	if !reflect.DeepEqual(brokerIDs, []int{1, 2, 4}) || topo.Brokers[2].Endpoint() != "127.0.194.214:9092" {
		t.Errorf("Brokers = %+v", topo.Brokers)
	}
	if len(topo.Orderers) != 2 || topo.Orderers[1].FQDN != "orderer1.example.com" ||
		topo.Orderers[1].OpsEndpoint() != "127.0.194.216:8443" || topo.Orderers[0].Endpoint() != "127.0.194.215:7050" {
		t.Errorf("Orderers = %+v", topo.Orderers)
	}
	if len(topo.Orgs) != 2 || topo.Orgs[0].MSPID != "Org1MSP" || topo.Orgs[1].Domain != "org2.example.com" {
		t.Fatalf("Orgs = %+v", topo.Orgs)
	}
	p, ok := topo.FindPeer("peer1.org1.example.com")
	if !ok || p.Host != "server212" || p.Endpoint() != "127.0.194.212:7051" || p.OpsEndpoint() != "127.0.194.212:9443" {
		t.Errorf("FindPeer(peer1.org1) = %+v, %v", p, ok)
	}
	if _, ok := topo.FindPeer("peer0.org2"); !ok {
		t.Error("FindPeer(peer0.org2) not found")
	}
	if got := topo.OrgTLSCA(topo.Orgs[0]); got != "/repo/build/local/controller/crypto/peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem" {
		t.Errorf("OrgTLSCA = %s", got)
	}
	if got := topo.OrdererTLSCA(); got != "/repo/build/local/controller/crypto/ordererOrganizations/example.com/tlsca/tlsca.example.com-cert.pem" {
		t.Errorf("OrdererTLSCA = %s", got)
	}
	if got := topo.OrgAdminMSP(topo.Orgs[1]); !strings.HasSuffix(got, "peerOrganizations/org2.example.com/users/Admin@org2.example.com/msp") {
		t.Errorf("OrgAdminMSP = %s", got)
	}
}

func TestTopologyProduction(t *testing.T) {
	inv := loadTestdata(t, "production", "/repo/inventory/production")
	topo, errs := inv.Topology()
	if len(errs) > 0 {
		t.Fatalf("Topology() problems: %v", errs)
	}
	// fabrun_workdir needs Jinja beyond the evaluated subset: Ansible renders it.
	if topo.Workdir != "" || !errors.Is(topo.WorkdirErr, ErrTemplate) {
		t.Errorf("Workdir = %q (%v), want it left to Ansible", topo.Workdir, topo.WorkdirErr)
	}
	if topo.Brokers[0].Address != "10.100.194.215" {
		t.Errorf("broker address = %q", topo.Brokers[0].Address)
	}
}

func TestTopologyProblems(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"no groups", `{"all": {"hosts": ["h1"]}, "_meta": {"hostvars": {"h1": {}}}}`,
			[]string{`no group "zookeeper"`, `no group "kafka"`, `no group "orderer"`, `no group "peer"`}},
		{"peer without orgs", `{"all": {"children": ["peer", "zookeeper", "kafka", "orderer"]},
			"peer": {"hosts": ["h1"]}, "zookeeper": {"hosts": ["h1"]}, "kafka": {"hosts": ["h1"]}, "orderer": {"hosts": ["h1"]},
			"_meta": {"hostvars": {"h1": {"zookeeper_id": 1, "kafka_broker_id": 1, "orderer_name": "o"}}}}`,
			[]string{`no org child groups`}},
		{"missing and duplicate ids", `{"all": {"children": ["zookeeper", "kafka", "orderer", "peer"]},
			"zookeeper": {"hosts": ["h1", "h2"]}, "kafka": {"hosts": ["h1", "h2"]}, "orderer": {"hosts": ["h1"]},
			"peer": {"children": ["org1"]}, "org1": {"hosts": ["h2"]},
			"_meta": {"hostvars": {"h1": {"zookeeper_id": 1, "kafka_broker_id": 7}, "h2": {"zookeeper_id": 1, "kafka_broker_id": "x",
			  "org_name": "Org1", "org_msp_id": "Org1MSP", "org_domain": "org1.example.com", "peer_name": "peer0"}}}}`,
			[]string{`zookeeper_id 1 is on both h1 and h2`, `"kafka_broker_id" on h2`, `"orderer_name" is not defined for h1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			_, errs := inv.Topology()
			var all []string
			for _, e := range errs {
				all = append(all, e.Error())
			}
			joined := strings.Join(all, "\n")
			for _, w := range tt.want {
				if !strings.Contains(joined, w) {
					t.Errorf("problems %q do not mention %q", joined, w)
				}
			}
		})
	}
}

func TestTopologyWorkdirBeyondSubset(t *testing.T) {
	inv := loadTestdata(t, "local", "/repo/inventory/local")
	for h := range inv.HostVars {
		inv.HostVars[h]["fabrun_repo_root"] = "{{ ((p is file) | ternary(p | dirname, p)) | dirname }}"
	}
	topo, errs := inv.Topology()
	if len(errs) != 0 {
		t.Fatalf("an unevaluated fabrun_workdir is a problem: %v", errs)
	}
	if topo.Workdir != "" || !errors.Is(topo.WorkdirErr, ErrTemplate) {
		t.Errorf("Workdir = %q, WorkdirErr = %v", topo.Workdir, topo.WorkdirErr)
	}
}
