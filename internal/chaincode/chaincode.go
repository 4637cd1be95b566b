// Package chaincode is the logic of the fabric_chaincode module: Go
// chaincode through the legacy lifecycle (install, instantiate/upgrade) the
// seed uses, the v2 lifecycle (install a package, approve, commit), and
// invoke/query, against explicitly named peers.
package chaincode

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/channel"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/resmgmt"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/multi"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/status"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/resource"
	"github.com/hyperledger/fabric-sdk-go/third_party/github.com/hyperledger/fabric/common/policydsl"
	"github.com/pkg/errors"

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
	ord := []string{"orderer", "orderer_tls_ca"}
	req := func(s string, extra ...string) module.RequiredIf {
		return module.RequiredIf{Option: "state", Value: s, Requires: extra}
	}
	return module.Spec{
		Name:             "fabric_chaincode",
		Options:          opts,
		RequiredTogether: fabricclient.CommonTogether,
		MutuallyExclusive: [][]string{
			{"policy", "channel_config_policy"},
		},
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
	for i, p := range a.EndorsingPeers {
		if p.Address == "" || p.TLSCA == "" {
			return module.Result{}, fmt.Errorf("endorsing_peers[%d] needs address and tls_ca", i)
		}
	}
	switch a.State {
	case StateInstalled:
		return installed(ctx, a)
	case StateInstantiated:
		return instantiated(ctx, a)
	case StateInvoked:
		return invoked(ctx, a)
	case StateQueried:
		return queried(a)
	case StateLifecycleInstalled:
		return lifecycleInstalled(ctx, a)
	case StateApproved:
		return approved(ctx, a)
	case StateCommitted:
		return committed(ctx, a)
	}
	return module.Result{}, fmt.Errorf("unknown state %q", a.State)
}

type session struct {
	*fabricclient.Client
	a  Args
	rc *resmgmt.Client
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
	return &session{Client: c, a: a, rc: rc}, nil
}

// mainPeer targets the task's peer only.
func (s *session) mainPeer() resmgmt.RequestOption {
	return resmgmt.WithTargetEndpoints(s.PeerNames[0])
}

func (s *session) allPeers() []string { return s.PeerNames }

func (s *session) timeout() resmgmt.RequestOption {
	return resmgmt.WithTimeout(fab.ResMgmt, s.Cfg.Timeout)
}

func (s *session) peerErr(what string, err error) error {
	if fabricclient.Unreachable(err) {
		return fmt.Errorf("%s: peer %s is unreachable (%s): %s", what, s.a.Peer, s.UnreachableHint("peer"), fabricclient.ShortError(err))
	}
	if msg, code, ok := EndorserMessage(err); ok {
		return fmt.Errorf("%s: the peer answered (status %d): %s", what, code, msg)
	}
	return fmt.Errorf("%s: %s", what, fabricclient.ShortError(err))
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

func toBytes(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// --- legacy lifecycle: installed ---------------------------------------------

func installed(ctx *module.Context, a Args) (module.Result, error) {
	s, err := open(a, false, false)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	pkg, err := PackageGo(a.Path, labelFor(a))
	if err != nil {
		return module.Result{}, err
	}
	have, err := s.rc.QueryInstalledChaincodes(s.mainPeer(), s.timeout())
	if err != nil {
		return module.Result{}, s.peerErr("listing installed chaincodes", err)
	}
	list := installedList(have)
	data := map[string]any{"name": a.Name, "version": a.Version, "cc_path": pkg.Path, "peer": a.Peer,
		"package_bytes": len(pkg.Code), "installed_chaincodes": list}
	for _, cc := range have.GetChaincodes() {
		if cc.Name == a.Name && cc.Version == a.Version {
			return module.Result{Data: data, Msg: fmt.Sprintf("chaincode %s %s is already installed on peer %s", a.Name, a.Version, a.Peer)}, nil
		}
	}
	after := append(append([]string{}, list...), a.Name+" "+a.Version)
	sort.Strings(after)
	diff := module.Diff{Before: lines(list), After: lines(after), BeforeHeader: "chaincodes on " + a.Peer, AfterHeader: "chaincodes on " + a.Peer}
	if ctx.CheckMode() {
		data["installed_chaincodes"] = after
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("chaincode %s %s would be installed", a.Name, a.Version)}, nil
	}
	start := time.Now()
	resp, err := s.rc.InstallCC(resmgmt.InstallCCRequest{
		Name: a.Name, Path: pkg.Path, Version: a.Version,
		Package: &resource.CCPackage{Type: pb.ChaincodeSpec_GOLANG, Code: pkg.Code},
	}, s.mainPeer(), s.timeout())
	if err != nil {
		if msg, code, ok := EndorserMessage(err); ok && strings.Contains(msg, "could not build") {
			return module.Result{}, fmt.Errorf("chaincode %s %s was installed on peer %s but the peer could not build or start it (status %d): %s "+
				"(the builder's output is in the peer's log; fix the source and install a new version)", a.Name, a.Version, a.Peer, code, msg)
		}
		return module.Result{}, s.peerErr(fmt.Sprintf("installing chaincode %s %s on peer %s failed", a.Name, a.Version, a.Peer), err)
	}
	for _, r := range resp {
		if r.Status != int32(common.Status_SUCCESS) && r.Info != "already installed" {
			return module.Result{}, fmt.Errorf("installing chaincode %s %s on peer %s: status %d %s", a.Name, a.Version, a.Peer, r.Status, r.Info)
		}
	}
	data["installed_chaincodes"] = after
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("chaincode %s %s installed on peer %s", a.Name, a.Version, a.Peer)}, nil
}

