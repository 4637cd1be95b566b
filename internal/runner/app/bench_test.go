package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseConcurrency(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"1,4,16", []int{1, 4, 16}, false},
		{" 2 , 8", []int{2, 8}, false},
		{"4", []int{4}, false},
		{"0", nil, true},
		{"1,,4", nil, true},
		{"four", nil, true},
	} {
		got, err := parseConcurrency(tc.in)
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("parseConcurrency(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--concurrency") {
			t.Errorf("error does not name the flag: %v", err)
		}
	}
}

// prepare writes the bench's inventories: the local one moved to
// 127.0.199.x and the larger one to 127.0.193.x, with every directory under
// build/bench; toggleBrokerSetting flips one broker setting on and off.
func TestBenchPrepare(t *testing.T) {
	home := t.TempDir()
	for _, inv := range []string{"inventory/local", "tests/testdata/inventory-large"} {
		if err := os.CopyFS(filepath.Join(home, inv), os.DirFS("../../../"+inv)); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(home, "build", "bench")
	b := &benchRun{s: &session{home: home}, dir: dir, inv: filepath.Join(dir, "inventory"),
		large: filepath.Join(dir, "large", "inventory"), gocache: filepath.Join(dir, "gocache")}
	if err := b.prepare(); err != nil {
		t.Fatal(err)
	}
	large, _ := os.ReadFile(filepath.Join(b.large, "hosts.yml"))
	if strings.Contains(string(large), "ansible_host: 127.0.198.") || !strings.Contains(string(large), "ansible_host: 127.0.193.6") {
		t.Errorf("the larger hosts.yml not moved to 127.0.193.x:\n%s", large)
	}
	largeAll, _ := os.ReadFile(filepath.Join(b.large, "group_vars", "all.yml"))
	for _, want := range []string{"fabrun_home: " + dir + "/large/hosts/{{ inventory_hostname }}", "fabrun_workdir: " + dir + "/large/controller",
		"fabrun_software_dir: " + home + "/build", "chaincode_gocache: " + dir + "/gocache", "ansible_connection: local"} {
		if !strings.Contains(string(largeAll), want) {
			t.Errorf("the larger all.yml lacks %q:\n%s", want, largeAll)
		}
	}
	hosts, _ := os.ReadFile(filepath.Join(b.inv, "hosts.yml"))
	if strings.Contains(string(hosts), "ansible_host: 127.0.194.") || !strings.Contains(string(hosts), "ansible_host: 127.0.199.214") {
		t.Errorf("hosts.yml not moved to 127.0.199.x:\n%s", hosts)
	}
	all, _ := os.ReadFile(filepath.Join(b.inv, "group_vars", "all.yml"))
	for _, want := range []string{"fabrun_repo_root: " + home, "fabrun_workdir: " + dir + "/controller",
		"peer_gocache: " + dir + "/gocache", "chaincode_gocache: " + dir + "/gocache", "fabrun_home: " + dir + "/hosts/{{ inventory_hostname }}"} {
		if !strings.Contains(string(all), want) {
			t.Errorf("all.yml lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(string(all), "build/local") {
		t.Errorf("all.yml still points into build/local:\n%s", all)
	}
	// fromNothing leaves the inventory and removes what teardown keeps.
	for _, d := range []string{"hosts/server211/bin", "controller/crypto", "gocache/00"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	if err := b.fromNothing(b.dir, b.gocache); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"hosts", "controller", "gocache"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			t.Errorf("fromNothing left %s", d)
		}
	}
	if _, err := os.Stat(b.inv); err != nil {
		t.Errorf("fromNothing removed the inventory: %v", err)
	}
	hv := filepath.Join(b.inv, "host_vars", benchBroker+".yml")
	for i, want := range []bool{true, false, true} {
		if err := b.toggleBrokerSetting(); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(hv)
		if (err == nil) != want || (want && !strings.Contains(string(raw), "kafka_log_level: WARN")) {
			t.Errorf("toggle %d: file present %v (%s), want %v", i, err == nil, raw, want)
		}
	}
}

// readProgram takes the baseline's command line from the supervisor program
// the service role rendered, and refuses one it cannot start.
func TestReadProgram(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		want       string // Command|Dir|Log, or the error's text
	}{
		{"rendered", "; Ansible managed\n[program:kafka]\ncommand=java -cp '/opt/kafka/libs/*' kafka.Kafka /etc/kafka/server.properties\n" +
			"directory=/data/kafka\npriority=200\nstdout_logfile=/log/kafka.log\n",
			"java -cp '/opt/kafka/libs/*' kafka.Kafka /etc/kafka/server.properties|/data/kafka|/log/kafka.log"},
		{"no directory", "[program:kafka]\ncommand=java\nstdout_logfile=/log/kafka.log\n", "has no command, directory or stdout_logfile"},
		{"missing", "", "the plain script starts what the deploy rendered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := t.TempDir()
			if tc.conf != "" {
				dir := filepath.Join(host, "etc", "supervisor", "programs")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "kafka.conf"), []byte(tc.conf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			svc, err := readProgram(host, "kafka")
			got := svc.Command + "|" + svc.Dir + "|" + svc.Log
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The plain script makes each program's TMPDIR, which the deploy puts
// under the peer's data directory (Fabric's external builder writes there).
func TestProgramTmpdir(t *testing.T) {
	for cmd, want := range map[string]string{
		"env FABRIC_CFG_PATH=/h/peer/etc HOME=/h/peer TMPDIR=/h/data/peer/tmp /h/bin/peer node start": "/h/data/peer/tmp",
		"env TMPDIR='/h/a dir/tmp' /h/bin/peer node start":                                            "/h/a dir/tmp",
		"env HOME=/h/zk java -cp x Main":                                                              "",
		"env MYTMPDIR=/x /h/bin/peer":                                                                 "",
	} {
		if got := tmpdirOf(cmd); got != want {
			t.Errorf("%q: TMPDIR %q, want %q", cmd, got, want)
		}
	}
}
