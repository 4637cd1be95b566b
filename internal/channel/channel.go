// Package channel is the logic of the fabric_channel module: create a
// channel through the orderer, join peers, fetch blocks, apply anchor-peer
// updates and list a peer's channels, each idempotent and check-mode aware.
package channel

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/resmgmt"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	contextImpl "github.com/hyperledger/fabric-sdk-go/pkg/context"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/resource"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

// States the module accepts.
const (
	StatePresent        = "present"
	StateJoined         = "joined"
	StateFetched        = "fetched"
	StateAnchorsUpdated = "anchors_updated"
	StateListed         = "listed"
)

// Args are the module's options.
type Args struct {
	fabricclient.CommonArgs
	State     string `json:"state"`
	ChannelTx string `json:"channel_tx"`
	BlockPath string `json:"block_path"`
	Block     string `json:"block"`
	AnchorsTx string `json:"anchors_tx"`
}

// Spec declares fabric_channel's options.
func Spec() module.Spec {
	opts := fabricclient.CommonOptions()
	opts["state"] = module.Option{Type: module.Str, Default: StatePresent,
		Choices: []any{StatePresent, StateJoined, StateFetched, StateAnchorsUpdated, StateListed}}
	opts["channel_tx"] = module.Option{Type: module.Path}
	opts["block_path"] = module.Option{Type: module.Path, Aliases: []string{"dest"}}
	opts["block"] = module.Option{Type: module.Str, Default: "newest"}
	opts["anchors_tx"] = module.Option{Type: module.Path}
	return module.Spec{
		Name:             "fabric_channel",
		Options:          opts,
		RequiredTogether: fabricclient.CommonTogether,
		RequiredIf: []module.RequiredIf{
			{Option: "state", Value: StatePresent, Requires: []string{"channel_id", "orderer", "orderer_tls_ca", "channel_tx", "block_path"}},
			{Option: "state", Value: StateJoined, Requires: []string{"channel_id", "peer", "peer_tls_ca", "block_path"}},
			{Option: "state", Value: StateFetched, Requires: []string{"channel_id", "orderer", "orderer_tls_ca", "block_path"}},
			{Option: "state", Value: StateAnchorsUpdated, Requires: []string{"channel_id", "orderer", "orderer_tls_ca", "anchors_tx"}},
			{Option: "state", Value: StateListed, Requires: []string{"peer", "peer_tls_ca"}},
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
	switch a.State {
	case StatePresent:
		return present(ctx, a)
	case StateJoined:
		return joined(ctx, a)
	case StateFetched:
		return fetched(ctx, a)
	case StateAnchorsUpdated:
		return anchors(ctx, a)
	case StateListed:
		return listed(a)
	}
	return module.Result{}, fmt.Errorf("unknown state %q", a.State)
}

func client(a Args, orderer, peer bool) (*fabricclient.Client, error) {
	cfg, err := a.Config(orderer, peer)
	if err != nil {
		return nil, err
	}
	return fabricclient.New(cfg)
}

// --- present ---------------------------------------------------------------

func present(ctx *module.Context, a Args) (module.Result, error) {
	tx, err := readChannelTx(a.ChannelTx, a.ChannelID)
	if err != nil {
		return module.Result{}, err
	}
	c, err := client(a, true, false)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	data := map[string]any{"channel_id": a.ChannelID, "block_path": a.BlockPath}

	// A Kafka-based orderer answers SERVICE_UNAVAILABLE for a channel whose
	// chain is still connecting to Kafka (after an orderer or broker restart):
	// retry that until the timeout.
	genesis, err := c.FetchBlock(a.ChannelID, fabricclient.Number(0), false, 0)
	for deadline := time.Now().Add(c.Cfg.Timeout); err != nil && time.Now().Before(deadline); {
		if st, ok := fabricclient.OrdererStatus(err); !ok || st != common.Status_SERVICE_UNAVAILABLE {
			break
		}
		time.Sleep(time.Second)
		genesis, err = c.FetchBlock(a.ChannelID, fabricclient.Number(0), false, 0)
	}
	switch {
	case err == nil:
		// The channel exists: make sure the block file holds its genesis block.
		data["created"] = false
		b, err := marshalBlock(genesis)
		if err != nil {
			return module.Result{}, err
		}
		written, diff, err := writeIfDifferent(a.BlockPath, b, ctx.CheckMode())
		if err != nil {
			return module.Result{}, err
		}
		data["block_written"] = written
		data["block_number"] = 0
		res := module.Result{Data: data, Msg: fmt.Sprintf("channel %s already exists", a.ChannelID)}
		if written {
			res.Msg += "; its genesis block was saved to " + a.BlockPath
			res.Diff = []module.Diff{diff}
		}
		return res, nil
	case fabricclient.IsChannelNotFound(err):
	default:
		return module.Result{}, ordererErr(c, fmt.Sprintf("asking orderer %s for channel %s", a.Orderer, a.ChannelID), err)
	}

	data["created"] = true
	diff := module.Diff{
		Before: fmt.Sprintf("channel %s: absent\n", a.ChannelID), After: fmt.Sprintf("channel %s: created from %s\ngenesis block: %s\n", a.ChannelID, a.ChannelTx, a.BlockPath),
		BeforeHeader: "orderer " + a.Orderer, AfterHeader: "orderer " + a.Orderer,
	}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("channel %s would be created", a.ChannelID)}, nil
	}

	start := time.Now()
	rc, err := resmgmt.New(c.ClientProvider())
	if err != nil {
		return module.Result{}, err
	}
	// A Kafka-based orderer answers SERVICE_UNAVAILABLE until its system
	// channel's partition is ready: retry that until the timeout.
	deadline := start.Add(c.Cfg.Timeout)
	for {
		_, err = rc.SaveChannel(resmgmt.SaveChannelRequest{ChannelID: a.ChannelID, ChannelConfig: bytes.NewReader(tx)},
			resmgmt.WithOrdererEndpoint(c.Orderer), resmgmt.WithTimeout(fab.OrdererResponse, c.Cfg.Timeout))
		if err == nil {
			break
		}
		if st, ok := fabricclient.OrdererStatus(err); ok && st == common.Status_SERVICE_UNAVAILABLE && time.Now().Before(deadline) {
			time.Sleep(time.Second)
			continue
		}
		// A lost reply to a successful creation: the channel is there.
		if _, ferr := c.FetchBlock(a.ChannelID, fabricclient.Number(0), false, 0); ferr == nil {
			ctx.Warn("creating channel %s reported %q, but the channel exists", a.ChannelID, fabricclient.ShortError(err))
			err = nil
			break
		}
		if fabricclient.Unreachable(err) {
			return module.Result{}, ordererErr(c, fmt.Sprintf("creating channel %s", a.ChannelID), err)
		}
		return module.Result{}, fmt.Errorf("creating channel %s through orderer %s failed: %s", a.ChannelID, a.Orderer, fabricclient.ShortError(err))
	}
	// The orderer may need a moment (Kafka: a topic) before the channel serves.
	genesis, err = waitGenesis(c, a.ChannelID)
	if err != nil {
		return module.Result{}, err
	}
	b, err := marshalBlock(genesis)
	if err != nil {
		return module.Result{}, err
	}
	if _, _, err := writeIfDifferent(a.BlockPath, b, false); err != nil {
		return module.Result{}, err
	}
	data["block_number"] = 0
	data["block_written"] = true
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff},
		Msg: fmt.Sprintf("channel %s created; genesis block saved to %s", a.ChannelID, a.BlockPath)}, nil
}

