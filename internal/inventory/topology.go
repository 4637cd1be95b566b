// Package inventory is the network an inventory describes, typed: the
// ZooKeeper members, Kafka brokers, orderers and peer orgs, with their
// addresses and ports, as the preflight play resolved them with Ansible
// (internal/preflight builds it; verify and status use it).
package inventory

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
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
	OrdererMSPID string `json:"fabric_orderer_msp_id"`
	// Workdir is fabrun_workdir: crypto/ and channel-artifacts/ on the controller.
	Workdir string `json:"workdir"`
	// TLSClientAuth: peers and orderers require a client certificate
	// (fabric_tls_client_auth); clients present their org Admin's.
	TLSClientAuth bool        `json:"tls_client_auth,omitempty"`
	ZooKeepers    []ZooKeeper `json:"zookeepers"`
	Brokers       []Broker    `json:"brokers"`
	// KafkaChroot is the ZooKeeper chroot the brokers keep their znodes
	// under ("" for the root; kafka_zookeeper_connect's "/kafka").
	KafkaChroot string    `json:"kafka_chroot,omitempty"`
	Orderers    []Orderer `json:"orderers"`
	Orgs        []Org     `json:"orgs"`
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

// OrgAdminTLS is the org's Admin user's TLS directory (client.crt, client.key).
func (t *Topology) OrgAdminTLS(o Org) string {
	return filepath.Join(t.OrgDir(o), "users", "Admin@"+o.Domain, "tls")
}

// OrdererTLSCA is the orderer org's TLS CA certificate.
func (t *Topology) OrdererTLSCA() string {
	return filepath.Join(t.CryptoDir(), "ordererOrganizations", t.Domain, "tlsca", "tlsca."+t.Domain+"-cert.pem")
}

// OrdererAdminTLS is the orderer org Admin's TLS directory (client.crt,
// client.key): the client the orderers' admin and operations endpoints
// trust.
func (t *Topology) OrdererAdminTLS() string {
	return filepath.Join(t.CryptoDir(), "ordererOrganizations", t.Domain, "users", "Admin@"+t.Domain, "tls")
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

// ParseZooKeeperConnect splits a connect string as Kafka's zookeeper.connect
// takes it, "host:port,host:port[/chroot]", into its servers and its chroot
// ("" for none).
func ParseZooKeeperConnect(connect string) (servers []string, chroot string, err error) {
	hosts, chroot, _ := strings.Cut(connect, "/")
	if chroot != "" {
		chroot = "/" + strings.TrimRight(chroot, "/")
	}
	for _, h := range strings.Split(hosts, ",") {
		if _, _, err := net.SplitHostPort(strings.TrimSpace(h)); err != nil {
			return nil, "", fmt.Errorf("ZooKeeper connect string %q: %q is not host:port", connect, h)
		}
		servers = append(servers, strings.TrimSpace(h))
	}
	return servers, chroot, nil
}
