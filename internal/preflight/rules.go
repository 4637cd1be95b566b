// Package preflight checks, before anything is deployed, that a deployment
// can work: the inventory has the groups and variables the playbooks need,
// the built tools and artifacts are present, and the Kafka and ZooKeeper
// settings follow Fabric's Kafka guide. Errors stop a deploy; warnings
// (fault tolerance below the guide's recommendations) do not.
//
// Nothing here contacts a host: the inventory comes from ansible-inventory,
// which only parses it.
package preflight

import (
	"fmt"
	"github.com/fabrun/fabrun/internal/bytesize"
	"sort"
	"strings"

	"github.com/fabrun/fabrun/internal/inventory"
)

// Level is how serious a finding is.
type Level string

const (
	Error   Level = "error"
	Warning Level = "warning"
	Info    Level = "info"
)

// Finding is one result of a rule.
type Finding struct {
	Level Level `json:"level"`
	// Rule names the rule (stable, for machines): "zookeeper-ensemble", ...
	Rule    string   `json:"rule"`
	Message string   `json:"message"`
	Advice  string   `json:"advice,omitempty"`
	Hosts   []string `json:"hosts,omitempty"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s", f.Level, f.Message)
	if len(f.Hosts) > 0 {
		s += " [" + strings.Join(f.Hosts, ", ") + "]"
	}
	if f.Advice != "" {
		s += " - " + f.Advice
	}
	return s
}

// Report is every finding, errors first.
type Report struct {
	Findings []Finding `json:"findings"`
	Settings *Settings `json:"settings,omitempty"`
}

// OK is true when there is no error.
func (r *Report) OK() bool { return len(r.Of(Error)) == 0 }

// Of lists the findings of one level.
func (r *Report) Of(l Level) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Level == l {
			out = append(out, f)
		}
	}
	return out
}

// Add appends findings.
func (r *Report) Add(fs ...Finding) { r.Findings = append(r.Findings, fs...) }

// Sort puts errors first, then warnings, then notes, keeping rule order.
func (r *Report) Sort() {
	order := map[Level]int{Error: 0, Warning: 1, Info: 2}
	sort.SliceStable(r.Findings, func(i, j int) bool {
		return order[r.Findings[i].Level] < order[r.Findings[j].Level]
	})
}

// CheckTopology turns inventory problems into errors.
func CheckTopology(problems []error) []Finding {
	var out []Finding
	for _, p := range problems {
		out = append(out, Finding{Level: Error, Rule: "inventory", Message: p.Error()})
	}
	return out
}

// CheckZooKeeper: an ensemble of N tolerates floor((N-1)/2) failed nodes;
// Fabric's Kafka guide asks for 3, 5 or 7.
func CheckZooKeeper(topo *inventory.Topology) []Finding {
	n := len(topo.ZooKeepers)
	if n == 0 {
		return nil // CheckTopology reports the missing group
	}
	tolerated := (n - 1) / 2
	var hosts []string
	for _, z := range topo.ZooKeepers {
		hosts = append(hosts, z.Host)
	}
	advice := "Fabric's Kafka guide recommends an ensemble of 3, 5 or 7 ZooKeeper nodes"
	switch {
	case n < 3:
		return []Finding{{Level: Warning, Rule: "zookeeper-ensemble", Hosts: hosts, Advice: advice,
			Message: fmt.Sprintf("a ZooKeeper ensemble of %d tolerates %d failed nodes: losing any one node stops ZooKeeper, and with it Kafka and ordering", n, tolerated)}}
	case n%2 == 0:
		return []Finding{{Level: Warning, Rule: "zookeeper-ensemble", Hosts: hosts, Advice: advice,
			Message: fmt.Sprintf("a ZooKeeper ensemble of %d tolerates %d failed nodes, no more than %d nodes would", n, tolerated, n-1)}}
	case n > 7:
		return []Finding{{Level: Warning, Rule: "zookeeper-ensemble", Hosts: hosts, Advice: advice,
			Message: fmt.Sprintf("a ZooKeeper ensemble of %d nodes tolerates %d failed nodes but slows every write", n, tolerated)}}
	}
	return nil
}

// CheckKafka applies the guide's Kafka rules to the effective settings:
// errors for settings that cannot work, warnings for weak fault tolerance.
func CheckKafka(topo *inventory.Topology, s *Settings) []Finding {
	k := len(topo.Brokers)
	if k == 0 || s == nil {
		return nil
	}
	var out []Finding
	// Per-broker rules; identical findings on several brokers are merged.
	merge := map[string]*Finding{}
	var order []string
	add := func(f Finding, host string) {
		key := string(f.Level) + "|" + f.Rule + "|" + f.Message
		if m, ok := merge[key]; ok {
			m.Hosts = append(m.Hosts, host)
			return
		}
		f.Hosts = []string{host}
		merge[key] = &f
		order = append(order, key)
	}
	abs := s.AbsoluteMaxBytes
	for _, b := range s.Brokers {
		m, r := b.MinInsyncReplicas, b.ReplicationFactor
		if m.Invalid || r.Invalid {
			// reported as a settings error
		} else if m.Value >= r.Value {
			add(Finding{Level: Error, Rule: "kafka-min-insync",
				Message: fmt.Sprintf("min.insync.replicas %s is not below default.replication.factor %s: with one replica down no write can be acknowledged",
					m.Describe(), r.Describe()),
				Advice: "Fabric's Kafka guide requires 1 < M < R (the seed: M = 2, R = 3)"}, b.Host)
		} else if m.Value < 2 {
			add(Finding{Level: Warning, Rule: "kafka-min-insync",
				Message: fmt.Sprintf("min.insync.replicas %s: a write is acknowledged by a single replica and is lost if that broker fails", m.Describe()),
				Advice:  "Fabric's Kafka guide asks for 1 < M < R"}, b.Host)
		}
		if r.Invalid {
			// reported as a settings error
		} else if r.Value > int64(k) {
			add(Finding{Level: Error, Rule: "kafka-replication-factor",
				Message: fmt.Sprintf("default.replication.factor %s is larger than the %d brokers in the inventory: channel topics cannot be created", r.Describe(), k),
				Advice:  "add brokers or lower the replication factor"}, b.Host)
		} else if int64(k) <= r.Value {
			add(Finding{Level: Warning, Rule: "kafka-brokers",
				Message: fmt.Sprintf("%d Kafka brokers with default.replication.factor %d: a channel cannot be created while one broker is down", k, r.Value),
				Advice:  "Fabric's Kafka guide recommends at least 4 brokers and more brokers than the replication factor (K >= 4, K > R)"}, b.Host)
		} else if k < 4 {
			add(Finding{Level: Warning, Rule: "kafka-brokers",
				Message: fmt.Sprintf("%d Kafka brokers: fewer than the 4 Fabric's Kafka guide asks for to keep every channel writable and creatable with one broker down", k),
				Advice:  "Fabric's Kafka guide recommends K >= 4 and K > R"}, b.Host)
		}
		for _, f := range []struct {
			name string
			v    Setting
		}{{"message.max.bytes", b.MessageMaxBytes}, {"replica.fetch.max.bytes", b.ReplicaFetchMaxBytes}} {
			switch {
			case f.v.Invalid || abs.Invalid:
			case f.v.Value < abs.Value:
				add(Finding{Level: Error, Rule: "kafka-message-size",
					Message: fmt.Sprintf("%s %s is below the channel's AbsoluteMaxBytes %s: a full block cannot be written to (or replicated through) Kafka",
						f.name, f.v.Describe(), describeBytes(abs)),
					Advice: "set it to AbsoluteMaxBytes plus room for headers (1 MiB is plenty)"}, b.Host)
			case f.name == "message.max.bytes" && f.v.Value < abs.Value+1<<20:
				add(Finding{Level: Warning, Rule: "kafka-message-size",
					Message: fmt.Sprintf("%s %s leaves less than 1 MiB over the channel's AbsoluteMaxBytes %s for message headers",
						f.name, f.v.Describe(), describeBytes(abs)),
					Advice: "Fabric's Kafka guide: AbsoluteMaxBytes plus some buffer for headers; 1 MiB is more than enough"}, b.Host)
			}
		}
		if !b.ReplicaFetchMaxBytes.Invalid && !b.MessageMaxBytes.Invalid && !abs.Invalid &&
			b.ReplicaFetchMaxBytes.Value < b.MessageMaxBytes.Value && b.ReplicaFetchMaxBytes.Value >= abs.Value {
			add(Finding{Level: Warning, Rule: "kafka-message-size",
				Message: fmt.Sprintf("replica.fetch.max.bytes %s is below message.max.bytes %s: a largest message cannot be replicated",
					b.ReplicaFetchMaxBytes.Describe(), b.MessageMaxBytes.Describe()),
				Advice: "Fabric's Kafka guide sets replica.fetch.max.bytes = message.max.bytes"}, b.Host)
		}
		if !b.UncleanLeaderElection.Invalid && b.UncleanLeaderElection.Value != 0 {
			add(Finding{Level: Warning, Rule: "kafka-unclean-election",
				Message: "unclean.leader.election.enable is true: a replica outside the in-sync set may become leader and lose ordered blocks",
				Advice:  "Fabric's Kafka guide requires unclean.leader.election.enable = false"}, b.Host)
		}
		if !b.LogRetentionMs.Invalid && b.LogRetentionMs.Value != -1 {
			add(Finding{Level: Warning, Rule: "kafka-log-retention",
				Message: fmt.Sprintf("log.retention.ms %s: Kafka will delete old ordered messages, and an orderer that has to replay them cannot", b.LogRetentionMs.Describe()),
				Advice:  "Fabric's Kafka guide sets log.retention.ms = -1 (keep forever)"}, b.Host)
		}
	}
	for _, key := range order {
		out = append(out, *merge[key])
	}
	ofr := s.OrdererReplicationFactor
	if ofr.Invalid {
		// reported as a settings error
	} else if ofr.Value > int64(k) {
		out = append(out, Finding{Level: Error, Rule: "orderer-replication-factor",
			Message: fmt.Sprintf("the orderers' Kafka.Topic.ReplicationFactor %s is larger than the %d brokers: the orderers cannot create channel topics", ofr.Describe(), k)})
	} else if len(s.Brokers) > 0 && !s.Brokers[0].ReplicationFactor.Invalid && ofr.Value != s.Brokers[0].ReplicationFactor.Value {
		out = append(out, Finding{Level: Warning, Rule: "orderer-replication-factor",
			Message: fmt.Sprintf("the orderers' Kafka.Topic.ReplicationFactor %s differs from the brokers' default.replication.factor %s",
				ofr.Describe(), s.Brokers[0].ReplicationFactor.Describe()),
			Advice: "Fabric's Kafka guide keeps them equal"})
	}
	return out
}

func describeBytes(s Setting) string {
	where := s.Source
	if s.Var != "" {
		where = s.Var + ", " + s.Source
	}
	return fmt.Sprintf("%s (%s)", bytesize.Format(s.Value), where)
}

// KafkaDeprecation is a note that Kafka ordering is deprecated.
func KafkaDeprecation() Finding {
	return Finding{Level: Info, Rule: "kafka-deprecated",
		Message: "Kafka-based ordering is deprecated since Fabric 2.0 and removed in 3.0",
		Advice:  "Fabric documents a Kafka-to-Raft migration"}
}
