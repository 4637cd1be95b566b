package consensus

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang/protobuf/proto"
	fconfigtx "github.com/hyperledger/fabric-config/configtx"
	forderer "github.com/hyperledger/fabric-config/configtx/orderer"
	"github.com/hyperledger/fabric-protos-go/common"
	ob "github.com/hyperledger/fabric-protos-go/orderer"
	"github.com/hyperledger/fabric-protos-go/orderer/etcdraft"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

// MinCapability is the channel and orderer capability Fabric needs for
// maintenance mode and the consensus type change.
const MinCapability = "V1_4_2"

// Consenter is one etcdraft consenter as the module takes it.
type Consenter struct {
	Host          string `json:"host"`
	Port          int    `json:"port"`
	ClientTLSCert string `json:"client_tls_cert"`
	ServerTLSCert string `json:"server_tls_cert"`
}

func (c Consenter) address() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Args are the module's options.
type Args struct {
	fabricclient.CommonArgs
	State      string      `json:"consensus_state"`
	Type       string      `json:"consensus_type"`
	Consenters []Consenter `json:"consenters"`
}

// RaftOptions are the etcdraft options a migrated channel gets: configtxgen's
// defaults (sampleconfig/configtx.yaml), so a migrated network and one
// started on Raft run alike.
var RaftOptions = forderer.EtcdRaftOptions{
	TickInterval: "500ms", ElectionTick: 10, HeartbeatTick: 1,
	MaxInflightBlocks: 5, SnapshotIntervalSize: 16 * 1024 * 1024,
}

// Spec declares fabric_consensus's options.
func Spec() module.Spec {
	opts := fabricclient.CommonOptions()
	// Only orderers are contacted.
	for _, peerOption := range []string{"peer", "peer_tls_ca", "peer_tls_hostname"} {
		delete(opts, peerOption)
	}
	// Either left out keeps the channel's own; both left out only reads.
	opts["consensus_state"] = module.Option{Type: module.Str, Choices: []any{StateNormal, StateMaintenance}}
	opts["consensus_type"] = module.Option{Type: module.Str, Choices: []any{TypeKafka, TypeEtcdRaft}}
	opts["consenters"] = module.Option{Type: module.List, Elements: module.Dict}
	return module.Spec{
		Name:              "fabric_consensus",
		Options:           opts,
		RequiredTogether:  fabricclient.CommonTogether,
		MutuallyExclusive: fabricclient.CommonExclusive,
		SupportsCheckMode: true,
	}
}

