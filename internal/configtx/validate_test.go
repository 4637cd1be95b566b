package configtx

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigtxValidationErrors: bad input fails with a message that names
// the offending field.
func TestConfigtxValidationErrors(t *testing.T) {
	dir := fixture(t)
	type mut func(t *testing.T, c map[string]any)
	at := func(path []any, v any) mut {
		return func(t *testing.T, c map[string]any) { set(t, c, path, v) }
	}
	genesis := []any{"Profiles", "TwoOrgsOrdererGenesis"}
	ord := append(append([]any{}, genesis...), "Orderer")
	app := []any{"Profiles", "TwoOrgsChannel", "Application"}
	p := func(base []any, more ...any) []any { return append(append([]any{}, base...), more...) }

	tests := []struct {
		name      string
		mutate    mut
		req       Request
		baseDir   string // default: the fixture
		wantPath  string // the field the error must name
		wantInMsg string
	}{
		{name: "unknown org in a consortium", mutate: at(p(genesis, "Consortiums", "SampleConsortium", "Organizations", 1), "Org3MSP"),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Consortiums.SampleConsortium.Organizations[1]", wantInMsg: `unknown organization "Org3MSP"`},
		{name: "unknown org in an application", mutate: at(p(app, "Organizations", 0), "OrgX"), req: Request{Kind: ChannelTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel"},
			wantPath: "Profiles.TwoOrgsChannel.Application.Organizations[0]", wantInMsg: `unknown organization "OrgX"`},
		{name: "missing MSP directory", mutate: at([]any{"Organizations", 1, "MSPDir"}, "crypto/nowhere/msp"),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Consortiums.SampleConsortium.Organizations[0](Org1MSP).MSPDir", wantInMsg: "does not exist"},
		{name: "MSP without CA certificates", mutate: at([]any{"Organizations", 1, "MSPDir"}, "crypto/orderer0"),
			wantPath: "Organizations[0](Org1MSP).MSPDir", wantInMsg: "no CA certificate"},
		{name: "kafka without brokers", mutate: at(p(ord, "Kafka"), nil),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Orderer.Kafka.Brokers", wantInMsg: "at least one broker"},
		{name: "kafka with an empty broker list", mutate: at(p(ord, "Kafka", "Brokers"), []any{}),
			wantPath: "Orderer.Kafka.Brokers", wantInMsg: "at least one broker"},
		{name: "broker without port", mutate: at(p(ord, "Kafka", "Brokers", 1), "kafka1"),
			wantPath: "Orderer.Kafka.Brokers[1]", wantInMsg: "host:port"},
		{name: "invalid signature policy", mutate: at([]any{"Organizations", 0, "Policies", "Admins", "Rule"}, "OR('OrdererMSP.admin'"),
			wantPath: "Organizations[0](OrdererOrg).Policies.Admins.Rule", wantInMsg: "invalid signature policy rule"},
		{name: "unknown principal role", mutate: at([]any{"Organizations", 0, "Policies", "Readers", "Rule"}, "OR('OrdererMSP.superuser')"),
			wantPath: "Policies.Readers.Rule", wantInMsg: "invalid signature policy rule"},
		{name: "invalid implicit meta policy", mutate: at(p(genesis, "Policies", "Admins", "Rule"), "MOST Admins"),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Policies.Admins.Rule", wantInMsg: "MOST"},
		{name: "unknown policy type", mutate: at(p(genesis, "Policies", "Readers", "Type"), "Magic"),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Policies.Readers.Type", wantInMsg: `unknown policy type "Magic"`},
		{name: "missing Admins policy", mutate: at(p(genesis, "Policies", "Admins"), nil),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Policies", wantInMsg: "no Admins policy"},
		{name: "missing BlockValidation policy", mutate: at(p(ord, "Policies", "BlockValidation"), nil),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Orderer.Policies", wantInMsg: "no BlockValidation policy"},
		{name: "unknown channel capability", mutate: at(p(genesis, "Capabilities"), map[string]any{"V2_5": true}),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Capabilities.V2_5", wantInMsg: "unknown Channel capability"},
		{name: "unknown orderer capability", mutate: at(p(ord, "Capabilities"), map[string]any{"V1_3": true}),
			wantPath: "Orderer.Capabilities.V1_3", wantInMsg: "unknown Orderer capability"},
		{name: "unknown application capability", mutate: at(p(app, "Capabilities"), map[string]any{"V3_0": true}), req: Request{Kind: ChannelTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel"},
			wantPath: "Application.Capabilities.V3_0", wantInMsg: "unknown Application capability"},
		{name: "capability set to false is still checked", mutate: at(p(genesis, "Capabilities"), map[string]any{"V9": false}),
			wantPath: "Capabilities.V9", wantInMsg: "unknown Channel capability"},
		{name: "unknown orderer type", mutate: at(p(ord, "OrdererType"), "pbft"),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Orderer.OrdererType", wantInMsg: `unknown orderer type "pbft"`},
		{name: "missing orderer type", mutate: at(p(ord, "OrdererType"), nil),
			wantPath: "Orderer.OrdererType", wantInMsg: "missing"},
		{name: "preferred larger than absolute", mutate: at(p(ord, "BatchSize", "PreferredMaxBytes"), "99 MB"),
			wantPath: "Orderer.BatchSize.PreferredMaxBytes", wantInMsg: "larger than AbsoluteMaxBytes"},
		{name: "bad batch timeout", mutate: at(p(ord, "BatchTimeout"), "2 seconds"),
			wantPath: "Orderer.BatchTimeout", wantInMsg: "invalid duration"},
		{name: "bad byte size", mutate: at(p(ord, "BatchSize", "AbsoluteMaxBytes"), "98 MiB"),
			wantPath: "Orderer.BatchSize.AbsoluteMaxBytes", wantInMsg: "98 MB"},
		{name: "byte size overflow", mutate: at(p(ord, "BatchSize", "AbsoluteMaxBytes"), "4096 GB"),
			wantPath: "Orderer.BatchSize.AbsoluteMaxBytes", wantInMsg: "overflows"},
		{name: "bad orderer address", mutate: at(p(ord, "Addresses", 0), "orderer0.example.com:70500"),
			wantPath: "Orderer.Addresses[0]", wantInMsg: "invalid port"},
		{name: "etcdraft without consenters", mutate: at([]any{"Profiles", "RaftGenesis", "Orderer", "EtcdRaft", "Consenters"}, []any{}),
			req: Request{Kind: GenesisBlock, Profile: "RaftGenesis", ChannelID: "system-channel"}, wantPath: "Profiles.RaftGenesis.Orderer.EtcdRaft.Consenters", wantInMsg: "at least one consenter"},
		{name: "etcdraft without section", mutate: at([]any{"Profiles", "RaftGenesis", "Orderer", "EtcdRaft"}, nil),
			req: Request{Kind: GenesisBlock, Profile: "RaftGenesis", ChannelID: "system-channel"}, wantPath: "Profiles.RaftGenesis.Orderer.EtcdRaft", wantInMsg: "needs an EtcdRaft section"},
		{name: "consenter certificate missing", mutate: at([]any{"Profiles", "RaftGenesis", "Orderer", "EtcdRaft", "Consenters", 1, "ServerTLSCert"}, "crypto/orderer1/none.crt"),
			req: Request{Kind: GenesisBlock, Profile: "RaftGenesis", ChannelID: "system-channel"}, wantPath: "Orderer.EtcdRaft.Consenters[1].ServerTLSCert", wantInMsg: "does not exist"},
		{name: "consenter certificate not PEM", mutate: at([]any{"Profiles", "RaftGenesis", "Orderer", "EtcdRaft", "Consenters", 0, "ClientTLSCert"}, "crypto/org1/msp/config.yaml"),
			req: Request{Kind: GenesisBlock, Profile: "RaftGenesis", ChannelID: "system-channel"}, wantPath: "Consenters[0].ClientTLSCert", wantInMsg: "not a PEM certificate"},
		{name: "consenter without port", mutate: at([]any{"Profiles", "RaftGenesis", "Orderer", "EtcdRaft", "Consenters", 0, "Port"}, nil),
			req: Request{Kind: GenesisBlock, Profile: "RaftGenesis", ChannelID: "system-channel"}, wantPath: "Consenters[0].Port", wantInMsg: "missing"},
		{name: "election tick not above heartbeat", mutate: at([]any{"Profiles", "RaftGenesis", "Orderer", "EtcdRaft", "Options"}, map[string]any{"ElectionTick": 1, "HeartbeatTick": 1}),
			req: Request{Kind: GenesisBlock, Profile: "RaftGenesis", ChannelID: "system-channel"}, wantPath: "EtcdRaft.Options.ElectionTick", wantInMsg: "greater than HeartbeatTick"},
		{name: "unknown field", mutate: at([]any{"Organizations", 1, "AnchorPeer"}, []any{}),
			wantPath: "Organizations[1]", wantInMsg: `unknown field "AnchorPeer"`},
		{name: "unknown field in a profile", mutate: at(p(ord, "Kafka", "Broker"), []any{"a:1"}),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Orderer.Kafka", wantInMsg: `unknown field "Broker"`},
		{name: "wrong type", mutate: at(p(ord, "Addresses"), "orderer0:7050"),
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Orderer.Addresses", wantInMsg: "expected a list"},
		{name: "missing MSP ID", mutate: at([]any{"Organizations", 2, "ID"}, nil),
			wantPath: "(Org2MSP).ID", wantInMsg: "missing"},
		{name: "foreign org", mutate: at([]any{"Organizations", 2, "SkipAsForeign"}, true),
			wantPath: "(Org2MSP).SkipAsForeign", wantInMsg: "must be local"},
		{name: "idemix MSP type", mutate: at([]any{"Organizations", 2, "MSPType"}, "idemix"),
			wantPath: "(Org2MSP).MSPType", wantInMsg: "only bccsp"},
		{name: "duplicate org in a consortium", mutate: at(p(genesis, "Consortiums", "SampleConsortium", "Organizations"), []any{"Org1MSP", "Org1MSP"}),
			wantPath: "Consortiums.SampleConsortium.Organizations[1](Org1MSP)", wantInMsg: "used twice"},
		{name: "relative path without base_dir", baseDir: "-",
			wantPath: "(OrdererOrg).MSPDir", wantInMsg: "needs base_dir"},
		{name: "unknown profile", req: Request{Kind: GenesisBlock, Profile: "NoSuchProfile", ChannelID: "system-channel"},
			wantPath: "profile", wantInMsg: "TwoOrgsChannel, TwoOrgsOrdererGenesis"},
		{name: "bad channel id", req: Request{Kind: GenesisBlock, Profile: "TwoOrgsOrdererGenesis", ChannelID: "System_Channel"},
			wantPath: "channel_id", wantInMsg: "not a valid channel name"},
		{name: "genesis from a channel profile", req: Request{Kind: GenesisBlock, Profile: "TwoOrgsChannel", ChannelID: "mychannel"},
			wantPath: "Profiles.TwoOrgsChannel.Orderer", wantInMsg: "needs an Orderer section"},
		{name: "channel tx without consortium", mutate: at([]any{"Profiles", "TwoOrgsChannel", "Consortium"}, nil), req: Request{Kind: ChannelTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel"},
			wantPath: "Profiles.TwoOrgsChannel.Consortium", wantInMsg: "Consortium"},
		{name: "channel tx from the genesis profile", req: Request{Kind: ChannelTx, Profile: "TwoOrgsOrdererGenesis", ChannelID: "mychannel"},
			wantPath: "Profiles.TwoOrgsOrdererGenesis.Application", wantInMsg: "needs an Application section"},
		{name: "anchor tx for an org not in the channel", req: Request{Kind: AnchorTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel", Org: "OrdererOrg"},
			wantPath: "org", wantInMsg: "not in Profiles.TwoOrgsChannel.Application.Organizations"},
		{name: "anchor tx for an org without anchor peers", mutate: at([]any{"Organizations", 2, "AnchorPeers"}, nil), req: Request{Kind: AnchorTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel", Org: "Org2MSP"},
			wantPath: "org", wantInMsg: "defines no AnchorPeers"},
		{name: "anchor peer without port", mutate: at([]any{"Organizations", 1, "AnchorPeers", 0, "Port"}, nil), req: Request{Kind: AnchorTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel", Org: "Org1MSP"},
			wantPath: "(Org1MSP).AnchorPeers[0].Port", wantInMsg: "not between 1 and 65535"},
		{name: "unknown kind", req: Request{Kind: "block", Profile: "TwoOrgsOrdererGenesis", ChannelID: "mychannel"},
			wantPath: "kind", wantInMsg: "unknown kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := seedConfig()
			if tc.mutate != nil {
				tc.mutate(t, c)
			}
			req := tc.req
			if req.Kind == "" {
				req = Request{Kind: GenesisBlock, Profile: "TwoOrgsOrdererGenesis", ChannelID: "system-channel"}
			}
			base := dir
			if tc.baseDir == "-" {
				base = ""
			}
			_, err := generateInline(t, roundTrip(t, c), base, req)
			if err == nil {
				t.Fatalf("want an error naming %s, got none", tc.wantPath)
			}
			t.Log(err)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("want a FieldError, got %T: %v", err, err)
			}
			if !strings.Contains(fe.Path, tc.wantPath) {
				t.Errorf("error names %q, want it to name %q (error: %v)", fe.Path, tc.wantPath, err)
			}
			if !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantInMsg)
			}
		})
	}
}

func generateInline(t testing.TB, c map[string]any, base string, req Request) (*Artifact, error) {
	t.Helper()
	top, err := Decode(c)
	if err != nil {
		return nil, err
	}
	return Generate(top, base, req)
}

// TestConfigtxSeedInlineGenerates: the valid seed configuration produces all
// three kinds, with a summary that tells the orderer type, orgs and brokers.
func TestConfigtxSeedInlineGenerates(t *testing.T) {
	dir := fixture(t)
	for _, req := range []Request{
		{Kind: GenesisBlock, Profile: "TwoOrgsOrdererGenesis", ChannelID: "system-channel"},
		{Kind: GenesisBlock, Profile: "RaftGenesis", ChannelID: "system-channel"},
		{Kind: ChannelTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel"},
		{Kind: AnchorTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel", Org: "Org2MSP"},
	} {
		art, err := generateInline(t, roundTrip(t, seedConfig()), dir, req)
		if err != nil {
			t.Fatalf("%+v: %v", req, err)
		}
		if _, err := DecodeArtifact(req.Kind, art.Bytes); err != nil {
			t.Fatalf("%+v: generated artifact does not decode: %v", req, err)
		}
		switch req.Profile {
		case "TwoOrgsOrdererGenesis":
			s := art.Summary
			if s.OrdererType != "kafka" || strings.Join(s.Brokers, ",") != "kafka0:9092,kafka1:9092,kafka2:9092" ||
				strings.Join(s.Orgs, ",") != "Org1MSP,Org2MSP" || strings.Join(s.OrdererOrgs, ",") != "OrdererOrg" {
				t.Errorf("summary %+v", s)
			}
		case "RaftGenesis":
			if art.Summary.OrdererType != "etcdraft" || len(art.Summary.Consenters) != 2 || art.Summary.Brokers != nil {
				t.Errorf("summary %+v", art.Summary)
			}
		}
		if req.Kind == AnchorTx && strings.Join(art.Summary.AnchorPeers, ",") != "peer0.Org2MSP:7051" {
			t.Errorf("anchor summary %+v", art.Summary)
		}
	}
}

// TestConfigtxOrgPathsAreNotShared: resolving a profile does not change the
// loaded configuration (a second profile sees the original paths).
func TestConfigtxOrgPathsAreNotShared(t *testing.T) {
	dir := fixture(t)
	top, err := Decode(roundTrip(t, seedConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := top.Profile("TwoOrgsOrdererGenesis", dir); err != nil {
		t.Fatal(err)
	}
	if got := top.Organizations[0].MSPDir; got != "crypto/orderer/msp" {
		t.Fatalf("top-level MSPDir changed to %q", got)
	}
	p, err := top.Profile("TwoOrgsChannel", filepath.Join(dir, "x"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Application.Organizations[0].MSPDir; got != filepath.Join(dir, "x", "crypto/org1/msp") {
		t.Fatalf("MSPDir %q", got)
	}
}
