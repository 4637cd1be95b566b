package configtx

import (
	"fmt"
	"maps"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/golang/protobuf/proto"
	fconfig "github.com/hyperledger/fabric-config/configtx"
	cb "github.com/hyperledger/fabric-protos-go/common"
	mb "github.com/hyperledger/fabric-protos-go/msp"
	ob "github.com/hyperledger/fabric-protos-go/orderer"
	eb "github.com/hyperledger/fabric-protos-go/orderer/etcdraft"
	pb "github.com/hyperledger/fabric-protos-go/peer"
)

const (
	adminsPolicy        = fconfig.AdminsPolicyKey
	readersPolicy       = fconfig.ReadersPolicyKey
	writersPolicy       = fconfig.WritersPolicyKey
	blockValidation     = fconfig.BlockValidationPolicyKey
	ordererAdminsPolicy = "/Channel/Orderer/Admins"

	ordererGroup     = fconfig.OrdererGroupKey
	applicationGroup = fconfig.ApplicationGroupKey
	consortiumsGroup = fconfig.ConsortiumsGroupKey

	// Orderer types this module encodes.
	TypeSolo     = "solo"
	TypeKafka    = "kafka"
	TypeEtcdRaft = "etcdraft"
)

// Capability names Fabric v2.5.9 knows, per section (common/capabilities:
// each provider's HasCapability). Anything else would make a v2.5 node
// refuse the channel, so it is rejected here.
var knownCapabilities = map[string][]string{
	"Channel":     {"V1_1", "V1_3", "V1_4_2", "V1_4_3", "V2_0"},
	"Orderer":     {"V1_1", "V1_4_2", "V2_0"},
	"Application": {"V1_1", "V1_2", "V1_3", "V1_4_2", "V2_0", "V2_5", "V1_1_PVTDATA_EXPERIMENTAL", "V1_1_RESOURCETREE_EXPERIMENTAL"},
}