func waitGenesis(c *fabricclient.Client, channelID string) (*common.Block, error) {
	deadline := time.Now().Add(c.Cfg.Timeout)
	var last error
	for time.Now().Before(deadline) {
		b, err := c.FetchBlock(channelID, fabricclient.Number(0), true, time.Until(deadline))
		if err == nil {
			return b, nil
		}
		last = err
		st, ok := fabricclient.OrdererStatus(err)
		if !ok || (st != common.Status_NOT_FOUND && st != common.Status_SERVICE_UNAVAILABLE) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	return nil, fmt.Errorf("channel %s was submitted but its genesis block could not be fetched: %s", channelID, fabricclient.ShortError(last))
}

// readChannelTx reads a channel creation transaction and checks it is one
// for channelID.
func readChannelTx(path, channelID string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("channel_tx: %v", err)
	}
	env := &common.Envelope{}
	if err := proto.Unmarshal(b, env); err != nil {
		return nil, fmt.Errorf("channel_tx %s is not a transaction envelope: %v", path, err)
	}
	chdr, err := fabricclient.EnvelopeChannelHeader(env)
	if err != nil {
		return nil, fmt.Errorf("channel_tx %s: %v", path, err)
	}
	if common.HeaderType(chdr.Type) != common.HeaderType_CONFIG_UPDATE {
		return nil, fmt.Errorf("channel_tx %s is a %s transaction, not a channel creation (CONFIG_UPDATE) transaction", path, common.HeaderType(chdr.Type))
	}
	if chdr.ChannelId != channelID {
		return nil, fmt.Errorf("channel_tx %s creates channel %q, not channel_id %q", path, chdr.ChannelId, channelID)
	}
	return b, nil
}

