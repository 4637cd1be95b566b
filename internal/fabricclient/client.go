// Package fabricclient sets up fabric-sdk-go from module options: the
// connection profile is built in memory (no files), the admin identity is
// read from its certificate and key files, and discovery is static (only
// the peers and the orderers the task names are ever contacted), so the
// modules do not depend on Fabric's discovery service or on gossip endpoints.
// Requests to the ordering service fail over between the orderers
// (ordering.go).
package fabricclient

import (
	stdctx "context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/context"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/core"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/msp"
	contextImpl "github.com/hyperledger/fabric-sdk-go/pkg/context"
	"github.com/hyperledger/fabric-sdk-go/pkg/core/config"
	"github.com/hyperledger/fabric-sdk-go/pkg/core/cryptosuite/bccsp/sw"
	"github.com/hyperledger/fabric-sdk-go/pkg/fabsdk"
	"github.com/hyperledger/fabric-sdk-go/pkg/fabsdk/factory/defcore"
	"github.com/hyperledger/fabric-sdk-go/pkg/fabsdk/factory/defsvc"
	"gopkg.in/yaml.v3"
)

// Endpoint is one gRPC endpoint: a peer or an orderer.
type Endpoint struct {
	Address     string // host:port
	TLSCA       string // file with the PEM CA certificate(s) that signed the endpoint's TLS certificate
	TLSHostname string // name to verify the endpoint's certificate against (default: the host of Address)
	MSPID       string // peers only: the peer's organisation (default: Config.MSPID)
}

// Config is everything needed to talk to a network as one organisation's admin.
type Config struct {
	MSPID         string
	AdminCert     string // file
	AdminKey      string // file (secret: its content never appears in any message)
	ClientTLSCert string // optional, for mutual TLS
	ClientTLSKey  string
	Orderers      []Endpoint // every orderer of the network, tried in this order
	Peers         []Endpoint // Peers[0] is the main peer (event source)
	ChannelID     string     // optional: the channel the static profile describes
	Timeout       time.Duration
}

// Client is an SDK instance with the admin identity loaded.
type Client struct {
	SDK       *fabsdk.FabricSDK
	Cfg       Config
	OrgName   string
	PeerNames []string // profile names of Cfg.Peers, in order
	// OrdererNames are the profile names of Cfg.Orderers, in order.
	OrdererNames []string
	identity     msp.SigningIdentity
	ordering     *failover
	provider     *staticChannelProvider
}

// Validate checks the parts of a Config that do not need the network, with
// messages naming the module option at fault.
func (c Config) Validate() error {
	if c.MSPID == "" {
		return fmt.Errorf("msp_id is required")
	}
	if err := fileReadable("admin_cert", c.AdminCert); err != nil {
		return err
	}
	if err := fileReadable("admin_key", c.AdminKey); err != nil {
		return err
	}
	if (c.ClientTLSCert == "") != (c.ClientTLSKey == "") {
		return fmt.Errorf("client_tls_cert and client_tls_key must be given together")
	}
	if c.ClientTLSCert != "" {
		if err := fileReadable("client_tls_cert", c.ClientTLSCert); err != nil {
			return err
		}
		if err := fileReadable("client_tls_key", c.ClientTLSKey); err != nil {
			return err
		}
	}
	for i, o := range c.Orderers {
		name := "orderer"
		if len(c.Orderers) > 1 {
			name = fmt.Sprintf("orderers[%d]", i)
		}
		if err := o.validate(name, "orderer_tls_ca"); err != nil {
			return err
		}
	}
	for i, p := range c.Peers {
		name := "peer"
		if i > 0 {
			name = fmt.Sprintf("endorsing_peers[%d]", i-1)
		}
		if err := p.validate(name, name+"_tls_ca"); err != nil {
			return err
		}
	}
	return nil
}

