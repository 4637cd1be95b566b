package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestInventoryFixtures: the unit tests of internal/inventory, preflight and
// the runner read recorded `ansible-inventory --list` outputs of the shipped
// inventories instead of running Ansible; this keeps each recording equal to
// what ansible-inventory prints for the inventory today. With
// FABRUN_UPDATE_FIXTURES=1 it rewrites them.
func TestInventoryFixtures(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	for _, name := range []string{"local", "production"} {
		t.Run(name, func(t *testing.T) {
			fixture := filepath.Join(root, "internal", "inventory", "testdata", name+".json")
			r := MustRun(t, root, AnsibleEnv(t), VenvBin(t, "ansible-inventory"), "-i", filepath.Join("inventory", name), "--list")
			var live, recorded any
			if err := json.Unmarshal([]byte(r.Stdout), &live); err != nil {
				t.Fatalf("ansible-inventory --list: %v", err)
			}
			if os.Getenv("FABRUN_UPDATE_FIXTURES") == "1" {
				b, _ := json.MarshalIndent(live, "", "    ")
				if err := os.WriteFile(fixture, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err := json.Unmarshal(mustRead(t, fixture), &recorded); err != nil {
				t.Fatalf("%s: %v", fixture, err)
			}
			if !reflect.DeepEqual(live, recorded) {
				t.Errorf("%s is stale: inventory/%s changed since it was recorded; rerun this test with FABRUN_UPDATE_FIXTURES=1 and commit the result", fixture, name)
			}
		})
	}
}