func labelFor(a Args) string {
	if a.Label != "" {
		return a.Label
	}
	l := a.Name
	if a.Version != "" {
		l += "_" + a.Version
	}
	if l == "" {
		l = "chaincode"
	}
	return l
}

func installedList(r *pb.ChaincodeQueryResponse) []string {
	out := []string{}
	for _, cc := range r.GetChaincodes() {
		out = append(out, cc.Name+" "+cc.Version)
	}
	sort.Strings(out)
	return out
}

// --- legacy lifecycle: instantiated --------------------------------------------

func instantiated(ctx *module.Context, a Args) (module.Result, error) {
	policy, err := policyEnvelope(a.Policy)
	if err != nil {
		return module.Result{}, err
	}
	s, err := open(a, true, true)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	inst, err := s.rc.QueryInstantiatedChaincodes(a.ChannelID, s.mainPeer(), s.timeout())
	if err != nil {
		return module.Result{}, s.peerErr(fmt.Sprintf("listing chaincodes instantiated on channel %s", a.ChannelID), err)
	}
	current := ""
	for _, cc := range inst.GetChaincodes() {
		if cc.Name == a.Name {
			current = cc.Version
		}
	}
	data := map[string]any{"name": a.Name, "version": a.Version, "channel_id": a.ChannelID, "previous_version": current}
	if current == a.Version {
		data["action"] = "none"
		return module.Result{Data: data, Msg: fmt.Sprintf("chaincode %s %s is already instantiated on channel %s", a.Name, a.Version, a.ChannelID)}, nil
	}
	action := "instantiate"
	if current != "" {
		action = "upgrade"
	}
	data["action"] = action
	before := "(not instantiated)\n"
	if current != "" {
		before = fmt.Sprintf("%s %s\n", a.Name, current)
	}
	diff := module.Diff{Before: before, After: fmt.Sprintf("%s %s\nargs: %s\npolicy: %s\n", a.Name, a.Version, strings.Join(a.CallArgs, " "), a.Policy),
		BeforeHeader: "chaincode on " + a.ChannelID, AfterHeader: "chaincode on " + a.ChannelID}

	// The chaincode must be installed on the endorsing peer at that version.
	have, err := s.rc.QueryInstalledChaincodes(s.mainPeer(), s.timeout())
	if err != nil {
		return module.Result{}, s.peerErr("listing installed chaincodes", err)
	}
	path := ""
	for _, cc := range have.GetChaincodes() {
		if cc.Name == a.Name && cc.Version == a.Version {
			path = cc.Path
		}
	}
	if !hasInstalled(have, a.Name, a.Version) {
		if ctx.CheckMode() {
			ctx.Warn("chaincode %s %s is not installed on peer %s yet", a.Name, a.Version, a.Peer)
		} else {
			return module.Result{}, fmt.Errorf("chaincode %s %s is not installed on peer %s (installed: %s): install it first (state=installed)",
				a.Name, a.Version, a.Peer, strings.Join(installedList(have), ", "))
		}
	}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("chaincode %s %s would be %sd", a.Name, a.Version, action)}, nil
	}

	start := time.Now()
	req := resmgmt.InstantiateCCRequest{Name: a.Name, Path: path, Version: a.Version, Lang: pb.ChaincodeSpec_GOLANG,
		Args: toBytes(a.CallArgs), Policy: policy}
	opts := []resmgmt.RequestOption{resmgmt.WithTargetEndpoints(s.allPeers()...), resmgmt.WithOrdererEndpoint(s.Orderer), s.timeout()}
	var txID fab.TransactionID
	if action == "instantiate" {
		var r resmgmt.InstantiateCCResponse
		r, err = s.rc.InstantiateCC(a.ChannelID, req, opts...)
		txID = r.TransactionID
	} else {
		var r resmgmt.UpgradeCCResponse
		r, err = s.rc.UpgradeCC(a.ChannelID, resmgmt.UpgradeCCRequest(req), opts...)
		txID = r.TransactionID
	}
	if err != nil {
		return module.Result{}, launchErr(fmt.Sprintf("%s of chaincode %s %s on channel %s failed", action, a.Name, a.Version, a.ChannelID), err)
	}
	data["tx_id"] = string(txID)
	committedAt := time.Since(start)
	if err := s.waitReady(a.Name, a.ReadyArgs, start.Add(s.Cfg.Timeout)); err != nil {
		return module.Result{}, err
	}
	data["elapsed"] = time.Since(start).Seconds()
	data["committed_after"] = committedAt.Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff},
		Msg: fmt.Sprintf("chaincode %s %s %sd on channel %s and answering", a.Name, a.Version, action, a.ChannelID)}, nil
}

