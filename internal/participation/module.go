package participation

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

// States of the fabric_orderer_channel module.
const (
	StateJoined = "joined"
	StateAbsent = "absent"
	StateListed = "listed"
)

// Args are the fabric_orderer_channel module's options.
type Args struct {
	State        string `json:"state"`
	AdminAddress string `json:"admin_address"`
	AdminTLSCA   string `json:"admin_tls_ca"`
	AdminTLSCert string `json:"admin_tls_cert"`
	AdminTLSKey  string `json:"admin_tls_key"`
	ChannelID    string `json:"channel_id"`
	BlockPath    string `json:"block_path"`
	Timeout      int64  `json:"timeout"`
}

// Spec declares fabric_orderer_channel's options.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_orderer_channel",
		Options: map[string]module.Option{
			"state":          {Type: module.Str, Default: StateJoined, Choices: []any{StateJoined, StateAbsent, StateListed}},
			"admin_address":  {Type: module.Str, Required: true},
			"admin_tls_ca":   {Type: module.Path, Required: true},
			"admin_tls_cert": {Type: module.Path, Required: true},
			"admin_tls_key":  {Type: module.Path, Required: true},
			"channel_id":     {Type: module.Str, Aliases: []string{"channel"}},
			"block_path":     {Type: module.Path},
			"timeout":        {Type: module.Int, Default: int64(120)},
		},
		RequiredIf: []module.RequiredIf{
			{Option: "state", Value: StateJoined, Requires: []string{"channel_id", "block_path"}},
			{Option: "state", Value: StateAbsent, Requires: []string{"channel_id"}},
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
	if a.Timeout < 1 {
		return module.Result{}, fmt.Errorf("timeout %d is not positive (seconds)", a.Timeout)
	}
	return states.Run(ctx, a.State, a)
}

var states = module.States[Args]{
	StateJoined: joined,
	StateAbsent: absent,
	StateListed: listed,
}

func (a Args) client() (*Client, error) {
	return New(a.AdminAddress, TLS{CA: a.AdminTLSCA, Cert: a.AdminTLSCert, Key: a.AdminTLSKey}, time.Duration(a.Timeout)*time.Second)
}

// listLines are an orderer's channels for a diff, the system channel marked.
func listLines(l ChannelList) string {
	names := l.Names()
	if l.SystemChannel != nil {
		names = append(names, l.SystemChannel.Name+" (system channel)")
	}
	slices.Sort(names)
	return module.Lines(names)
}

// listData is the list as the module returns it.
// channels connects to the orderer's admin endpoint and lists its
// channels, what every state starts from; the caller closes the client.
func (a Args) channels() (*Client, ChannelList, error) {
	c, err := a.client()
	if err != nil {
		return nil, ChannelList{}, err
	}
	l, err := c.List()
	if err != nil {
		c.Close()
		return nil, ChannelList{}, err
	}
	return c, l, nil
}

func listData(l ChannelList) map[string]any {
	d := map[string]any{"channels": l.Names(), "system_channel": nil}
	if d["channels"] == nil {
		d["channels"] = []string{}
	}
	if l.SystemChannel != nil {
		d["system_channel"] = l.SystemChannel.Name
	}
	return d
}

func listed(_ *module.Context, a Args) (module.Result, error) {
	c, l, err := a.channels()
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	return module.Result{Data: listData(l), Msg: fmt.Sprintf("orderer %s: %d channels", a.AdminAddress, len(l.Channels))}, nil
}

// ReadJoinBlock reads a config block file and checks it is channel's.
func ReadJoinBlock(path, channel string) ([]byte, *common.Block, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("block_path: %v", err)
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil || b.Header == nil {
		return nil, nil, fmt.Errorf("block_path %s is not a Fabric block", path)
	}
	ch, err := fabricclient.BlockChannel(b)
	if err != nil {
		return nil, nil, fmt.Errorf("block_path %s: %v", path, err)
	}
	if ch != channel {
		return nil, nil, fmt.Errorf("block_path %s is a block of channel %q, not channel_id %q", path, ch, channel)
	}
	return raw, b, nil
}

