package configtx

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/golang/protobuf/ptypes/timestamp"
	fconfig "github.com/hyperledger/fabric-config/configtx"
	cb "github.com/hyperledger/fabric-protos-go/common"
)

// Kind is which artifact to produce.
type Kind string

const (
	// GenesisBlock is configtxgen -outputBlock.
	GenesisBlock Kind = "genesis_block"
	// ChannelTx is configtxgen -outputCreateChannelTx.
	ChannelTx Kind = "channel_tx"
	// AnchorTx is configtxgen -outputAnchorPeersUpdate -asOrg.
	AnchorTx Kind = "anchor_tx"
)

// Kinds lists the valid kinds.
var Kinds = []Kind{GenesisBlock, ChannelTx, AnchorTx}

// Request says what to generate.
type Request struct {
	Kind      Kind
	Profile   string
	ChannelID string
	// Org is the organization (its Name in the profile's Application
	// section) whose anchor peers an AnchorTx sets.
	Org string
	// Now is the header timestamp; zero means time.Now().
	Now time.Time
}

// Artifact is a generated, encoded artifact.
type Artifact struct {
	Kind      Kind
	ChannelID string
	Bytes     []byte
	Summary   Summary
	Warnings  []string
}

// Summary describes an artifact's configuration in a few fields.
type Summary struct {
	OrdererType      string              `json:"orderer_type,omitempty"`
	OrdererAddresses []string            `json:"orderer_addresses,omitempty"`
	Brokers          []string            `json:"brokers,omitempty"`
	Consenters       []string            `json:"consenters,omitempty"`
	OrdererOrgs      []string            `json:"orderer_orgs,omitempty"`
	Consortium       string              `json:"consortium,omitempty"`
	Consortiums      map[string][]string `json:"consortiums,omitempty"`
	Orgs             []string            `json:"orgs,omitempty"`
	Capabilities     map[string][]string `json:"capabilities,omitempty"`
	AnchorPeers      []string            `json:"anchor_peers,omitempty"`
}

// Generate builds the requested artifact from a loaded configuration.
func Generate(t *TopLevel, baseDir string, req Request) (*Artifact, error) {
	if err := CheckChannelID(req.ChannelID); err != nil {
		return nil, err
	}
	p, err := t.Profile(req.Profile, baseDir)
	if err != nil {
		return nil, err
	}
	path := "Profiles." + req.Profile
	e := newEncoder()
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	var out []byte
	switch req.Kind {
	case GenesisBlock:
		if p.Orderer == nil {
			return nil, fieldErr(path+".Orderer", "a genesis block needs an Orderer section in the profile")
		}
		if p.Consortiums == nil && p.Application == nil {
			return nil, fieldErr(path, "a genesis block needs Consortiums (system channel) or Application (application channel)")
		}
		cg, err := e.channelGroup(path, p)
		if err != nil {
			return nil, err
		}
		block, err := genesisBlock(cg, req.ChannelID, now)
		if err != nil {
			return nil, err
		}
		out, err = marshal(block)
		if err != nil {
			return nil, err
		}
	case ChannelTx:
		env, err := e.channelCreateTx(path, p, req.ChannelID, now)
		if err != nil {
			return nil, err
		}
		if out, err = marshal(env); err != nil {
			return nil, err
		}
	case AnchorTx:
		env, err := e.anchorPeersTx(path, p, req.ChannelID, req.Org, now)
		if err != nil {
			return nil, err
		}
		if out, err = marshal(env); err != nil {
			return nil, err
		}
	default:
		return nil, fieldErr("kind", "unknown kind %q (genesis_block, channel_tx or anchor_tx)", req.Kind)
	}
	return &Artifact{Kind: req.Kind, ChannelID: req.ChannelID, Bytes: out, Summary: summarize(p, req), Warnings: e.warnings}, nil
}

func channelHeader(typ cb.HeaderType, version int32, channelID string, now time.Time) *cb.ChannelHeader {
	return &cb.ChannelHeader{
		Type:      int32(typ),
		Version:   version,
		Timestamp: &timestamp.Timestamp{Seconds: now.Unix()},
		ChannelId: channelID,
		Epoch:     0,
	}
}

