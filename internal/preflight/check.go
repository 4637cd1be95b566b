package preflight

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/fabrun/fabrun/internal/inventory"
)

// Input is what Check looks at.
type Input struct {
	// Home is the repository root (build/, modules/, roles/).
	Home string
	// Inventory has role defaults and extra vars loaded.
	Inventory *inventory.Inventory
	// Topology and Problems are Inventory.Topology()'s results.
	Topology *inventory.Topology
	Problems []error
	// AnsiblePlaybook is the ansible-playbook found ("" when none was).
	AnsiblePlaybook string
	// SkipFiles leaves out the checks for built tools and artifacts.
	SkipFiles bool
}

// Check runs every rule.
func Check(in Input) *Report {
	r := &Report{}
	r.Add(CheckTopology(in.Problems)...)
	if !in.SkipFiles {
		r.Add(CheckFiles(in.Home, in.AnsiblePlaybook)...)
	}
	if in.Topology != nil {
		r.Add(CheckZooKeeper(in.Topology)...)
		if in.Inventory != nil {
			settings, errs := Effective(in.Inventory, in.Topology)
			r.Add(settingFindings(errs)...)
			r.Settings = settings
			r.Add(CheckKafka(in.Topology, settings)...)
		}
		if len(in.Topology.Brokers) > 0 {
			r.Add(KafkaDeprecation())
		}
	}
	r.Sort()
	return r
}

// CheckFiles checks the controller has what a deploy copies or runs:
// ansible-playbook, the Fabric binaries, the Kafka and ZooKeeper archives
// and every binary module.
func CheckFiles(home, ansiblePlaybook string) []Finding {
	var out []Finding
	missing := func(what, path, fix string) {
		out = append(out, Finding{Level: Error, Rule: "files",
			Message: fmt.Sprintf("%s is missing (%s)", what, path), Advice: "run `" + fix + "`"})
	}
	if ansiblePlaybook == "" {
		missing("ansible-playbook", filepath.Join(home, "build", "venv", "bin", "ansible-playbook"), "make venv")
	} else if _, err := os.Stat(ansiblePlaybook); err != nil {
		missing("ansible-playbook", ansiblePlaybook, "make venv")
	}
	for _, bin := range []string{"peer", "orderer"} {
		p := filepath.Join(home, "build", "fabric", "bin", bin)
		if !isFile(p) {
			missing("the Fabric "+bin+" binary", p, "make fabric")
		}
	}
	for _, pat := range []string{"kafka*.tar.gz", "zookeeper*.tar.gz"} {
		p := filepath.Join(home, "build", "artifacts", pat)
		if m, _ := filepath.Glob(p); len(m) == 0 {
			missing("the "+pat[:len(pat)-len("*.tar.gz")]+" archive", p, "make artifacts")
		}
	}
	for _, name := range ModuleNames(home) {
		p := filepath.Join(home, "plugins", "modules", name)
		if !isFile(p) {
			missing("module "+name, p, "make modules")
		}
	}
	return out
}

// ModuleNames lists the binary modules the repository defines (modules/fabric_*).
func ModuleNames(home string) []string {
	entries, err := os.ReadDir(filepath.Join(home, "modules"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// settingFindings merges identical setting errors of several hosts.
func settingFindings(errs []SettingError) []Finding {
	var out []Finding
	idx := map[string]int{}
	for _, e := range errs {
		msg := e.Err.Error()
		i, ok := idx[msg]
		if !ok {
			i = len(out)
			idx[msg] = i
			out = append(out, Finding{Level: Error, Rule: "settings", Message: msg})
		}
		if e.Host != "" {
			out[i].Hosts = append(out[i].Hosts, e.Host)
		}
	}
	return out
}
