package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupNeedsCleanKafkaShutdown runs playbooks/backup.yml on the local
// inventory's hosts with their data in a temporary directory and no service
// running (backup_restart=false): a broker whose log directory lacks Kafka's
// clean-shutdown marker (it was killed, so its logs may not be flushed) gets
// no archive and fails the run, naming the host; the hosts whose brokers
// shut down cleanly are archived.
func TestBackupNeedsCleanKafkaShutdown(t *testing.T) {
	tier(t, "module")
	home := t.TempDir()
	dirs := map[string][]string{
		"server214": {"data/kafka"},
		"server215": {"data/kafka", "data/orderer", "data/zookeeper"},
		"server216": {"data/kafka", "data/orderer", "data/zookeeper"},
	}
	for host, ds := range dirs {
		for _, d := range ds {
			if err := os.MkdirAll(filepath.Join(home, host, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if host != "server214" {
			if err := os.WriteFile(filepath.Join(home, host, "data/kafka/.kafka_cleanshutdown"), []byte(`{"version":0,"brokerEpoch":-1}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	r, _ := ansibleTimedPlaybook(t, "-i", "inventory/local/hosts.yml", "playbooks/backup.yml",
		"-e", "fabrun_home="+home+"/{{ inventory_hostname }}", "-e", "fabrun_workdir="+home+"/controller",
		"-e", "backup_restart=false")
	if r.Err == nil {
		t.Fatalf("backup.yml archived a broker that did not shut down cleanly:\n%s", tail(r.Stdout, 40))
	}
	flat := strings.Join(strings.Fields(r.Stdout+r.Stderr), " ")
	if want := "server214: Kafka did not shut down cleanly (no " + home + "/server214/data/kafka/.kafka_cleanshutdown)"; !strings.Contains(flat, want) {
		t.Errorf("the failure lacks %q:\n%s", want, tail(r.Stdout, 40))
	}
	for host := range dirs {
		archive := filepath.Join(home, host, "backup", "ordering.tar.gz")
		_, err := os.Stat(archive)
		if archived := err == nil; archived != (host != "server214") {
			t.Errorf("%s archived: %v, want %v", host, archived, host != "server214")
		}
		if partial, _ := filepath.Glob(archive + ".partial"); len(partial) > 0 {
			t.Errorf("a partial archive is left: %v", partial)
		}
	}
}
