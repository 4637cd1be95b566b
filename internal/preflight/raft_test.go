package preflight

import (
	"slices"
	"strings"
	"testing"
)

// raftInput is the seed's hosts on etcdraft: no ZooKeeper or Kafka groups,
// and the hosts keep only their peer and orderer roles.
func raftInput(orderers int) *Input {
	in := seedInput()
	in.Network.OrdererType = "etcdraft"
	in.Groups = slices.DeleteFunc(in.Groups, func(g GroupFacts) bool { return g.Name == "zookeeper" || g.Name == "kafka" })
	for i := range in.Hosts {
		h := &in.Hosts[i]
		h.ZooKeeper, h.Kafka = nil, nil
		h.Groups = slices.DeleteFunc(h.Groups, func(g string) bool { return g == "zookeeper" || g == "kafka" })
		h.Ports = slices.DeleteFunc(h.Ports, func(p PortFacts) bool { return strings.HasPrefix(p.Service, "zookeeper") || p.Service == "kafka" })
	}
	if orderers == 3 {
		// A third orderer beside peer0.org1.
		h := host(in, "server211")
		h.Orderer = &OrdererFacts{Name: "orderer2", Port: float64(7050), OperationsPort: float64(8443), KafkaReplicationFactor: float64(3)}
		h.Groups = append(h.Groups, "orderer")
		h.Ports = append(h.Ports, PortFacts{"orderer", "127.0.194.211", float64(7050)}, PortFacts{"orderer operations", "127.0.194.211", float64(8443)},
			PortFacts{"orderer admin", "127.0.194.211", float64(7053)})
		in.Groups[2].Hosts = append(in.Groups[2].Hosts, "server211")
	}
	return in
}

// TestRaft: an etcdraft network needs no ZooKeeper or Kafka; fewer than
// three orderers (or an even number) is a warning naming them; an unknown
// consensus type is an error.
func TestRaft(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       *Input
		errors   []string
		warnings []string
	}{
		{"two orderers", raftInput(2), nil,
			[]string{"an etcdraft cluster of 2 orderers tolerates no failed orderer: losing any one stops ordering"}},
		{"three orderers", raftInput(3), nil, nil},
		{"unknown type", func() *Input { in := raftInput(3); in.Network.OrdererType = "bft"; return in }(),
			[]string{`localhost: fabric_orderer_type "bft" is neither kafka nor etcdraft (artifacts_orderer_type follows it)`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Evaluate(tc.in)
			if got := errorsOf(o); !slices.Equal(got, tc.errors) {
				t.Errorf("errors %q, want %q", got, tc.errors)
			}
			var raft []string
			for _, f := range o.Of(Warning) {
				if f.Rule == "raft-cluster" {
					raft = append(raft, f.Message)
					if len(f.Hosts) == 0 {
						t.Errorf("warning %q names no host", f.Message)
					}
				}
			}
			if !slices.Equal(raft, tc.warnings) {
				t.Errorf("raft warnings %q, want %q", raft, tc.warnings)
			}
			for _, f := range o.Findings {
				if f.Rule == "kafka-deprecated" {
					t.Errorf("an etcdraft network got the Kafka deprecation note")
				}
			}
		})
	}
}
