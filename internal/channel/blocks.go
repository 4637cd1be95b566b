package channel

// Channel blocks from the orderer, and files written only when they differ.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

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
				return module.Result{}, fmt.Errorf("block %d of channel %s is not available from %s (the channel does not exist or is shorter)", n, a.ChannelID, c.OrderersText())
			}
			return module.Result{}, fmt.Errorf("channel %s does not exist on %s", a.ChannelID, c.OrderersText())
		}
		return module.Result{}, ordererErr(c, fmt.Sprintf("fetching block %s of channel %s from %s", what, a.ChannelID, c.OrderersText()), err)
	}
	written, diff, err := saveBlock(a.BlockPath, block, ctx.CheckMode())
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

// saveBlock writes block to path unless the file holds it already; in
// check mode it only reports.
func saveBlock(path string, block *common.Block, check bool) (bool, module.Diff, error) {
	b, err := proto.Marshal(block)
	if err != nil {
		return false, module.Diff{}, err
	}
	return writeIfDifferent(path, b, check)
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
