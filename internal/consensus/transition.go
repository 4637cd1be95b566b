// Package consensus is the logic of the fabric_consensus module: a channel's
// ConsensusType (type kafka or etcdraft with its consenter set, state normal
// or maintenance) read from the latest config block, changed by a config
// update signed by the orderer organisation's Admin, and confirmed on every
// orderer. It follows Fabric's Kafka-to-Raft migration procedure
// (docs/source/kafka_raft_migration.md) and refuses, before submitting, the
// transitions Fabric's maintenance filter would refuse.
package consensus

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	ob "github.com/hyperledger/fabric-protos-go/orderer"
)

// Consensus types and states, as the module's options and Fabric name them.
const (
	TypeKafka    = "kafka"
	TypeEtcdRaft = "etcdraft"

	StateNormal      = "normal"
	StateMaintenance = "maintenance"
)

// Setting is a channel's ConsensusType: type, state and the marshalled
// etcdraft metadata (empty for kafka).
type Setting struct {
	Type     string
	State    string
	Metadata []byte
}

func (s Setting) String() string { return s.Type + "/" + s.State }

// settingOf decodes Fabric's ConsensusType value.
func settingOf(ct *ob.ConsensusType) Setting {
	state := StateNormal
	if ct.State == ob.ConsensusType_STATE_MAINTENANCE {
		state = StateMaintenance
	}
	return Setting{Type: ct.Type, State: state, Metadata: ct.Metadata}
}

func (s Setting) proto() *ob.ConsensusType {
	st := ob.ConsensusType_STATE_NORMAL
	if s.State == StateMaintenance {
		st = ob.ConsensusType_STATE_MAINTENANCE
	}
	return &ob.ConsensusType{Type: s.Type, State: st, Metadata: s.Metadata}
}

// CheckTransition refuses what Fabric v2.5's maintenance filter refuses
// (orderer/common/msgprocessor/maintenancefilter.go), with a message that
// says what to do instead. A refused update would otherwise reach the
// orderer and fail there with a less helpful error, or (a wrong consenter
// set) be accepted and leave the channel inactive after the restart.
func CheckTransition(channelID string, cur, want Setting) error {
	if want.Type != TypeKafka && want.Type != TypeEtcdRaft {
		return fmt.Errorf("consensus_type %q is not one fabrun handles (kafka or etcdraft)", want.Type)
	}
	if want.State != StateNormal && want.State != StateMaintenance {
		return fmt.Errorf("consensus_state %q must be normal or maintenance", want.State)
	}
	typeChange := cur.Type != want.Type
	stateChange := cur.State != want.State
	metadataChange := !bytes.Equal(cur.Metadata, want.Metadata)
	switch {
	case typeChange && stateChange && want.State == StateNormal:
		return fmt.Errorf("channel %s: consensus_type cannot change from %s to %s while leaving maintenance (%s -> %s): change the type in maintenance, restart the orderers, then set consensus_state normal on its own",
			channelID, cur.Type, want.Type, cur, want)
	case typeChange && stateChange:
		return fmt.Errorf("channel %s: consensus_type and consensus_state cannot change in one update (%s -> %s): first set consensus_state maintenance, then change consensus_type",
			channelID, cur, want)
	case typeChange && cur.State != StateMaintenance:
		return fmt.Errorf("channel %s: consensus_type can change from %s to %s only in maintenance, and the channel is in state %s: set consensus_state maintenance first",
			channelID, cur.Type, want.Type, cur.State)
	case typeChange && !(cur.Type == TypeKafka && want.Type == TypeEtcdRaft):
		return fmt.Errorf("channel %s: changing consensus_type from %s to %s is not supported by Fabric (only kafka to etcdraft); to go back to Kafka before leaving maintenance, restore the backup (fabrun migrate --abort)",
			channelID, cur.Type, want.Type)
	case stateChange && metadataChange:
		return fmt.Errorf("channel %s: consensus_state cannot change together with the consenter set (%s -> %s): change one, then the other",
			channelID, cur, want)
	case !typeChange && want.Type == TypeKafka && metadataChange:
		return fmt.Errorf("channel %s: kafka takes no consenters", channelID)
	}
	return nil
}

// capabilityAtLeast reports whether one of the capability names (V1_4_2,
// V2_0, ...) is at least min.
func capabilityAtLeast(names []string, min string) bool {
	for _, n := range names {
		if compareVersions(n, min) >= 0 {
			return true
		}
	}
	return false
}

// compareVersions compares capability names like V1_4_2 and V2_0.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionParts(v string) []int {
	var out []int
	for _, p := range strings.Split(strings.TrimPrefix(v, "V"), "_") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return []int{-1}
		}
		out = append(out, n)
	}
	return out
}
