package channel

// Peers joining channels and listing them.

import (
	"fmt"
	"sort"
	"strings"
	"time"

	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/resource"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

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
	c, channels, err := openPeer(a)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	data := map[string]any{"channel_id": a.ChannelID, "peer": a.Peer, "channels": channels}
	if contains(channels, a.ChannelID) {
		return module.Result{Data: data, Msg: fmt.Sprintf("peer %s is already on channel %s", a.Peer, a.ChannelID)}, nil
	}
	after := append(append([]string{}, channels...), a.ChannelID)
	sort.Strings(after)
	diff := module.Diff{Before: module.Lines(channels), After: module.Lines(after), BeforeHeader: "channels of peer " + a.Peer, AfterHeader: "channels of peer " + a.Peer}
	if ctx.CheckMode() {
		data["channels"] = after
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("peer %s would join channel %s", a.Peer, a.ChannelID)}, nil
	}
	start := time.Now()
	peer, err := c.PeerTarget(0)
	if err != nil {
		return module.Result{}, err
	}
	reqCtx, cancel, err := c.Request(0)
	if err != nil {
		return module.Result{}, err
	}
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

// openPeer connects to the task's peer and lists its channels; the caller
// closes the client.
func openPeer(a Args) (*fabricclient.Client, []string, error) {
	c, err := client(a, false, true)
	if err != nil {
		return nil, nil, err
	}
	channels, err := peerChannels(c, a.Peer)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, channels, nil
}

func peerChannels(c *fabricclient.Client, addr string) ([]string, error) {
	peer, err := c.PeerTarget(0)
	if err != nil {
		return nil, err
	}
	reqCtx, cancel, err := c.Request(0)
	if err != nil {
		return nil, err
	}
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

func listed(_ *module.Context, a Args) (module.Result, error) {
	c, channels, err := openPeer(a)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	data := map[string]any{"peer": a.Peer, "channels": channels}
	if a.ChannelID != "" {
		data["joined"] = contains(channels, a.ChannelID)
	}
	return module.Result{Data: data}, nil
}
