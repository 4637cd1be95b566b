package preflight

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fabrun/fabrun/internal/bytesize"
	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/module"
)

// propertyKeyPattern is a server.properties key.
var propertyKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9._-]*$`)

// brokerSettings are one broker's values the Kafka rules need.
type brokerSettings struct {
	host                          string
	isr, rf, msgMax, fetchMax, rt int64
	unclean                       bool
}

// kafka applies Fabric's Kafka guide to each broker's settings and the
// orderers': errors for settings that cannot work, warnings for weak fault
// tolerance. It returns the first broker's min.insync.replicas.
func (c *checker) kafka(t *inventory.Topology) int {
	k := int64(len(t.Brokers))
	c.kafkaChroot(t)
	var first *brokerSettings
	for _, h := range c.in.Hosts {
		if h.Kafka == nil {
			continue
		}
		b, ok := c.broker(h.Name, h.Kafka)
		if !ok {
			continue
		}
		if first == nil {
			first = &b
		}
		host := h.Name
		switch {
		case b.isr < 1:
			c.errorf("kafka-min-insync", host, "kafka_min_insync_replicas %d is below 1", b.isr)
		case b.isr >= b.rf:
			c.add(Error, "kafka-min-insync", host, "Fabric's Kafka guide requires 1 < M < R (the seed: M = 2, R = 3)",
				"kafka_min_insync_replicas %d is not below kafka_default_replication_factor %d: with one replica down no write can be acknowledged", b.isr, b.rf)
		case b.isr < 2:
			c.add(Warning, "kafka-min-insync", host, "Fabric's Kafka guide asks for 1 < M < R",
				"kafka_min_insync_replicas %d: a write is acknowledged by a single replica and is lost if that broker fails", b.isr)
		}
		switch {
		case b.rf < 1:
			c.errorf("kafka-replication-factor", host, "kafka_default_replication_factor %d is below 1", b.rf)
		case b.rf > k:
			c.add(Error, "kafka-replication-factor", host, "add brokers or lower the replication factor",
				"kafka_default_replication_factor %d is more than the %d brokers of group kafka: channel topics cannot be created", b.rf, k)
		case k <= b.rf:
			c.add(Warning, "kafka-brokers", "", "Fabric's Kafka guide recommends at least 4 brokers and more brokers than the replication factor (K >= 4, K > R)",
				"%d Kafka brokers with default.replication.factor %d: a channel cannot be created while one broker is down", k, b.rf)
		case k < 4:
			c.add(Warning, "kafka-brokers", "", "Fabric's Kafka guide recommends K >= 4 and K > R",
				"%d Kafka brokers: fewer than the 4 Fabric's Kafka guide asks for to keep every channel writable and creatable with one broker down", k)
		}
		if b.fetchMax < b.msgMax {
			c.add(Error, "kafka-message-size", host, "Fabric's Kafka guide sets replica.fetch.max.bytes = message.max.bytes",
				"kafka_replica_fetch_max_bytes %d is below kafka_message_max_bytes %d: followers could not copy the largest messages", b.fetchMax, b.msgMax)
		}
		if c.abs > 0 {
			for _, f := range []struct {
				name string
				v    int64
			}{{"kafka_message_max_bytes", b.msgMax}, {"kafka_replica_fetch_max_bytes", b.fetchMax}} {
				switch {
				case f.v < c.abs:
					c.add(Error, "kafka-message-size", host, "set it to AbsoluteMaxBytes plus room for headers (1 MiB is plenty)",
						"%s %d is below the channel's artifacts_absolute_max_bytes %s: a full block cannot be written to (or replicated through) Kafka",
						f.name, f.v, bytesize.Format(c.abs))
				case f.name == "kafka_message_max_bytes" && f.v < c.abs+1<<20:
					c.add(Warning, "kafka-message-size", host, "Fabric's Kafka guide: AbsoluteMaxBytes plus some buffer for headers; 1 MiB is more than enough",
						"%s %d leaves less than 1 MiB over the channel's artifacts_absolute_max_bytes %s for message headers",
						f.name, f.v, bytesize.Format(c.abs))
				}
			}
		}
		if b.unclean {
			c.add(Warning, "kafka-unclean-election", host, "Fabric's Kafka guide requires unclean.leader.election.enable = false",
				"kafka_unclean_leader_election_enable is true: a replica outside the in-sync set may become leader and lose ordered blocks")
		}
		if b.rt != -1 {
			c.add(Warning, "kafka-log-retention", host, "Fabric's Kafka guide sets log.retention.ms = -1 (keep forever)",
				"kafka_log_retention_ms %d: Kafka will delete old ordered messages, and an orderer that has to replay them cannot", b.rt)
		}
	}
	if k > 0 && len(c.in.Groups) > 0 {
		zk := false
		for _, g := range c.in.Groups {
			if g.Name == "zookeeper" && len(g.Hosts) > 0 {
				zk = true
			}
		}
		if !zk {
			var hosts []string
			for _, b := range t.Brokers {
				hosts = append(hosts, b.Host)
			}
			c.errorf("kafka-zookeeper", "", "Kafka hosts %s need a ZooKeeper ensemble, but group zookeeper has no hosts", strings.Join(hosts, ", "))
		}
	}
	for _, h := range c.in.Hosts {
		o := h.Orderer
		if o == nil || k == 0 {
			continue
		}
		ofr, ok := c.int("orderer-replication-factor", h.Name, "orderer_kafka_replication_factor", o.KafkaReplicationFactor)
		switch {
		case !ok:
		case ofr < 1 || ofr > k:
			c.errorf("orderer-replication-factor", h.Name, "orderer_kafka_replication_factor %d is outside 1..%d (the brokers of group kafka): the orderer cannot create channel topics", ofr, k)
		case first != nil && ofr != first.rf:
			c.add(Warning, "orderer-replication-factor", h.Name, "Fabric's Kafka guide keeps them equal",
				"orderer_kafka_replication_factor %d differs from the brokers' kafka_default_replication_factor %d", ofr, first.rf)
		}
	}
	if first == nil {
		return 0
	}
	return int(first.isr)
}

// broker reads one broker's settings; a value that cannot be read is an
// error naming the variable and the host (its rules are then skipped).
func (c *checker) broker(host string, k *KafkaFacts) (brokerSettings, bool) {
	b := brokerSettings{host: host}
	ok := true
	for _, f := range []struct {
		field string
		v     any
		dst   *int64
	}{
		{"kafka_min_insync_replicas", k.MinInsyncReplicas, &b.isr},
		{"kafka_default_replication_factor", k.DefaultReplicationFactor, &b.rf},
		{"kafka_message_max_bytes", k.MessageMaxBytes, &b.msgMax},
		{"kafka_replica_fetch_max_bytes", k.ReplicaFetchMaxBytes, &b.fetchMax},
		{"kafka_log_retention_ms", k.LogRetentionMs, &b.rt},
	} {
		n, good := c.int("kafka-settings", host, f.field, f.v)
		ok = ok && good
		*f.dst = n
	}
	u, err := module.ParseBool(k.UncleanLeaderElectionEnable)
	if err != nil {
		c.errorf("kafka-settings", host, "kafka_unclean_leader_election_enable %v", err)
		ok = false
	}
	b.unclean = u
	if ok && (b.msgMax < 1 || b.fetchMax < 1) {
		c.errorf("kafka-settings", host, "kafka_message_max_bytes and kafka_replica_fetch_max_bytes must be positive")
		ok = false
	}
	c.kafkaProperties(host, k)
	return b, ok
}

// kafkaChroot reads each broker's zookeeper.connect: one that cannot be
// parsed is an error naming its host, and every broker must keep its
// znodes under the same chroot (brokers under different ones form separate
// clusters). The topology gets that chroot, where fabrun status reads the
// brokers' registrations.
func (c *checker) kafkaChroot(t *inventory.Topology) {
	chroots := map[string][]string{}
	for _, h := range c.in.Hosts {
		if h.Kafka == nil || isUnset(h.Kafka.ZooKeeperConnect) {
			continue
		}
		_, chroot, err := inventory.ParseZooKeeperConnect(text(h.Kafka.ZooKeeperConnect))
		if err != nil {
			c.errorf("kafka-zookeeper-connect", h.Name, "kafka_zookeeper_connect: %v", err)
			continue
		}
		chroots[chroot] = append(chroots[chroot], h.Name)
	}
	if len(chroots) > 1 {
		var each []string
		for _, chroot := range slices.Sorted(maps.Keys(chroots)) {
			name := chroot
			if name == "" {
				name = "the root"
			}
			each = append(each, fmt.Sprintf("%s under %s", strings.Join(chroots[chroot], ", "), name))
		}
		c.add(Error, "kafka-zookeeper-connect", "", "set one kafka_zookeeper_chroot for the whole kafka group",
			"the brokers keep their znodes under different ZooKeeper chroots (%s): they would form separate clusters", strings.Join(each, "; "))
	}
	if len(chroots) == 1 {
		for chroot := range chroots {
			t.KafkaChroot = chroot
		}
	}
}

// kafkaProperties refuses settings that would not reach the broker as
// written: unknown kafka_* variables (the template never reads them), and
// kafka_extra_properties keys the template renders from a variable (two
// values for one key).
func (c *checker) kafkaProperties(host string, k *KafkaFacts) {
	unknown := append([]string(nil), k.UnknownVariables...)
	sort.Strings(unknown)
	for _, v := range unknown {
		c.add(Error, "kafka-unrendered", host, "set kafka_<setting> (see roles/kafka/defaults/main.yml) or a key of kafka_extra_properties",
			"%s is not a variable of the kafka role: server.properties never renders it, so it would not reach the broker", v)
	}
	if k.ExtraProperties == nil {
		return
	}
	props, isMap := k.ExtraProperties.(map[string]any)
	if !isMap {
		c.errorf("kafka-settings", host, "kafka_extra_properties is not a dictionary of server.properties keys")
		return
	}
	for _, key := range slices.Sorted(maps.Keys(props)) {
		switch v := props[key]; {
		case !propertyKeyPattern.MatchString(key):
			c.errorf("kafka-settings", host, "kafka_extra_properties key %q is not a server.properties key", key)
		case contains(k.RenderedProperties, key):
			c.add(Error, "kafka-unrendered", host, fmt.Sprintf("set kafka_%s instead", dotsToUnderscores(key)),
				"kafka_extra_properties[%q] repeats a key server.properties already renders from a kafka_* variable", key)
		default:
			switch v.(type) {
			case map[string]any, []any, nil:
				c.errorf("kafka-settings", host, "kafka_extra_properties[%q] is not a single value", key)
			}
		}
	}
}

func dotsToUnderscores(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '.' || c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}