// Run is the module body.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	if a.ChannelID == "" {
		return module.Result{}, fmt.Errorf("channel_id is required")
	}
	if a.OrdererTLSCA == "" {
		return module.Result{}, fmt.Errorf("orderer_tls_ca is required (TLS is always on)")
	}
	consenters, err := a.parseConsenters()
	if err != nil {
		return module.Result{}, err
	}
	cfgc, err := a.Config(true, false)
	if err != nil {
		return module.Result{}, err
	}
	c, err := fabricclient.New(cfgc)
	if err != nil {
		return module.Result{}, err
	}
	defer c.Close()

	config, err := channelConfig(c, a.ChannelID)
	if err != nil {
		return module.Result{}, err
	}
	cur, err := currentSetting(config)
	if err != nil {
		return module.Result{}, fmt.Errorf("channel %s: %v", a.ChannelID, err)
	}
	data := map[string]any{"channel_id": a.ChannelID, "consensus_type": cur.Type, "consensus_state": cur.State,
		"consenters": consenterAddresses(cur.Metadata)}
	if a.Type == "" && a.State == "" {
		return module.Result{Data: data, Msg: fmt.Sprintf("channel %s is %s", a.ChannelID, describeShort(cur))}, nil
	}
	want := Setting{Type: a.Type, State: a.State}
	if want.Type == "" {
		want.Type = cur.Type
	}
	if want.State == "" {
		want.State = cur.State
	}
	switch {
	case want.Type == TypeKafka:
	case consenters != nil:
		if want.Metadata, err = raftMetadata(config, consenters); err != nil {
			return module.Result{}, err
		}
	case cur.Type == TypeEtcdRaft:
		want.Metadata = cur.Metadata // a state change keeps the consenter set
	default:
		return module.Result{}, fmt.Errorf("consenters is required to change channel %s from %s to etcdraft", a.ChannelID, cur.Type)
	}
	if err := CheckTransition(a.ChannelID, cur, want); err != nil {
		return module.Result{}, err
	}
	if cur.Type != want.Type || cur.State != want.State {
		if err := checkCapabilities(config, a.ChannelID); err != nil {
			return module.Result{}, err
		}
	}

	data["consensus_type"], data["consensus_state"], data["consenters"] = want.Type, want.State, consenterAddresses(want.Metadata)
	data["previous"] = map[string]any{"consensus_type": cur.Type, "consensus_state": cur.State}
	update, err := configUpdate(config, a.ChannelID, want)
	if err != nil {
		return module.Result{}, err
	}
	if update == nil {
		// fabric-config found no differences: already applied. Every
		// orderer must show it too before the step counts as done.
		confirmed, err := confirm(a, want, time.Duration(a.Timeout)*time.Second)
		if err != nil {
			return module.Result{}, err
		}
		data["confirmed_by"] = confirmed
		return module.Result{Data: data, Msg: fmt.Sprintf("channel %s is already %s", a.ChannelID, describeShort(want))}, nil
	}
	diff := module.Diff{Before: describe(cur), After: describe(want),
		BeforeHeader: "ConsensusType of " + a.ChannelID, AfterHeader: "ConsensusType of " + a.ChannelID}
	if ctx.CheckMode() {
		return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff},
			Msg: fmt.Sprintf("channel %s would change from %s to %s", a.ChannelID, describeShort(cur), describeShort(want))}, nil
	}
	// Fabric checks the consenters only when the orderers restart as Raft
	// nodes; a wrong certificate or port then leaves the channel inactive.
	if !bytesEqual(cur.Metadata, want.Metadata) {
		for i, cs := range consenters {
			if err := checkLive(i, cs, a); err != nil {
				return module.Result{}, err
			}
		}
	}
	env, err := fconfigtx.NewEnvelope(update)
	if err != nil {
		return module.Result{}, err
	}
	tx, err := proto.Marshal(env)
	if err != nil {
		return module.Result{}, err
	}
	save, err := c.ConfigTxSaver()
	if err != nil {
		return module.Result{}, err
	}
	start := time.Now()
	if err := save(a.ChannelID, tx); err != nil {
		return module.Result{}, fmt.Errorf("the ConsensusType update of channel %s (%s -> %s) was refused: %s",
			a.ChannelID, describeShort(cur), describeShort(want), fabricclient.ShortError(err))
	}
	confirmed, err := confirm(a, want, time.Duration(a.Timeout)*time.Second)
	if err != nil {
		return module.Result{}, err
	}
	data["confirmed_by"] = confirmed
	data["elapsed"] = time.Since(start).Seconds()
	return module.Result{Changed: true, Data: data, Diff: []module.Diff{diff},
		Msg: fmt.Sprintf("channel %s changed from %s to %s on %s", a.ChannelID, describeShort(cur), describeShort(want), strings.Join(confirmed, ", "))}, nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// parseConsenters checks the consenters option; nil when not given.
func (a Args) parseConsenters() ([]forderer.Consenter, error) {
	if a.Consenters == nil {
		return nil, nil
	}
	if a.Type != TypeEtcdRaft {
		return nil, fmt.Errorf("consenters needs consensus_type etcdraft")
	}
	if len(a.Consenters) == 0 {
		return nil, fmt.Errorf("consenters is empty: etcdraft needs at least one consenter")
	}
	seen := map[string]bool{}
	var out []forderer.Consenter
	for i, cs := range a.Consenters {
		name := fmt.Sprintf("consenters[%d]", i)
		if cs.Host == "" {
			return nil, fmt.Errorf("%s.host is required", name)
		}
		if cs.Port < 1 || cs.Port > 65535 {
			return nil, fmt.Errorf("%s.port must be 1..65535, got %d", name, cs.Port)
		}
		if seen[cs.address()] {
			return nil, fmt.Errorf("%s: %s is listed twice", name, cs.address())
		}
		seen[cs.address()] = true
	}
	for i, cs := range a.Consenters {
		name := fmt.Sprintf("consenters[%d]", i)
		client, err := readCert(name+".client_tls_cert", cs.ClientTLSCert)
		if err != nil {
			return nil, err
		}
		server, err := readCert(name+".server_tls_cert", cs.ServerTLSCert)
		if err != nil {
			return nil, err
		}
		out = append(out, forderer.Consenter{Address: forderer.EtcdAddress{Host: cs.Host, Port: cs.Port},
			ClientTLSCert: client, ServerTLSCert: server})
	}
	return out, nil
}

func readCert(option, path string) (*x509.Certificate, error) {
	if path == "" {
		return nil, fmt.Errorf("%s is required", option)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", option, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s %s: no PEM certificate found", option, path)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", option, path, err)
	}
	return cert, nil
}

