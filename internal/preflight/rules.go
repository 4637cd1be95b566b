// Package preflight holds the one set of rules that decides, before
// anything is deployed, whether an inventory and its settings can work:
// groups and ids, addresses and ports, names Fabric accepts, batch and
// policy settings, and Fabric's Kafka guide. Errors stop a deploy;
// warnings (fault tolerance below the guide's recommendations) do not.
//
// Ansible evaluates the inventory (precedence, templates, role defaults,
// extra vars) and hands the resolved values to the fabric_preflight module,
// which runs Evaluate once per run on the controller; `fabrun check` and
// `fabrun deploy` run that same play and read its result. Nothing here
// contacts a host.
package preflight

import (
	"fmt"
	"sort"
	"strings"
	"time"

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
	s := f.Message
	if f.Advice != "" {
		s += " - " + f.Advice
	}
	return s
}

// Report is every finding, errors first.
type Report struct {
	Findings []Finding `json:"findings"`
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

// Outcome is what one evaluation returns: the findings, and the network
// the inventory describes as the runner uses it (verify, status).
type Outcome struct {
	Report
	Topology *inventory.Topology `json:"topology"`
	// MinInsyncReplicas is the first broker's min.insync.replicas (status
	// reports partitions below it); 0 when unknown.
	MinInsyncReplicas int `json:"min_insync_replicas"`
	// SystemChannel, Chaincode and ChaincodeVersion are the network-wide
	// settings verify and status use.
	SystemChannel    string `json:"system_channel"`
	Chaincode        string `json:"chaincode"`
	ChaincodeVersion string `json:"chaincode_version"`
}

// checker collects findings; per-host findings with the same rule and
// message are merged (hosts listed once).
type checker struct {
	in  *Input
	out []Finding
	// abs is the channel's AbsoluteMaxBytes (0 when it could not be read).
	abs int64
	idx map[string]int
}

func (c *checker) add(level Level, rule, host, advice, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if host != "" {
		msg = host + ": " + msg
	}
	key := string(level) + "|" + rule + "|" + msg
	if i, ok := c.idx[key]; ok {
		if host != "" && !contains(c.out[i].Hosts, host) {
			c.out[i].Hosts = append(c.out[i].Hosts, host)
		}
		return
	}
	f := Finding{Level: level, Rule: rule, Message: msg, Advice: advice}
	if host != "" {
		f.Hosts = []string{host}
	}
	c.idx[key] = len(c.out)
	c.out = append(c.out, f)
}

func (c *checker) errorf(rule, host, format string, a ...any) {
	c.add(Error, rule, host, "", format, a...)
}

// int reads a required whole number; a bad one is an error naming field and host.
func (c *checker) int(rule, host, field string, v any) (int64, bool) {
	n, err := integer(v)
	if err != nil {
		c.errorf(rule, host, "%s %v", field, err)
		return 0, false
	}
	return n, true
}

// nodeID reads a node's numeric id: an integer that outOfRange accepts (it
// says what is wrong, or "") and that no host in ids (id to host) has yet.
func (c *checker) nodeID(rule, host, field string, v any, ids map[int64]string, outOfRange func(int64) string) int64 {
	id, ok := c.int(rule, host, field, v)
	if !ok {
		return id
	}
	if why := outOfRange(id); why != "" {
		c.errorf(rule, host, "%s %d %s", field, id, why)
		return id
	}
	if other, dup := ids[id]; dup {
		c.errorf(rule, host, "%s %d is also the id of %s", field, id, other)
	} else {
		ids[id] = host
	}
	return id
}

// duration reads a required positive duration (Go's syntax, as Fabric reads
// it); rejects, when set, says why a non-positive one is refused.
func (c *checker) duration(rule, host, field string, v any, rejects string) (time.Duration, bool) {
	s, ok := c.str(rule, host, field, v)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		c.errorf(rule, host, "%s %q is not a duration such as 2s or 500ms", field, s)
		return 0, false
	}
	if d <= 0 {
		c.errorf(rule, host, "%s %s is not positive%s", field, d, rejects)
		return 0, false
	}
	return d, true
}

