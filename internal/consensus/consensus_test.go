package consensus

import (
	"strings"
	"testing"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	ob "github.com/hyperledger/fabric-protos-go/orderer"
)

func TestCheckTransition(t *testing.T) {
	md := []byte("raft-metadata")
	other := []byte("other-metadata")
	kafkaNormal := Setting{Type: TypeKafka, State: StateNormal}
	kafkaMaint := Setting{Type: TypeKafka, State: StateMaintenance}
	raftMaint := Setting{Type: TypeEtcdRaft, State: StateMaintenance, Metadata: md}
	raftNormal := Setting{Type: TypeEtcdRaft, State: StateNormal, Metadata: md}
	for _, tc := range []struct {
		name      string
		cur, want Setting
		err       string // "" = allowed
	}{
		{"enter maintenance", kafkaNormal, kafkaMaint, ""},
		{"already in maintenance", kafkaMaint, kafkaMaint, ""},
		{"type switch in maintenance", kafkaMaint, raftMaint, ""},
		{"leave maintenance on raft", raftMaint, raftNormal, ""},
		{"leave maintenance on kafka (abort)", kafkaMaint, kafkaNormal, ""},
		{"consenter change in normal state", raftNormal, Setting{Type: TypeEtcdRaft, State: StateNormal, Metadata: other}, ""},
		{"state and type together", kafkaNormal, raftMaint, "cannot change in one update"},
		{"type change while leaving maintenance", kafkaMaint, raftNormal, "while leaving maintenance"},
		{"type change outside maintenance", kafkaNormal, Setting{Type: TypeEtcdRaft, State: StateNormal, Metadata: md}, "only in maintenance"},
		{"back to kafka", raftMaint, kafkaMaint, "not supported by Fabric"},
		{"unknown type", kafkaMaint, Setting{Type: "solo", State: StateMaintenance}, `consensus_type "solo"`},
		{"unknown state", kafkaMaint, Setting{Type: TypeKafka, State: "paused"}, `consensus_state "paused"`},
		{"state with another change", raftMaint, Setting{Type: TypeEtcdRaft, State: StateNormal, Metadata: other}, "together with the consenter set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTransition("mychannel", tc.cur, tc.want)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && err == nil:
				t.Fatalf("allowed, want an error with %q", tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("error %q does not say %q", err, tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), "mychannel") && !strings.HasPrefix(err.Error(), "consensus_"):
				t.Fatalf("error %q names neither the channel nor the option", err)
			}
		})
	}
}

func TestCapabilityAtLeast(t *testing.T) {
	for _, tc := range []struct {
		have []string
		want bool
	}{
		{[]string{"V1_4_2"}, true},
		{[]string{"V1_4_3"}, true},
		{[]string{"V2_0"}, true},
		{[]string{"V1_4"}, false},
		{[]string{"V1_3", "V1_1"}, false},
		{[]string{"V1_1", "V2_0"}, true},
		{[]string{"bogus"}, false},
		{nil, false},
	} {
		if got := capabilityAtLeast(tc.have, MinCapability); got != tc.want {
			t.Errorf("capabilityAtLeast(%v) = %v, want %v", tc.have, got, tc.want)
		}
	}
}

// A config with only what the consensus update touches.
func testConfig(t *testing.T, s Setting) *common.Config {
	t.Helper()
	v, err := proto.Marshal(s.proto())
	if err != nil {
		t.Fatal(err)
	}
	return &common.Config{ChannelGroup: &common.ConfigGroup{
		Groups: map[string]*common.ConfigGroup{"Orderer": {
			Values:    map[string]*common.ConfigValue{"ConsensusType": {Value: v, ModPolicy: "Admins"}},
			ModPolicy: "Admins",
		}},
		ModPolicy: "Admins",
	}}
}

func TestConfigUpdate(t *testing.T) {
	cur := Setting{Type: TypeKafka, State: StateNormal}
	for _, tc := range []struct {
		name    string
		want    Setting
		changed bool
	}{
		{"same setting: no update", cur, false},
		{"maintenance", Setting{Type: TypeKafka, State: StateMaintenance}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			update, err := configUpdate(testConfig(t, cur), "mychannel", tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if (update != nil) != tc.changed {
				t.Fatalf("update %v, want changed=%v", update != nil, tc.changed)
			}
			if update == nil {
				return
			}
			cu := &common.ConfigUpdate{}
			if err := proto.Unmarshal(update, cu); err != nil {
				t.Fatal(err)
			}
			ws := cu.WriteSet.Groups["Orderer"].Values["ConsensusType"]
			ct := &ob.ConsensusType{}
			if err := proto.Unmarshal(ws.Value, ct); err != nil {
				t.Fatal(err)
			}
			if got := settingOf(ct); got.Type != tc.want.Type || got.State != tc.want.State {
				t.Fatalf("write set has %s, want %s", got, tc.want)
			}
			if ws.Version != 1 || cu.ChannelId != "mychannel" {
				t.Fatalf("write set version %d channel %q", ws.Version, cu.ChannelId)
			}
		})
	}
}

func TestParseConsentersRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Args
		err  string
	}{
		{"consenters with kafka", Args{Type: TypeKafka, Consenters: []Consenter{{Host: "h", Port: 1}}}, "consenters needs consensus_type etcdraft"},
		{"empty", Args{Type: TypeEtcdRaft, Consenters: []Consenter{}}, "consenters is empty"},
		{"no host", Args{Type: TypeEtcdRaft, Consenters: []Consenter{{Port: 7050}}}, "consenters[0].host is required"},
		{"bad port", Args{Type: TypeEtcdRaft, Consenters: []Consenter{{Host: "h", Port: 70500}}}, "consenters[0].port must be 1..65535"},
		{"no cert", Args{Type: TypeEtcdRaft, Consenters: []Consenter{{Host: "h", Port: 7050}}}, "consenters[0].client_tls_cert is required"},
		{"missing cert file", Args{Type: TypeEtcdRaft, Consenters: []Consenter{{Host: "h", Port: 7050, ClientTLSCert: "/nonexistent/c.pem"}}}, "consenters[0].client_tls_cert: open /nonexistent/c.pem"},
		{"twice", Args{Type: TypeEtcdRaft, Consenters: []Consenter{{Host: "h", Port: 7050, ClientTLSCert: "/x", ServerTLSCert: "/x"}, {Host: "h", Port: 7050}}}, "consenters[1]: h:7050 is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.a.parseConsenters()
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want an error with %q", err, tc.err)
			}
		})
	}
}
