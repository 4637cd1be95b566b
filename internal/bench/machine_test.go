package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMachineParsers(t *testing.T) {
	cpuinfo := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz\n\nprocessor\t: 1\nmodel name\t: other\n"
	for _, tc := range []struct {
		name, got, want string
	}{
		{"cpu model, spaces folded", CPUModel(cpuinfo), "Intel(R) Xeon(R) CPU @ 2.20GHz"},
		{"no cpu model", CPUModel("processor : 0\n"), ""},
		{"load average", LoadAverage("1.84 1.73 2.61 3/412 8098\n"), "1.84 1.73 2.61"},
		{"short loadavg", LoadAverage("1.0\n"), ""},
		{"fabric from the pin's comment", FabricVersion("// Builds the pinned Fabric v2.5.9 binaries\nmodule x\n\nrequire github.com/hyperledger/fabric v1.4.0-rc1.0.2024\n"), "v2.5.9"},
		{"fabric from require", FabricVersion("module x\n\nrequire github.com/hyperledger/fabric v2.5.9+incompatible\n"), "v2.5.9+incompatible"},
		{"no fabric", FabricVersion("module x\n"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name    string
		meminfo string
		want    uint64
	}{
		{"kB to bytes", "MemTotal:       24576000 kB\nMemFree: 1 kB\n", 24576000 * 1024},
		{"absent", "MemFree: 1 kB\n", 0},
		{"garbage", "MemTotal: lots kB\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MemTotal(tc.meminfo); got != tc.want {
				t.Errorf("MemTotal = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestReadMachine(t *testing.T) {
	home := t.TempDir()
	art := filepath.Join(home, "build", "artifacts")
	os.MkdirAll(art, 0o755)
	os.MkdirAll(filepath.Join(home, "tools", "fabric"), 0o755)
	os.WriteFile(filepath.Join(home, "tools", "fabric", "go.mod"), []byte("// the pinned Fabric v2.5.9 binaries\n"), 0o644)
	for _, f := range []string{"kafka-3.9.1.tar.gz", "zookeeper-3.8.4.tar.gz"} {
		os.WriteFile(filepath.Join(art, f), nil, 0o644)
	}
	m := ReadMachine(home)
	if m.Cores < 1 || m.Fabric != "v2.5.9" || m.Kafka != "3.9.1" || m.ZooKeeper != "3.8.4" {
		t.Errorf("machine = %+v", m)
	}
	lines := strings.Join(m.Lines(), "\n")
	for _, want := range []string{"cores", "Fabric v2.5.9", "Kafka 3.9.1", "ZooKeeper 3.8.4", "load average at start"} {
		if !strings.Contains(lines, want) {
			t.Errorf("lines lack %q:\n%s", want, lines)
		}
	}
	if m := ReadMachine(t.TempDir()); m.Kafka != "unknown" || m.Fabric != "unknown" {
		t.Errorf("empty home: %+v", m)
	}
}
