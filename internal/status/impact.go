package status

// What a failed node means for the network, in the words an operator needs
// during an incident: what still works and what does not.

import (
	"fmt"
	"strings"

	"github.com/fabrun/fabrun/internal/inventory"
)

// explainImpact fills Affects for each unhealthy node from the health of
// the others.
func explainImpact(nodes []Node, topo *inventory.Topology, o Options) {
	healthy := func(kind string, keep func(Node) bool) (up []string, total int) {
		for _, n := range nodes {
			if n.Kind != kind || (keep != nil && !keep(n)) {
				continue
			}
			total++
			if n.Healthy {
				up = append(up, n.Name)
			}
		}
		return up, total
	}
	for i := range nodes {
		n := &nodes[i]
		if n.Healthy {
			continue
		}
		switch n.Kind {
		case "zookeeper":
			up, total := healthy("zookeeper", nil)
			quorum := total/2 + 1
			if len(up) >= quorum {
				n.Affects = fmt.Sprintf("the ensemble keeps its quorum (%d of %d members up, %d needed): Kafka and ordering go on", len(up), total, quorum)
			} else {
				n.Affects = fmt.Sprintf("the ensemble has lost its quorum (%d of %d members up, %d needed): Kafka cannot register brokers or elect partition leaders, so ordering stops at the next leader change", len(up), total, quorum)
			}
		case "kafka":
			up, total := healthy("kafka", nil)
			need := "every replica"
			if o.MinInsync > 0 {
				need = fmt.Sprintf("min.insync.replicas=%d", o.MinInsync)
			}
			n.Affects = fmt.Sprintf("its replicas drop out of the channel topics' in-sync sets (%d of %d brokers up); ordering goes on while each topic keeps a leader and %s in sync", len(up), total, need)
		case "topic":
			switch {
			case strings.HasPrefix(n.Error, "no leader"):
				n.Affects = fmt.Sprintf("channel %s cannot order transactions: its partition has no leader", n.Name)
			case strings.Contains(n.Error, "does not exist"):
				n.Affects = fmt.Sprintf("channel %s has no Kafka topic: it was never created, or Kafka lost it", n.Name)
			default:
				n.Affects = fmt.Sprintf("channel %s orders with fewer in-sync replicas than wanted; below min.insync.replicas its orderers refuse transactions", n.Name)
			}
		case "raft":
			n.Affects = fmt.Sprintf("channel %s orders nothing until a majority of its consenters is up and elects a leader", n.Name)
		case "orderer":
			up, _ := healthy("orderer", nil)
			if len(up) > 0 {
				n.Affects = fmt.Sprintf("clients fail over to %s, and peers pull blocks from it; nothing is lost", strings.Join(up, ", "))
			} else {
				n.Affects = "no orderer is up: no transaction can be ordered and peers receive no new blocks"
			}
		case "peer":
			p, ok := topo.FindPeer(n.Name)
			org, _ := topo.OrgOf(p)
			if !ok {
				continue
			}
			sameOrg := func(m Node) bool {
				q, ok := topo.FindPeer(m.Name)
				return ok && q.Org == p.Org
			}
			up, _ := healthy("peer", sameOrg)
			if len(up) > 0 {
				n.Affects = fmt.Sprintf("%s endorses and answers through %s; this peer catches up from the orderers when it is back", org.MSPID, strings.Join(up, ", "))
			} else {
				n.Affects = fmt.Sprintf("%s has no healthy peer: transactions that need its endorsement fail", org.MSPID)
			}
		}
	}
}
