package tests

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestRenderEveryInventory: playbooks/render.yml renders every inventory
// shipped in inventory/ (read at test time) into a temp dir, contacting no
// host: each host gets the config files and service definitions of its
// groups, the controller its crypto-config.yaml and configtx.yaml.
func TestRenderEveryInventory(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	dirs, err := os.ReadDir(filepath.Join(root, "inventory"))
	if err != nil {
		t.Fatal(err)
	}
	// What a host of each group gets, as paths ending the rendered files.
	want := map[string][]string{
		"zookeeper": {"/etc/zookeeper/zoo.cfg", "/data/zookeeper/myid"},
		"kafka":     {"/etc/kafka/server.properties"},
		"orderer":   {"/orderer/etc/orderer.yaml"},
		"peer":      {"/peer/etc/core.yaml"},
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	if len(names) < 2 {
		t.Fatalf("inventories found: %v, want at least local and production", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			inventory := filepath.Join(root, "inventory", name)
			inv := kafkaListInventory(t, inventory)
			out, _ := productionRender(t, inventory)
			for _, f := range []string{"crypto-config.yaml", "configtx.yaml"} {
				mustExist(t, filepath.Join(out, "controller", f), "render.yml")
			}
			peers := map[string]bool{}
			for _, org := range inv.children["peer"] {
				for _, h := range inv.groups[org] {
					peers[h] = true
				}
			}
			for host := range inv.hostvars {
				files := renderedFiles(t, filepath.Join(out, host))
				var services int
				for group, suffixes := range want {
					member := contains(inv.groups[group], host) || group == "peer" && peers[host]
					if !member {
						continue
					}
					services++
					for _, s := range suffixes {
						if !hasSuffix(files, s) {
							t.Errorf("%s (%s): no file ending in %s among %v", host, group, s, files)
						}
					}
				}
				units := 0
				for _, f := range files {
					if strings.Contains(f, "/etc/supervisor/programs/") || strings.Contains(f, "/etc/systemd/system/") {
						units++
					}
				}
				if units != services {
					t.Errorf("%s: %d service definitions rendered, want %d (one per node type):\n%v", host, units, services, files)
				}
			}
		})
	}
}

// renderedFiles lists the files under dir, as paths from dir with a leading /.
func renderedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	sort.Strings(out)
	return out
}

func hasSuffix(files []string, suffix string) bool {
	for _, f := range files {
		if strings.HasSuffix(f, suffix) {
			return true
		}
	}
	return false
}