// --- joined ----------------------------------------------------------------

func joined(ctx *module.Context, a Args) (module.Result, error) {
	block, _, err := readBlock(a.BlockPath)
	if err != nil {
		return module.Result{}, err
	}
	if block.Header.Number != 0 {
		return module.Result{}, fmt.Errorf("block_path %s holds block %d; joining needs the channel's genesis block (block 0)", a.BlockPath, block.Header.Number)
	}
	ch, err := fabricclient.BlockChannel(block)
	if err != nil {
		return module.Result{}, fmt.Errorf("block_path %s: %v", a.BlockPath, err)
	}
	if ch != a.ChannelID {
		return module.Result{}, fmt.Errorf("block_path %s is the genesis block of channel %q, not channel_id %q", a.BlockPath, ch, a.ChannelID)
	}
	c, err := client(a, false, true)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	channels, err := peerChannels(c, a.Peer)
	if err != nil {
		return module.Result{}, err
	}
	data := map[string]any{"channel_id": a.ChannelID, "peer": a.Peer, "channels": channels}
	if contains(channels, a.ChannelID) {
		return module.Result{Data: data, Msg: fmt.Sprintf("peer %s is already on channel %s", a.Peer, a.ChannelID)}, nil
	}
	after := append(append([]string{}, channels...), a.ChannelID)
	sort.Strings(after)
	diff := module.Diff{Before: lines(channels), After: lines(after), BeforeHeader: "channels of peer " + a.Peer, AfterHeader: "channels of peer " + a.Peer}
	if ctx.CheckMode() {
		data["channels"] = after
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("peer %s would join channel %s", a.Peer, a.ChannelID)}, nil
	}
	start := time.Now()
	peer, err := c.PeerTarget(0)
	if err != nil {
		return module.Result{}, err
	}
	cctx, err := c.Context()
	if err != nil {
		return module.Result{}, err
	}
	reqCtx, cancel := contextImpl.NewRequest(cctx, contextImpl.WithTimeout(c.Cfg.Timeout))
	defer cancel()
	if err := resource.JoinChannel(reqCtx, resource.JoinChannelRequest{GenesisBlock: block}, []fab.ProposalProcessor{peer}); err != nil {
		return module.Result{}, fmt.Errorf("peer %s could not join channel %s: %s", a.Peer, a.ChannelID, fabricclient.ShortError(err))
	}
	channels, err = peerChannels(c, a.Peer)
	if err != nil {
		return module.Result{}, err
	}
	if !contains(channels, a.ChannelID) {
		return module.Result{}, fmt.Errorf("peer %s accepted the join but does not list channel %s (it lists: %s)", a.Peer, a.ChannelID, strings.Join(channels, ", "))
	}
	data["channels"] = channels
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("peer %s joined channel %s", a.Peer, a.ChannelID)}, nil
}