func hasInstalled(r *pb.ChaincodeQueryResponse, name, version string) bool {
	for _, cc := range r.GetChaincodes() {
		if cc.Name == name && cc.Version == version {
			return true
		}
	}
	return false
}

// launchErr words a failed instantiate/upgrade/commit: a build or launch
// failure, or the chaincode's own Init error.
func launchErr(what string, err error) error {
	msg, code, ok := EndorserMessage(err)
	if !ok {
		if fabricclient.Unreachable(err) {
			return fmt.Errorf("%s: a peer or the orderer is unreachable: %s", what, fabricclient.ShortError(err))
		}
		return fmt.Errorf("%s: %s", what, fabricclient.ShortError(err))
	}
	if strings.Contains(msg, "could not launch chaincode") || strings.Contains(msg, "external builder") || strings.Contains(msg, "chaincode registration failed") {
		return fmt.Errorf("%s: the peer could not build or start the chaincode (status %d): %s (the builder's output is in the peer's log)", what, code, msg)
	}
	return fmt.Errorf("%s (status %d): %s", what, code, msg)
}

// waitReady polls the chaincode with a query until it answers: a result or
// an error from the chaincode itself both prove it runs; a launch or
// simulation failure does not.
func (s *session) waitReady(name string, readyArgs []string, deadline time.Time) error {
	if len(readyArgs) == 0 {
		readyArgs = []string{"fabrun_ready_probe"}
	}
	cc, err := channel.New(s.ChannelProvider(s.a.ChannelID))
	if err != nil {
		return fmt.Errorf("channel client for %s: %v", s.a.ChannelID, err)
	}
	var last error
	for {
		for _, p := range s.allPeers() {
			_, err := cc.Query(channel.Request{ChaincodeID: name, Fcn: readyArgs[0], Args: toBytes(readyArgs[1:])},
				channel.WithTargetEndpoints(p), channel.WithTimeout(fab.Query, 30*time.Second))
			if err != nil {
				if msg, _, ok := EndorserMessage(err); ok && !isInfraMessage(msg) {
					err = nil // the chaincode answered with its own error
				}
			}
			if err != nil {
				last = err
				break
			}
			last = nil
		}
		if last == nil {
			return nil
		}
		if msg, _, ok := EndorserMessage(last); ok && (strings.Contains(msg, "could not launch") || strings.Contains(msg, "external builder")) {
			return launchErr(fmt.Sprintf("chaincode %s does not start", name), last)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chaincode %s was committed but does not answer queries within the timeout: %s", name, fabricclient.ShortError(last))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func isInfraMessage(msg string) bool {
	return strings.HasPrefix(msg, "error in simulation") || strings.Contains(msg, "make sure the chaincode") ||
		strings.Contains(msg, "could not launch") || strings.Contains(msg, "chaincode definition")
}

// EndorserMessage finds the peer's answer in an SDK error: the status and
// message of a failed proposal (a chaincode error's own text).
func EndorserMessage(err error) (string, int32, bool) {
	for err != nil {
		switch e := err.(type) {
		case *status.Status:
			if e.Group == status.EndorserServerStatus || e.Group == status.ChaincodeStatus {
				return e.Message, e.Code, true
			}
			for _, d := range e.Details {
				if de, ok := d.(error); ok {
					if m, c, ok := EndorserMessage(de); ok {
						return m, c, true
					}
				}
			}
			return "", 0, false
		case multi.Errors:
			for _, x := range e {
				if m, c, ok := EndorserMessage(x); ok {
					return m, c, true
				}
			}
			return "", 0, false
		}
		cause := errors.Cause(err)
		if cause == err {
			u, ok := err.(interface{ Unwrap() error })
			if !ok {
				return "", 0, false
			}
			cause = u.Unwrap()
		}
		err = cause
	}
	return "", 0, false
}

// --- invoke and query ----------------------------------------------------------

func ccRequest(a Args) channel.Request {
	return channel.Request{ChaincodeID: a.Name, Fcn: a.CallArgs[0], Args: toBytes(a.CallArgs[1:]), IsInit: a.IsInit}
}

func ccFailure(a Args, what string, err error) error {
	if msg, code, ok := EndorserMessage(err); ok {
		if isInfraMessage(msg) {
			return fmt.Errorf("%s %s on channel %s failed (status %d): %s", what, a.Name, a.ChannelID, code, msg)
		}
		return fmt.Errorf("chaincode %s on channel %s returned an error (status %d): %s", a.Name, a.ChannelID, code, msg)
	}
	if st, ok := err.(*status.Status); ok && st.Group == status.EventServerStatus {
		return fmt.Errorf("%s %s on channel %s: the transaction was rejected at commit: %s", what, a.Name, a.ChannelID, pb.TxValidationCode(st.Code))
	}
	if fabricclient.Unreachable(err) {
		return fmt.Errorf("%s %s on channel %s failed: a peer or the orderer is unreachable: %s", what, a.Name, a.ChannelID, fabricclient.ShortError(err))
	}
	return fmt.Errorf("%s %s on channel %s failed: %s", what, a.Name, a.ChannelID, fabricclient.ShortError(err))
}

func invoked(ctx *module.Context, a Args) (module.Result, error) {
	if len(a.CallArgs) == 0 {
		return module.Result{}, fmt.Errorf("args must name the function, e.g. [invoke, a, b, \"10\"]")
	}
	s, err := open(a, true, true)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	cc, err := channel.New(s.ChannelProvider(a.ChannelID))
	if err != nil {
		return module.Result{}, s.peerErr(fmt.Sprintf("channel client for %s", a.ChannelID), err)
	}
	data := map[string]any{"name": a.Name, "channel_id": a.ChannelID, "args": a.CallArgs}
	if ctx.CheckMode() {
		// Endorse only: the result the invoke would have, nothing ordered.
		resp, err := cc.Query(ccRequest(a), channel.WithTargetEndpoints(s.allPeers()...), channel.WithTimeout(fab.Query, s.Cfg.Timeout))
		if err != nil {
			return module.Result{}, ccFailure(a, "simulating", err)
		}
		data["payload"] = string(resp.Payload)
		return module.Result{Changed: true, Data: data, Msg: "invoke simulated (check mode): nothing was submitted"}, nil
	}
	start := time.Now()
	resp, err := cc.Execute(ccRequest(a), channel.WithTargetEndpoints(s.allPeers()...), channel.WithTimeout(fab.Execute, s.Cfg.Timeout))
	if err != nil {
		return module.Result{}, ccFailure(a, "invoking", err)
	}
	data["payload"] = string(resp.Payload)
	data["tx_id"] = string(resp.TransactionID)
	data["validation_code"] = resp.TxValidationCode.String()
	data["elapsed"] = time.Since(start).Seconds()
	if resp.TxValidationCode != pb.TxValidationCode_VALID {
		return module.Result{Data: data}, fmt.Errorf("invoke of %s was rejected at commit: %s", a.Name, resp.TxValidationCode)
	}
	return module.Result{Changed: true, Data: data, Msg: fmt.Sprintf("transaction %s committed", resp.TransactionID)}, nil
}

func queried(a Args) (module.Result, error) {
	if len(a.CallArgs) == 0 {
		return module.Result{}, fmt.Errorf("args must name the function, e.g. [query, a]")
	}
	s, err := open(a, false, false)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	cc, err := channel.New(s.ChannelProvider(a.ChannelID))
	if err != nil {
		return module.Result{}, s.peerErr(fmt.Sprintf("channel client for %s", a.ChannelID), err)
	}
	resp, err := cc.Query(ccRequest(a), channel.WithTargetEndpoints(s.PeerNames[0]), channel.WithTimeout(fab.Query, s.Cfg.Timeout))
	if err != nil {
		return module.Result{}, ccFailure(a, "querying", err)
	}
	return module.Result{Data: map[string]any{"name": a.Name, "channel_id": a.ChannelID, "args": a.CallArgs,
		"payload": string(resp.Payload), "peer": a.Peer}}, nil
}

// --- v2 lifecycle ---------------------------------------------------------------

func lifecycleInstalled(ctx *module.Context, a Args) (module.Result, error) {
	if a.Label == "" && a.Name == "" {
		return module.Result{}, fmt.Errorf("state is lifecycle_installed but both label and name are missing (the label defaults to name_version)")
	}
	s, err := open(a, false, false)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	pkg, err := PackageGo(a.Path, labelFor(a))
	if err != nil {
		return module.Result{}, err
	}
	id := packageID(pkg)
	have, err := s.rc.LifecycleQueryInstalledCC(s.mainPeer(), s.timeout())
	if err != nil {
		return module.Result{}, s.peerErr("listing installed chaincode packages", err)
	}
	var ids []string
	for _, cc := range have {
		ids = append(ids, cc.PackageID)
	}
	sort.Strings(ids)
	data := map[string]any{"package_id": id, "label": pkg.Label, "cc_path": pkg.Path, "peer": a.Peer, "installed_packages": ids}
	for _, x := range ids {
		if x == id {
			return module.Result{Data: data, Msg: fmt.Sprintf("package %s is already installed on peer %s", id, a.Peer)}, nil
		}
	}
	after := append(append([]string{}, ids...), id)
	sort.Strings(after)
	diff := module.Diff{Before: lines(ids), After: lines(after), BeforeHeader: "packages on " + a.Peer, AfterHeader: "packages on " + a.Peer}
	if ctx.CheckMode() {
		data["installed_packages"] = after
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: "package would be installed"}, nil
	}
	start := time.Now()
	resp, err := s.rc.LifecycleInstallCC(resmgmt.LifecycleInstallCCRequest{Label: pkg.Label, Package: pkg.Lifecycle}, s.mainPeer(), s.timeout())
	if err != nil {
		return module.Result{}, launchErr(fmt.Sprintf("installing package %s on peer %s failed", id, a.Peer), err)
	}
	for _, r := range resp {
		if r.PackageID != "" && r.PackageID != id {
			return module.Result{}, fmt.Errorf("peer %s computed package ID %s, expected %s", a.Peer, r.PackageID, id)
		}
	}
	data["installed_packages"] = after
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("package %s installed on peer %s (built by its builder)", id, a.Peer)}, nil
}

