package inventory

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
)

// Node is a service on an inventory host.
type Node struct {
	// Host is the inventory host name (server215).
	Host string `json:"host"`
	// Address is its ansible_host (or the host name when unset).
	Address string `json:"address"`
	Port    int    `json:"port"`
}

// Endpoint is address:port.
func (n Node) Endpoint() string { return net.JoinHostPort(n.Address, strconv.Itoa(n.Port)) }

// ZooKeeper is one ensemble member.
type ZooKeeper struct {
	Node
	ID int `json:"id"`
}

// Broker is one Kafka broker.
type Broker struct {
	Node
	ID int `json:"id"`
}

// Orderer is one orderer.
type Orderer struct {
	Node
	Name    string `json:"name"`
	FQDN    string `json:"fqdn"`
	OpsPort int    `json:"ops_port"`
}

// OpsEndpoint is the operations (healthz) address:port.
func (o Orderer) OpsEndpoint() string {
	return net.JoinHostPort(o.Address, strconv.Itoa(o.OpsPort))
}

// Peer is one peer of an org.
type Peer struct {
	Node
	Name string `json:"name"`
	FQDN string `json:"fqdn"`
	// Org is the inventory group of the org (org1).
	Org     string `json:"org"`
	MSPID   string `json:"msp_id"`
	Domain  string `json:"domain"`
	OpsPort int    `json:"ops_port"`
}

// OpsEndpoint is the operations (healthz) address:port.
func (p Peer) OpsEndpoint() string {
	return net.JoinHostPort(p.Address, strconv.Itoa(p.OpsPort))
}

// Label is peer0.org1 style: the peer name and the first label of the org domain.
func (p Peer) Label() string { return p.FQDN }

// Org is one peer organisation: a child group of "peer".
type Org struct {
	Group  string `json:"group"`
	Name   string `json:"name"`
	MSPID  string `json:"msp_id"`
	Domain string `json:"domain"`
	Peers  []Peer `json:"peers"`
}

// Topology is the network an inventory describes.
type Topology struct {
	Channel      string `json:"channel"`
	Domain       string `json:"domain"`
	OrdererMSPID string `json:"orderer_msp_id"`
	// Workdir is fabrun_workdir: crypto/ and channel-artifacts/ on the controller.
	Workdir string `json:"workdir"`
	// WorkdirErr says why Workdir could not be evaluated without Ansible.
	WorkdirErr error       `json:"-"`
	ZooKeepers []ZooKeeper `json:"zookeepers"`
	Brokers    []Broker    `json:"brokers"`
	Orderers   []Orderer   `json:"orderers"`
	Orgs       []Org       `json:"orgs"`
}

// Peers lists every peer, org by org.
func (t *Topology) Peers() []Peer {
	var out []Peer
	for _, o := range t.Orgs {
		out = append(out, o.Peers...)
	}
	return out
}

// FindPeer finds a peer by FQDN (peer0.org1.example.com), by "peer0.org1"
// or by inventory host name.
func (t *Topology) FindPeer(name string) (Peer, bool) {
	for _, p := range t.Peers() {
		if p.FQDN == name || p.Host == name || p.Name+"."+p.Org == name {
			return p, true
		}
	}
	return Peer{}, false
}

// CryptoDir is the cryptogen-layout tree on the controller.
func (t *Topology) CryptoDir() string { return filepath.Join(t.Workdir, "crypto") }

// ChannelArtifactsDir holds genesis.block and the channel tx.
func (t *Topology) ChannelArtifactsDir() string { return filepath.Join(t.Workdir, "channel-artifacts") }

// OrgDir is an org's directory in the crypto tree.
func (t *Topology) OrgDir(o Org) string {
	return filepath.Join(t.CryptoDir(), "peerOrganizations", o.Domain)
}

// OrgTLSCA is the org's TLS CA certificate (it signs its peers' TLS certificates).
func (t *Topology) OrgTLSCA(o Org) string {
	return filepath.Join(t.OrgDir(o), "tlsca", "tlsca."+o.Domain+"-cert.pem")
}

// OrgAdminMSP is the org's Admin user's MSP directory.
func (t *Topology) OrgAdminMSP(o Org) string {
	return filepath.Join(t.OrgDir(o), "users", "Admin@"+o.Domain, "msp")
}

// OrdererTLSCA is the orderer org's TLS CA certificate.
func (t *Topology) OrdererTLSCA() string {
	return filepath.Join(t.CryptoDir(), "ordererOrganizations", t.Domain, "tlsca", "tlsca."+t.Domain+"-cert.pem")
}

// OrgOf is the org a peer belongs to.
func (t *Topology) OrgOf(p Peer) (Org, bool) {
	for _, o := range t.Orgs {
		if o.Group == p.Org {
			return o, true
		}
	}
	return Org{}, false
}

