// Package netclient is the runner's client of a deployed network: chaincode
// query and invoke, and block heights, through the Fabric SDK as set up by
// internal/fabricclient (in-memory profile, static discovery), acting as an
// org's Admin with the crypto material the artifacts role generated.
package netclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/channel"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/ledger"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/inventory"
)

// Network talks to the peers of a topology: each org's peers as that
// org's Admin (one SDK instance per org, opened when first needed).
type Network struct {
	topo    *inventory.Topology
	opts    Options
	org     inventory.Org // the acting org: it endorses invokes
	primary string        // its primary peer (FQDN)
	orgs    map[string]*orgClient
}

type orgClient struct {
	client *fabricclient.Client
	names  map[string]string // peer FQDN -> profile name
	ch     *channel.Client
	led    *ledger.Client
}

// Options choose the identity and the peers.
type Options struct {
	// Org is the org group (or name, or MSP ID) whose Admin queries and
	// invokes (default: the first org).
	Org string
	// Primary is the peer (FQDN) that endorses invokes and is the event
	// source (default: the org's first peer).
	Primary string
	// Chaincode is the chaincode name for Query and Invoke.
	Chaincode string
	// Timeout bounds each SDK call (default 2 minutes).
	Timeout time.Duration
}

// FindOrg finds an org by group, name or MSP ID ("" is the first org).
func FindOrg(topo *inventory.Topology, name string) (inventory.Org, error) {
	if len(topo.Orgs) == 0 {
		return inventory.Org{}, fmt.Errorf("the inventory has no peer org")
	}
	if name == "" {
		return topo.Orgs[0], nil
	}
	for _, x := range topo.Orgs {
		if x.Group == name || x.Name == name || x.MSPID == name {
			return x, nil
		}
	}
	return inventory.Org{}, fmt.Errorf("no org %q in the inventory", name)
}

// Config is the fabricclient configuration for one org: its Admin, every
// orderer, and the org's peers (primary first) with the org's TLS CA.
func Config(topo *inventory.Topology, org inventory.Org, primary string, timeout time.Duration) (fabricclient.Config, []string, error) {
	if len(org.Peers) == 0 {
		return fabricclient.Config{}, nil, fmt.Errorf("org %s has no peers", org.Group)
	}
	if primary == "" {
		primary = org.Peers[0].FQDN
	}
	msp := topo.OrgAdminMSP(org)
	cert, err := onlyFile(filepath.Join(msp, "signcerts"), "*.pem")
	if err != nil {
		return fabricclient.Config{}, nil, fmt.Errorf("%s Admin certificate: %w", org.MSPID, err)
	}
	key, err := onlyFile(filepath.Join(msp, "keystore"), "*")
	if err != nil {
		return fabricclient.Config{}, nil, fmt.Errorf("%s Admin key: %w", org.MSPID, err)
	}
	cfg := fabricclient.Config{
		MSPID: org.MSPID, AdminCert: cert, AdminKey: key,
		ChannelID: topo.Channel, Timeout: timeout,
	}
	if topo.TLSClientAuth {
		// Peers and orderers require a client certificate: the Admin's TLS one.
		tls := topo.OrgAdminTLS(org)
		cfg.ClientTLSCert, cfg.ClientTLSKey = filepath.Join(tls, "client.crt"), filepath.Join(tls, "client.key")
	}
	// Every orderer, in inventory order: invokes fail over when one is down.
	for _, ord := range topo.Orderers {
		cfg.Orderers = append(cfg.Orderers, fabricclient.Endpoint{Address: ord.Endpoint(), TLSCA: topo.OrdererTLSCA()})
	}
	var order []string
	for pass := 0; pass < 2; pass++ {
		for _, p := range org.Peers {
			if (pass == 0) != (p.FQDN == primary) {
				continue
			}
			cfg.Peers = append(cfg.Peers, fabricclient.Endpoint{Address: p.Endpoint(), TLSCA: topo.OrgTLSCA(org)})
			order = append(order, p.FQDN)
		}
	}
	if len(order) == 0 || order[0] != primary {
		return fabricclient.Config{}, nil, fmt.Errorf("peer %s is not in org %s", primary, org.Group)
	}
	return cfg, order, nil
}