func packageID(p *Package) string {
	return lifecycleID(p.Label, p.Lifecycle)
}

// definition is what approve and commit agree on.
type definition struct {
	Version             string
	Sequence            int64
	Policy              *common.SignaturePolicyEnvelope
	ChannelConfigPolicy string
	InitRequired        bool
	PackageID           string
}

func (d definition) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: %s\nsequence: %d\ninit_required: %v\n", d.Version, d.Sequence, d.InitRequired)
	if d.Policy != nil {
		fmt.Fprintf(&b, "signature_policy: %s\n", policyText(d.Policy))
	}
	if d.ChannelConfigPolicy != "" {
		fmt.Fprintf(&b, "channel_config_policy: %s\n", d.ChannelConfigPolicy)
	}
	if d.PackageID != "" {
		fmt.Fprintf(&b, "package_id: %s\n", d.PackageID)
	}
	return b.String()
}

func policyText(p *common.SignaturePolicyEnvelope) string {
	b, _ := proto.Marshal(p)
	return fmt.Sprintf("%x", b)
}

func samePolicy(a, b *common.SignaturePolicyEnvelope) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return proto.Equal(a, b)
}

// wanted builds the requested definition; the sequence defaults to the
// committed one when the committed definition already matches, else the
// next one.
func (s *session) wanted(a Args, packageID string) (definition, *resmgmt.LifecycleChaincodeDefinition, error) {
	policy, err := policyEnvelope(a.Policy)
	if err != nil {
		return definition{}, nil, err
	}
	d := definition{Version: a.Version, Policy: policy, ChannelConfigPolicy: a.ChannelConfigPolicy, InitRequired: a.InitRequired, PackageID: packageID}
	var cur *resmgmt.LifecycleChaincodeDefinition
	defs, err := s.rc.LifecycleQueryCommittedCC(a.ChannelID, resmgmt.LifecycleQueryCommittedCCRequest{Name: a.Name}, s.mainPeer(), s.timeout())
	if err != nil {
		if !notFound(err) {
			return d, nil, s.peerErr(fmt.Sprintf("querying the committed definition of %s on %s", a.Name, a.ChannelID), err)
		}
	}
	for i := range defs {
		if defs[i].Name == a.Name {
			cur = &defs[i]
		}
	}
	d.Sequence = a.Sequence
	if d.Sequence == 0 {
		switch {
		case cur == nil:
			d.Sequence = 1
		case cur.Version == d.Version && samePolicy(cur.SignaturePolicy, d.Policy) && cur.ChannelConfigPolicy == d.ChannelConfigPolicy && cur.InitRequired == d.InitRequired:
			d.Sequence = cur.Sequence
		default:
			d.Sequence = cur.Sequence + 1
		}
	}
	return d, cur, nil
}

