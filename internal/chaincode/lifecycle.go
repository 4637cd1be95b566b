package chaincode

// The v2 lifecycle: install a package, approve a definition per org, commit it.

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/resmgmt"

	"github.com/fabrun/fabrun/internal/module"
)

func lifecycleInstalled(ctx *module.Context, a Args) (module.Result, error) {
	if a.Label == "" && a.Name == "" {
		return module.Result{}, fmt.Errorf("state is lifecycle_installed but both label and name are missing (the label defaults to name_version)")
	}
	s, pkg, err := openPackage(a)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
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
	after, diff := installDiff(ids, id, "packages", a.Peer)
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
	}, s.mainPeer(), s.ordering, s.timeout())
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
	}, resmgmt.WithTargetEndpoints(s.allPeers()...), s.ordering, s.timeout())
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
