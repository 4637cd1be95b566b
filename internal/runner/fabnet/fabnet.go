// Package fabnet is the runner's client of a deployed network: chaincode
// query and invoke, and block heights, through the Fabric SDK as set up by
// internal/fabricclient (in-memory profile, static discovery), acting as an
// org's Admin with the crypto material the artifacts role generated.
package fabnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hyperledger/fabric-sdk-go/pkg/client/channel"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/ledger"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/inventory"
)

// Network talks to the peers of a topology as one org's Admin.
type Network struct {
	client    *fabricclient.Client
	channelID string
	chaincode string
	names     map[string]string // peer FQDN -> profile name
	order     []string          // peer FQDNs, primary first
	ch        *channel.Client
	led       *ledger.Client
}

// Options choose the identity and the peers.
type Options struct {
	// Org is the org group whose Admin acts (default: the first org).
	Org string
	// Primary is the peer (FQDN) that endorses invokes and is the event
	// source (default: the org's first peer).
	Primary string
	// Chaincode is the chaincode name for Query and Invoke.
	Chaincode string
	// Timeout bounds each SDK call (default 2 minutes).
	Timeout time.Duration
}

// Config is the fabricclient configuration Open uses: the org's Admin, the
// first orderer, and every peer of the topology (primary first), each with
// its org's TLS CA.
func Config(topo *inventory.Topology, o Options) (fabricclient.Config, []string, error) {
	if len(topo.Orgs) == 0 {
		return fabricclient.Config{}, nil, fmt.Errorf("the inventory has no peer org")
	}
	org := topo.Orgs[0]
	if o.Org != "" {
		found := false
		for _, x := range topo.Orgs {
			if x.Group == o.Org || x.Name == o.Org || x.MSPID == o.Org {
				org, found = x, true
			}
		}
		if !found {
			return fabricclient.Config{}, nil, fmt.Errorf("no org %q in the inventory", o.Org)
		}
	}
	if len(org.Peers) == 0 {
		return fabricclient.Config{}, nil, fmt.Errorf("org %s has no peers", org.Group)
	}
	primary := org.Peers[0].FQDN
	if o.Primary != "" {
		p, ok := topo.FindPeer(o.Primary)
		if !ok {
			return fabricclient.Config{}, nil, fmt.Errorf("no peer %q in the inventory", o.Primary)
		}
		primary = p.FQDN
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
		ChannelID: topo.Channel, Timeout: o.Timeout,
	}
	if len(topo.Orderers) > 0 {
		ord := topo.Orderers[0]
		cfg.Orderer = &fabricclient.Endpoint{Address: ord.Endpoint(), TLSCA: topo.OrdererTLSCA()}
	}
	var order []string
	add := func(p inventory.Peer) {
		o, _ := topo.OrgOf(p)
		cfg.Peers = append(cfg.Peers, fabricclient.Endpoint{Address: p.Endpoint(), TLSCA: topo.OrgTLSCA(o), MSPID: p.MSPID})
		order = append(order, p.FQDN)
	}
	for _, p := range topo.Peers() {
		if p.FQDN == primary {
			add(p)
		}
	}
	for _, p := range topo.Peers() {
		if p.FQDN != primary {
			add(p)
		}
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

// Open connects the SDK. Close it when done.
func Open(topo *inventory.Topology, o Options) (*Network, error) {
	cfg, order, err := Config(topo, o)
	if err != nil {
		return nil, err
	}
	c, err := fabricclient.New(cfg)
	if err != nil {
		return nil, err
	}
	n := &Network{client: c, channelID: topo.Channel, chaincode: o.Chaincode, names: map[string]string{}, order: order}
	for i, fqdn := range order {
		n.names[fqdn] = c.PeerNames[i]
	}
	return n, nil
}

// Close releases the SDK.
func (n *Network) Close() {
	if n != nil && n.client != nil {
		n.client.Close()
	}
}

// Primary is the peer that endorses invokes.
func (n *Network) Primary() string { return n.order[0] }

func (n *Network) name(peer string) (string, error) {
	if s, ok := n.names[peer]; ok {
		return s, nil
	}
	return "", fmt.Errorf("peer %s is not in the inventory", peer)
}

func (n *Network) channelClient() (*channel.Client, error) {
	if n.ch != nil {
		return n.ch, nil
	}
	ch, err := channel.New(n.client.ChannelProvider(n.channelID))
	if err != nil {
		return nil, fmt.Errorf("channel %s: %s", n.channelID, fabricclient.ShortError(err))
	}
	n.ch = ch
	return ch, nil
}

func (n *Network) ledgerClient() (*ledger.Client, error) {
	if n.led != nil {
		return n.led, nil
	}
	l, err := ledger.New(n.client.ChannelProvider(n.channelID))
	if err != nil {
		return nil, fmt.Errorf("channel %s: %s", n.channelID, fabricclient.ShortError(err))
	}
	n.led = l
	return l, nil
}

func byteArgs(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// Query evaluates the chaincode on one peer.
func (n *Network) Query(ctx context.Context, peer, fcn string, args ...string) ([]byte, error) {
	name, err := n.name(peer)
	if err != nil {
		return nil, err
	}
	ch, err := n.channelClient()
	if err != nil {
		return nil, err
	}
	resp, err := ch.Query(channel.Request{ChaincodeID: n.chaincode, Fcn: fcn, Args: byteArgs(args)},
		channel.WithTargetEndpoints(name), channel.WithParentContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%s", fabricclient.ShortError(err))
	}
	return resp.Payload, nil
}

// Invoke endorses on the primary peer, sends the transaction to the
// orderer and waits for the primary peer to commit it as valid.
func (n *Network) Invoke(ctx context.Context, fcn string, args ...string) (string, error) {
	ch, err := n.channelClient()
	if err != nil {
		return "", err
	}
	resp, err := ch.Execute(channel.Request{ChaincodeID: n.chaincode, Fcn: fcn, Args: byteArgs(args)},
		channel.WithTargetEndpoints(n.names[n.order[0]]), channel.WithParentContext(ctx))
	if err != nil {
		return string(resp.TransactionID), fmt.Errorf("%s", fabricclient.ShortError(err))
	}
	return string(resp.TransactionID), nil
}

// Height is a peer's block height on the channel.
func (n *Network) Height(ctx context.Context, peer string) (uint64, error) {
	name, err := n.name(peer)
	if err != nil {
		return 0, err
	}
	l, err := n.ledgerClient()
	if err != nil {
		return 0, err
	}
	info, err := l.QueryInfo(ledger.WithTargetEndpoints(name), ledger.WithParentContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("%s", fabricclient.ShortError(err))
	}
	if info == nil || info.BCI == nil {
		return 0, fmt.Errorf("no chain info from %s", peer)
	}
	return info.BCI.Height, nil
}
