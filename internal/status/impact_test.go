package status

import (
	"strings"
	"testing"

	"github.com/fabrun/fabrun/internal/inventory"
)

func TestExplainImpact(t *testing.T) {
	topo := &inventory.Topology{Orgs: []inventory.Org{
		{Group: "org1", MSPID: "Org1MSP", Peers: []inventory.Peer{{FQDN: "peer0.org1", Org: "org1"}, {FQDN: "peer1.org1", Org: "org1"}}},
		{Group: "org2", MSPID: "Org2MSP", Peers: []inventory.Peer{{FQDN: "peer0.org2", Org: "org2"}}},
	}}
	node := func(kind, name string, ok bool, err string) Node {
		return Node{Kind: kind, Name: name, Healthy: ok, Error: err}
	}
	tests := []struct {
		name  string
		nodes []Node
		want  map[string]string // node name -> substring of Affects ("" : none)
	}{
		{"zookeeper minority down keeps quorum",
			[]Node{node("zookeeper", "zk1", false, "down"), node("zookeeper", "zk2", true, ""), node("zookeeper", "zk3", true, "")},
			map[string]string{"zk1": "keeps its quorum (2 of 3 members up, 2 needed)", "zk2": ""}},
		{"zookeeper majority down loses quorum",
			[]Node{node("zookeeper", "zk1", false, "down"), node("zookeeper", "zk2", false, "down"), node("zookeeper", "zk3", true, "")},
			map[string]string{"zk1": "lost its quorum (1 of 3 members up, 2 needed)"}},
		{"broker down",
			[]Node{node("kafka", "broker 0", false, "not registered"), node("kafka", "broker 1", true, ""), node("kafka", "broker 2", true, "")},
			map[string]string{"broker 0": "(2 of 3 brokers up); ordering goes on while each topic keeps a leader and min.insync.replicas=2 in sync"}},
		{"topic without leader",
			[]Node{node("topic", "mychannel", false, "no leader; replicas [0 1], in sync []")},
			map[string]string{"mychannel": "channel mychannel cannot order transactions"}},
		{"topic short of replicas",
			[]Node{node("topic", "mychannel", false, "leader 1, in sync [1] of replicas [0 1 2]")},
			map[string]string{"mychannel": "fewer in-sync replicas"}},
		{"one orderer down",
			[]Node{node("orderer", "orderer0", false, "refused"), node("orderer", "orderer1", true, "")},
			map[string]string{"orderer0": "clients fail over to orderer1"}},
		{"every orderer down",
			[]Node{node("orderer", "orderer0", false, "refused"), node("orderer", "orderer1", false, "refused")},
			map[string]string{"orderer0": "no orderer is up"}},
		{"peer down, org has another",
			[]Node{node("peer", "peer0.org1", false, "refused"), node("peer", "peer1.org1", true, ""), node("peer", "peer0.org2", true, "")},
			map[string]string{"peer0.org1": "Org1MSP endorses and answers through peer1.org1"}},
		{"org's only peer down",
			[]Node{node("peer", "peer0.org2", false, "refused"), node("peer", "peer0.org1", true, "")},
			map[string]string{"peer0.org2": "Org2MSP has no healthy peer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			explainImpact(tt.nodes, topo, Options{MinInsync: 2})
			for _, n := range tt.nodes {
				want, ok := tt.want[n.Name]
				if !ok {
					continue
				}
				if want == "" && n.Affects != "" || want != "" && !strings.Contains(n.Affects, want) {
					t.Errorf("%s: affects %q, want %q", n.Name, n.Affects, want)
				}
			}
		})
	}
}
