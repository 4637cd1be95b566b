package preflight

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Input is what the preflight play gathers, every value as Ansible resolved
// it for its host (inventory, group and host vars, role defaults, extra
// vars): the fabric_preflight module's arguments. Values a user sets are
// kept raw (any) so a wrong type is reported naming the variable and the
// host instead of failing to decode.
type Input struct {
	Hosts   []HostFacts  `json:"hosts"`
	Groups  []GroupFacts `json:"groups"`
	Network NetworkFacts `json:"network"`
}

// GroupFacts is one inventory group and its hosts (Ansible's `groups`).
type GroupFacts struct {
	Name  string   `json:"name"`
	Hosts []string `json:"hosts"`
}

// HostFacts is one inventory host.
type HostFacts struct {
	Name string `json:"name"`
	// Groups is Ansible's group_names (neither "all" nor "ungrouped").
	Groups []string `json:"groups"`
	// Address is ansible_host (the name when unset).
	Address any `json:"address"`
	// Ports are the addresses and ports the host's services bind.
	Ports     []PortFacts     `json:"ports"`
	ZooKeeper *ZooKeeperFacts `json:"zookeeper,omitempty"`
	Kafka     *KafkaFacts     `json:"kafka,omitempty"`
	Orderer   *OrdererFacts   `json:"orderer,omitempty"`
	Peer      *PeerFacts      `json:"peer,omitempty"`
}

// PortFacts is one listening socket.
type PortFacts struct {
	Service string `json:"service"`
	Address any    `json:"address"`
	Port    any    `json:"port"`
}

// ZooKeeperFacts are a ZooKeeper member's settings.
type ZooKeeperFacts struct {
	ID         any `json:"zookeeper_id"`
	ClientPort any `json:"zookeeper_client_port"`
}

// KafkaFacts are a broker's server.properties settings.
type KafkaFacts struct {
	BrokerID                    any `json:"kafka_broker_id"`
	Port                        any `json:"kafka_port"`
	ZooKeeperConnect            any `json:"kafka_zookeeper_connect"`
	MinInsyncReplicas           any `json:"kafka_min_insync_replicas"`
	DefaultReplicationFactor    any `json:"kafka_default_replication_factor"`
	MessageMaxBytes             any `json:"kafka_message_max_bytes"`
	ReplicaFetchMaxBytes        any `json:"kafka_replica_fetch_max_bytes"`
	UncleanLeaderElectionEnable any `json:"kafka_unclean_leader_election_enable"`
	LogRetentionMs              any `json:"kafka_log_retention_ms"`
	ExtraProperties             any `json:"kafka_extra_properties"`
	// RenderedProperties are the keys server.properties.j2 writes itself.
	RenderedProperties []string `json:"rendered_properties"`
	// UnknownVariables are kafka_* variables defined for the host that the
	// kafka role does not read: they would never reach the broker.
	UnknownVariables []string `json:"unknown_variables"`
}

// OrdererFacts are an orderer's settings.
type OrdererFacts struct {
	Name                   any `json:"orderer_name"`
	Port                   any `json:"fabric_orderer_port"`
	OperationsPort         any `json:"fabric_orderer_operations_port"`
	KafkaReplicationFactor any `json:"orderer_kafka_replication_factor"`
}

// PeerFacts are a peer's settings and its org's.
type PeerFacts struct {
	Name           any    `json:"peer_name"`
	OrgGroup       string `json:"org_group"`
	OrgName        any    `json:"org_name"`
	MSPID          any    `json:"org_msp_id"`
	Domain         any    `json:"org_domain"`
	Port           any    `json:"fabric_peer_port"`
	OperationsPort any    `json:"fabric_peer_operations_port"`
	// ReconnectBackoff is peer.deliveryclient.reConnectBackoffThreshold.
	ReconnectBackoff any `json:"peer_deliveryclient_reconnect_backoff_threshold"`
}

// NetworkFacts are the network-wide settings, as the controller's plays
// (artifacts, channel, chaincode) resolve them.
type NetworkFacts struct {
	Channel           any `json:"fabric_channel"`
	SystemChannel     any `json:"artifacts_system_channel"`
	Domain            any `json:"fabric_domain"`
	OrdererMSPID      any `json:"fabric_orderer_msp_id"`
	Workdir           any `json:"fabrun_workdir"`
	OrdererType       any `json:"artifacts_orderer_type"`
	BatchTimeout      any `json:"artifacts_batch_timeout"`
	MaxMessageCount   any `json:"artifacts_max_message_count"`
	AbsoluteMaxBytes  any `json:"artifacts_absolute_max_bytes"`
	PreferredMaxBytes any `json:"artifacts_preferred_max_bytes"`
	ChaincodeName     any `json:"chaincode_name"`
	ChaincodeVersion  any `json:"chaincode_version"`
	ChaincodePolicy   any `json:"chaincode_policy"`
	// TLSClientAuth: peers and orderers require client certificates.
	TLSClientAuth any `json:"fabric_tls_client_auth"`
	// CryptoDir and ChannelDir are where the artifacts phase keeps crypto
	// material and genesis.block on the controller.
	CryptoDir  any `json:"artifacts_crypto_dir"`
	ChannelDir any `json:"artifacts_channel_dir"`
	// ArtifactsRequired: the playbook run uses existing artifacts instead
	// of making them (a node phase run on its own), so they must exist.
	ArtifactsRequired any `json:"preflight_artifacts_required"`
}

// DecodeInput reads the module's arguments (or a recorded input).
func DecodeInput(data []byte) (*Input, error) {
	var in Input
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("preflight input: %v", err)
	}
	return &in, nil
}

// isUnset is true for a value the play passed as undefined (null or "").
func isUnset(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && strings.TrimSpace(s) == ""
}

// text is a scalar as a string ("" for null).
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return fmt.Sprint(t)
	}
}

// integer reads a whole number the way Ansible's `| int` accepts one: a
// JSON number or a decimal string. Booleans and fractions are not numbers.
func integer(v any) (int64, error) {
	switch t := v.(type) {
	case float64:
		if t != math.Trunc(t) || math.Abs(t) > 1<<62 {
			return 0, fmt.Errorf("%v is not a whole number", t)
		}
		return int64(t), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", t)
		}
		return n, nil
	case nil:
		return 0, fmt.Errorf("is not set")
	default:
		return 0, fmt.Errorf("%v (%T) is not a whole number", v, v)
	}
}
