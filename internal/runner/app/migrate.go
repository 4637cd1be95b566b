package app

// fabrun migrate, backup and restore: the Kafka-to-Raft migration and the
// ordering service's backup, each a playbook run with progress per play.

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/report"
)

// migratePhase is one playbook of `fabrun migrate`, run in order.
type migratePhase struct {
	Name     string // what it does, for messages
	Playbook string
	Vars     []string // extra vars (key=value) it runs with
	// AfterMigration: it acts on a network that already orders with Raft,
	// so a check run (nothing migrated yet) cannot show it.
	AfterMigration bool
}

// migratePhases is what `fabrun migrate` runs, in order. Every playbook
// detects what is already done, so the whole list is re-run to resume.
// Leaving the system channel (Fabric 3.x has none) needs an etcdraft
// network: it runs as one while the inventory still says kafka.
var migratePhases = []migratePhase{
	{Name: "Kafka to Raft", Playbook: "migrate_raft.yml"},
	{Name: "off the system channel", Playbook: "remove_system_channel.yml",
		Vars: []string{"fabric_orderer_type=etcdraft"}, AfterMigration: true},
}

// migrateAbort undoes a migration that has not left maintenance yet.
var migrateAbort = migratePhase{Name: "abort: back to Kafka", Playbook: "migrate_raft_abort.yml"}

// backupNameRE is what a --name may be: it becomes a file name on every host.
var backupNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func (s *session) migrateCmd() int {
	phases := migratePhases
	if s.o.Abort {
		if !s.o.Yes {
			ok, why := s.confirm(fmt.Sprintf("Stop the orderers, Kafka and ZooKeeper of %s and put back the data of the migration's backup?", s.o.Inventory))
			if !ok {
				return s.fail(report.ExitCancelled, "abort cancelled: %s (--yes answers yes)", strings.Replace(why, "to delete data", "to restore the backup", 1))
			}
		}
		phases = []migratePhase{migrateAbort}
	}
	if !s.preflight() {
		return report.ExitPreflight
	}
	for _, p := range phases {
		if p.AfterMigration && s.o.Check {
			s.println("%s: shown once the migration has run (check mode migrates nothing)", p.Name)
			continue
		}
		start := time.Now()
		if _, ok := s.playbook(p.Playbook, s.o.Check, s.o.Check, append([]string{preflightDone}, p.Vars...)...); !ok {
			s.println("%s stopped after %s; run the same command again to continue from where the network is", p.Name, report.FormatDuration(time.Since(start)))
			return report.ExitDeploy
		}
		s.println("%s: done in %s", p.Name, report.FormatDuration(time.Since(start)))
	}
	if s.o.Abort {
		s.println("the migration was aborted: the orderers run on Kafka again, every channel in normal state, verified")
	} else {
		s.println("every channel orders with Raft (etcdraft) without a system channel, verified; set fabric_orderer_type: etcdraft and remove the zookeeper and kafka groups from the inventory")
	}
	return report.ExitOK
}

func (s *session) backupCmd() int {
	if !backupNameRE.MatchString(s.o.BackupName) {
		return s.fail(report.ExitUsage, "--name %q: lower-case letters, digits, '.', '_' and '-', at most 64", s.o.BackupName)
	}
	if !s.preflight() {
		return report.ExitPreflight
	}
	if _, ok := s.playbook("backup.yml", false, false, preflightDone, "backup_name="+s.o.BackupName); !ok {
		return report.ExitDeploy
	}
	s.println("ordering service backed up as %s.tar.gz on each orderer, broker and ZooKeeper host, and started again", s.o.BackupName)
	return report.ExitOK
}

func (s *session) restoreCmd() int {
	if !backupNameRE.MatchString(s.o.BackupName) {
		return s.fail(report.ExitUsage, "--name %q: lower-case letters, digits, '.', '_' and '-', at most 64", s.o.BackupName)
	}
	if !s.o.Yes {
		ok, why := s.confirm(fmt.Sprintf("Replace the orderers', Kafka's and ZooKeeper's data of %s with the backup %s?", s.o.Inventory, s.o.BackupName))
		if !ok {
			return s.fail(report.ExitCancelled, "restore cancelled: %s", strings.Replace(why, "to delete data", "to restore", 1))
		}
	}
	if !s.preflight() {
		return report.ExitPreflight
	}
	if _, ok := s.playbook("restore.yml", false, false, preflightDone, "backup_name="+s.o.BackupName); !ok {
		return report.ExitDeploy
	}
	s.println("ordering service restored from %s and started again", s.o.BackupName)
	return report.ExitOK
}