// checkLive connects to the consenter's host and port and compares the TLS
// certificate the orderer there presents with server_tls_cert; the client
// certificate must be one the orderers' TLS CA issued for client use.
// With client_tls_cert (mutual TLS on the orderers) the check presents it.
func checkLive(i int, cs forderer.Consenter, a Args) error {
	name := fmt.Sprintf("consenters[%d] (%s:%d)", i, cs.Address.Host, cs.Address.Port)
	caPEM, err := os.ReadFile(a.OrdererTLSCA)
	if err != nil {
		return fmt.Errorf("orderer_tls_ca: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: roots, ServerName: cs.Address.Host, MinVersion: tls.VersionTLS12}
	if a.ClientTLSCert != "" {
		pair, err := tls.LoadX509KeyPair(a.ClientTLSCert, a.ClientTLSKey)
		if err != nil {
			// The key's content never shows: only the files are named.
			return fmt.Errorf("client_tls_cert %s, client_tls_key %s: not a certificate and its key", a.ClientTLSCert, a.ClientTLSKey)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	addr := net.JoinHostPort(cs.Address.Host, strconv.Itoa(cs.Address.Port))
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return fmt.Errorf("%s: no orderer answers TLS there with a certificate from orderer_tls_ca for host %s: %v", name, cs.Address.Host, err)
	}
	presented := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	if !presented.Equal(cs.ServerTLSCert) {
		return fmt.Errorf("%s: the orderer listening there presents the TLS certificate of %q (serial %s), not server_tls_cert's %q (serial %s): Raft would not connect",
			name, presented.Subject.CommonName, presented.SerialNumber, cs.ServerTLSCert.Subject.CommonName, cs.ServerTLSCert.SerialNumber)
	}
	if _, err := cs.ClientTLSCert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("%s: client_tls_cert is not a TLS client certificate from orderer_tls_ca: %v", name, err)
	}
	return nil
}

func channelConfig(c *fabricclient.Client, channelID string) (*common.Config, error) {
	block, err := c.ConfigBlock(channelID)
	if err != nil {
		if fabricclient.IsChannelNotFound(err) {
			return nil, fmt.Errorf("channel %s does not exist on %s", channelID, c.OrderersText())
		}
		if fabricclient.Unreachable(err) {
			return nil, fmt.Errorf("reading the config of channel %s failed: %s unreachable (%s): %s", channelID, c.OrderersText(), c.UnreachableHint("orderer"), fabricclient.ShortError(err))
		}
		return nil, fmt.Errorf("reading the config of channel %s from %s failed: %s", channelID, c.OrderersText(), fabricclient.ShortError(err))
	}
	return fabricclient.BlockConfig(block)
}

func consensusValue(config *common.Config) (*common.ConfigValue, error) {
	og := config.GetChannelGroup().GetGroups()["Orderer"]
	if og == nil {
		return nil, fmt.Errorf("the config has no Orderer group")
	}
	v := og.Values["ConsensusType"]
	if v == nil {
		return nil, fmt.Errorf("the config has no Orderer ConsensusType value")
	}
	return v, nil
}

func currentSetting(config *common.Config) (Setting, error) {
	v, err := consensusValue(config)
	if err != nil {
		return Setting{}, err
	}
	ct := &ob.ConsensusType{}
	if err := proto.Unmarshal(v.Value, ct); err != nil {
		return Setting{}, fmt.Errorf("bad ConsensusType value: %v", err)
	}
	return settingOf(ct), nil
}

// raftMetadata is the etcdraft metadata fabric-config marshals for the
// consenters (the same bytes for every channel given the same consenters).
func raftMetadata(config *common.Config, consenters []forderer.Consenter) ([]byte, error) {
	scratch := fconfigtx.New(config)
	if err := scratch.Orderer().SetEtcdRaftConsensusType(forderer.EtcdRaft{Consenters: consenters, Options: RaftOptions}, forderer.ConsensusStateMaintenance); err != nil {
		return nil, fmt.Errorf("consenters: %v", err)
	}
	s, err := currentSetting(scratch.UpdatedConfig())
	if err != nil {
		return nil, err
	}
	return s.Metadata, nil
}

// configUpdate is the marshalled config update that sets want, or nil when
// the config already has it (fabric-config: "no differences detected").
func configUpdate(config *common.Config, channelID string, want Setting) ([]byte, error) {
	ctx := fconfigtx.New(config)
	updated, err := consensusValue(ctx.UpdatedConfig())
	if err != nil {
		return nil, err
	}
	if updated.Value, err = proto.Marshal(want.proto()); err != nil {
		return nil, err
	}
	update, err := ctx.ComputeMarshaledUpdate(channelID)
	if err != nil {
		if strings.Contains(err.Error(), "no differences detected") {
			return nil, nil
		}
		return nil, fmt.Errorf("computing the config update of channel %s: %v", channelID, err)
	}
	return update, nil
}

func checkCapabilities(config *common.Config, channelID string) error {
	ctx := fconfigtx.New(config)
	ch, err := ctx.Channel().Capabilities()
	if err != nil {
		return fmt.Errorf("channel %s: reading the channel capabilities: %v", channelID, err)
	}
	if !capabilityAtLeast(ch, MinCapability) {
		return fmt.Errorf("channel %s: the channel capabilities %v lack %s or later, which maintenance mode and the consensus type change need", channelID, ch, MinCapability)
	}
	ord, err := ctx.Orderer().Capabilities()
	if err != nil {
		return fmt.Errorf("channel %s: reading the orderer capabilities: %v", channelID, err)
	}
	if !capabilityAtLeast(ord, MinCapability) {
		return fmt.Errorf("channel %s: the orderer capabilities %v lack %s or later, which maintenance mode and the consensus type change need", channelID, ord, MinCapability)
	}
	return nil
}

// confirm reads the latest config block from every orderer until each shows
// want, and returns the orderers' addresses.
func confirm(a Args, want Setting, timeout time.Duration) ([]string, error) {
	endpoints, err := a.OrdererEndpoints()
	if err != nil {
		return nil, err
	}
	var out []string
	deadline := time.Now().Add(timeout)
	for _, ep := range endpoints {
		one := a.CommonArgs
		one.Orderers, one.Orderer = nil, ep.Address
		cfg, err := one.Config(true, false)
		if err != nil {
			return nil, err
		}
		c, err := fabricclient.New(cfg)
		if err != nil {
			return nil, err
		}
		var last string
		for {
			config, err := channelConfig(c, a.ChannelID)
			if err == nil {
				have, err2 := currentSetting(config)
				if err2 == nil && have.Type == want.Type && have.State == want.State && bytesEqual(have.Metadata, want.Metadata) {
					break
				}
				if err2 != nil {
					last = err2.Error()
				} else {
					last = "it still shows " + describeShort(have)
				}
			} else {
				last = err.Error()
			}
			if time.Now().After(deadline) {
				c.Close()
				return nil, fmt.Errorf("orderer %s does not confirm channel %s as %s after %s: %s", ep.Address, a.ChannelID, describeShort(want), timeout, last)
			}
			time.Sleep(500 * time.Millisecond)
		}
		c.Close()
		out = append(out, ep.Address)
	}
	return out, nil
}

func describeShort(s Setting) string {
	return fmt.Sprintf("%s in state %s", s.Type, s.State)
}

// consenterAddresses are the host:port of each consenter in etcdraft
// metadata (empty for kafka).
func consenterAddresses(metadata []byte) []string {
	out := []string{}
	md := &etcdraft.ConfigMetadata{}
	if len(metadata) == 0 || proto.Unmarshal(metadata, md) != nil {
		return out
	}
	for _, c := range md.Consenters {
		out = append(out, net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))))
	}
	return out
}

