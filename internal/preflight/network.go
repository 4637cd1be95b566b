package preflight

import (
	"fmt"
	"time"

	"github.com/fabrun/fabrun/internal/bytesize"
	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/module"
)

// controller is the host network-wide settings are resolved on (the
// controller plays' localhost): findings about them name it.
const controller = "localhost"

// network checks the network-wide settings: channel names, the orderer's
// batch settings (Fabric's configtx validation), the chaincode's name,
// version and endorsement policy.
func (c *checker) network(t *inventory.Topology) {
	n := c.in.Network
	for _, f := range []struct {
		field string
		v     any
	}{{"fabric_channel", n.Channel}, {"artifacts_system_channel", n.SystemChannel}} {
		if err := ValidateChannelID(text(f.v)); err != nil {
			c.errorf("channel-name", controller, "%s %v", f.field, err)
		}
	}
	if !isUnset(n.TLSClientAuth) {
		on, err := module.ParseBool(n.TLSClientAuth)
		if err != nil {
			c.errorf("tls", controller, "fabric_tls_client_auth %v", err)
		}
		t.TLSClientAuth = on
	}
	if text(n.Channel) != "" && text(n.Channel) == text(n.SystemChannel) {
		c.errorf("channel-name", controller, "fabric_channel %q is also the system channel's name (artifacts_system_channel)", text(n.Channel))
	}

	if d, ok := c.duration("batch", controller, "artifacts_batch_timeout", n.BatchTimeout,
		" (Fabric rejects a non-positive BatchTimeout)"); ok && d > time.Hour {
		c.add(Warning, "batch", controller, "", "artifacts_batch_timeout %s: a block is cut at most every %s when transactions are few", d, d)
	}
	if count, ok := c.int("batch", "", "artifacts_max_message_count", n.MaxMessageCount); ok && count < 1 {
		c.errorf("batch", controller, "artifacts_max_message_count %d is below 1 (Fabric rejects a BatchSize.MaxMessageCount of 0)", count)
	}
	abs, absOK := c.bytes("artifacts_absolute_max_bytes", n.AbsoluteMaxBytes)
	pref, prefOK := c.bytes("artifacts_preferred_max_bytes", n.PreferredMaxBytes)
	if absOK && prefOK && pref > abs {
		c.errorf("batch", controller, "artifacts_preferred_max_bytes %s is more than artifacts_absolute_max_bytes %s (Fabric rejects it)",
			bytesize.Format(pref), bytesize.Format(abs))
	}
	if absOK {
		c.abs = abs
	}

	if err := ValidateChaincodeName(text(n.ChaincodeName)); err != nil {
		c.errorf("chaincode", controller, "chaincode_name %v", err)
	}
	if err := ValidateChaincodeVersion(text(n.ChaincodeVersion)); err != nil {
		c.errorf("chaincode", controller, "chaincode_version %v", err)
	}
	if isUnset(n.ChaincodePolicy) {
		// Without orgs the default policy cannot be built; the missing peer
		// group is the error reported.
		if len(t.Orgs) > 0 {
			c.errorf("chaincode", controller, "chaincode_policy is not set")
		}
	} else if pol, err := ParsePolicy(text(n.ChaincodePolicy)); err != nil {
		c.errorf("chaincode", controller, "chaincode_policy %q: %v", text(n.ChaincodePolicy), err)
	} else {
		known := map[string]bool{}
		for _, o := range t.Orgs {
			known[o.MSPID] = true
		}
		for _, m := range pol.MSPIDs() {
			if !known[m] && len(t.Orgs) > 0 {
				c.errorf("chaincode", controller, "chaincode_policy names %s, which no org of the inventory has (org_msp_id)", m)
			}
		}
	}
}

// bytes reads a configtx byte size (98 MB, 512 KB or a number).
func (c *checker) bytes(field string, v any) (int64, bool) {
	if isUnset(v) {
		c.errorf("batch", controller, "%s is not set", field)
		return 0, false
	}
	n, err := bytesize.Parse(text(v))
	if err != nil {
		c.errorf("batch", controller, "%s %v", field, err)
		return 0, false
	}
	if n < 1 {
		c.errorf("batch", controller, "%s %s is not positive", field, text(v))
		return 0, false
	}
	return n, true
}

// KafkaDeprecation is a note that Kafka ordering is deprecated.
func KafkaDeprecation() Finding {
	return Finding{Level: Info, Rule: "kafka-deprecated",
		Message: "Kafka-based ordering is deprecated since Fabric 2.0 and removed in 3.0",
		Advice:  "Fabric documents a Kafka-to-Raft migration"}
}

// zookeeperEnsemble: an ensemble of N tolerates floor((N-1)/2) failed
// nodes; Fabric's Kafka guide asks for 3, 5 or 7.
func (c *checker) zookeeperEnsemble(t *inventory.Topology) {
	n := len(t.ZooKeepers)
	if n == 0 {
		return
	}
	tolerated := (n - 1) / 2
	advice := "Fabric's Kafka guide recommends an ensemble of 3, 5 or 7 ZooKeeper nodes"
	var msg string
	switch {
	case n < 3:
		msg = fmt.Sprintf("a ZooKeeper ensemble of %d tolerates %d failed nodes: losing any one node stops ZooKeeper, and with it Kafka and ordering", n, tolerated)
	case n%2 == 0:
		msg = fmt.Sprintf("a ZooKeeper ensemble of %d tolerates %d failed nodes, no more than %d nodes would", n, tolerated, n-1)
	case n > 7:
		msg = fmt.Sprintf("a ZooKeeper ensemble of %d nodes tolerates %d failed nodes but slows every write", n, tolerated)
	default:
		return
	}
	f := Finding{Level: Warning, Rule: "zookeeper-ensemble", Message: msg, Advice: advice}
	for _, z := range t.ZooKeepers {
		f.Hosts = append(f.Hosts, z.Host)
	}
	c.out = append(c.out, f)
}