func (e Endpoint) validate(option, caOption string) error {
	host, port, err := net.SplitHostPort(e.Address)
	if err != nil || host == "" {
		return fmt.Errorf("%s must be host:port, got %q", option, e.Address)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%s has an invalid port in %q", option, e.Address)
	}
	if e.TLSCA == "" {
		return fmt.Errorf("%s is required (TLS is always on)", caOption)
	}
	b, err := os.ReadFile(e.TLSCA)
	if err != nil {
		return fmt.Errorf("%s: %v", caOption, err)
	}
	if _, err := parseCerts(b); err != nil {
		return fmt.Errorf("%s %s: %v", caOption, e.TLSCA, err)
	}
	return nil
}

func fileReadable(option, path string) error {
	if path == "" {
		return fmt.Errorf("%s is required", option)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %v", option, err)
	}
	f.Close()
	return nil
}

func parseCerts(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad certificate: %v", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return out, nil
}

// New builds the SDK for cfg. Close it when done.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	installLogger()

	certPEM, err := os.ReadFile(cfg.AdminCert)
	if err != nil {
		return nil, fmt.Errorf("admin_cert: %v", err)
	}
	if _, err := parseCerts(certPEM); err != nil {
		return nil, fmt.Errorf("admin_cert %s: %v", cfg.AdminCert, err)
	}
	keyPEM, err := os.ReadFile(cfg.AdminKey)
	if err != nil {
		return nil, fmt.Errorf("admin_key: %v", err)
	}
	if blk, _ := pem.Decode(keyPEM); blk == nil || !strings.Contains(blk.Type, "PRIVATE KEY") {
		// Never echo the content: it is a secret.
		return nil, fmt.Errorf("admin_key %s: no PEM private key found", cfg.AdminKey)
	}

	c := &Client{Cfg: cfg, OrgName: "org", ordering: &failover{}}
	for _, o := range cfg.Orderers {
		c.ordering.addresses = append(c.ordering.addresses, o.Address)
	}
	profile, err := c.profile(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	c.provider = &staticChannelProvider{client: c}
	sdk, err := fabsdk.New(config.FromRaw(profile, "yaml"),
		fabsdk.WithCorePkg(memoryKeyStore{defcore.NewProviderFactory()}),
		fabsdk.WithServicePkg(&staticServiceFactory{ProviderFactory: defsvc.NewProviderFactory(), p: c.provider}))
	if err != nil {
		return nil, fmt.Errorf("fabric SDK set-up failed: %v", err)
	}
	c.SDK = sdk
	clientCtx, err := sdk.Context(fabsdk.WithOrg(c.OrgName), fabsdk.WithUser("Admin"))()
	if err != nil {
		sdk.Close()
		return nil, fmt.Errorf("loading the admin identity (admin_cert, admin_key) failed: %v", scrubKey(err, keyPEM))
	}
	c.identity = clientCtx
	return c, nil
}

// memoryKeyStore keeps the SDK's keys in memory. Its default file key store
// would create a "keystore" directory in whatever directory the module or
// fabrun runs in; the admin key is read from admin_key on every run anyway.
type memoryKeyStore struct{ *defcore.ProviderFactory }

func (memoryKeyStore) CreateCryptoSuiteProvider(core.CryptoSuiteConfig) (core.CryptoSuite, error) {
	return sw.GetSuiteWithDefaultEphemeral()
}

// scrubKey makes sure an SDK error never carries key material.
func scrubKey(err error, key []byte) error {
	s := err.Error()
	if k := strings.TrimSpace(string(key)); k != "" && strings.Contains(s, k) {
		s = strings.ReplaceAll(s, k, "********")
	}
	return fmt.Errorf("%s", s)
}

// Close releases the SDK's connections.
func (c *Client) Close() {
	if c != nil && c.SDK != nil {
		c.SDK.Close()
	}
}

// Identity is the admin's signing identity.
func (c *Client) Identity() msp.SigningIdentity { return c.identity }

// ClientProvider is the SDK context of the admin.
func (c *Client) ClientProvider() context.ClientProvider {
	return c.SDK.Context(fabsdk.WithIdentity(c.identity))
}

