package channel

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	pb "github.com/hyperledger/fabric-protos-go/peer"

	"github.com/fabrun/fabrun/internal/module"
)

func envelope(t *testing.T, typ common.HeaderType, channel string, data []byte) []byte {
	t.Helper()
	chdr, _ := proto.Marshal(&common.ChannelHeader{Type: int32(typ), ChannelId: channel})
	payload, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: data})
	b, _ := proto.Marshal(&common.Envelope{Payload: payload})
	return b
}

func anchorTx(t *testing.T, channel string, orgs map[string][]*pb.AnchorPeer) []byte {
	t.Helper()
	app := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}}
	for org, peers := range orgs {
		v, _ := proto.Marshal(&pb.AnchorPeers{AnchorPeers: peers})
		app.Groups[org] = &common.ConfigGroup{Values: map[string]*common.ConfigValue{"AnchorPeers": {Value: v}}}
	}
	cu, _ := proto.Marshal(&common.ConfigUpdate{ChannelId: channel, WriteSet: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{"Application": app}}})
	cue, _ := proto.Marshal(&common.ConfigUpdateEnvelope{ConfigUpdate: cu})
	return envelope(t, common.HeaderType_CONFIG_UPDATE, channel, cue)
}

func TestAnchorUpdate(t *testing.T) {
	one := map[string][]*pb.AnchorPeer{"Org1MSP": {{Host: "10.0.0.2", Port: 7051}, {Host: "10.0.0.1", Port: 7051}}}
	tests := []struct {
		name    string
		tx      []byte
		wantOrg string
		want    []string
		wantErr string
	}{
		{"one org", anchorTx(t, "mychannel", one), "Org1MSP", []string{"10.0.0.1:7051", "10.0.0.2:7051"}, ""},
		{"other channel", anchorTx(t, "other", one), "", nil, `for channel "other", not channel_id "mychannel"`},
		{"two orgs", anchorTx(t, "mychannel", map[string][]*pb.AnchorPeer{"A": nil, "B": nil}), "", nil, "exactly one organisation, found 2"},
		{"not an update", envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "mychannel", nil), "", nil, "not a config update"},
		{"garbage", []byte("garbage"), "", nil, "not a transaction envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, peers, err := AnchorUpdate(tt.tx, "mychannel")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || org != tt.wantOrg || strings.Join(peers, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %s %v %v", org, peers, err)
			}
		})
	}
}

func TestReadChannelTx(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"good", write("good.tx", envelope(t, common.HeaderType_CONFIG_UPDATE, "mychannel", nil)), ""},
		{"other channel", write("other.tx", envelope(t, common.HeaderType_CONFIG_UPDATE, "other", nil)), `creates channel "other", not channel_id "mychannel"`},
		{"a block", write("block.tx", envelope(t, common.HeaderType_CONFIG, "mychannel", nil)), "not a channel creation"},
		{"missing", filepath.Join(dir, "none.tx"), "channel_tx: open"},
	}
	for _, tt := range tests {
		_, err := readChannelTx(tt.path, "mychannel")
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestWriteIfDifferent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "b.block")
	block, _ := proto.Marshal(&common.Block{Header: &common.BlockHeader{Number: 5}})
	if w, d, err := writeIfDifferent(p, block, true); err != nil || !w || d.Before != "(no file)\n" {
		t.Fatalf("check mode: %v %+v %v", w, d, err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("check mode wrote")
	}
	if w, d, err := writeIfDifferent(p, block, false); err != nil || !w || !strings.Contains(d.After, "block: 5") {
		t.Fatalf("write: %v %+v %v", w, d, err)
	}
	if w, _, err := writeIfDifferent(p, block, false); err != nil || w {
		t.Fatalf("rewrite of equal content: %v %v", w, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "sub", ".*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

// The option relations fail before anything touches the network, naming
// the options.
func TestSpecValidation(t *testing.T) {
	base := map[string]any{"msp_id": "Org1MSP", "admin_cert": "/c", "admin_key": "/k"}
	tests := []struct {
		name    string
		args    map[string]any
		wantErr string
	}{
		{"present", map[string]any{"state": "present", "channel_id": "c"}, "state is present but all of the following are missing: orderer_tls_ca, channel_tx, block_path"},
		{"joined", map[string]any{"state": "joined", "channel_id": "c"}, "state is joined but all of the following are missing: peer, peer_tls_ca, block_path"},
		{"fetched", map[string]any{"state": "fetched"}, "state is fetched but all of the following are missing: channel_id, orderer_tls_ca, block_path"},
		{"anchors", map[string]any{"state": "anchors_updated", "channel_id": "c", "orderer": "o:1", "orderer_tls_ca": "/ca"}, "anchors_tx"},
		{"listed", map[string]any{"state": "listed"}, "state is listed but all of the following are missing: peer, peer_tls_ca"},
		{"no admin", map[string]any{"state": "listed", "admin_key": nil}, "missing required arguments: admin_key"},
		{"half mTLS", map[string]any{"state": "listed", "client_tls_key": "/k"}, "parameters are required together: client_tls_cert, client_tls_key"},
		{"bad timeout", map[string]any{"state": "listed", "timeout": "soon"}, "argument 'timeout'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := maps.Clone(base)
			for k, v := range tt.args {
				if v == nil {
					delete(args, k)
				} else {
					args[k] = v
				}
			}
			b, _ := json.Marshal(args)
			out := module.Execute(Spec(), b, Run)
			msg, _ := out["msg"].(string)
			if out["failed"] != true || !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("got %v, want failure %q", out, tt.wantErr)
			}
		})
	}
}
