package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what a bench's numbers depend on: the hardware, the versions
// of what runs, and how busy the machine was when the bench started.
type Machine struct {
	Cores       int
	MemoryBytes uint64
	CPUModel    string
	// Go is the toolchain that compiles the chaincode (`go env GOVERSION`).
	Go                       string
	Fabric, Kafka, ZooKeeper string
	// LoadAverage is /proc/loadavg's 1, 5 and 15 minute averages.
	LoadAverage string
}

// ReadMachine reads this machine's details; home is the checkout, whose
// build/ holds the Fabric binaries' pin and the ZooKeeper and Kafka archives.
// What cannot be read is "unknown".
func ReadMachine(home string) Machine {
	m := Machine{Cores: runtime.NumCPU(), CPUModel: "unknown", Go: "unknown", Fabric: "unknown",
		Kafka: "unknown", ZooKeeper: "unknown", LoadAverage: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = orUnknown(CPUModel(string(b)))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryBytes = MemTotal(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAverage = orUnknown(LoadAverage(string(b)))
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		m.Go = orUnknown(strings.TrimSpace(string(out)))
	}
	if b, err := os.ReadFile(filepath.Join(home, "tools", "fabric", "go.mod")); err == nil {
		m.Fabric = orUnknown(FabricVersion(string(b)))
	}
	m.Kafka = orUnknown(archiveVersion(filepath.Join(home, "build", "artifacts"), "kafka"))
	m.ZooKeeper = orUnknown(archiveVersion(filepath.Join(home, "build", "artifacts"), "zookeeper"))
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Lines are the machine's details for the head of the table.
func (m Machine) Lines() []string {
	mem := "unknown"
	if m.MemoryBytes > 0 {
		mem = fmt.Sprintf("%.1f GiB", float64(m.MemoryBytes)/(1<<30))
	}
	return []string{
		fmt.Sprintf("machine: %d cores, %s memory, %s", m.Cores, mem, m.CPUModel),
		fmt.Sprintf("versions: Go %s, Fabric %s, Kafka %s, ZooKeeper %s", strings.TrimPrefix(m.Go, "go"), m.Fabric, m.Kafka, m.ZooKeeper),
		fmt.Sprintf("load average at start: %s (1, 5, 15 min)", m.LoadAverage),
	}
}

// CPUModel is the first "model name" of /proc/cpuinfo.
func CPUModel(cpuinfo string) string {
	for _, l := range strings.Split(cpuinfo, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// MemTotal is /proc/meminfo's MemTotal in bytes (0 if absent).
func MemTotal(meminfo string) uint64 {
	for _, l := range strings.Split(meminfo, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// LoadAverage is the three averages of /proc/loadavg.
func LoadAverage(loadavg string) string {
	f := strings.Fields(loadavg)
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

var (
	fabricPinComment = regexp.MustCompile(`(?m)^//.*\bFabric (v\d+\.\d+\.\d+)\b`)
	fabricRequire    = regexp.MustCompile(`(?m)^require github\.com/hyperledger/fabric (\S+)`)
)

// FabricVersion is the Fabric release tools/fabric/go.mod builds: the
// release its comment names (the module pins a commit, whose
// pseudo-version does not say it), else the required version.
func FabricVersion(gomod string) string {
	if m := fabricPinComment.FindStringSubmatch(gomod); m != nil {
		return m[1]
	}
	if m := fabricRequire.FindStringSubmatch(gomod); m != nil {
		return m[1]
	}
	return ""
}

// archiveVersion is the version in dir's <name>-<version>.tar.gz (make
// artifacts packs them so).
func archiveVersion(dir, name string) string {
	m, _ := filepath.Glob(filepath.Join(dir, name+"-*.tar.gz"))
	if len(m) == 0 {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m[len(m)-1]), name+"-"), ".tar.gz")
}