// notFound recognises the lifecycle's "no such definition" answers.
func notFound(err error) bool {
	msg, code, ok := EndorserMessage(err)
	if !ok {
		return false
	}
	return code == 404 || strings.Contains(msg, "not found") || strings.Contains(msg, "not defined") ||
		strings.Contains(msg, "could not fetch approved chaincode definition")
}

func approved(ctx *module.Context, a Args) (module.Result, error) {
	s, err := open(a, true, false)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	pkgID := a.PackageID
	if pkgID == "" && a.Path != "" {
		pkg, err := PackageGo(a.Path, labelFor(a))
		if err != nil {
			return module.Result{}, err
		}
		pkgID = packageID(pkg)
	}
	if pkgID == "" {
		return module.Result{}, fmt.Errorf("state is approved but both package_id and path are missing")
	}
	want, _, err := s.wanted(a, pkgID)
	if err != nil {
		return module.Result{}, err
	}
	data := map[string]any{"name": a.Name, "channel_id": a.ChannelID, "version": a.Version, "sequence": want.Sequence, "package_id": pkgID, "msp_id": a.MSPID}
	var have *definition
	appr, err := s.rc.LifecycleQueryApprovedCC(a.ChannelID, resmgmt.LifecycleQueryApprovedCCRequest{Name: a.Name, Sequence: want.Sequence}, s.mainPeer(), s.timeout())
	if err == nil {
		have = &definition{Version: appr.Version, Sequence: appr.Sequence, Policy: appr.SignaturePolicy, ChannelConfigPolicy: appr.ChannelConfigPolicy,
			InitRequired: appr.InitRequired, PackageID: appr.PackageID}
	} else if !notFound(err) {
		return module.Result{}, s.peerErr("querying the approved definition", err)
	}
	if have != nil && have.Version == want.Version && samePolicy(have.Policy, want.Policy) && have.InitRequired == want.InitRequired &&
		have.PackageID == want.PackageID && (want.ChannelConfigPolicy == "" || have.ChannelConfigPolicy == want.ChannelConfigPolicy) {
		return module.Result{Data: data, Msg: fmt.Sprintf("%s already approved %s sequence %d", a.MSPID, a.Name, want.Sequence)}, nil
	}
	before := "(not approved)\n"
	if have != nil {
		before = have.String()
	}
	diff := module.Diff{Before: before, After: want.String(), BeforeHeader: fmt.Sprintf("%s approval of %s", a.MSPID, a.Name), AfterHeader: fmt.Sprintf("%s approval of %s", a.MSPID, a.Name)}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: "definition would be approved"}, nil
	}
	txID, err := s.rc.LifecycleApproveCC(a.ChannelID, resmgmt.LifecycleApproveCCRequest{
		Name: a.Name, Version: a.Version, PackageID: pkgID, Sequence: want.Sequence,
		SignaturePolicy: want.Policy, ChannelConfigPolicy: want.ChannelConfigPolicy, InitRequired: want.InitRequired,
	}, s.mainPeer(), resmgmt.WithOrdererEndpoint(s.Orderer), s.timeout())
	if err != nil {
		return module.Result{}, launchErr(fmt.Sprintf("approving %s sequence %d for %s failed", a.Name, want.Sequence, a.MSPID), err)
	}
	data["tx_id"] = string(txID)
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("%s approved %s %s sequence %d", a.MSPID, a.Name, a.Version, want.Sequence)}, nil
}

