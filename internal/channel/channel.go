// Package channel is the logic of the fabric_channel module: create a
// channel through the orderer, join peers, fetch blocks, apply anchor-peer
// updates and list a peer's channels, each idempotent and check-mode aware.
package channel

import (
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"

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
		Name:              "fabric_channel",
		Options:           opts,
		RequiredTogether:  fabricclient.CommonTogether,
		MutuallyExclusive: fabricclient.CommonExclusive,
		// orderers (or orderer) is checked with the connection options.
		RequiredIf: []module.RequiredIf{
			{Option: "state", Value: StatePresent, Requires: []string{"channel_id", "orderer_tls_ca", "channel_tx", "block_path"}},
			{Option: "state", Value: StateJoined, Requires: []string{"channel_id", "peer", "peer_tls_ca", "block_path"}},
			{Option: "state", Value: StateFetched, Requires: []string{"channel_id", "orderer_tls_ca", "block_path"}},
			{Option: "state", Value: StateAnchorsUpdated, Requires: []string{"channel_id", "orderer_tls_ca", "anchors_tx"}},
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
	return states.Run(ctx, a.State, a)
}

// states are the module's states and the functions that bring them about.
var states = module.States[Args]{
	StatePresent:        present,
	StateJoined:         joined,
	StateFetched:        fetched,
	StateAnchorsUpdated: anchors,
	StateListed:         listed,
}

func client(a Args, orderer, peer bool) (*fabricclient.Client, error) {
	cfg, err := a.Config(orderer, peer)
	if err != nil {
		return nil, err
	}
	return fabricclient.New(cfg)
}

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
		written, diff, err := saveBlock(a.BlockPath, genesis, ctx.CheckMode())
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
		return module.Result{}, ordererErr(c, fmt.Sprintf("asking %s for channel %s", c.OrderersText(), a.ChannelID), err)
	}

	data["created"] = true
	diff := module.Diff{
		Before: fmt.Sprintf("channel %s: absent\n", a.ChannelID), After: fmt.Sprintf("channel %s: created from %s\ngenesis block: %s\n", a.ChannelID, a.ChannelTx, a.BlockPath),
		BeforeHeader: c.OrderersText(), AfterHeader: c.OrderersText(),
	}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("channel %s would be created", a.ChannelID)}, nil
	}

	start := time.Now()
	save, err := c.ConfigTxSaver()
	if err != nil {
		return module.Result{}, err
	}
	// A Kafka-based orderer answers SERVICE_UNAVAILABLE until its system
	// channel's partition is ready: retry that until the timeout.
	deadline := start.Add(c.Cfg.Timeout)
	for {
		err = save(a.ChannelID, tx)
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
		return module.Result{}, fmt.Errorf("creating channel %s through %s failed: %s", a.ChannelID, c.OrderersText(), fabricclient.ShortError(err))
	}
	// The orderer may need a moment (Kafka: a topic) before the channel serves.
	genesis, err = waitGenesis(c, a.ChannelID)
	if err != nil {
		return module.Result{}, err
	}
	if _, _, err := saveBlock(a.BlockPath, genesis, false); err != nil {
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

func ordererErr(c *fabricclient.Client, what string, err error) error {
	if fabricclient.Unreachable(err) {
		return fmt.Errorf("%s failed: %s unreachable (%s): %s", what, c.OrderersText(), c.UnreachableHint("orderer"), fabricclient.ShortError(err))
	}
	return fmt.Errorf("%s failed: %s", what, fabricclient.ShortError(err))
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
