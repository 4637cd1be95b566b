package fabricclient

import (
	"fmt"
	"time"

	"github.com/fabrun/fabrun/internal/module"
)

// CommonArgs are the connection options fabric_channel and fabric_chaincode
// share. Decode a module's params into a struct that embeds it.
type CommonArgs struct {
	ChannelID          string   `json:"channel_id"`
	Orderer            string   `json:"orderer"`
	Orderers           []string `json:"orderers"`
	OrdererTLSCA       string   `json:"orderer_tls_ca"`
	OrdererTLSHostname string   `json:"orderer_tls_hostname"`
	Peer               string   `json:"peer"`
	PeerTLSCA          string   `json:"peer_tls_ca"`
	PeerTLSHostname    string   `json:"peer_tls_hostname"`
	MSPID              string   `json:"msp_id"`
	AdminCert          string   `json:"admin_cert"`
	AdminKey           string   `json:"admin_key"`
	ClientTLSCert      string   `json:"client_tls_cert"`
	ClientTLSKey       string   `json:"client_tls_key"`
	Timeout            int64    `json:"timeout"`
}

// CommonOptions returns the shared option declarations (a fresh map each
// call, so a module can add its own).
func CommonOptions() map[string]module.Option {
	return map[string]module.Option{
		"channel_id":           {Type: module.Str, Aliases: []string{"channel"}},
		"orderer":              {Type: module.Str},
		"orderers":             {Type: module.List, Elements: module.Str},
		"orderer_tls_ca":       {Type: module.Path},
		"orderer_tls_hostname": {Type: module.Str},
		"peer":                 {Type: module.Str},
		"peer_tls_ca":          {Type: module.Path},
		"peer_tls_hostname":    {Type: module.Str},
		"msp_id":               {Type: module.Str, Required: true},
		"admin_cert":           {Type: module.Path, Required: true},
		"admin_key":            {Type: module.Path, Required: true},
		"client_tls_cert":      {Type: module.Path},
		"client_tls_key":       {Type: module.Path},
		"timeout":              {Type: module.Int, Default: int64(120)},
	}
}

// CommonTogether lists option pairs that only make sense together.
var CommonTogether = [][]string{{"client_tls_cert", "client_tls_key"}}

// CommonExclusive lists options that cannot be given together: orderer is
// the single-orderer form of orderers.
var CommonExclusive = [][]string{{"orderer", "orderers"}}

// OrdererEndpoints are the orderers the options name (orderers, or the
// single orderer), all verified against orderer_tls_ca.
func (a CommonArgs) OrdererEndpoints() ([]Endpoint, error) {
	addrs := a.Orderers
	if a.Orderer != "" {
		addrs = []string{a.Orderer}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("orderers is required: the ordering service's host:port addresses (or orderer for a single one)")
	}
	if a.OrdererTLSHostname != "" && len(addrs) > 1 {
		return nil, fmt.Errorf("orderer_tls_hostname names one certificate, but orderers lists %d orderers: leave it out so each orderer's certificate is checked against its own host", len(addrs))
	}
	seen := map[string]bool{}
	var out []Endpoint
	for _, addr := range addrs {
		if seen[addr] {
			return nil, fmt.Errorf("orderers lists %s twice", addr)
		}
		seen[addr] = true
		out = append(out, Endpoint{Address: addr, TLSCA: a.OrdererTLSCA, TLSHostname: a.OrdererTLSHostname})
	}
	return out, nil
}

// Config turns the options into a client Config. withOrderer and withPeer
// say which endpoints the state uses; extra are further peers.
func (a CommonArgs) Config(withOrderer, withPeer bool, extra ...Endpoint) (Config, error) {
	if a.Timeout <= 0 {
		return Config{}, fmt.Errorf("timeout must be a positive number of seconds, got %d", a.Timeout)
	}
	cfg := Config{
		MSPID: a.MSPID, AdminCert: a.AdminCert, AdminKey: a.AdminKey,
		ClientTLSCert: a.ClientTLSCert, ClientTLSKey: a.ClientTLSKey,
		ChannelID: a.ChannelID,
		Timeout:   time.Duration(a.Timeout) * time.Second,
	}
	if withOrderer {
		orderers, err := a.OrdererEndpoints()
		if err != nil {
			return Config{}, err
		}
		cfg.Orderers = orderers
	}
	if withPeer {
		cfg.Peers = append(cfg.Peers, Endpoint{Address: a.Peer, TLSCA: a.PeerTLSCA, TLSHostname: a.PeerTLSHostname})
		cfg.Peers = append(cfg.Peers, extra...)
	}
	return cfg, cfg.Validate()
}