// marshal encodes deterministically, so equal configurations give equal
// bytes (maps such as Capabilities and ACLs are sorted).
func marshal(m proto.Message) ([]byte, error) {
	var buf proto.Buffer
	buf.SetDeterministic(true)
	if err := buf.Marshal(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mustMarshal(m proto.Message) []byte {
	b, err := marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func newGroup() *cb.ConfigGroup {
	return &cb.ConfigGroup{
		Groups:   map[string]*cb.ConfigGroup{},
		Values:   map[string]*cb.ConfigValue{},
		Policies: map[string]*cb.ConfigPolicy{},
	}
}

func addValue(cg *cb.ConfigGroup, key string, value proto.Message, modPolicy string) {
	cg.Values[key] = &cb.ConfigValue{Value: mustMarshal(value), ModPolicy: modPolicy}
}

// encoder builds channel config groups from a profile, as configtxgen's
// encoder package does, and collects warnings on the way.
type encoder struct {
	warnings []string
	msps     map[string]*mb.MSPConfig
}

func newEncoder() *encoder { return &encoder{msps: map[string]*mb.MSPConfig{}} }

// parsePolicy turns a configtx.yaml policy into a cb.Policy using
// fabric-config's parser (a copy of Fabric's policydsl and ImplicitMeta
// parsing), so a rule is accepted exactly when configtxgen accepts it.
func parsePolicy(path string, p *Policy) (*cb.Policy, error) {
	if p == nil {
		return nil, fieldErr(path, "policy is empty (needs Type and Rule)")
	}
	switch p.Type {
	case fconfig.SignaturePolicyType, fconfig.ImplicitMetaPolicyType:
	case "":
		return nil, fieldErr(path+".Type", "missing (Signature or ImplicitMeta)")
	default:
		return nil, fieldErr(path+".Type", "unknown policy type %q (Signature or ImplicitMeta)", p.Type)
	}
	if strings.TrimSpace(p.Rule) == "" {
		return nil, fieldErr(path+".Rule", "missing")
	}
	scratch := fconfig.New(&cb.Config{ChannelGroup: newGroup()})
	if err := scratch.Channel().SetPolicy("p", fconfig.Policy{Type: p.Type, Rule: p.Rule}); err != nil {
		return nil, fieldErr(path+".Rule", "%v", err)
	}
	return scratch.UpdatedConfig().ChannelGroup.Policies["p"].Policy, nil
}

// addPolicies mirrors configtxgen's AddPolicies: Admins, Readers and Writers
// are required, every policy gets the given mod_policy.
func addPolicies(path string, cg *cb.ConfigGroup, policies map[string]*Policy, required ...string) error {
	if len(policies) == 0 {
		return fieldErr(path, "no policies defined (Readers, Writers and Admins are required)")
	}
	for _, name := range append([]string{adminsPolicy, readersPolicy, writersPolicy}, required...) {
		if policies[name] == nil {
			return fieldErr(path, "no %s policy defined", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(policies)) {
		pol, err := parsePolicy(path+"."+name, policies[name])
		if err != nil {
			return err
		}
		cg.Policies[name] = &cb.ConfigPolicy{Policy: pol, ModPolicy: adminsPolicy}
	}
	return nil
}

// capabilitiesValue checks capability names for a section and returns the
// value configtxgen writes (only those set to true).
func capabilitiesValue(path, section string, caps map[string]bool) (*cb.Capabilities, error) {
	known := knownCapabilities[section]
	out := &cb.Capabilities{Capabilities: map[string]*cb.Capability{}}
	for _, name := range slices.Sorted(maps.Keys(caps)) {
		ok := false
		for _, k := range known {
			if k == name {
				ok = true
			}
		}
		if !ok {
			return nil, fieldErr(path+"."+name, "unknown %s capability (Fabric v2.5 knows: %s)", section, strings.Join(known, ", "))
		}
		if caps[name] {
			out.Capabilities[name] = &cb.Capability{}
		}
	}
	return out, nil
}

func checkEndpoint(path, ep string) error {
	host, port, err := net.SplitHostPort(ep)
	if err != nil || host == "" {
		return fieldErr(path, "%q is not a host:port address", ep)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fieldErr(path, "%q has an invalid port", ep)
	}
	return nil
}

func checkPort(path string, port int) error {
	if port < 1 || port > 65535 {
		return fieldErr(path, "port %d is not between 1 and 65535", port)
	}
	return nil
}

// orgPath names an org in errors by its position and name.
func orgPath(path string, i int, org *Organization) string {
	if org != nil && org.Name != "" {
		return fmt.Sprintf("%s[%d](%s)", path, i, org.Name)
	}
	return fmt.Sprintf("%s[%d]", path, i)
}

// orgBase builds the parts every org group has: MSP value and policies.
func (e *encoder) orgBase(path string, org *Organization) (*cb.ConfigGroup, error) {
	if org == nil {
		return nil, fieldErr(path, "empty organization")
	}
	if org.Name == "" {
		return nil, fieldErr(path+".Name", "missing")
	}
	if org.ID == "" {
		return nil, fieldErr(path+".ID", "missing (the MSP ID, e.g. Org1MSP)")
	}
	if org.SkipAsForeign {
		return nil, fieldErr(path+".SkipAsForeign", "foreign (skipped) organizations cannot be used: every org definition must be local")
	}
	if org.MSPType != "" && org.MSPType != "bccsp" {
		return nil, fieldErr(path+".MSPType", "unsupported MSP type %q (only bccsp)", org.MSPType)
	}
	if org.MSPDir == "" {
		return nil, fieldErr(path+".MSPDir", "missing")
	}
	g := newGroup()
	g.ModPolicy = adminsPolicy
	key := org.MSPDir + "\x00" + org.ID
	mspConf, ok := e.msps[key]
	if !ok {
		var warnings []string
		var err error
		mspConf, warnings, err = verifyingMSP(path+".MSPDir", org.MSPDir, org.ID)
		if err != nil {
			return nil, err
		}
		e.warnings = append(e.warnings, warnings...)
		e.msps[key] = mspConf
	}
	if err := addPolicies(path+".Policies", g, org.Policies); err != nil {
		return nil, err
	}
	addValue(g, fconfig.MSPKey, mspConf, adminsPolicy)
	return g, nil
}

func (e *encoder) ordererOrgGroup(path string, org *Organization) (*cb.ConfigGroup, error) {
	g, err := e.orgBase(path, org)
	if err != nil {
		return nil, err
	}
	for i, ep := range org.OrdererEndpoints {
		if err := checkEndpoint(fmt.Sprintf("%s.OrdererEndpoints[%d]", path, i), ep); err != nil {
			return nil, err
		}
	}
	if len(org.OrdererEndpoints) > 0 {
		addValue(g, fconfig.EndpointsKey, &cb.OrdererAddresses{Addresses: org.OrdererEndpoints}, adminsPolicy)
	}
	return g, nil
}

func (e *encoder) applicationOrgGroup(path string, org *Organization) (*cb.ConfigGroup, error) {
	g, err := e.orgBase(path, org)
	if err != nil {
		return nil, err
	}
	var anchors []*pb.AnchorPeer
	for i, a := range org.AnchorPeers {
		ap := fmt.Sprintf("%s.AnchorPeers[%d]", path, i)
		if a == nil || a.Host == "" {
			return nil, fieldErr(ap+".Host", "missing")
		}
		if err := checkPort(ap+".Port", a.Port); err != nil {
			return nil, err
		}
		anchors = append(anchors, &pb.AnchorPeer{Host: a.Host, Port: int32(a.Port)})
	}
	if len(anchors) > 0 {
		addValue(g, fconfig.AnchorPeersKey, &pb.AnchorPeers{AnchorPeers: anchors}, adminsPolicy)
	}
	return g, nil
}

// addOrgGroups adds to g one group per organization of a section (at
// path), each built by orgGroup. Two orgs with one name in one section are
// an error: configtxgen would silently merge them into one.
func addOrgGroups(g *cb.ConfigGroup, path string, orgs []*Organization, orgGroup func(string, *Organization) (*cb.ConfigGroup, error)) error {
	path += ".Organizations"
	seen := map[string]int{}
	for i, o := range orgs {
		if o == nil {
			return fieldErr(fmt.Sprintf("%s[%d]", path, i), "empty organization")
		}
		if j, dup := seen[o.Name]; dup && o.Name != "" {
			return fieldErr(orgPath(path, i, o), "organization name %q is used twice (also at index %d)", o.Name, j)
		}
		seen[o.Name] = i
	}
	for i, o := range orgs {
		og, err := orgGroup(orgPath(path, i, o), o)
		if err != nil {
			return err
		}
		g.Groups[o.Name] = og
	}
	return nil
}

// channelGroup is configtxgen's NewChannelGroup.
func (e *encoder) channelGroup(path string, p *Profile) (*cb.ConfigGroup, error) {
	g := newGroup()
	if err := addPolicies(path+".Policies", g, p.Policies); err != nil {
		return nil, err
	}
	addValue(g, fconfig.HashingAlgorithmKey, &cb.HashingAlgorithm{Name: "SHA256"}, adminsPolicy)
	addValue(g, fconfig.BlockDataHashingStructureKey, &cb.BlockDataHashingStructure{Width: math.MaxUint32}, adminsPolicy)
	if p.Orderer != nil && len(p.Orderer.Addresses) > 0 {
		for i, a := range p.Orderer.Addresses {
			if err := checkEndpoint(fmt.Sprintf("%s.Orderer.Addresses[%d]", path, i), a); err != nil {
				return nil, err
			}
		}
		addValue(g, fconfig.OrdererAddressesKey, &cb.OrdererAddresses{Addresses: p.Orderer.Addresses}, ordererAdminsPolicy)
	}
	if p.Consortium != "" {
		addValue(g, fconfig.ConsortiumKey, &cb.Consortium{Name: p.Consortium}, adminsPolicy)
	}
	if len(p.Capabilities) > 0 {
		caps, err := capabilitiesValue(path+".Capabilities", "Channel", p.Capabilities)
		if err != nil {
			return nil, err
		}
		addValue(g, fconfig.CapabilitiesKey, caps, adminsPolicy)
	}
	var err error
	if p.Orderer != nil {
		if g.Groups[ordererGroup], err = e.ordererGroup(path+".Orderer", p.Orderer); err != nil {
			return nil, err
		}
	}
	if p.Application != nil {
		if g.Groups[applicationGroup], err = e.applicationGroup(path+".Application", p.Application); err != nil {
			return nil, err
		}
	}
	if p.Consortiums != nil {
		if g.Groups[consortiumsGroup], err = e.consortiumsGroup(path+".Consortiums", p.Consortiums); err != nil {
			return nil, err
		}
	}
	g.ModPolicy = adminsPolicy
	return g, nil
}

// ordererGroup is configtxgen's NewOrdererGroup; o has had its defaults
// applied (see applyOrdererDefaults).
func (e *encoder) ordererGroup(path string, o *Orderer) (*cb.ConfigGroup, error) {
	g := newGroup()
	if err := addPolicies(path+".Policies", g, o.Policies, blockValidation); err != nil {
		return nil, err
	}
	addValue(g, "BatchSize", &ob.BatchSize{
		MaxMessageCount:   o.BatchSize.MaxMessageCount,
		AbsoluteMaxBytes:  o.BatchSize.AbsoluteMaxBytes,
		PreferredMaxBytes: o.BatchSize.PreferredMaxBytes,
	}, adminsPolicy)
	addValue(g, "BatchTimeout", &ob.BatchTimeout{Timeout: o.BatchTimeout.String()}, adminsPolicy)
	addValue(g, "ChannelRestrictions", &ob.ChannelRestrictions{MaxCount: o.MaxChannels}, adminsPolicy)
	if len(o.Capabilities) > 0 {
		caps, err := capabilitiesValue(path+".Capabilities", "Orderer", o.Capabilities)
		if err != nil {
			return nil, err
		}
		addValue(g, fconfig.CapabilitiesKey, caps, adminsPolicy)
	}
	var metadata []byte
	switch o.OrdererType {
	case TypeSolo:
	case TypeKafka:
		addValue(g, "KafkaBrokers", &ob.KafkaBrokers{Brokers: o.Kafka.Brokers}, adminsPolicy)
	case TypeEtcdRaft:
		md, err := etcdRaftMetadata(path+".EtcdRaft", o.EtcdRaft)
		if err != nil {
			return nil, err
		}
		metadata = md
	default:
		return nil, fieldErr(path+".OrdererType", "unknown orderer type %q (kafka, etcdraft or solo)", o.OrdererType)
	}
	addValue(g, "ConsensusType", &ob.ConsensusType{Type: o.OrdererType, Metadata: metadata}, adminsPolicy)
	if err := addOrgGroups(g, path, o.Organizations, e.ordererOrgGroup); err != nil {
		return nil, err
	}
	g.ModPolicy = adminsPolicy
	return g, nil
}

func (e *encoder) applicationGroup(path string, a *Application) (*cb.ConfigGroup, error) {
	g := newGroup()
	if err := addPolicies(path+".Policies", g, a.Policies); err != nil {
		return nil, err
	}
	if len(a.ACLs) > 0 {
		acls := &pb.ACLs{Acls: map[string]*pb.APIResource{}}
		for _, k := range slices.Sorted(maps.Keys(a.ACLs)) {
			if a.ACLs[k] == "" {
				return nil, fieldErr(path+".ACLs."+k, "empty policy reference")
			}
			acls.Acls[k] = &pb.APIResource{PolicyRef: a.ACLs[k]}
		}
		addValue(g, fconfig.ACLsKey, acls, adminsPolicy)
	}
	if len(a.Capabilities) > 0 {
		caps, err := capabilitiesValue(path+".Capabilities", "Application", a.Capabilities)
		if err != nil {
			return nil, err
		}
		addValue(g, fconfig.CapabilitiesKey, caps, adminsPolicy)
	}
	if err := addOrgGroups(g, path, a.Organizations, e.applicationOrgGroup); err != nil {
		return nil, err
	}
	g.ModPolicy = adminsPolicy
	return g, nil
}

// acceptAllPolicy is policydsl.AcceptAllPolicy: 0 out of no rules.
func acceptAllPolicy() *cb.SignaturePolicyEnvelope {
	return &cb.SignaturePolicyEnvelope{
		Version:    0,
		Rule:       &cb.SignaturePolicy{Type: &cb.SignaturePolicy_NOutOf_{NOutOf: &cb.SignaturePolicy_NOutOf{N: 0, Rules: []*cb.SignaturePolicy{}}}},
		Identities: []*mb.MSPPrincipal{},
	}
}

func (e *encoder) consortiumsGroup(path string, consortiums map[string]*Consortium) (*cb.ConfigGroup, error) {
	g := newGroup()
	// Not referenced anywhere: it only takes part in the channel-level
	// implicit meta policies, leaving the system channel to the orderer admins.
	g.Policies[adminsPolicy] = &cb.ConfigPolicy{
		Policy:    &cb.Policy{Type: int32(cb.Policy_SIGNATURE), Value: mustMarshal(acceptAllPolicy())},
		ModPolicy: ordererAdminsPolicy,
	}
	for _, name := range slices.Sorted(maps.Keys(consortiums)) {
		cpath := path + "." + name
		c := consortiums[name]
		cg := newGroup()
		var orgs []*Organization
		if c != nil {
			orgs = c.Organizations
		}
		if err := addOrgGroups(cg, cpath, orgs, e.orgBase); err != nil {
			return nil, err
		}
		creation := &cb.Policy{
			Type:  int32(cb.Policy_IMPLICIT_META),
			Value: mustMarshal(&cb.ImplicitMetaPolicy{SubPolicy: adminsPolicy, Rule: cb.ImplicitMetaPolicy_ANY}),
		}
		addValue(cg, fconfig.ChannelCreationPolicyKey, creation, ordererAdminsPolicy)
		cg.ModPolicy = ordererAdminsPolicy
		g.Groups[name] = cg
	}
	g.ModPolicy = ordererAdminsPolicy
	return g, nil
}

// etcdRaftMetadata is channelconfig.MarshalEtcdRaftMetadata: the consenter
// certificates are read from their files and embedded byte for byte.
func etcdRaftMetadata(path string, r *EtcdRaft) ([]byte, error) {
	md := &eb.ConfigMetadata{Options: &eb.Options{
		TickInterval:         r.Options.TickInterval,
		ElectionTick:         r.Options.ElectionTick,
		HeartbeatTick:        r.Options.HeartbeatTick,
		MaxInflightBlocks:    r.Options.MaxInflightBlocks,
		SnapshotIntervalSize: r.Options.SnapshotIntervalSize,
	}}
	for i, c := range r.Consenters {
		cp := fmt.Sprintf("%s.Consenters[%d]", path, i)
		client, err := readCert(cp+".ClientTLSCert", c.ClientTLSCert)
		if err != nil {
			return nil, err
		}
		server, err := readCert(cp+".ServerTLSCert", c.ServerTLSCert)
		if err != nil {
			return nil, err
		}
		md.Consenters = append(md.Consenters, &eb.Consenter{Host: c.Host, Port: c.Port, ClientTlsCert: client, ServerTlsCert: server})
	}
	return marshal(md)
}
