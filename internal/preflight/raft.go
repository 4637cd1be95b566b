package preflight

import (
	"fmt"

	"github.com/fabrun/fabrun/internal/inventory"
)

// raft checks the consensus type and, for etcdraft, the size of the Raft
// cluster: N consenters tolerate (N-1)/2 failed orderers.
func (c *checker) raft(t *inventory.Topology) {
	typ := text(c.in.Network.OrdererType)
	switch typ {
	case "", "kafka":
		return
	case "etcdraft":
	default:
		c.errorf("orderer-type", controller, "fabric_orderer_type %q is neither kafka nor etcdraft (artifacts_orderer_type follows it)", typ)
		return
	}
	n := len(t.Orderers)
	if n == 0 {
		return // the missing orderer group is the error reported
	}
	var msg string
	switch {
	case n < 3:
		msg = fmt.Sprintf("an etcdraft cluster of %d orderers tolerates no failed orderer: losing any one stops ordering", n)
	case n%2 == 0:
		msg = fmt.Sprintf("an etcdraft cluster of %d orderers tolerates %d failed orderers, no more than %d orderers would", n, (n-1)/2, n-1)
	default:
		return
	}
	f := Finding{Level: Warning, Rule: "raft-cluster", Message: msg,
		Advice: "Raft needs a majority of the consenters: 3 orderers tolerate 1 failure, 5 tolerate 2"}
	for _, o := range t.Orderers {
		f.Hosts = append(f.Hosts, o.Host)
	}
	c.out = append(c.out, f)
}
