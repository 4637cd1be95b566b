// Package chaincode is the logic of the fabric_chaincode module: Go
// chaincode through the legacy lifecycle (install, instantiate/upgrade) the
// seed uses, the v2 lifecycle (install a package, approve, commit), and
// invoke/query, against explicitly named peers.
package chaincode

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hyperledger/fabric-protos-go/common"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/resmgmt"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	"github.com/hyperledger/fabric-sdk-go/third_party/github.com/hyperledger/fabric/common/policydsl"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

// States the module accepts.
const (
	StateInstalled          = "installed"
	StateInstantiated       = "instantiated"
	StateInvoked            = "invoked"
	StateQueried            = "queried"
	StateLifecycleInstalled = "lifecycle_installed"
	StateApproved           = "approved"
	StateCommitted          = "committed"
)

// PeerArg is one entry of endorsing_peers.
type PeerArg struct {
	Address     string `json:"address"`
	TLSCA       string `json:"tls_ca"`
	TLSHostname string `json:"tls_hostname"`
	MSPID       string `json:"msp_id"`
}

// Args are the module's options.
type Args struct {
	fabricclient.CommonArgs
	State               string    `json:"state"`
	Name                string    `json:"name"`
	Version             string    `json:"version"`
	Path                string    `json:"path"`
	Binary              string    `json:"binary"`
	Label               string    `json:"label"`
	PackageID           string    `json:"package_id"`
	CallArgs            []string  `json:"args"`
	Policy              string    `json:"policy"`
	ChannelConfigPolicy string    `json:"channel_config_policy"`
	Sequence            int64     `json:"sequence"`
	InitRequired        bool      `json:"init_required"`
	IsInit              bool      `json:"is_init"`
	ReadyArgs           []string  `json:"ready_args"`
	EndorsingPeers      []PeerArg `json:"endorsing_peers"`
}

// Spec declares fabric_chaincode's options.
func Spec() module.Spec {
	opts := fabricclient.CommonOptions()
	opts["state"] = module.Option{Type: module.Str, Required: true, Choices: []any{
		StateInstalled, StateInstantiated, StateInvoked, StateQueried, StateLifecycleInstalled, StateApproved, StateCommitted}}
	opts["name"] = module.Option{Type: module.Str}
	opts["version"] = module.Option{Type: module.Str}
	opts["path"] = module.Option{Type: module.Path}
	opts["binary"] = module.Option{Type: module.Path}
	opts["label"] = module.Option{Type: module.Str}
	opts["package_id"] = module.Option{Type: module.Str}
	opts["args"] = module.Option{Type: module.List, Elements: module.Str, Aliases: []string{"ctor"}}
	opts["policy"] = module.Option{Type: module.Str, Aliases: []string{"endorsement_policy"}}
	opts["channel_config_policy"] = module.Option{Type: module.Str}
	opts["sequence"] = module.Option{Type: module.Int, Default: int64(0)}
	opts["init_required"] = module.Option{Type: module.Bool, Default: false}
	opts["is_init"] = module.Option{Type: module.Bool, Default: false}
	opts["ready_args"] = module.Option{Type: module.List, Elements: module.Str}
	opts["endorsing_peers"] = module.Option{Type: module.List, Elements: module.Dict}
	conn := []string{"peer", "peer_tls_ca"}
	ord := []string{"orderer_tls_ca"} // and orderers (or orderer): checked with the connection options
	req := func(s string, extra ...string) module.RequiredIf {
		return module.RequiredIf{Option: "state", Value: s, Requires: extra}
	}
	return module.Spec{
		Name:             "fabric_chaincode",
		Options:          opts,
		RequiredTogether: fabricclient.CommonTogether,
		MutuallyExclusive: append([][]string{
			{"policy", "channel_config_policy"},
		}, fabricclient.CommonExclusive...),
		RequiredIf: []module.RequiredIf{
			req(StateInstalled, append([]string{"name", "version", "path"}, conn...)...),
			req(StateInstantiated, append(append([]string{"channel_id", "name", "version"}, conn...), ord...)...),
			req(StateInvoked, append(append([]string{"channel_id", "name", "args"}, conn...), ord...)...),
			req(StateQueried, append([]string{"channel_id", "name", "args"}, conn...)...),
			req(StateLifecycleInstalled, append([]string{"path"}, conn...)...),
			req(StateApproved, append(append([]string{"channel_id", "name", "version"}, conn...), ord...)...),
			req(StateCommitted, append(append([]string{"channel_id", "name", "version"}, conn...), ord...)...),
		},
		SupportsCheckMode: true,
	}
}

