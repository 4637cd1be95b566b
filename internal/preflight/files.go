package preflight

// The controller's own prerequisites (ansible-playbook, the built tools
// and modules) are checked by the runner before it can run the preflight
// play at all; they are not inventory rules.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

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
	return append(out, checkModules(home, "make modules")...)
}

// CheckCollectionFiles checks an installed collection run: ansible-playbook
// on PATH and every binary module in the collection.
func CheckCollectionFiles(home, ansiblePlaybook string) []Finding {
	var out []Finding
	if ansiblePlaybook == "" {
		out = append(out, Finding{Level: Error, Rule: "files", Message: "ansible-playbook is not on PATH",
			Advice: "install ansible-core (see the collection's meta/runtime.yml)"})
	}
	return append(out, checkModules(home, "reinstall the collection")...)
}

// checkModules reports every documented module whose binary is missing.
func checkModules(home, fix string) []Finding {
	var out []Finding
	for _, name := range ModuleNames(home) {
		p := filepath.Join(home, "plugins", "modules", name)
		if !isFile(p) {
			out = append(out, Finding{Level: Error, Rule: "files",
				Message: fmt.Sprintf("module %s is missing (%s)", name, p), Advice: "run `" + fix + "`"})
		}
	}
	return out
}

// ModuleNames lists the binary modules the collection documents
// (plugins/modules/<name>.yml, tracked next to the built binaries).
func ModuleNames(home string) []string {
	docs, _ := filepath.Glob(filepath.Join(home, "plugins", "modules", "fabric_*.yml"))
	var out []string
	for _, d := range docs {
		out = append(out, strings.TrimSuffix(filepath.Base(d), ".yml"))
	}
	sort.Strings(out)
	return out
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