// genesisBlock is Fabric's genesis.Factory Block: one unsigned CONFIG
// envelope with a random nonce, block number 0, LAST_CONFIG and SIGNATURES
// metadata pointing at block 0.
func genesisBlock(cg *cb.ConfigGroup, channelID string, now time.Time) (*cb.Block, error) {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("cannot create a nonce: %v", err)
	}
	chdr := channelHeader(cb.HeaderType_CONFIG, 1, channelID, now)
	shdr := &cb.SignatureHeader{Creator: nil, Nonce: nonce}
	txid := sha256.Sum256(nonce)
	chdr.TxId = hex.EncodeToString(txid[:])
	payload := &cb.Payload{
		Header: &cb.Header{ChannelHeader: mustMarshal(chdr), SignatureHeader: mustMarshal(shdr)},
		Data:   mustMarshal(&cb.ConfigEnvelope{Config: &cb.Config{ChannelGroup: cg}}),
	}
	env := &cb.Envelope{Payload: mustMarshal(payload)}
	data := mustMarshal(env)
	metadata := make([][]byte, len(cb.BlockMetadataIndex_name))
	for i := range metadata {
		metadata[i] = []byte{}
	}
	metadata[cb.BlockMetadataIndex_LAST_CONFIG] = mustMarshal(&cb.Metadata{Value: mustMarshal(&cb.LastConfig{Index: 0})})
	metadata[cb.BlockMetadataIndex_SIGNATURES] = mustMarshal(&cb.Metadata{Value: mustMarshal(&cb.OrdererBlockMetadata{LastConfig: &cb.LastConfig{Index: 0}})})
	hash := sha256.Sum256(data)
	return &cb.Block{
		Header:   &cb.BlockHeader{Number: 0, PreviousHash: nil, DataHash: hash[:]},
		Data:     &cb.BlockData{Data: [][]byte{data}},
		Metadata: &cb.BlockMetadata{Metadata: metadata},
	}, nil
}

// computeUpdate is configtxlator's update computation, done by fabric-config.
func computeUpdate(original, updated *cb.ConfigGroup, channelID string) (*cb.ConfigUpdate, error) {
	c := fconfig.New(&cb.Config{ChannelGroup: original})
	c.UpdatedConfig().ChannelGroup = updated
	b, err := c.ComputeMarshaledUpdate(channelID)
	if err != nil {
		return nil, err
	}
	u := &cb.ConfigUpdate{}
	if err := proto.Unmarshal(b, u); err != nil {
		return nil, err
	}
	return u, nil
}

// updateEnvelope wraps a config update in an unsigned CONFIG_UPDATE envelope,
// as configtxgen does when it has no signer.
func updateEnvelope(u *cb.ConfigUpdate, now time.Time) (*cb.Envelope, error) {
	b, err := marshal(u)
	if err != nil {
		return nil, err
	}
	env, err := fconfig.NewEnvelope(b)
	if err != nil {
		return nil, err
	}
	// fabric-config stamps the current time; use the requested one.
	payload := &cb.Payload{}
	if err := proto.Unmarshal(env.Payload, payload); err != nil {
		return nil, err
	}
	payload.Header.ChannelHeader = mustMarshal(channelHeader(cb.HeaderType_CONFIG_UPDATE, 0, u.ChannelId, now))
	env.Payload = mustMarshal(payload)
	return env, nil
}

// channelCreateTx is configtxgen's MakeChannelCreationTransaction (no system
// channel context): the update from the default template (the profile with
// the Application group's values and policies removed) to the profile.
func (e *encoder) channelCreateTx(path string, p *Profile, channelID string, now time.Time) (*cb.Envelope, error) {
	if p.Application == nil {
		return nil, fieldErr(path+".Application", "a channel creation transaction needs an Application section in the profile")
	}
	if p.Consortium == "" {
		return nil, fieldErr(path+".Consortium", "a channel creation transaction needs the Consortium the channel belongs to")
	}
	template, err := e.channelGroup(path, p)
	if err != nil {
		return nil, err
	}
	template.Groups[applicationGroup].Values = nil
	template.Groups[applicationGroup].Policies = nil
	// Built twice, like configtxgen, so the two trees share nothing.
	updated, err := e.channelGroup(path, p)
	if err != nil {
		return nil, err
	}
	u, err := computeUpdate(template, updated, channelID)
	if err != nil {
		return nil, fmt.Errorf("could not compute the channel creation update: %v", err)
	}
	// The update went through its wire form, which leaves empty maps nil.
	if u.ReadSet.Values == nil {
		u.ReadSet.Values = map[string]*cb.ConfigValue{}
	}
	if u.WriteSet.Values == nil {
		u.WriteSet.Values = map[string]*cb.ConfigValue{}
	}
	u.ReadSet.Values[fconfig.ConsortiumKey] = &cb.ConfigValue{Version: 0}
	u.WriteSet.Values[fconfig.ConsortiumKey] = &cb.ConfigValue{Version: 0, Value: mustMarshal(&cb.Consortium{Name: p.Consortium})}
	return updateEnvelope(u, now)
}

