package preflight

import (
	"fmt"
	"github.com/fabrun/fabrun/internal/bytesize"
	"strconv"
	"strings"

	"github.com/fabrun/fabrun/internal/inventory"
)

// Setting is one effective value and where it came from.
type Setting struct {
	Value int64 `json:"value"`
	// Set is false when nothing sets it and Kafka's (or Fabric's) own default applies.
	Set bool `json:"set"`
	// Source says where the value came from: "extra vars", "inventory",
	// "role default", "Kafka default", ...
	Source string `json:"source"`
	// Var is the variable (or dict key) that holds it.
	Var string `json:"var,omitempty"`
	// Invalid is true when the value could not be read (the rules that
	// need it are skipped; the read error is reported instead).
	Invalid bool `json:"invalid,omitempty"`
}

// Describe is "3 (kafka_min_insync_replicas, role default)".
func (s Setting) Describe() string {
	where := s.Source
	if s.Var != "" {
		where = s.Var + ", " + s.Source
	}
	return fmt.Sprintf("%d (%s)", s.Value, where)
}

// BrokerSettings are the server.properties values the Kafka rules need, as
// one broker will run with them.
type BrokerSettings struct {
	Host                 string  `json:"host"`
	BrokerID             int     `json:"broker_id"`
	MinInsyncReplicas    Setting `json:"min_insync_replicas"`
	ReplicationFactor    Setting `json:"default_replication_factor"`
	MessageMaxBytes      Setting `json:"message_max_bytes"`
	ReplicaFetchMaxBytes Setting `json:"replica_fetch_max_bytes"`
	// UncleanLeaderElection: 1 true, 0 false.
	UncleanLeaderElection Setting `json:"unclean_leader_election_enable"`
	LogRetentionMs        Setting `json:"log_retention_ms"`
}

// Settings are the effective values of the settings the rules check.
type Settings struct {
	Brokers []BrokerSettings `json:"brokers"`
	// AbsoluteMaxBytes is the channel's BatchSize.AbsoluteMaxBytes.
	AbsoluteMaxBytes Setting `json:"absolute_max_bytes"`
	// OrdererReplicationFactor is the orderers' Kafka.Topic.ReplicationFactor.
	OrdererReplicationFactor Setting `json:"orderer_replication_factor"`
}

// Kafka's own defaults (Kafka 3.x, broker config) for settings nobody sets.
var kafkaDefaults = map[string]int64{
	"min.insync.replicas":            1,
	"default.replication.factor":     1,
	"message.max.bytes":              1048588,
	"replica.fetch.max.bytes":        1048576,
	"unclean.leader.election.enable": 0,
	"log.retention.ms":               7 * 24 * 3600 * 1000,
}

// PropertyDicts are variables that may hold server.properties keys
// verbatim (a dict such as {"min.insync.replicas": 2}).
var PropertyDicts = []string{"kafka_properties", "kafka_server_properties", "kafka_config", "kafka_settings", "kafka_extra_properties"}

// PropertyVar is the variable that sets a server.properties key:
// "min.insync.replicas" -> "kafka_min_insync_replicas".
func PropertyVar(property string) string {
	return "kafka_" + strings.ReplaceAll(property, ".", "_")
}

func layerName(layer string) string {
	switch layer {
	case "extra":
		return "extra vars"
	case "host":
		return "inventory"
	case "default":
		return "role default"
	default:
		return layer
	}
}