func peerChannels(c *fabricclient.Client, addr string) ([]string, error) {
	peer, err := c.PeerTarget(0)
	if err != nil {
		return nil, err
	}
	cctx, err := c.Context()
	if err != nil {
		return nil, err
	}
	reqCtx, cancel := contextImpl.NewRequest(cctx, contextImpl.WithTimeout(c.Cfg.Timeout))
	defer cancel()
	resp, err := resource.QueryChannels(reqCtx, peer)
	if err != nil {
		if fabricclient.Unreachable(err) {
			return nil, fmt.Errorf("peer %s is unreachable (%s): %s", addr, c.UnreachableHint("peer"), fabricclient.ShortError(err))
		}
		return nil, fmt.Errorf("listing the channels of peer %s failed: %s", addr, fabricclient.ShortError(err))
	}
	return channelNames(resp), nil
}

func channelNames(resp *pb.ChannelQueryResponse) []string {
	out := []string{}
	for _, ch := range resp.GetChannels() {
		out = append(out, ch.ChannelId)
	}
	sort.Strings(out)
	return out
}

// --- listed ----------------------------------------------------------------

func listed(a Args) (module.Result, error) {
	c, err := client(a, false, true)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	channels, err := peerChannels(c, a.Peer)
	if err != nil {
		return module.Result{}, err
	}
	data := map[string]any{"peer": a.Peer, "channels": channels}
	if a.ChannelID != "" {
		data["joined"] = contains(channels, a.ChannelID)
	}
	return module.Result{Data: data}, nil
}

// --- fetched ---------------------------------------------------------------

func fetched(ctx *module.Context, a Args) (module.Result, error) {
	c, err := client(a, true, false)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	var block *common.Block
	what := strings.ToLower(strings.TrimSpace(a.Block))
	switch what {
	case "newest", "":
		block, err = c.FetchBlock(a.ChannelID, fabricclient.Newest(), false, 0)
	case "oldest":
		block, err = c.FetchBlock(a.ChannelID, fabricclient.Oldest(), false, 0)
	case "config":
		block, err = c.ConfigBlock(a.ChannelID)
	default:
		n, perr := strconv.ParseUint(what, 10, 64)
		if perr != nil {
			return module.Result{}, fmt.Errorf("block must be newest, oldest, config or a block number, got %q", a.Block)
		}
		block, err = c.FetchBlock(a.ChannelID, fabricclient.Number(n), false, 0)
	}
	if err != nil {
		if fabricclient.IsChannelNotFound(err) {
			if n, perr := strconv.ParseUint(what, 10, 64); perr == nil {
				return module.Result{}, fmt.Errorf("block %d of channel %s is not available from orderer %s (the channel does not exist or is shorter)", n, a.ChannelID, a.Orderer)
			}
			return module.Result{}, fmt.Errorf("channel %s does not exist on orderer %s", a.ChannelID, a.Orderer)
		}
		return module.Result{}, ordererErr(c, fmt.Sprintf("fetching block %s of channel %s from orderer %s", what, a.ChannelID, a.Orderer), err)
	}
	b, err := marshalBlock(block)
	if err != nil {
		return module.Result{}, err
	}
	written, diff, err := writeIfDifferent(a.BlockPath, b, ctx.CheckMode())
	if err != nil {
		return module.Result{}, err
	}
	data := map[string]any{"channel_id": a.ChannelID, "block_path": a.BlockPath, "block_number": block.Header.Number}
	res := module.Result{Changed: written, Data: data}
	if written {
		res.Diff = []module.Diff{diff}
		res.Msg = fmt.Sprintf("block %d of channel %s saved to %s", block.Header.Number, a.ChannelID, a.BlockPath)
	} else {
		res.Msg = fmt.Sprintf("%s already holds block %d of channel %s", a.BlockPath, block.Header.Number, a.ChannelID)
	}
	return res, nil
}

// --- anchors_updated --------------------------------------------------------