// describe is the decoded ConsensusType, for the diff.
func describe(s Setting) string {
	var b strings.Builder
	fmt.Fprintf(&b, "type: %s\nstate: %s\n", s.Type, s.State)
	if len(s.Metadata) == 0 {
		return b.String()
	}
	md := &etcdraft.ConfigMetadata{}
	if err := proto.Unmarshal(s.Metadata, md); err != nil {
		fmt.Fprintf(&b, "metadata: undecodable (%v)\n", err)
		return b.String()
	}
	b.WriteString("consenters:\n")
	for _, c := range md.Consenters {
		cn := ""
		if blk, _ := pem.Decode(c.ServerTlsCert); blk != nil {
			if cert, err := x509.ParseCertificate(blk.Bytes); err == nil {
				cn = " (" + cert.Subject.CommonName + ")"
			}
		}
		fmt.Fprintf(&b, "  - %s:%d%s\n", c.Host, c.Port, cn)
	}
	if o := md.Options; o != nil {
		fmt.Fprintf(&b, "options: tick %s, election %d, heartbeat %d, max inflight %d, snapshot %d bytes\n",
			o.TickInterval, o.ElectionTick, o.HeartbeatTick, o.MaxInflightBlocks, o.SnapshotIntervalSize)
	}
	return b.String()
}
