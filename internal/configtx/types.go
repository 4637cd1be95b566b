// Package configtx is fabrun's configtxgen: it reads the sections of a
// configtx.yaml (inline or from a file), validates them strictly, and
// produces the three channel artifacts configtxgen makes — a genesis block,
// a channel creation transaction and an anchor peer update — encoded exactly
// as configtxgen v2.5 encodes them.
//
// The configuration tree is assembled here the way Fabric's
// internal/configtxgen/encoder does it (same groups, values, mod_policies and
// versions); github.com/hyperledger/fabric-config supplies the pieces Fabric
// itself shares with it: policy parsing (its policydsl), the read/write-set
// computation of config updates, unsigned CONFIG_UPDATE envelopes and the
// protolator JSON decoding used for comparisons and diffs. fabric-config's own
// high-level constructors (NewSystemChannelGenesisBlock, ...) are not used:
// they omit the channel-level OrdererAddresses value, insist on per-org
// OrdererEndpoints, re-encode certificates and always emit all four NodeOU
// identifiers, so their output is not what configtxgen produces from the same
// configtx.yaml.
package configtx

import "time"

// TopLevel is a whole configtx.yaml. Only Profiles are used to generate
// artifacts; the other sections exist to be referenced (YAML anchors) from
// profiles, and Organizations can also be referenced by name.
type TopLevel struct {
	Profiles      map[string]*Profile        `yaml:"Profiles"`
	Organizations []*Organization            `yaml:"Organizations"`
	Channel       *Profile                   `yaml:"Channel"`
	Application   *Application               `yaml:"Application"`
	Orderer       *Orderer                   `yaml:"Orderer"`
	Capabilities  map[string]map[string]bool `yaml:"Capabilities"`
}

// Profile is one named combination of orderer, consortium and application
// settings.
type Profile struct {
	Consortium   string                 `yaml:"Consortium"`
	Application  *Application           `yaml:"Application"`
	Orderer      *Orderer               `yaml:"Orderer"`
	Consortiums  map[string]*Consortium `yaml:"Consortiums"`
	Capabilities map[string]bool        `yaml:"Capabilities"`
	Policies     map[string]*Policy     `yaml:"Policies"`
}

// Policy is a channel config policy: Type Signature (a policydsl rule such
// as "OR('Org1MSP.admin')") or ImplicitMeta ("ANY Readers").
type Policy struct {
	Type string `yaml:"Type"`
	Rule string `yaml:"Rule"`
}

// Consortium is a set of organizations that may create channels together.
type Consortium struct {
	Organizations []*Organization `yaml:"Organizations"`
}

// Application is the application (peer) side of a channel.
type Application struct {
	Organizations []*Organization    `yaml:"Organizations"`
	Capabilities  map[string]bool    `yaml:"Capabilities"`
	Policies      map[string]*Policy `yaml:"Policies"`
	ACLs          map[string]string  `yaml:"ACLs"`
}

// Organization is one MSP-backed member.
type Organization struct {
	Name             string             `yaml:"Name"`
	ID               string             `yaml:"ID"`
	MSPDir           string             `yaml:"MSPDir"`
	MSPType          string             `yaml:"MSPType"`
	Policies         map[string]*Policy `yaml:"Policies"`
	AnchorPeers      []*AnchorPeer      `yaml:"AnchorPeers"`
	OrdererEndpoints []string           `yaml:"OrdererEndpoints"`
	// AdminPrincipal is deprecated in Fabric and ignored (policies are explicit).
	AdminPrincipal string `yaml:"AdminPrincipal"`
	// SkipAsForeign is accepted for compatibility but must not be true:
	// every org must be local to build a genesis block or a channel tx.
	SkipAsForeign bool `yaml:"SkipAsForeign"`

	// ref is set when a profile names a top-level organization by a plain
	// string instead of a YAML alias; resolved after decoding.
	ref string
}

// AnchorPeer is a gossip anchor peer endpoint.
type AnchorPeer struct {
	Host string `yaml:"Host"`
	Port int    `yaml:"Port"`
}

// Orderer is the ordering service part of a channel.
type Orderer struct {
	OrdererType   string             `yaml:"OrdererType"`
	Addresses     []string           `yaml:"Addresses"`
	BatchTimeout  time.Duration      `yaml:"BatchTimeout"`
	BatchSize     BatchSize          `yaml:"BatchSize"`
	Kafka         Kafka              `yaml:"Kafka"`
	EtcdRaft      *EtcdRaft          `yaml:"EtcdRaft"`
	Organizations []*Organization    `yaml:"Organizations"`
	MaxChannels   uint64             `yaml:"MaxChannels"`
	Capabilities  map[string]bool    `yaml:"Capabilities"`
	Policies      map[string]*Policy `yaml:"Policies"`
}

// BatchSize bounds the blocks the orderer cuts. Byte sizes accept units
// ("98 MB", "512 KB") as configtxgen does.
type BatchSize struct {
	MaxMessageCount   uint32 `yaml:"MaxMessageCount"`
	AbsoluteMaxBytes  uint32 `yaml:"AbsoluteMaxBytes"`
	PreferredMaxBytes uint32 `yaml:"PreferredMaxBytes"`
}

// Kafka lists the bootstrap brokers of a kafka ordering service.
type Kafka struct {
	Brokers []string `yaml:"Brokers"`
}

// EtcdRaft is the consenter set and options of an etcdraft ordering service.
type EtcdRaft struct {
	Consenters []*Consenter     `yaml:"Consenters"`
	Options    *EtcdRaftOptions `yaml:"Options"`
}

// Consenter is one raft node; the certificates are file paths.
type Consenter struct {
	Host          string `yaml:"Host"`
	Port          uint32 `yaml:"Port"`
	ClientTLSCert string `yaml:"ClientTLSCert"`
	ServerTLSCert string `yaml:"ServerTLSCert"`
}

// EtcdRaftOptions are the raft tuning knobs.
type EtcdRaftOptions struct {
	TickInterval         string `yaml:"TickInterval"`
	ElectionTick         uint32 `yaml:"ElectionTick"`
	HeartbeatTick        uint32 `yaml:"HeartbeatTick"`
	MaxInflightBlocks    uint32 `yaml:"MaxInflightBlocks"`
	SnapshotIntervalSize uint32 `yaml:"SnapshotIntervalSize"`
}