func joined(ctx *module.Context, a Args) (module.Result, error) {
	raw, block, err := ReadJoinBlock(a.BlockPath, a.ChannelID)
	if err != nil {
		return module.Result{}, err
	}
	c, l, err := a.channels()
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	data := listData(l)
	data["channel_id"] = a.ChannelID
	if slices.Contains(l.Names(), a.ChannelID) {
		info, err := c.Channel(a.ChannelID)
		if err != nil {
			return module.Result{}, err
		}
		data["info"] = info
		return module.Result{Data: data, Msg: fmt.Sprintf("orderer %s already has channel %s (%s, %s)", a.AdminAddress, a.ChannelID, info.ConsensusRelation, info.Status)}, nil
	}
	if l.SystemChannel != nil {
		// Fabric refuses it too ("cannot join: system channel exists"); say why.
		return module.Result{}, fmt.Errorf("orderer %s still has the system channel %s: channels are joined only once it is removed (playbooks/remove_system_channel.yml)", a.AdminAddress, l.SystemChannel.Name)
	}
	after := l
	after.Channels = append(slices.Clone(l.Channels), ChannelRef{Name: a.ChannelID})
	diff := module.Diff{Before: listLines(l), After: listLines(after), BeforeHeader: "channels of orderer " + a.AdminAddress, AfterHeader: "channels of orderer " + a.AdminAddress}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff},
			Msg: fmt.Sprintf("orderer %s would join channel %s with block %d", a.AdminAddress, a.ChannelID, block.Header.Number)}, nil
	}
	start := time.Now()
	info, err := c.Join(raw)
	if err != nil {
		return module.Result{}, fmt.Errorf("orderer %s could not join channel %s: %v", a.AdminAddress, a.ChannelID, err)
	}
	// A consenter joined with the genesis block is active at once; one that
	// joins later catches up from the others first (onboarding).
	info, err = waitActive(c, info, time.Now().Add(time.Duration(a.Timeout)*time.Second))
	data["info"] = info
	if err != nil {
		return module.Result{}, fmt.Errorf("orderer %s joined channel %s but %v", a.AdminAddress, a.ChannelID, err)
	}
	data["channels"] = append(l.Names(), a.ChannelID)
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff},
		Msg: fmt.Sprintf("orderer %s joined channel %s (%s, %s)", a.AdminAddress, a.ChannelID, info.ConsensusRelation, info.Status)}, nil
}

// waitActive polls the channel until it is active (or, for an orderer
// outside the consenter set, a config tracker) or the deadline passes.
func waitActive(c *Client, info ChannelInfo, deadline time.Time) (ChannelInfo, error) {
	for {
		switch {
		case info.Status == "active", info.ConsensusRelation == "config-tracker" && info.Status == "inactive":
			return info, nil
		case info.Status == "failed":
			return info, fmt.Errorf("the channel's status is failed (see the orderer's log)")
		case time.Now().After(deadline):
			return info, fmt.Errorf("the channel is still %s (%s) at height %d", info.Status, info.ConsensusRelation, info.Height)
		}
		time.Sleep(500 * time.Millisecond)
		var err error
		if info, err = c.Channel(info.Name); err != nil {
			return info, err
		}
	}
}

func absent(ctx *module.Context, a Args) (module.Result, error) {
	c, l, err := a.channels()
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()
	data := listData(l)
	data["channel_id"] = a.ChannelID
	system := l.SystemChannel != nil && l.SystemChannel.Name == a.ChannelID
	if !system && !slices.Contains(l.Names(), a.ChannelID) {
		return module.Result{Data: data, Msg: fmt.Sprintf("orderer %s does not have channel %s", a.AdminAddress, a.ChannelID)}, nil
	}
	after := l
	if system {
		after.SystemChannel = nil
	} else {
		after.Channels = slices.DeleteFunc(slices.Clone(l.Channels), func(r ChannelRef) bool { return r.Name == a.ChannelID })
	}
	diff := module.Diff{Before: listLines(l), After: listLines(after), BeforeHeader: "channels of orderer " + a.AdminAddress, AfterHeader: "channels of orderer " + a.AdminAddress}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("orderer %s would remove channel %s", a.AdminAddress, a.ChannelID)}, nil
	}
	start := time.Now()
	if err := c.Remove(a.ChannelID); err != nil && !errors.Is(err, ErrNotFound) {
		return module.Result{}, fmt.Errorf("orderer %s could not remove channel %s: %v", a.AdminAddress, a.ChannelID, err)
	}
	// Removal finishes in the background (the channel reads as pending
	// removal until its ledger is gone).
	deadline := start.Add(time.Duration(a.Timeout) * time.Second)
	for {
		l, err = c.List()
		if err != nil {
			return module.Result{}, err
		}
		gone := !slices.Contains(l.Names(), a.ChannelID) && (l.SystemChannel == nil || l.SystemChannel.Name != a.ChannelID)
		if gone {
			break
		}
		if time.Now().After(deadline) {
			return module.Result{}, fmt.Errorf("orderer %s still lists channel %s %ds after removing it", a.AdminAddress, a.ChannelID, a.Timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for k, v := range listData(l) {
		data[k] = v
	}
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff}, Msg: fmt.Sprintf("orderer %s removed channel %s", a.AdminAddress, a.ChannelID)}, nil
}