func onlyFile(dir, pattern string) (string, error) {
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return "", err
	}
	var files []string
	for _, f := range m {
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return "", fmt.Errorf("no file in %s (has the artifacts phase run?)", dir)
	}
	return files[0], nil
}

// Open connects the acting org's SDK instance. Close it when done.
func Open(topo *inventory.Topology, o Options) (*Network, error) {
	org, err := FindOrg(topo, o.Org)
	if err != nil {
		return nil, err
	}
	primary := org.Peers[0].FQDN
	if o.Primary != "" {
		p, ok := topo.FindPeer(o.Primary)
		if !ok {
			return nil, fmt.Errorf("no peer %q in the inventory", o.Primary)
		}
		if p.Org != org.Group {
			if o.Org != "" {
				return nil, fmt.Errorf("peer %s is not in org %s", p.FQDN, org.Group)
			}
			if org, err = FindOrg(topo, p.Org); err != nil {
				return nil, err
			}
		}
		primary = p.FQDN
	}
	n := &Network{topo: topo, opts: o, org: org, primary: primary, orgs: map[string]*orgClient{}}
	if _, err := n.orgClient(org.Group); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Network) orgClient(group string) (*orgClient, error) {
	if c, ok := n.orgs[group]; ok {
		return c, nil
	}
	org, err := FindOrg(n.topo, group)
	if err != nil {
		return nil, err
	}
	primary := ""
	if group == n.org.Group {
		primary = n.primary
	}
	cfg, order, err := Config(n.topo, org, primary, n.opts.Timeout)
	if err != nil {
		return nil, err
	}
	c, err := fabricclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", org.MSPID, err)
	}
	oc := &orgClient{client: c, names: map[string]string{}}
	for i, fqdn := range order {
		oc.names[fqdn] = c.PeerNames[i]
	}
	n.orgs[group] = oc
	return oc, nil
}

// Close releases every SDK instance.
func (n *Network) Close() {
	if n == nil {
		return
	}
	for _, c := range n.orgs {
		c.client.Close()
	}
	n.orgs = nil
}

// ConsensusType is a channel's ordering consensus type (kafka, etcdraft),
// from its latest config block on the orderers, read as the acting org's
// Admin.
func (n *Network) ConsensusType(_ context.Context, channelID string) (string, error) {
	c, err := n.orgClient(n.org.Group)
	if err != nil {
		return "", err
	}
	block, err := c.client.ConfigBlock(channelID)
	if err != nil {
		return "", err
	}
	config, err := fabricclient.BlockConfig(block)
	if err != nil {
		return "", err
	}
	return fabricclient.ConsensusType(config)
}

// Primary is the peer that endorses invokes.
func (n *Network) Primary() string { return n.primary }

// clientFor is the org client serving a peer.
func (n *Network) clientFor(peer string) (*orgClient, string, error) {
	p, ok := n.topo.FindPeer(peer)
	if !ok {
		return nil, "", fmt.Errorf("peer %s is not in the inventory", peer)
	}
	c, err := n.orgClient(p.Org)
	if err != nil {
		return nil, "", err
	}
	return c, c.names[p.FQDN], nil
}

func (c *orgClient) channelClient(channelID string) (*channel.Client, error) {
	return cached(&c.ch, channelID, func() (*channel.Client, error) { return channel.New(c.client.ChannelProvider(channelID)) })
}

func (c *orgClient) ledgerClient(channelID string) (*ledger.Client, error) {
	return cached(&c.led, channelID, func() (*ledger.Client, error) { return ledger.New(c.client.ChannelProvider(channelID)) })
}

// cached is *slot, made by open on first use: an SDK channel or ledger
// client opens the channel's config, which is worth doing once a run.
func cached[T any](slot **T, channelID string, open func() (*T, error)) (*T, error) {
	if *slot == nil {
		v, err := open()
		if err != nil {
			return nil, fmt.Errorf("channel %s: %s", channelID, fabricclient.ShortError(err))
		}
		*slot = v
	}
	return *slot, nil
}