// ChannelProvider is the SDK channel context of the admin.
func (c *Client) ChannelProvider(channelID string) context.ChannelProvider {
	return c.SDK.ChannelContext(channelID, fabsdk.WithIdentity(c.identity))
}

// Context is the admin's client context.
func (c *Client) Context() (context.Client, error) {
	return c.ClientProvider()()
}

// Request returns a request context bounded by d (the configured timeout
// when d is 0). Call cancel when done.
func (c *Client) Request(d time.Duration) (stdctx.Context, stdctx.CancelFunc, error) {
	ctx, err := c.Context()
	if err != nil {
		return nil, nil, err
	}
	if d <= 0 {
		d = c.Cfg.Timeout
	}
	reqCtx, cancel := contextImpl.NewRequest(ctx, contextImpl.WithTimeout(d))
	return reqCtx, cancel, nil
}

// PeerTarget is the SDK peer object for Cfg.Peers[i].
func (c *Client) PeerTarget(i int) (fab.Peer, error) {
	ctx, err := c.Context()
	if err != nil {
		return nil, err
	}
	pc, ok := ctx.EndpointConfig().PeerConfig(c.PeerNames[i])
	if !ok {
		return nil, fmt.Errorf("peer %s missing from the connection profile", c.PeerNames[i])
	}
	return ctx.InfraProvider().CreatePeerFromConfig(&fab.NetworkPeer{PeerConfig: *pc, MSPID: c.peerMSP(i)})
}

// OrdererTarget is the ordering service as one SDK orderer object: each
// request goes to the orderers of Cfg.Orderers in turn until one serves it
// (ordering.go). Give it to resmgmt with resmgmt.WithOrderer.
func (c *Client) OrdererTarget() (fab.Orderer, error) {
	ctx, err := c.Context()
	if err != nil {
		return nil, err
	}
	return c.ordererTarget(ctx)
}

func (c *Client) ordererTarget(ctx fab.ClientContext) (fab.Orderer, error) {
	if len(c.OrdererNames) == 0 {
		return nil, fmt.Errorf("orderers is required")
	}
	o := &failoverOrderer{f: c.ordering}
	for _, name := range c.OrdererNames {
		oc, ok, _ := ctx.EndpointConfig().OrdererConfig(name)
		if !ok {
			return nil, fmt.Errorf("orderer %s missing from the connection profile", name)
		}
		t, err := ctx.InfraProvider().CreateOrdererFromConfig(oc)
		if err != nil {
			return nil, err
		}
		o.targets = append(o.targets, t)
	}
	return o, nil
}

func (c *Client) peerMSP(i int) string {
	if m := c.Cfg.Peers[i].MSPID; m != "" {
		return m
	}
	return c.Cfg.MSPID
}