// Run is the module body.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	if a.Binary != "" && a.State != StateInstalled {
		return module.Result{}, fmt.Errorf("binary: only with state %s (the legacy lifecycle), not %s", StateInstalled, a.State)
	}
	for i, p := range a.EndorsingPeers {
		if p.Address == "" || p.TLSCA == "" {
			return module.Result{}, fmt.Errorf("endorsing_peers[%d] needs address and tls_ca", i)
		}
	}
	return states.Run(ctx, a.State, a)
}

// states are the module's states and the functions that bring them about.
var states = module.States[Args]{
	StateInstalled:          installed,
	StateInstantiated:       instantiated,
	StateInvoked:            invoked,
	StateQueried:            queried,
	StateLifecycleInstalled: lifecycleInstalled,
	StateApproved:           approved,
	StateCommitted:          committed,
}

type session struct {
	*fabricclient.Client
	a  Args
	rc *resmgmt.Client
	// ordering sends resmgmt's transactions through the orderer failover
	// (sessions opened with orderers).
	ordering resmgmt.RequestOption
}

func open(a Args, orderer, endorsers bool) (*session, error) {
	var extra []fabricclient.Endpoint
	if endorsers {
		for _, p := range a.EndorsingPeers {
			extra = append(extra, fabricclient.Endpoint{Address: p.Address, TLSCA: p.TLSCA, TLSHostname: p.TLSHostname, MSPID: p.MSPID})
		}
	}
	cfg, err := a.Config(orderer, true, extra...)
	if err != nil {
		return nil, err
	}
	c, err := fabricclient.New(cfg)
	if err != nil {
		return nil, err
	}
	rc, err := resmgmt.New(c.ClientProvider())
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("fabric SDK resource client: %v", err)
	}
	s := &session{Client: c, a: a, rc: rc}
	if orderer {
		o, err := c.OrdererTarget()
		if err != nil {
			c.Close()
			return nil, err
		}
		s.ordering = resmgmt.WithOrderer(o)
	}
	return s, nil
}

// openPackage opens a session on the task's peer and packages the
// chaincode at a.Path for installing there.
func openPackage(a Args) (*session, *Package, error) {
	s, err := open(a, false, false)
	if err != nil {
		return nil, nil, err
	}
	pkg, err := PackageGo(a.Path, labelFor(a))
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, pkg, nil
}

// installDiff is what installing item on the peer adds to the sorted list of
// what the peer holds (what names the list: "chaincodes", "packages").
func installDiff(list []string, item, what, peer string) ([]string, module.Diff) {
	after := append(append([]string{}, list...), item)
	sort.Strings(after)
	header := what + " on " + peer
	return after, module.Diff{Before: module.Lines(list), After: module.Lines(after), BeforeHeader: header, AfterHeader: header}
}

// mainPeer targets the task's peer only.
func (s *session) mainPeer() resmgmt.RequestOption {
	return resmgmt.WithTargetEndpoints(s.PeerNames[0])
}

func (s *session) allPeers() []string { return s.PeerNames }

func (s *session) timeout() resmgmt.RequestOption {
	return resmgmt.WithTimeout(fab.ResMgmt, s.Cfg.Timeout)
}

func policyEnvelope(policy string) (*common.SignaturePolicyEnvelope, error) {
	if strings.TrimSpace(policy) == "" {
		return nil, nil
	}
	p, err := policydsl.FromString(policy)
	if err != nil {
		return nil, fmt.Errorf("policy %q is not a valid endorsement policy (e.g. \"OR('Org1MSP.peer','Org2MSP.peer')\"): %v", policy, err)
	}
	return p, nil
}