// Query evaluates the chaincode on one peer (as that peer's org's Admin).
func (n *Network) Query(ctx context.Context, peer, fcn string, args ...string) ([]byte, error) {
	c, name, err := n.clientFor(peer)
	if err != nil {
		return nil, err
	}
	ch, err := c.channelClient(n.topo.Channel)
	if err != nil {
		return nil, err
	}
	resp, err := ch.Query(channel.Request{ChaincodeID: n.opts.Chaincode, Fcn: fcn, Args: fabricclient.ChaincodeArgs(args)},
		channel.WithTargetEndpoints(name), channel.WithParentContext(ctx))
	if err != nil {
		return nil, sdkError(err)
	}
	return resp.Payload, nil
}

// Invoke endorses on the primary peer, sends the transaction to the
// orderer and waits for the primary peer to commit it as valid.
func (n *Network) Invoke(ctx context.Context, fcn string, args ...string) (string, error) {
	c, name, err := n.clientFor(n.primary)
	if err != nil {
		return "", err
	}
	ch, err := c.channelClient(n.topo.Channel)
	if err != nil {
		return "", err
	}
	resp, err := ch.Execute(channel.Request{ChaincodeID: n.opts.Chaincode, Fcn: fcn, Args: fabricclient.ChaincodeArgs(args)},
		channel.WithTargetEndpoints(name), channel.WithParentContext(ctx))
	// The SDK returns an error for an invalid transaction too; its code says
	// it was ordered and committed (an error before the commit leaves VALID, 0).
	if resp.TxValidationCode != pb.TxValidationCode_VALID {
		return string(resp.TransactionID), &RejectedError{TxID: string(resp.TransactionID), Code: resp.TxValidationCode}
	}
	if err != nil {
		return string(resp.TransactionID), sdkError(err)
	}
	return string(resp.TransactionID), nil
}

// RejectedError is a transaction the peer committed as invalid (e.g. an
// MVCC read conflict with another transaction of the same block).
type RejectedError struct {
	TxID string
	Code pb.TxValidationCode
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("transaction %s was rejected at commit: %s", e.TxID, e.Code)
}

// Height is a peer's block height on the channel (qscc GetChainInfo).
func (n *Network) Height(ctx context.Context, peer string) (uint64, error) {
	h, _, err := n.ChainInfo(ctx, peer)
	return h, err
}

// ChainInfo is a peer's block height on the channel and the hash of its
// latest block (qscc GetChainInfo): peers that agree on both hold the
// same chain.
func (n *Network) ChainInfo(ctx context.Context, peer string) (uint64, []byte, error) {
	c, name, err := n.clientFor(peer)
	if err != nil {
		return 0, nil, err
	}
	l, err := c.ledgerClient(n.topo.Channel)
	if err != nil {
		return 0, nil, err
	}
	info, err := l.QueryInfo(ledger.WithTargetEndpoints(name), ledger.WithParentContext(ctx))
	if err != nil {
		return 0, nil, sdkError(err)
	}
	if info == nil || info.BCI == nil {
		return 0, nil, fmt.Errorf("no chain info from %s", peer)
	}
	return info.BCI.Height, info.BCI.CurrentBlockHash, nil
}

// sdkError keeps the part of an SDK error a person needs: the peer's or
// chaincode's own description when there is one.
func sdkError(err error) error {
	msg := fabricclient.ShortError(err)
	if i := strings.LastIndex(msg, "Description: "); i >= 0 {
		desc := strings.TrimSpace(msg[i+len("Description: "):])
		if j := strings.Index(msg, "endorser ["); j >= 0 {
			if k := strings.Index(msg[j:], "]"); k >= 0 {
				return fmt.Errorf("%s (from %s)", desc, msg[j+len("endorser ["):j+k])
			}
		}
		return errors.New(desc)
	}
	return errors.New(msg)
}