func anchors(ctx *module.Context, a Args) (module.Result, error) {
	txBytes, err := os.ReadFile(a.AnchorsTx)
	if err != nil {
		return module.Result{}, fmt.Errorf("anchors_tx: %v", err)
	}
	org, want, err := AnchorUpdate(txBytes, a.ChannelID)
	if err != nil {
		return module.Result{}, fmt.Errorf("anchors_tx %s: %v", a.AnchorsTx, err)
	}
	c, err := client(a, true, false)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	have, err := currentAnchors(c, a.ChannelID, org)
	if err != nil {
		return module.Result{}, err
	}
	data := map[string]any{"channel_id": a.ChannelID, "org": org, "anchor_peers": want}
	if sameSet(have, want) {
		return module.Result{Data: data, Msg: fmt.Sprintf("%s already has anchor peers %s on channel %s", org, strings.Join(want, ", "), a.ChannelID)}, nil
	}
	diff := module.Diff{Before: lines(have), After: lines(want),
		BeforeHeader: fmt.Sprintf("anchor peers of %s on %s", org, a.ChannelID), AfterHeader: fmt.Sprintf("anchor peers of %s on %s", org, a.ChannelID)}
	data["previous_anchor_peers"] = have
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: "anchor peers would be updated"}, nil
	}
	rc, err := resmgmt.New(c.ClientProvider())
	if err != nil {
		return module.Result{}, err
	}
	_, err = rc.SaveChannel(resmgmt.SaveChannelRequest{ChannelID: a.ChannelID, ChannelConfig: bytes.NewReader(txBytes)},
		resmgmt.WithOrdererEndpoint(c.Orderer), resmgmt.WithTimeout(fab.OrdererResponse, c.Cfg.Timeout))
	if err != nil {
		return module.Result{}, fmt.Errorf("updating the anchor peers of %s on channel %s failed: %s", org, a.ChannelID, fabricclient.ShortError(err))
	}
	// Wait until the new config block is cut, so later tasks see it.
	deadline := time.Now().Add(c.Cfg.Timeout)
	for {
		now, err := currentAnchors(c, a.ChannelID, org)
		if err == nil && sameSet(now, want) {
			break
		}
		if time.Now().After(deadline) {
			return module.Result{}, fmt.Errorf("the anchor peer update of %s was accepted but the channel config does not show it after %s", org, c.Cfg.Timeout)
		}
		time.Sleep(300 * time.Millisecond)
	}
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff},
		Msg: fmt.Sprintf("anchor peers of %s on channel %s set to %s", org, a.ChannelID, strings.Join(want, ", "))}, nil
}

// AnchorUpdate decodes an anchor-peer update transaction (configtxgen
// -outputAnchorPeersUpdate): the organisation it is for and the anchor
// peers it sets, as host:port.
func AnchorUpdate(tx []byte, channelID string) (string, []string, error) {
	env := &common.Envelope{}
	if err := proto.Unmarshal(tx, env); err != nil {
		return "", nil, fmt.Errorf("not a transaction envelope: %v", err)
	}
	p := &common.Payload{}
	if err := proto.Unmarshal(env.Payload, p); err != nil {
		return "", nil, fmt.Errorf("bad payload: %v", err)
	}
	chdr, err := fabricclient.EnvelopeChannelHeader(env)
	if err != nil {
		return "", nil, err
	}
	if common.HeaderType(chdr.Type) != common.HeaderType_CONFIG_UPDATE {
		return "", nil, fmt.Errorf("a %s transaction, not a config update", common.HeaderType(chdr.Type))
	}
	if chdr.ChannelId != channelID {
		return "", nil, fmt.Errorf("the update is for channel %q, not channel_id %q", chdr.ChannelId, channelID)
	}
	cue := &common.ConfigUpdateEnvelope{}
	if err := proto.Unmarshal(p.Data, cue); err != nil {
		return "", nil, fmt.Errorf("bad config update envelope: %v", err)
	}
	cu := &common.ConfigUpdate{}
	if err := proto.Unmarshal(cue.ConfigUpdate, cu); err != nil {
		return "", nil, fmt.Errorf("bad config update: %v", err)
	}
	app := cu.GetWriteSet().GetGroups()["Application"]
	if app == nil {
		return "", nil, fmt.Errorf("the update does not touch the Application group")
	}
	var orgs []string
	for name, g := range app.Groups {
		if _, ok := g.Values["AnchorPeers"]; ok {
			orgs = append(orgs, name)
		}
	}
	if len(orgs) != 1 {
		return "", nil, fmt.Errorf("expected an anchor peer update for exactly one organisation, found %d", len(orgs))
	}
	peers, err := decodeAnchors(app.Groups[orgs[0]].Values["AnchorPeers"])
	if err != nil {
		return "", nil, err
	}
	return orgs[0], peers, nil
}