// str reads a required string.
func (c *checker) str(rule, host, field string, v any) (string, bool) {
	if isUnset(v) {
		c.errorf(rule, host, "%s is not set", field)
		return "", false
	}
	return text(v), true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Evaluate applies every rule to the gathered input.
func Evaluate(in *Input) *Outcome {
	c := &checker{in: in, idx: map[string]int{}}
	topo := c.topology()
	c.ports()
	c.network(topo)
	c.artifacts(topo)
	c.zookeeperEnsemble(topo)
	c.raft(topo)
	minISR := c.kafka(topo)
	if len(topo.Brokers) > 0 {
		c.out = append(c.out, KafkaDeprecation())
	}
	o := &Outcome{Report: Report{Findings: c.out}, Topology: topo, MinInsyncReplicas: minISR,
		SystemChannel: text(in.Network.SystemChannel), Chaincode: text(in.Network.ChaincodeName),
		ChaincodeVersion: text(in.Network.ChaincodeVersion)}
	o.Sort()
	return o
}

// serviceGroups are the groups the playbooks deploy; peers sit in org
// groups that are children of "peer".
var serviceGroups = []string{"zookeeper", "kafka", "orderer", "peer"}

// topology checks groups, ids, names and addresses, and builds the typed
// network from what could be read.
func (c *checker) topology() *inventory.Topology {
	in := c.in
	t := &inventory.Topology{
		Channel:      text(in.Network.Channel),
		Domain:       text(in.Network.Domain),
		OrdererMSPID: text(in.Network.OrdererMSPID),
		Workdir:      text(in.Network.Workdir),
	}
	groups := map[string][]string{}
	for _, g := range in.Groups {
		groups[g.Name] = g.Hosts
	}
	kafkaMode := isUnset(in.Network.OrdererType) || text(in.Network.OrdererType) == "kafka"
	for _, g := range serviceGroups {
		if (g == "zookeeper" || g == "kafka") && !kafkaMode {
			continue
		}
		hosts, ok := groups[g]
		switch {
		case !ok:
			c.errorf("inventory-groups", "", "the inventory has no group %q: a Kafka-ordered network needs hosts in zookeeper, kafka, orderer and an org group under peer", g)
		case len(hosts) == 0:
			c.errorf("inventory-groups", "", "group %q has no hosts: the network needs at least one", g)
		}
	}
	var names []string
	for _, g := range in.Groups {
		names = append(names, g.Name)
	}
	sort.Strings(names)
	for _, g := range names {
		if g != "all" && g != "ungrouped" && len(groups[g]) == 0 && !contains(serviceGroups, g) {
			c.errorf("inventory-groups", "", "group %q has no hosts (an org group under peer needs at least one peer; remove the group otherwise)", g)
		}
	}

	zkIDs, brokerIDs, ordererNames := map[int64]string{}, map[int64]string{}, map[string]string{}
	orgs := map[string]*inventory.Org{}
	var orgOrder []string
	for _, h := range in.Hosts {
		if !inSomeGroup(h.Groups) {
			c.errorf("inventory-groups", h.Name, "the host is in no group: put it in zookeeper, kafka, orderer or an org group under peer, or remove it")
		}
		address := h.Name
		if !isUnset(h.Address) {
			address = text(h.Address)
		}
		if err := ValidateAddress(address); err != nil {
			c.errorf("address", h.Name, "ansible_host %v", err)
		}
		if z := h.ZooKeeper; z != nil {
			id := c.nodeID("zookeeper-id", h.Name, "zookeeper_id", z.ID, zkIDs, func(id int64) string {
				if id < 1 || id > 255 {
					return "is outside 1..255 (ZooKeeper's myid)"
				}
				return ""
			})
			port, _ := integer(z.ClientPort)
			t.ZooKeepers = append(t.ZooKeepers, inventory.ZooKeeper{Node: inventory.Node{Host: h.Name, Address: address, Port: int(port)}, ID: int(id)})
		}
		if k := h.Kafka; k != nil {
			id := c.nodeID("kafka-broker-id", h.Name, "kafka_broker_id", k.BrokerID, brokerIDs, func(id int64) string {
				if id < 0 {
					return "is negative"
				}
				return ""
			})
			port, _ := integer(k.Port)
			t.Brokers = append(t.Brokers, inventory.Broker{Node: inventory.Node{Host: h.Name, Address: address, Port: int(port)}, ID: int(id)})
		}
		if o := h.Orderer; o != nil {
			name, ok := c.str("orderer-name", h.Name, "orderer_name", o.Name)
			if ok {
				if err := ValidateDomainLabel(name); err != nil {
					c.errorf("orderer-name", h.Name, "orderer_name %v", err)
				} else if other, dup := ordererNames[name]; dup {
					c.errorf("orderer-name", h.Name, "orderer_name %s is also the name of %s", name, other)
				} else {
					ordererNames[name] = h.Name
				}
			}
			port, _ := integer(o.Port)
			ops, _ := integer(o.OperationsPort)
			t.Orderers = append(t.Orderers, inventory.Orderer{Node: inventory.Node{Host: h.Name, Address: address, Port: int(port)},
				Name: name, FQDN: name + "." + t.Domain, OpsPort: int(ops)})
		}
		if p := h.Peer; p != nil {
			c.peer(t, h, address, orgs, &orgOrder)
		}
	}
	msps := map[string]string{}
	for _, g := range orgOrder {
		o := orgs[g]
		if other, dup := msps[o.MSPID]; dup && o.MSPID != "" {
			c.errorf("org", "", "org_msp_id %s is on both org groups %s and %s", o.MSPID, other, g)
		}
		msps[o.MSPID] = g
		t.Orgs = append(t.Orgs, *o)
	}
	return t
}

// inSomeGroup: Ansible's group_names of a host in no group is ["ungrouped"].
func inSomeGroup(groups []string) bool {
	for _, g := range groups {
		if g != "ungrouped" && g != "all" {
			return true
		}
	}
	return false
}

// peer checks one peer and adds it to its org.
func (c *checker) peer(t *inventory.Topology, h HostFacts, address string, orgs map[string]*inventory.Org, order *[]string) {
	p := h.Peer
	name, ok := c.str("peer", h.Name, "peer_name", p.Name)
	if ok {
		if err := ValidateDomainLabel(name); err != nil {
			c.errorf("peer", h.Name, "peer_name %v", err)
		}
	}
	orgName, _ := c.str("peer", h.Name, "org_name", p.OrgName)
	msp, _ := c.str("peer", h.Name, "org_msp_id", p.MSPID)
	domain, ok := c.str("peer", h.Name, "org_domain", p.Domain)
	if ok {
		if err := ValidateAddress(domain); err != nil {
			c.errorf("peer", h.Name, "org_domain %v", err)
		}
	}
	group := p.OrgGroup
	if group == "" {
		c.errorf("peer", h.Name, "the peer is in no org group: put it in a child group of peer (e.g. org1)")
		group = "peer"
	}
	o := orgs[group]
	if o == nil {
		o = &inventory.Org{Group: group, Name: orgName, MSPID: msp, Domain: domain}
		orgs[group] = o
		*order = append(*order, group)
	} else {
		for _, f := range []struct{ field, have, want string }{
			{"org_name", orgName, o.Name}, {"org_msp_id", msp, o.MSPID}, {"org_domain", domain, o.Domain}} {
			if f.have != f.want {
				c.errorf("org", h.Name, "%s %q differs from %q on the other peers of org group %s", f.field, f.have, f.want, group)
			}
		}
		for _, q := range o.Peers {
			if q.Name == name && name != "" {
				c.errorf("peer", h.Name, "peer_name %s is also the name of %s in org group %s", name, q.Host, group)
			}
		}
	}
	// The peer parses it only when it starts; refused here, before anything changed.
	c.duration("peer", h.Name, "peer_deliveryclient_reconnect_backoff_threshold", p.ReconnectBackoff, "")
	port, _ := integer(p.Port)
	ops, _ := integer(p.OperationsPort)
	o.Peers = append(o.Peers, inventory.Peer{Node: inventory.Node{Host: h.Name, Address: address, Port: int(port)},
		Name: name, FQDN: name + "." + o.Domain, Org: group, MSPID: o.MSPID, Domain: o.Domain, OpsPort: int(ops)})
}

// wildcardAddresses mean every address of the host.
var wildcardAddresses = []string{"0.0.0.0", "::", "*", ""}

// ports: every port is 1..65535 and no two services bind one address and
// port (a wildcard clashes with any address of the same host).
func (c *checker) ports() {
	type bound struct {
		host, service, address string
		port                   int64
	}
	var all []bound
	for _, h := range c.in.Hosts {
		for _, p := range h.Ports {
			n, err := integer(p.Port)
			field := strings.ReplaceAll(p.Service, " ", "_") + " port"
			if err != nil {
				c.errorf("port", h.Name, "%s %v", field, err)
				continue
			}
			if n < 1 || n > 65535 {
				c.errorf("port", h.Name, "%s %d is outside 1..65535", field, n)
				continue
			}
			all = append(all, bound{h.Name, p.Service, text(p.Address), n})
		}
	}
	// Host and service order, so a clash reads the same whatever order the
	// roles added their ports in.
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].host != all[j].host {
			return all[i].host < all[j].host
		}
		return all[i].service < all[j].service
	})
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.port != b.port {
				continue
			}
			if a.address == b.address || a.host == b.host && (contains(wildcardAddresses, a.address) || contains(wildcardAddresses, b.address)) {
				c.errorf("port-clash", b.host, "%s and %s %s both bind %s:%d", b.service, a.host, a.service, b.address, b.port)
			}
		}
	}
}
