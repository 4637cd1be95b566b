package channel

// Anchor peer updates: what a transaction sets, what the channel has.

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	pb "github.com/hyperledger/fabric-protos-go/peer"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

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
	diff := module.Diff{Before: module.Lines(have), After: module.Lines(want),
		BeforeHeader: fmt.Sprintf("anchor peers of %s on %s", org, a.ChannelID), AfterHeader: fmt.Sprintf("anchor peers of %s on %s", org, a.ChannelID)}
	data["previous_anchor_peers"] = have
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: "anchor peers would be updated"}, nil
	}
	save, err := c.ConfigTxSaver()
	if err != nil {
		return module.Result{}, err
	}
	if err := save(a.ChannelID, txBytes); err != nil {
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
			return nil, fmt.Errorf("channel %s does not exist on %s", channelID, c.OrderersText())
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