func decodeAnchors(v *common.ConfigValue) ([]string, error) {
	if v == nil {
		return []string{}, nil
	}
	ap := &pb.AnchorPeers{}
	if err := proto.Unmarshal(v.Value, ap); err != nil {
		return nil, fmt.Errorf("bad AnchorPeers value: %v", err)
	}
	out := []string{}
	for _, p := range ap.AnchorPeers {
		out = append(out, fmt.Sprintf("%s:%d", p.Host, p.Port))
	}
	sort.Strings(out)
	return out, nil
}

func currentAnchors(c *fabricclient.Client, channelID, org string) ([]string, error) {
	block, err := c.ConfigBlock(channelID)
	if err != nil {
		if fabricclient.IsChannelNotFound(err) {
			return nil, fmt.Errorf("channel %s does not exist on orderer %s", channelID, c.Cfg.Orderer.Address)
		}
		return nil, ordererErr(c, fmt.Sprintf("reading the config of channel %s", channelID), err)
	}
	cfg, err := fabricclient.BlockConfig(block)
	if err != nil {
		return nil, err
	}
	g := cfg.GetChannelGroup().GetGroups()["Application"].GetGroups()[org]
	if g == nil {
		return nil, fmt.Errorf("organisation %s is not a member of channel %s", org, channelID)
	}
	return decodeAnchors(g.Values["AnchorPeers"])
}

// --- helpers ---------------------------------------------------------------

func ordererErr(c *fabricclient.Client, what string, err error) error {
	if fabricclient.Unreachable(err) {
		return fmt.Errorf("%s failed: orderer %s is unreachable (%s): %s", what, c.Cfg.Orderer.Address, c.UnreachableHint("orderer"), fabricclient.ShortError(err))
	}
	return fmt.Errorf("%s failed: %s", what, fabricclient.ShortError(err))
}

func readBlock(path string) (*common.Block, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("block_path: %v", err)
	}
	block := &common.Block{}
	if err := proto.Unmarshal(raw, block); err != nil || block.Header == nil {
		return nil, nil, fmt.Errorf("block_path %s is not a Fabric block", path)
	}
	return block, raw, nil
}

func marshalBlock(b *common.Block) ([]byte, error) {
	return proto.Marshal(b)
}

// BlockSummary describes a block for diffs.
func blockSummary(raw []byte) string {
	if raw == nil {
		return "(no file)\n"
	}
	b := &common.Block{}
	if proto.Unmarshal(raw, b) != nil || b.Header == nil {
		return fmt.Sprintf("(%d bytes, not a block)\n", len(raw))
	}
	ch, _ := fabricclient.BlockChannel(b)
	return fmt.Sprintf("channel: %s\nblock: %d\ntransactions: %d\nbytes: %d\n", ch, b.Header.Number, len(b.GetData().GetData()), len(raw))
}

// writeIfDifferent writes content to path atomically unless it is already
// there. In check mode it only reports.
func writeIfDifferent(path string, content []byte, check bool) (bool, module.Diff, error) {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return false, module.Diff{}, fmt.Errorf("block_path: %v", err)
	}
	if err == nil && bytes.Equal(old, content) {
		return false, module.Diff{}, nil
	}
	diff := module.Diff{Before: blockSummary(old), After: blockSummary(content), BeforeHeader: path, AfterHeader: path}
	if err != nil {
		diff.Before = "(no file)\n"
	}
	if check {
		return true, diff, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, diff, fmt.Errorf("block_path: %v", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return false, diff, fmt.Errorf("block_path: %v", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return false, diff, fmt.Errorf("block_path: %v", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, diff, err
	}
	if err := tmp.Close(); err != nil {
		return false, diff, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, diff, fmt.Errorf("block_path: %v", err)
	}
	return true, diff, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string{}, a...)
	y := append([]string{}, b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

func lines(list []string) string {
	if len(list) == 0 {
		return "(none)\n"
	}
	return strings.Join(list, "\n") + "\n"
}