func committed(ctx *module.Context, a Args) (module.Result, error) {
	s, err := open(a, true, true)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	want, cur, err := s.wanted(a, "")
	if err != nil {
		return module.Result{}, err
	}
	data := map[string]any{"name": a.Name, "channel_id": a.ChannelID, "version": a.Version, "sequence": want.Sequence}
	if cur != nil && cur.Sequence == want.Sequence {
		data["approvals"] = cur.Approvals
		return module.Result{Data: data, Msg: fmt.Sprintf("%s sequence %d is already committed on %s", a.Name, want.Sequence, a.ChannelID)}, nil
	}
	ready, err := s.rc.LifecycleCheckCCCommitReadiness(a.ChannelID, resmgmt.LifecycleCheckCCCommitReadinessRequest{
		Name: a.Name, Version: a.Version, Sequence: want.Sequence, SignaturePolicy: want.Policy,
		ChannelConfigPolicy: want.ChannelConfigPolicy, InitRequired: want.InitRequired,
	}, s.mainPeer(), s.timeout())
	if err != nil {
		return module.Result{}, s.peerErr("checking commit readiness", err)
	}
	data["approvals"] = ready.Approvals
	before := "(not committed)\n"
	if cur != nil {
		before = definition{Version: cur.Version, Sequence: cur.Sequence, Policy: cur.SignaturePolicy, ChannelConfigPolicy: cur.ChannelConfigPolicy, InitRequired: cur.InitRequired}.String()
	}
	diff := module.Diff{Before: before, After: want.String(), BeforeHeader: a.Name + " on " + a.ChannelID, AfterHeader: a.Name + " on " + a.ChannelID}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: "definition would be committed"}, nil
	}
	start := time.Now()
	txID, err := s.rc.LifecycleCommitCC(a.ChannelID, resmgmt.LifecycleCommitCCRequest{
		Name: a.Name, Version: a.Version, Sequence: want.Sequence, SignaturePolicy: want.Policy,
		ChannelConfigPolicy: want.ChannelConfigPolicy, InitRequired: want.InitRequired,
	}, resmgmt.WithTargetEndpoints(s.allPeers()...), resmgmt.WithOrdererEndpoint(s.Orderer), s.timeout())
	if err != nil {
		var missing []string
		for org, ok := range ready.Approvals {
			if !ok {
				missing = append(missing, org)
			}
		}
		sort.Strings(missing)
		hint := ""
		if len(missing) > 0 {
			hint = fmt.Sprintf(" (not approved yet by: %s)", strings.Join(missing, ", "))
		}
		return module.Result{Data: data}, launchErr(fmt.Sprintf("committing %s sequence %d on %s failed%s", a.Name, want.Sequence, a.ChannelID, hint), err)
	}
	data["tx_id"] = string(txID)
	if !a.InitRequired {
		if err := s.waitReady(a.Name, a.ReadyArgs, start.Add(s.Cfg.Timeout)); err != nil {
			return module.Result{}, err
		}
	}
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("%s %s sequence %d committed on %s", a.Name, a.Version, want.Sequence, a.ChannelID)}, nil
}

func lines(list []string) string {
	if len(list) == 0 {
		return "(none)\n"
	}
	return strings.Join(list, "\n") + "\n"
}