// profile renders the in-memory connection profile.
func (c *Client) profile(certPEM, keyPEM []byte) ([]byte, error) {
	cfg := c.Cfg
	timeout := cfg.Timeout.String()
	client := map[string]any{
		"organization": c.OrgName,
		"logging":      map[string]any{"level": "warning"},
		"BCCSP": map[string]any{"security": map[string]any{
			"enabled": true, "default": map[string]any{"provider": "SW"},
			"hashAlgorithm": "SHA2", "softVerify": true, "level": 256,
		}},
		"peer": map[string]any{"timeout": map[string]any{
			"connection": "10s", "response": timeout,
			"discovery": map[string]any{"greylistExpiry": "1s"},
		}},
		"orderer":      map[string]any{"timeout": map[string]any{"connection": "10s", "response": timeout}},
		"eventService": map[string]any{"timeout": map[string]any{"registrationResponse": "15s"}},
		"global": map[string]any{
			"timeout": map[string]any{"query": timeout, "execute": timeout, "resmgmt": timeout},
		},
	}
	tlsCerts := map[string]any{"systemCertPool": false}
	if cfg.ClientTLSCert != "" {
		crt, err := os.ReadFile(cfg.ClientTLSCert)
		if err != nil {
			return nil, fmt.Errorf("client_tls_cert: %v", err)
		}
		key, err := os.ReadFile(cfg.ClientTLSKey)
		if err != nil {
			return nil, fmt.Errorf("client_tls_key: %v", err)
		}
		tlsCerts["client"] = map[string]any{
			"cert": map[string]any{"pem": string(crt)},
			"key":  map[string]any{"pem": string(key)},
		}
	}
	client["tlsCerts"] = tlsCerts

	orgs := map[string]any{}
	orgPeers := map[string][]string{}
	peers := map[string]any{}
	channelPeers := map[string]any{}
	for i, p := range cfg.Peers {
		name := fmt.Sprintf("peer%d", i)
		c.PeerNames = append(c.PeerNames, name)
		pc, err := endpointProfile(p)
		if err != nil {
			return nil, err
		}
		peers[name] = pc
		channelPeers[name] = map[string]any{
			"endorsingPeer": true, "chaincodeQuery": true, "ledgerQuery": true, "eventSource": i == 0,
		}
		msp := c.peerMSP(i)
		orgPeers[msp] = append(orgPeers[msp], name)
	}
	orgs[c.OrgName] = map[string]any{
		"mspid": cfg.MSPID,
		"peers": orgPeers[cfg.MSPID],
		"users": map[string]any{"Admin": map[string]any{
			"cert": map[string]any{"pem": string(certPEM)},
			"key":  map[string]any{"pem": string(keyPEM)},
		}},
	}
	n := 0
	for msp, names := range orgPeers {
		if msp == cfg.MSPID {
			continue
		}
		n++
		// The SDK wants credentials for every organisation; other orgs' peers
		// only endorse, so a path that is never read stands in.
		orgs[fmt.Sprintf("other%d", n)] = map[string]any{"mspid": msp, "peers": names,
			"cryptoPath": "/nonexistent/fabrun-no-credentials-for-" + msp}
	}

	prof := map[string]any{
		"version":       "1.0.0",
		"client":        client,
		"organizations": orgs,
	}
	if len(peers) > 0 {
		prof["peers"] = peers
	}
	var chOrderers []string
	if len(cfg.Orderers) > 0 {
		orderers := map[string]any{}
		for i, o := range cfg.Orderers {
			name := fmt.Sprintf("orderer%d", i)
			oc, err := endpointProfile(o)
			if err != nil {
				return nil, err
			}
			orderers[name] = oc
			c.OrdererNames = append(c.OrdererNames, name)
		}
		prof["orderers"] = orderers
		chOrderers = c.OrdererNames
	}
	if cfg.ChannelID != "" {
		ch := map[string]any{
			"policies": map[string]any{
				"queryChannelConfig": map[string]any{
					"minResponses": 1, "maxTargets": 1,
					"retryOpts": map[string]any{"attempts": 3, "initialBackoff": "500ms", "maxBackoff": "5s", "backoffFactor": 2.0},
				},
				"eventService": map[string]any{
					"resolverStrategy": "PreferOrg", "peerMonitor": "Disabled",
				},
			},
		}
		if len(channelPeers) > 0 {
			ch["peers"] = channelPeers
		}
		if len(chOrderers) > 0 {
			ch["orderers"] = chOrderers
		}
		prof["channels"] = map[string]any{cfg.ChannelID: ch}
	}
	return yaml.Marshal(prof)
}

func endpointProfile(e Endpoint) (map[string]any, error) {
	ca, err := os.ReadFile(e.TLSCA)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(e.Address)
	name := e.TLSHostname
	if name == "" {
		name = host
	}
	return map[string]any{
		"url": "grpcs://" + e.Address,
		"grpcOptions": map[string]any{
			"ssl-target-name-override": name,
			"keep-alive-time":          "0s",
			"keep-alive-timeout":       "20s",
			"keep-alive-permit":        false,
			"fail-fast":                false,
			"allow-insecure":           false,
		},
		"tlsCACerts": map[string]any{"pem": string(ca)},
	}, nil
}

// ChaincodeArgs are a chaincode call's string arguments as the SDK's
// requests take them.
func ChaincodeArgs(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}