// kafkaProperty finds a broker setting on a host: first a dict variable
// holding the property verbatim, then kafka_<property with _>, then Kafka's
// default. Booleans count as 1/0.
func kafkaProperty(inv *inventory.Inventory, host, property string) (Setting, error) {
	// A dict entry set in a higher layer wins; compare layers.
	type cand struct {
		s     Setting
		rank  int
		found bool
	}
	rank := map[string]int{"extra": 3, "host": 2, "magic": 1, "default": 0}
	best := cand{}
	consider := func(raw any, layer, varName string) error {
		n, err := toInt64(raw)
		if err != nil {
			return fmt.Errorf("%s: %v", varName, err)
		}
		r := rank[layer]
		if !best.found || r > best.rank {
			best = cand{s: Setting{Value: n, Set: true, Source: layerName(layer), Var: varName}, rank: r, found: true}
		}
		return nil
	}
	for _, dict := range PropertyDicts {
		_, layer, ok := inv.Raw(host, dict)
		if !ok {
			continue
		}
		v, _, err := inv.Var(host, dict)
		if err != nil {
			return Setting{}, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if x, ok := m[property]; ok {
			if err := consider(x, layer, dict+"['"+property+"']"); err != nil {
				return Setting{}, err
			}
		}
	}
	name := PropertyVar(property)
	if _, layer, ok := inv.Raw(host, name); ok {
		v, _, err := inv.Var(host, name)
		if err != nil {
			return Setting{}, err
		}
		if err := consider(v, layer, name); err != nil {
			return Setting{}, err
		}
	}
	if best.found {
		return best.s, nil
	}
	return Setting{Value: kafkaDefaults[property], Source: "Kafka default"}, nil
}

func toInt64(v any) (int64, error) {
	switch t := v.(type) {
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case string:
		s := strings.TrimSpace(strings.ToLower(t))
		switch s {
		case "true", "yes", "on":
			return 1, nil
		case "false", "no", "off":
			return 0, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", t)
		}
		return n, nil
	}
	n, err := inventory.ToInt(v)
	return int64(n), err
}

// SettingError is a setting that cannot be read, and the hosts it is on
// ("" for the controller).
type SettingError struct {
	Host string
	Err  error
}

// Effective reads the settings from an inventory whose role defaults are
// loaded (roles kafka, artifacts, orderer) and whose extra vars are added.
func Effective(inv *inventory.Inventory, topo *inventory.Topology) (*Settings, []SettingError) {
	var errs []SettingError
	s := &Settings{}
	for _, b := range topo.Brokers {
		bs := BrokerSettings{Host: b.Host, BrokerID: b.ID}
		for _, f := range []struct {
			prop string
			dst  *Setting
		}{
			{"min.insync.replicas", &bs.MinInsyncReplicas},
			{"default.replication.factor", &bs.ReplicationFactor},
			{"message.max.bytes", &bs.MessageMaxBytes},
			{"replica.fetch.max.bytes", &bs.ReplicaFetchMaxBytes},
			{"unclean.leader.election.enable", &bs.UncleanLeaderElection},
			{"log.retention.ms", &bs.LogRetentionMs},
		} {
			v, err := kafkaProperty(inv, b.Host, f.prop)
			if err != nil {
				errs = append(errs, SettingError{b.Host, err})
				v = Setting{Invalid: true, Var: PropertyVar(f.prop)}
			}
			*f.dst = v
		}
		s.Brokers = append(s.Brokers, bs)
	}

	// The channel's AbsoluteMaxBytes: configtx is rendered on the controller
	// (localhost), so host vars do not apply; role default and extra vars do.
	s.AbsoluteMaxBytes = Setting{Value: 10 << 20, Source: "Fabric default", Var: "artifacts_absolute_max_bytes"}
	ctl := controllerHost(inv, "artifacts_absolute_max_bytes")
	if _, layer, ok := inv.Raw(ctl, "artifacts_absolute_max_bytes"); ok {
		v, _, err := inv.Var(ctl, "artifacts_absolute_max_bytes")
		if err != nil {
			errs = append(errs, SettingError{ctl, err})
			s.AbsoluteMaxBytes.Invalid = true
		} else if n, err := bytesize.Parse(fmt.Sprint(v)); err != nil {
			errs = append(errs, SettingError{ctl, fmt.Errorf("artifacts_absolute_max_bytes: %v", err)})
			s.AbsoluteMaxBytes.Invalid = true
		} else {
			s.AbsoluteMaxBytes = Setting{Value: n, Set: true, Source: layerName(layer), Var: "artifacts_absolute_max_bytes"}
		}
	}

	host := ""
	if len(topo.Orderers) > 0 {
		host = topo.Orderers[0].Host
	}
	s.OrdererReplicationFactor = Setting{Value: 3, Source: "Fabric default", Var: "orderer_kafka_replication_factor"}
	if _, layer, ok := inv.Raw(host, "orderer_kafka_replication_factor"); ok {
		v, _, err := inv.Var(host, "orderer_kafka_replication_factor")
		if err != nil {
			errs = append(errs, SettingError{host, err})
			s.OrdererReplicationFactor.Invalid = true
		} else if n, err := toInt64(v); err != nil {
			errs = append(errs, SettingError{host, fmt.Errorf("orderer_kafka_replication_factor: %v", err)})
			s.OrdererReplicationFactor.Invalid = true
		} else {
			s.OrdererReplicationFactor = Setting{Value: n, Set: true, Source: layerName(layer), Var: "orderer_kafka_replication_factor"}
		}
	}
	return s, errs
}

// controllerHost picks the host whose variables stand for the controller's
// (localhost's) for a variable: localhost sees group "all" variables, which
// ansible-inventory reports on every host. When every host has the same
// value, the first host stands in; otherwise only defaults and extra vars
// apply ("").
func controllerHost(inv *inventory.Inventory, name string) string {
	hosts := inv.Hosts()
	if len(hosts) == 0 {
		return ""
	}
	first, layer, ok := inv.Raw(hosts[0], name)
	if !ok || layer != "host" {
		return ""
	}
	for _, h := range hosts[1:] {
		v, l, ok := inv.Raw(h, name)
		if !ok || l != "host" || fmt.Sprint(v) != fmt.Sprint(first) {
			return ""
		}
	}
	return hosts[0]
}