// anchorPeersTx is configtxgen's -outputAnchorPeersUpdate: the update that
// adds org's AnchorPeers to a channel freshly created from the profile
// (valid as the first anchor peer update of that channel only).
func (e *encoder) anchorPeersTx(path string, p *Profile, channelID, org string, now time.Time) (*cb.Envelope, error) {
	if org == "" {
		return nil, fieldErr("org", "missing: name the organization whose anchor peers to set")
	}
	if p.Application == nil {
		return nil, fieldErr(path+".Application", "an anchor peer update needs an Application section in the profile")
	}
	original, err := e.channelGroup(path, p)
	if err != nil {
		return nil, err
	}
	original.Groups[applicationGroup].Version = 1
	updated := proto.Clone(original).(*cb.ConfigGroup)
	og, ok := original.Groups[applicationGroup].Groups[org]
	if !ok {
		return nil, fieldErr("org", "organization %q is not in %s.Application.Organizations (it has: %v)", org, path, orgNames(p.Application.Organizations))
	}
	if _, ok := og.Values[fconfig.AnchorPeersKey]; !ok {
		return nil, fieldErr("org", "organization %q defines no AnchorPeers", org)
	}
	delete(og.Values, fconfig.AnchorPeersKey)
	u, err := computeUpdate(original, updated, channelID)
	if err != nil {
		return nil, fmt.Errorf("could not compute the anchor peer update: %v", err)
	}
	return updateEnvelope(u, now)
}

func capList(m map[string]bool) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] {
			out = append(out, k)
		}
	}
	return out
}

func summarize(p *Profile, req Request) Summary {
	s := Summary{Consortium: p.Consortium, Capabilities: map[string][]string{}}
	if c := capList(p.Capabilities); len(c) > 0 {
		s.Capabilities["channel"] = c
	}
	if o := p.Orderer; o != nil {
		s.OrdererType = o.OrdererType
		s.OrdererAddresses = o.Addresses
		s.OrdererOrgs = orgNames(o.Organizations)
		if o.OrdererType == TypeKafka {
			s.Brokers = o.Kafka.Brokers
		}
		if o.OrdererType == TypeEtcdRaft && o.EtcdRaft != nil {
			for _, c := range o.EtcdRaft.Consenters {
				s.Consenters = append(s.Consenters, fmt.Sprintf("%s:%d", c.Host, c.Port))
			}
		}
		if c := capList(o.Capabilities); len(c) > 0 {
			s.Capabilities["orderer"] = c
		}
	}
	if a := p.Application; a != nil {
		s.Orgs = orgNames(a.Organizations)
		if c := capList(a.Capabilities); len(c) > 0 {
			s.Capabilities["application"] = c
		}
		if req.Kind == AnchorTx {
			for _, o := range a.Organizations {
				if o.Name == req.Org {
					for _, ap := range o.AnchorPeers {
						s.AnchorPeers = append(s.AnchorPeers, fmt.Sprintf("%s:%d", ap.Host, ap.Port))
					}
				}
			}
		}
	}
	if len(p.Consortiums) > 0 {
		s.Consortiums = map[string][]string{}
		seen := map[string]bool{}
		for _, name := range slices.Sorted(maps.Keys(p.Consortiums)) {
			var orgs []string
			if c := p.Consortiums[name]; c != nil {
				orgs = orgNames(c.Organizations)
			}
			s.Consortiums[name] = orgs
			if p.Application == nil {
				for _, o := range orgs {
					if !seen[o] {
						seen[o] = true
						s.Orgs = append(s.Orgs, o)
					}
				}
			}
		}
	}
	if len(s.Capabilities) == 0 {
		s.Capabilities = nil
	}
	return s
}