// Topology reads the typed network from the inventory. Problems (a missing
// group, a host without its id, a duplicate id) are returned beside a
// topology holding everything that could be read.
func (inv *Inventory) Topology() (*Topology, []error) {
	var errs []error
	str := func(host, name string) string {
		s, err := inv.String(host, name)
		if err != nil {
			errs = append(errs, err)
		}
		return s
	}
	optInt := func(host, name string, def int) int {
		v, ok, err := inv.Var(host, name)
		if err != nil {
			errs = append(errs, err)
			return def
		}
		if !ok {
			return def
		}
		n, err := ToInt(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("variable %q on %s: %w", name, hostLabel(host), err))
			return def
		}
		return n
	}
	address := func(host string) string {
		if s, ok, err := inv.Var(host, "ansible_host"); err == nil && ok && toString(s) != "" {
			return toString(s)
		}
		return host
	}
	// Network-wide values are read from the first host that has them.
	first := ""
	if hs := inv.Hosts(); len(hs) > 0 {
		first = hs[0]
	}
	t := &Topology{}
	t.Channel = optString(inv, first, "fabric_channel", "mychannel")
	t.Domain = optString(inv, first, "fabric_domain", "example.com")
	t.OrdererMSPID = optString(inv, first, "orderer_msp_id", "OrdererMSP")
	if w, ok, err := inv.Var(first, "fabrun_workdir"); errors.Is(err, ErrTemplate) {
		// Beyond the subset evaluated here: RenderWithAnsible resolves it
		// when crypto material is needed (verify, status).
		t.WorkdirErr = err
	} else if err != nil {
		errs = append(errs, err)
	} else if ok {
		t.Workdir = toString(w)
	}

	for _, g := range []string{"zookeeper", "kafka", "orderer", "peer"} {
		if !inv.HasGroup(g) {
			errs = append(errs, fmt.Errorf("inventory has no group %q", g))
		} else if len(inv.GroupHosts(g)) == 0 {
			errs = append(errs, fmt.Errorf("inventory group %q has no hosts", g))
		}
	}

	ids := map[int]string{}
	for _, h := range inv.GroupHosts("zookeeper") {
		id, err := inv.Int(h, "zookeeper_id")
		if err != nil {
			errs = append(errs, err)
		} else if other, dup := ids[id]; dup {
			errs = append(errs, fmt.Errorf("zookeeper_id %d is on both %s and %s", id, other, h))
		}
		ids[id] = h
		t.ZooKeepers = append(t.ZooKeepers, ZooKeeper{
			Node: Node{Host: h, Address: address(h), Port: optInt(h, "zookeeper_client_port", 2181)}, ID: id})
	}
	ids = map[int]string{}
	for _, h := range inv.GroupHosts("kafka") {
		id, err := inv.Int(h, "kafka_broker_id")
		if err != nil {
			errs = append(errs, err)
		} else if other, dup := ids[id]; dup {
			errs = append(errs, fmt.Errorf("kafka_broker_id %d is on both %s and %s", id, other, h))
		}
		ids[id] = h
		t.Brokers = append(t.Brokers, Broker{
			Node: Node{Host: h, Address: address(h), Port: optInt(h, "kafka_port", 9092)}, ID: id})
	}
	for _, h := range inv.GroupHosts("orderer") {
		name := str(h, "orderer_name")
		t.Orderers = append(t.Orderers, Orderer{
			Node:    Node{Host: h, Address: address(h), Port: optInt(h, "orderer_port", 7050)},
			Name:    name,
			FQDN:    name + "." + optString(inv, h, "fabric_domain", t.Domain),
			OpsPort: optInt(h, "orderer_operations_port", 8443),
		})
	}
	orgGroups := inv.Children("peer")
	if inv.HasGroup("peer") && len(orgGroups) == 0 {
		errs = append(errs, fmt.Errorf("group \"peer\" has no org child groups (e.g. org1, org2)"))
	}
	msps := map[string]string{}
	for _, g := range orgGroups {
		hosts := inv.GroupHosts(g)
		if len(hosts) == 0 {
			errs = append(errs, fmt.Errorf("org group %q has no hosts", g))
			continue
		}
		o := Org{Group: g}
		o.Name = str(hosts[0], "org_name")
		o.MSPID = str(hosts[0], "org_msp_id")
		o.Domain = str(hosts[0], "org_domain")
		if other, dup := msps[o.MSPID]; dup && o.MSPID != "" {
			errs = append(errs, fmt.Errorf("org_msp_id %s is on both groups %s and %s", o.MSPID, other, g))
		}
		msps[o.MSPID] = g
		names := map[string]bool{}
		for _, h := range hosts {
			name := str(h, "peer_name")
			if names[name] && name != "" {
				errs = append(errs, fmt.Errorf("peer_name %s appears twice in org %s", name, g))
			}
			names[name] = true
			o.Peers = append(o.Peers, Peer{
				Node:    Node{Host: h, Address: address(h), Port: optInt(h, "peer_port", 7051)},
				Name:    name,
				FQDN:    name + "." + o.Domain,
				Org:     g,
				MSPID:   o.MSPID,
				Domain:  o.Domain,
				OpsPort: optInt(h, "peer_operations_port", 9443),
			})
		}
		t.Orgs = append(t.Orgs, o)
	}
	return t, errs
}

func optString(inv *Inventory, host, name, def string) string {
	v, ok, err := inv.Var(host, name)
	if err != nil || !ok || toString(v) == "" {
		return def
	}
	return toString(v)
}
