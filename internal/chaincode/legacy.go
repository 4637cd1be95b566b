package chaincode

// The legacy lifecycle the seed uses: install a package on a peer, then
// instantiate or upgrade it on a channel.

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go/common"
	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/resmgmt"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/resource"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

// installed packages the chaincode only when the peer lacks this name and
// version: packaging compresses the whole source tree and the executable
// (seconds of CPU per peer), which a run with nothing to install skips.
func installed(ctx *module.Context, a Args) (module.Result, error) {
	if _, err := checkGoSource(a.Path); err != nil {
		return module.Result{}, err
	}
	if a.Binary != "" {
		if err := checkPrebuilt(a.Binary); err != nil {
			return module.Result{}, err
		}
	}
	s, err := open(a, false, false)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	have, err := s.rc.QueryInstalledChaincodes(s.mainPeer(), s.timeout())
	if err != nil {
		return module.Result{}, s.peerErr("listing installed chaincodes", err)
	}
	list := installedList(have)
	data := map[string]any{"name": a.Name, "version": a.Version, "peer": a.Peer,
		"prebuilt": a.Binary != "", "installed_chaincodes": list}
	for _, cc := range have.GetChaincodes() {
		if cc.Name == a.Name && cc.Version == a.Version {
			data["cc_path"] = cc.Path
			return module.Result{Data: data, Msg: fmt.Sprintf("chaincode %s %s is already installed on peer %s", a.Name, a.Version, a.Peer)}, nil
		}
	}
	var pkg *Package
	if a.Binary != "" {
		pkg, err = PrebuiltPackage(a.Path, labelFor(a), a.Binary, !ctx.CheckMode())
	} else {
		pkg, err = PackageGo(a.Path, labelFor(a))
	}
	if err != nil {
		return module.Result{}, err
	}
	data["cc_path"], data["package_bytes"] = pkg.Path, len(pkg.Code)
	after, diff := installDiff(list, a.Name+" "+a.Version, "chaincodes", a.Peer)
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
		Args: fabricclient.ChaincodeArgs(a.CallArgs), Policy: policy}
	opts := []resmgmt.RequestOption{resmgmt.WithTargetEndpoints(s.allPeers()...), s.ordering, s.timeout()}
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
