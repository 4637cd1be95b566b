// Package status reports each node's health without Ansible: ZooKeeper's
// mode through the `srvr` four-letter command, Kafka's registered brokers
// and the channel topics' in-sync replicas read from ZooKeeper, each
// etcdraft channel's Raft leader and cluster size from the orderers'
// metrics, the
// orderers' and peers' /healthz over TLS with their org's TLS CA, and each
// peer's block height.
package status

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/probe"
)

// Node is one component's health.
type Node struct {
	// Kind is zookeeper, kafka, topic, raft (an etcdraft channel), orderer or peer.
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Host     string `json:"host,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Healthy  bool   `json:"healthy"`
	// Detail is the good news (leader, OK, height 7); Error the bad.
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	// Height is a peer's block height on the channel (0: unknown), and
	// BlockHash the hex hash of its latest block.
	Height    uint64 `json:"height,omitempty"`
	BlockHash string `json:"block_hash,omitempty"`
	// Affects says, for a node that is not healthy, what its failure
	// means for the network (impact.go).
	Affects string `json:"affects,omitempty"`
}

// Report is every node's health.
type Report struct {
	Nodes   []Node `json:"nodes"`
	Healthy bool   `json:"healthy"`
}

// Unhealthy lists the nodes that are not healthy.
func (r *Report) Unhealthy() []Node {
	return slices.DeleteFunc(slices.Clone(r.Nodes), func(n Node) bool { return n.Healthy })
}

// Heights reads peers' block heights and latest block hashes
// (netclient.Network does, through the SDK).
type Heights interface {
	ChainInfo(ctx context.Context, peer string) (height uint64, latestHash []byte, err error)
}

// Options tune the checks.
type Options struct {
	// Timeout bounds each check (default 5s).
	Timeout time.Duration
	// Topics are the Kafka topics that must exist (the system channel and
	// the application channel).
	Topics []string
	// MinInsync is the fewest in-sync replicas a healthy topic has (default:
	// every replica must be in sync).
	MinInsync int
	// Heights, if set, reads peers' block heights; HeightsErr explains why
	// it is not set (e.g. no crypto material), reported on each peer.
	Heights    Heights
	HeightsErr error
	// Backbone is the client TLS config towards ZooKeeper (TLS only, a
	// certificate from the backbone CA required); default BackboneTLS(topo).
	Backbone *tls.Config
	// Consensus, if set, reads the application channel's consensus type
	// from its config: etcdraft channels (Topics among them) are reported
	// with their Raft leader and cluster size instead of Kafka topics.
	Consensus Consensus
}

// BackboneTLS is the controller's TLS identity towards the ordering
// backbone: the Admin TLS certificate of the backbone CA (the `Backbone`
// org the artifacts role generates, backbone.<domain>). ZooKeeper accepts
// it; Kafka's ACLs give it nothing.
func BackboneTLS(topo *inventory.Topology) (*tls.Config, error) {
	org := "backbone." + topo.Domain
	dir := filepath.Join(topo.CryptoDir(), "ordererOrganizations", org, "users", "Admin@"+org, "tls")
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		return nil, fmt.Errorf("backbone client certificate: %w", err)
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("backbone CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("backbone CA %s: no certificate", filepath.Join(dir, "ca.crt"))
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// Collect checks every node of the topology.
func Collect(ctx context.Context, topo *inventory.Topology, o Options) *Report {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	var backboneErr error
	if o.Backbone == nil {
		o.Backbone, backboneErr = BackboneTLS(topo)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	r := &Report{}
	add := func(n ...Node) {
		mu.Lock()
		r.Nodes = append(r.Nodes, n...)
		mu.Unlock()
	}
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}

	for _, z := range topo.ZooKeepers {
		z := z
		run(func() { add(checkZooKeeper(ctx, z, o.Timeout, o.Backbone, backboneErr)) })
	}
	run(func() {
		// Raft leaders and cluster sizes for the etcdraft channels, Kafka
		// topics for the others.
		raft, topics := raftChannels(ctx, topo, o)
		add(raft...)
		ko := o
		ko.Topics = topics
		add(checkKafka(ctx, topo, ko, backboneErr)...)
	})
	for _, ord := range topo.Orderers {
		ord := ord
		run(func() {
			n := Node{Kind: "orderer", Name: ord.FQDN, Host: ord.Host, Endpoint: ord.OpsEndpoint()}
			healthz(ctx, &n, "https://"+ord.OpsEndpoint()+"/healthz", topo.OrdererTLSCA(), o.Timeout)
			add(n)
		})
	}
	for _, p := range topo.Peers() {
		p := p
		run(func() {
			n := Node{Kind: "peer", Name: p.FQDN, Host: p.Host, Endpoint: p.OpsEndpoint()}
			org, _ := topo.OrgOf(p)
			healthz(ctx, &n, "https://"+p.OpsEndpoint()+"/healthz", topo.OrgTLSCA(org), o.Timeout)
			if n.Healthy {
				peerHeight(ctx, &n, topo.Channel, o)
			}
			add(n)
		})
	}
	wg.Wait()
	sortNodes(r.Nodes, topo)
	explainImpact(r.Nodes, topo, o)
	r.Healthy = len(r.Nodes) > 0 && len(r.Unhealthy()) == 0
	return r
}

// sortNodes orders by kind (zookeeper, kafka, topic, orderer, peer) and
// then as the inventory lists them.
func sortNodes(nodes []Node, topo *inventory.Topology) {
	kind := map[string]int{"zookeeper": 0, "kafka": 1, "topic": 2, "raft": 3, "orderer": 4, "peer": 5}
	pos := map[string]int{}
	i := 0
	for _, z := range topo.ZooKeepers {
		pos["zookeeper|"+z.Host] = i
		i++
	}
	for _, b := range topo.Brokers {
		pos[fmt.Sprintf("kafka|broker %d", b.ID)] = i
		i++
	}
	for _, o := range topo.Orderers {
		pos["orderer|"+o.FQDN] = i
		i++
	}
	for _, p := range topo.Peers() {
		pos["peer|"+p.FQDN] = i
		i++
	}
	key := func(n Node) string {
		if n.Kind == "zookeeper" {
			return n.Kind + "|" + n.Host
		}
		return n.Kind + "|" + n.Name
	}
	sort.SliceStable(nodes, func(a, b int) bool {
		na, nb := nodes[a], nodes[b]
		if kind[na.Kind] != kind[nb.Kind] {
			return kind[na.Kind] < kind[nb.Kind]
		}
		pa, oka := pos[key(na)]
		pb, okb := pos[key(nb)]
		if oka && okb && pa != pb {
			return pa < pb
		}
		return na.Name < nb.Name
	})
}

func checkZooKeeper(ctx context.Context, z inventory.ZooKeeper, timeout time.Duration, backbone *tls.Config, backboneErr error) Node {
	n := Node{Kind: "zookeeper", Name: fmt.Sprintf("zookeeper %d", z.ID), Host: z.Host, Endpoint: z.Endpoint()}
	if backboneErr != nil {
		n.Error = backboneErr.Error()
		return n
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	text, err := probe.FourLetter(cctx, z.Endpoint(), "srvr", backbone)
	if err != nil {
		n.Error = err.Error()
		return n
	}
	s, err := probe.ParseSrvr(text)
	if err != nil {
		n.Error = err.Error()
		return n
	}
	n.Healthy = s.Mode == "leader" || s.Mode == "follower" || s.Mode == "standalone" || s.Mode == "observer"
	n.Detail = fmt.Sprintf("%s, ZooKeeper %s, %d znodes", s.Mode, s.Version, s.NodeCount)
	if !n.Healthy {
		n.Error = "mode " + s.Mode
	}
	return n
}

func checkKafka(ctx context.Context, topo *inventory.Topology, o Options, backboneErr error) []Node {
	var servers []string
	for _, z := range topo.ZooKeepers {
		servers = append(servers, z.Endpoint())
	}
	brokerNode := func(b inventory.Broker) Node {
		return Node{Kind: "kafka", Name: fmt.Sprintf("broker %d", b.ID), Host: b.Host, Endpoint: b.Endpoint()}
	}
	var out []Node
	if len(servers) == 0 || len(topo.Brokers) == 0 {
		return nil
	}
	meta, err := ReadKafkaMeta(ctx, servers, topo.KafkaChroot, o.Timeout, o.Backbone)
	if backboneErr != nil {
		meta, err = nil, backboneErr
	}
	if err != nil {
		for _, b := range topo.Brokers {
			n := brokerNode(b)
			n.Error = "cannot read broker registrations from ZooKeeper: " + err.Error()
			out = append(out, n)
		}
		for _, t := range o.Topics {
			out = append(out, Node{Kind: "topic", Name: t, Error: "cannot read the topic from ZooKeeper: " + err.Error()})
		}
		return out
	}
	for _, b := range topo.Brokers {
		n := brokerNode(b)
		reg, ok := meta.Brokers[b.ID]
		if !ok {
			n.Error = "not registered in ZooKeeper (/brokers/ids)"
		} else {
			n.Healthy = true
			n.Detail = "registered " + strings.Join(reg.Endpoints, ",")
		}
		out = append(out, n)
	}
	return append(out, TopicNodes(meta, o.Topics, o.MinInsync)...)
}

// TopicNodes judges the channel topics: each expected topic must exist with
// a leader and its replicas in sync (at least minInsync of them when > 0,
// otherwise all). Other non-internal topics are reported too.
func TopicNodes(meta *KafkaMeta, expected []string, minInsync int) []Node {
	names := map[string]bool{}
	for _, t := range expected {
		names[t] = true
	}
	for t := range meta.Topics {
		if !strings.HasPrefix(t, "__") {
			names[t] = true
		}
	}
	var out []Node
	for _, name := range slices.Sorted(maps.Keys(names)) {
		n := Node{Kind: "topic", Name: name}
		t, ok := meta.Topics[name]
		switch {
		case !ok:
			n.Error = "topic does not exist (the channel has not been created)"
		case t.State.Leader < 0:
			n.Error = fmt.Sprintf("no leader; replicas %v, in sync %v", t.Replicas, sortedInts(t.State.ISR))
		default:
			need := len(t.Replicas)
			if minInsync > 0 && minInsync < need {
				need = minInsync
			}
			isr := sortedInts(t.State.ISR)
			detail := fmt.Sprintf("leader %d, in sync %v of replicas %v", t.State.Leader, isr, sortedInts(t.Replicas))
			if len(isr) >= need && need > 0 {
				n.Healthy = true
				n.Detail = detail
			} else {
				n.Error = detail
			}
		}
		out = append(out, n)
	}
	return out
}

// healthz fills n from an operations /healthz endpoint.
func healthz(ctx context.Context, n *Node, url, caFile string, timeout time.Duration) {
	client, err := probe.OpsClient(caFile, timeout)
	if err != nil {
		n.Error = err.Error()
		return
	}
	defer client.CloseIdleConnections()
	h, err := probe.Healthz(ctx, client, url)
	switch {
	case err != nil:
		n.Error = err.Error()
	case h.OK:
		n.Healthy = true
		n.Detail = "healthz " + h.Status
	default:
		n.Error = h.Problem()
	}
}

func peerHeight(ctx context.Context, n *Node, channel string, o Options) {
	if o.Heights == nil {
		if o.HeightsErr != nil {
			n.Detail += "; height unknown: " + o.HeightsErr.Error()
		}
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 4*o.Timeout)
	defer cancel()
	h, hash, err := o.Heights.ChainInfo(cctx, n.Name)
	if err != nil {
		n.Healthy = false
		n.Error = fmt.Sprintf("block height on %s: %v", channel, err)
		return
	}
	n.Height = h
	n.BlockHash = hex.EncodeToString(hash)
	n.Detail += fmt.Sprintf(", %s height %d", channel, h)
}
