package configtx

import (
	"strings"
	"testing"
	"time"
)

const anchorsYAML = `
Organizations:
  - &Org1
    Name: Org1MSP
    ID: Org1MSP
    MSPDir: msp
    Policies: &Org1Policies
      Readers: {Type: Signature, Rule: "OR('Org1MSP.member')"}
      Writers: {Type: Signature, Rule: "OR('Org1MSP.member')"}
      Admins: {Type: Signature, Rule: "OR('Org1MSP.admin')"}
Capabilities:
  Channel: &ChannelCapabilities
    V2_0: true
Orderer: &OrdererDefaults
  OrdererType: kafka
  BatchTimeout: 2s
  BatchSize:
    MaxMessageCount: 10
    AbsoluteMaxBytes: 98 MB
    PreferredMaxBytes: 512 KB
  Kafka:
    Brokers: [a:9092]
  Organizations:
Profiles:
  P:
    Capabilities:
      <<: *ChannelCapabilities
      V1_4_3: false
    Orderer:
      <<: *OrdererDefaults
      BatchTimeout: 1s
      organizations:
        - *Org1
        - Org1MSP
`

// TestConfigtxParseYAML: anchors, aliases and merge keys behave as in
// configtxgen; byte sizes and durations are converted.
func TestConfigtxParseYAML(t *testing.T) {
	top, err := ParseYAML([]byte(anchorsYAML))
	if err != nil {
		t.Fatal(err)
	}
	p := top.Profiles["P"]
	o := p.Orderer
	if o.OrdererType != "kafka" || o.BatchTimeout != time.Second || o.BatchSize.MaxMessageCount != 10 ||
		o.BatchSize.AbsoluteMaxBytes != 98*1024*1024 || o.BatchSize.PreferredMaxBytes != 512*1024 {
		t.Fatalf("orderer %+v", o)
	}
	if len(o.Organizations) != 2 || o.Organizations[0].Name != "Org1MSP" || o.Organizations[1].ref != "Org1MSP" {
		t.Fatalf("orgs %+v", o.Organizations)
	}
	if !p.Capabilities["V2_0"] || p.Capabilities["V1_4_3"] || len(p.Capabilities) != 2 {
		t.Fatalf("capabilities %v", p.Capabilities)
	}
	resolved, err := top.Profile("P", "/base")
	if err != nil {
		t.Fatal(err)
	}
	if got := resolved.Orderer.Organizations[1].MSPDir; got != "/base/msp" {
		t.Fatalf("named org not resolved: %q", got)
	}
}

func TestConfigtxParseYAMLErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown alias (org not defined)", "Profiles:\n  P:\n    Orderer:\n      Organizations:\n        - *Org3\n", "unknown anchor 'Org3'"},
		{"unknown top-level section", "Profile:\n  P: {}\n", `the configuration (line 1): unknown field "Profile"`},
		{"unknown nested field", "Profiles:\n  P:\n    Orderer:\n      BatchSize:\n        MaxMessages: 1\n", `Profiles.P.Orderer.BatchSize (line 5): unknown field "MaxMessages"`},
		{"not YAML", "Profiles: [\n", "invalid YAML"},
		{"empty", "", "empty"},
		{"list instead of mapping", "Profiles: [a]\n", "Profiles (line 1): expected a mapping"},
		{"negative count", "Profiles:\n  P:\n    Orderer:\n      BatchSize:\n        MaxMessageCount: -1\n", "non-negative"},
		{"fraction", "Profiles:\n  P:\n    Orderer:\n      MaxChannels: 1.5\n", "whole number"},
		{"bool", "Profiles:\n  P:\n    Capabilities:\n      V2_0: maybe\n", "true or false"},
		{"duration as number", "Profiles:\n  P:\n    Orderer:\n      BatchTimeout: 2\n", "duration"},
		{"name instead of an org definition", "Organizations: [Org1]\n", "Organizations[0]: expected an organization definition"},
		{"key given twice", "Profiles:\n  P: {}\n  P: {}\n", `Profiles (line 3): key "P" is already defined (line 2)`},
		{"count over 32 bits", "Profiles:\n  P:\n    Orderer:\n      BatchSize:\n        MaxMessageCount: 4294967296\n", "out of range"},
		{"size with unknown unit", "Profiles:\n  P:\n    Orderer:\n      BatchSize:\n        AbsoluteMaxBytes: 1 TB\n", "size such as"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseYAML([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestConfigtxEmptyProfile(t *testing.T) {
	top, err := ParseYAML([]byte("Profiles:\n  P:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := top.Profile("P", "/"); err == nil || err.Error() != "Profiles.P: the profile is empty" {
		t.Fatalf("got %v", err)
	}
}

// TestConfigtxByteSizes: a uint32 takes a number of bytes or a size with
// a unit, as Fabric's byte-size hook reads them; a uint64 takes no size.
func TestConfigtxByteSizes(t *testing.T) {
	parse := func(field, value string) (*TopLevel, error) {
		return ParseYAML([]byte("Profiles:\n  P:\n    Orderer:\n      " + field + ": " + value + "\n"))
	}
	for in, want := range map[string]uint32{"98 MB": 102760448, "512 KB": 524288, "512KB": 524288, "1g": 1 << 30, "16 m": 16 << 20, "2048": 2048} {
		top, err := parse("BatchSize", "{AbsoluteMaxBytes: '"+in+"'}")
		if err != nil || top.Profiles["P"].Orderer.BatchSize.AbsoluteMaxBytes != want {
			t.Errorf("%q: got %+v, %v; want %d", in, top, err, want)
		}
	}
	for _, in := range []string{"17179869185 GB", "4 GB", "98 TB", "4294967296"} {
		if top, err := parse("BatchSize", "{AbsoluteMaxBytes: '"+in+"'}"); err == nil {
			t.Errorf("%q: got %d, want an error (over 32 bits or not a size)", in, top.Profiles["P"].Orderer.BatchSize.AbsoluteMaxBytes)
		}
	}
	if _, err := parse("MaxChannels", "98 MB"); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("a size was accepted where only a count is valid: %v", err)
	}
}

// FuzzConfigtxParse: no configuration, however malformed, makes parsing or
// generation panic.
func FuzzConfigtxParse(f *testing.F) {
	f.Add([]byte(anchorsYAML), "P", "genesis_block")
	f.Add([]byte("Profiles:\n  P:\n    Orderer: {OrdererType: etcdraft, EtcdRaft: {Consenters: [null, {Host: a}]}}\n"), "P", "genesis_block")
	f.Add([]byte("Profiles:\n  P:\n    Consortium: C\n    Application: {Organizations: [null, x]}\n"), "P", "channel_tx")
	f.Add([]byte("Profiles: {P: {Application: {Organizations: [{Name: a, AnchorPeers: [null]}]}}}"), "P", "anchor_tx")
	// An anchor merged into itself (found by fuzzing: it recursed endlessly).
	f.Add([]byte("Orderer: &OrdererDefaults\n  <<: *OrdererDefaults\n  BatchTimeout: 1s\n"), "P", "genesis_block")
	f.Fuzz(func(t *testing.T, data []byte, profile, kind string) {
		top, err := ParseYAML(data)
		if err != nil {
			return
		}
		Generate(top, "/nonexistent", Request{Kind: Kind(kind), Profile: profile, ChannelID: "c", Org: "a"})
	})
}

// TestDeepCopy: a resolved profile shares no pointer, slice or map with the
// parsed document, even where YAML aliases reuse one organization.
func TestDeepCopy(t *testing.T) {
	org := &Organization{Name: "Org1", ref: "Org1", Policies: map[string]*Policy{"Admins": {Type: "Signature", Rule: "OR('Org1MSP.admin')"}},
		AnchorPeers: []*AnchorPeer{{Host: "a", Port: 1}}, OrdererEndpoints: []string{"o:7050"}}
	p := &Profile{Application: &Application{Organizations: []*Organization{org, org}, Capabilities: map[string]bool{"V2_0": true}},
		Orderer: &Orderer{Kafka: Kafka{Brokers: []string{"k:9092"}}, EtcdRaft: &EtcdRaft{Consenters: []*Consenter{{Host: "c"}}}}}
	c := deepCopy(p)
	c.Application.Organizations[0].Policies["Admins"].Rule = "changed"
	c.Application.Organizations[0].AnchorPeers[0].Port = 2
	c.Application.Organizations[1].OrdererEndpoints[0] = "changed"
	c.Application.Capabilities["V2_0"] = false
	c.Orderer.Kafka.Brokers[0] = "changed"
	c.Orderer.EtcdRaft.Consenters[0].Host = "changed"
	if org.Policies["Admins"].Rule != "OR('Org1MSP.admin')" || org.AnchorPeers[0].Port != 1 || org.OrdererEndpoints[0] != "o:7050" ||
		!p.Application.Capabilities["V2_0"] || p.Orderer.Kafka.Brokers[0] != "k:9092" || p.Orderer.EtcdRaft.Consenters[0].Host != "c" {
		t.Errorf("the copy shares state with the original: %+v", p)
	}
	if c.Application.Organizations[0].ref != "Org1" || c.Application.Organizations[1].Name != "Org1" {
		t.Errorf("fields lost in the copy: %+v", c.Application.Organizations[0])
	}
}
