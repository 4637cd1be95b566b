package status

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/probe"
)

// Consensus reads a channel's consensus type (kafka, etcdraft) from its
// latest config block (netclient.Network does, as a peer org's Admin).
type Consensus interface {
	ConsensusType(ctx context.Context, channel string) (string, error)
}

// raftGauges are one orderer's etcdraft gauges, per channel:
// consensus_etcdraft_is_leader and consensus_etcdraft_cluster_size.
type raftGauges map[string]struct{ leader, size string }

// ParseRaftMetrics reads the etcdraft gauges from an orderer's Prometheus
// /metrics text.
func ParseRaftMetrics(text string) raftGauges {
	out := raftGauges{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), "{")
		if !ok || (name != "consensus_etcdraft_is_leader" && name != "consensus_etcdraft_cluster_size") {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		channel := ""
		for _, l := range strings.Split(labels, ",") {
			if k, v, ok := strings.Cut(l, "="); ok && k == "channel" {
				channel = strings.Trim(v, `"`)
			}
		}
		g := out[channel]
		if name == "consensus_etcdraft_is_leader" {
			g.leader = strings.TrimSpace(value)
		} else {
			g.size = strings.TrimSpace(value)
		}
		out[channel] = g
	}
	return out
}

// ordererMetrics reads every orderer's etcdraft gauges (a failed read
// leaves that orderer out).
func ordererMetrics(ctx context.Context, topo *inventory.Topology, timeout time.Duration) map[string]raftGauges {
	client, err := probe.OpsClient(topo.OrdererTLSCA(), timeout)
	if err != nil {
		return nil
	}
	// /metrics wants a client certificate (Operations.TLS.ClientRootCAs):
	// the orderer org Admin's TLS one.
	admin := topo.OrdererAdminTLS()
	pair, err := tls.LoadX509KeyPair(filepath.Join(admin, "client.crt"), filepath.Join(admin, "client.key"))
	if err != nil {
		return nil
	}
	client.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{pair}
	defer client.CloseIdleConnections()
	out := map[string]raftGauges{}
	for _, o := range topo.Orderers {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+o.OpsEndpoint()+"/metrics", nil)
		if err != nil {
			continue
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		var b strings.Builder
		_, err = bufio.NewReader(resp.Body).WriteTo(&b)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			out[o.FQDN] = ParseRaftMetrics(b.String())
		}
	}
	return out
}

// RaftNode judges one etcdraft channel from the orderers' gauges
// (orderer FQDN -> gauges), in inventory order: healthy with exactly one
// leader among them.
func RaftNode(channel string, orderers []string, gauges map[string]raftGauges) Node {
	n := Node{Kind: "raft", Name: channel}
	var leaders, sizes, silent []string
	for _, o := range orderers {
		g, ok := gauges[o][channel]
		if !ok {
			silent = append(silent, o)
			continue
		}
		if g.leader == "1" {
			leaders = append(leaders, o)
		}
		if !slices.Contains(sizes, g.size) {
			sizes = append(sizes, g.size)
		}
	}
	detail := fmt.Sprintf("cluster size %s", strings.Join(sizes, "/"))
	if len(silent) > 0 {
		detail += "; no Raft metrics from " + strings.Join(silent, ", ")
	}
	switch len(leaders) {
	case 1:
		n.Healthy = true
		n.Detail = "leader " + leaders[0] + ", " + detail
	case 0:
		n.Error = "no Raft leader, " + detail
	default:
		n.Error = "more than one orderer reports being leader (" + strings.Join(leaders, ", ") + "), " + detail
	}
	return n
}

// raftChannels decides each channel's consensus and returns the Raft nodes
// of the etcdraft ones and the Kafka topics still expected. The
// application channel's type is read from its config block (so a migrated
// network shows right whatever the inventory says); a channel the orderers
// export etcdraft gauges for is Raft too (the system channel, which a peer
// org's Admin may not read). A system channel that neither reads as Kafka
// nor has Raft gauges (removed from the orderers) is not reported.
func raftChannels(ctx context.Context, topo *inventory.Topology, o Options) ([]Node, []string) {
	if o.Consensus == nil {
		return nil, o.Topics // no client to read channel configs: Kafka's view only
	}
	gauges := ordererMetrics(ctx, topo, o.Timeout)
	var orderers []string
	for _, ord := range topo.Orderers {
		orderers = append(orderers, ord.FQDN)
	}
	raft := func(ch string) bool {
		if ch == topo.Channel {
			cctx, cancel := context.WithTimeout(ctx, 4*o.Timeout)
			defer cancel()
			if typ, err := o.Consensus.ConsensusType(cctx, ch); err == nil {
				return typ == "etcdraft"
			}
		}
		for _, g := range gauges {
			if _, ok := g[ch]; ok {
				return true
			}
		}
		return false
	}
	var nodes []Node
	var topics []string
	for _, ch := range o.Topics {
		switch {
		case raft(ch):
			nodes = append(nodes, RaftNode(ch, orderers, gauges))
		case len(topo.Brokers) > 0:
			topics = append(topics, ch)
		case ch == topo.Channel:
			nodes = append(nodes, Node{Kind: "raft", Name: ch, Error: "no orderer reports a Raft cluster for the channel"})
		}
	}
	return nodes, topics
}
