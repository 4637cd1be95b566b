package tests

// A small real Fabric network for integration tests: one solo orderer with a
// system channel (the way the Kafka network creates channels) and one or two
// peer organisations, every process a pinned v2.5.9 binary on its own
// loopback address, TLS everywhere. Crypto comes from the real cryptogen and
// the genesis block, channel creation tx and anchor-peer updates from the
// real configtxgen. Processes are stopped and files removed by t.Cleanup.

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fabnetOptions shapes a test network.
type fabnetOptions struct {
	Orgs        int    // peer organisations (1 or 2); default 2
	PeersPerOrg int    // default 1
	ChannelID   string // default "mychannel"
	// AppCapability is the channel's Application capability; V1_4_2 keeps
	// the legacy chaincode lifecycle usable. Default V1_4_2.
	AppCapability string
	// Builders are external chaincode builder directories (bin/detect,
	// bin/build, bin/release, bin/run) for the peers' core.yaml.
	Builders []string
	// PropagateEnv lists environment variables the peer hands to builders.
	PropagateEnv []string
	// ExtraPeerEnv is added to every peer's environment.
	ExtraPeerEnv []string
	// MutualTLS makes the orderer and the peers require client certificates.
	MutualTLS bool
}

type fabnetOrderer struct {
	Name, IP string
	Port     int
	Addr     string // ip:port
	TLSCA    string // file: the orderer org's TLS CA
	Dir      string
	cmd      *exec.Cmd
	log      string
	env      []string
	opsAddr  string
}

type fabnetPeer struct {
	Name    string // peer0.org1.example.com
	IP      string
	Port    int
	Addr    string // ip:port
	Dir     string
	TLSCA   string // file: the peer org's TLS CA
	Org     *fabnetOrg
	cmd     *exec.Cmd
	log     string
	env     []string
	opsAddr string
}

type fabnetOrg struct {
	Name, MSPID, Domain string
	Peers               []*fabnetPeer
	AdminMSP            string // Admin@domain msp dir
	AdminCert, AdminKey string // files
	AdminTLSCert        string // Admin's TLS client cert and key (mutual TLS)
	AdminTLSKey         string
	TLSCA               string
	AnchorTx            string // configtxgen -outputAnchorPeersUpdate for this org
}

type fabnet struct {
	t            testing.TB
	Dir          string
	ChannelID    string
	ChannelTx    string // configtxgen -outputCreateChannelTx
	GenesisBlock string // the system channel's genesis block
	Orderer      *fabnetOrderer
	Orgs         []*fabnetOrg
	cfgDir       string // FABRIC_CFG_PATH template dir (core.yaml)
	opts         fabnetOptions
}

func fabnetSampleConfig(t testing.TB) string {
	t.Helper()
	gomodcache := os.Getenv("GOMODCACHE")
	if gomodcache == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			t.Fatalf("go env GOMODCACHE: %v", err)
		}
		gomodcache = strings.TrimSpace(string(out))
	}
	// The pinned Fabric module (tools/fabric) carries the sample configs.
	gomod, err := os.ReadFile(filepath.Join(RepoRoot(t), "tools", "fabric", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var ver string
	for _, l := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "require "))
		if len(f) >= 2 && f[0] == "github.com/hyperledger/fabric" {
			ver = f[1]
		}
	}
	if ver == "" {
		t.Fatal("tools/fabric/go.mod does not require github.com/hyperledger/fabric")
	}
	dir := filepath.Join(gomodcache, "github.com", "hyperledger", "fabric@"+ver, "sampleconfig")
	return mustExist(t, dir, "cd tools/fabric && go mod download")
}

// fabnetStart builds and starts a network; it is torn down by t.Cleanup.
func fabnetStart(t testing.TB, o fabnetOptions) *fabnet {
	t.Helper()
	if o.Orgs == 0 {
		o.Orgs = 2
	}
	if o.PeersPerOrg == 0 {
		o.PeersPerOrg = 1
	}
	if o.ChannelID == "" {
		o.ChannelID = "mychannel"
	}
	if o.AppCapability == "" {
		o.AppCapability = "V1_4_2"
	}
	cryptogen := FabricBin(t, "cryptogen")
	configtxgen := FabricBin(t, "configtxgen")
	FabricBin(t, "orderer")
	FabricBin(t, "peer")
	sample := fabnetSampleConfig(t)

	dir := t.TempDir()
	n := &fabnet{t: t, Dir: dir, ChannelID: o.ChannelID, opts: o}
	net24 := freeLoopbackNet(t)
	host := 1
	nextIP := func() string { ip := fmt.Sprintf("%s.%d", net24, host); host++; return ip }

	ordIP := nextIP()
	n.Orderer = &fabnetOrderer{Name: "orderer0.example.com", IP: ordIP, Port: freePort(t, ordIP)}
	n.Orderer.Addr = fmt.Sprintf("%s:%d", ordIP, n.Orderer.Port)
	for i := 1; i <= o.Orgs; i++ {
		org := &fabnetOrg{Name: fmt.Sprintf("Org%d", i), MSPID: fmt.Sprintf("Org%dMSP", i), Domain: fmt.Sprintf("org%d.example.com", i)}
		for j := 0; j < o.PeersPerOrg; j++ {
			ip := nextIP()
			p := &fabnetPeer{Name: fmt.Sprintf("peer%d.%s", j, org.Domain), IP: ip, Port: freePort(t, ip), Org: org}
			p.Addr = fmt.Sprintf("%s:%d", ip, p.Port)
			org.Peers = append(org.Peers, p)
		}
		n.Orgs = append(n.Orgs, org)
	}

	// Crypto material, with every node's address as a SAN.
	var cc bytes.Buffer
	fmt.Fprintf(&cc, "OrdererOrgs:\n  - Name: Orderer\n    Domain: example.com\n    Specs:\n      - Hostname: orderer0\n        SANS: [%q]\nPeerOrgs:\n", ordIP)
	for _, org := range n.Orgs {
		fmt.Fprintf(&cc, "  - Name: %s\n    Domain: %s\n    EnableNodeOUs: true\n    Specs:\n", org.Name, org.Domain)
		for j, p := range org.Peers {
			fmt.Fprintf(&cc, "      - Hostname: peer%d\n        SANS: [%q]\n", j, p.IP)
		}
		fmt.Fprintf(&cc, "    Users:\n      Count: 1\n")
	}
	fabnetWrite(t, filepath.Join(dir, "crypto-config.yaml"), cc.String())
	MustRun(t, dir, nil, cryptogen, "generate", "--config=crypto-config.yaml", "--output=crypto")

	crypto := filepath.Join(dir, "crypto")
	ordOrg := filepath.Join(crypto, "ordererOrganizations", "example.com")
	n.Orderer.TLSCA = filepath.Join(ordOrg, "tlsca", "tlsca.example.com-cert.pem")
	for _, org := range n.Orgs {
		base := filepath.Join(crypto, "peerOrganizations", org.Domain)
		org.TLSCA = filepath.Join(base, "tlsca", "tlsca."+org.Domain+"-cert.pem")
		admin := filepath.Join(base, "users", "Admin@"+org.Domain)
		org.AdminMSP = filepath.Join(admin, "msp")
		org.AdminCert = filepath.Join(org.AdminMSP, "signcerts", "Admin@"+org.Domain+"-cert.pem")
		keys, _ := filepath.Glob(filepath.Join(org.AdminMSP, "keystore", "*"))
		if len(keys) != 1 {
			t.Fatalf("expected one admin key in %s, found %v", org.AdminMSP, keys)
		}
		org.AdminKey = keys[0]
		org.AdminTLSCert = filepath.Join(admin, "tls", "client.crt")
		org.AdminTLSKey = filepath.Join(admin, "tls", "client.key")
		for _, p := range org.Peers {
			p.TLSCA = org.TLSCA
		}
	}

	// Channel artifacts.
	n.writeConfigtx(filepath.Join(dir, "configtx.yaml"))
	env := []string{"FABRIC_CFG_PATH=" + dir}
	n.GenesisBlock = filepath.Join(dir, "genesis.block")
	n.ChannelTx = filepath.Join(dir, o.ChannelID+".tx")
	MustRun(t, dir, env, configtxgen, "-profile", "Genesis", "-channelID", "system-channel", "-outputBlock", n.GenesisBlock)
	MustRun(t, dir, env, configtxgen, "-profile", "Channel", "-channelID", o.ChannelID, "-outputCreateChannelTx", n.ChannelTx)
	for _, org := range n.Orgs {
		org.AnchorTx = filepath.Join(dir, org.MSPID+"anchors.tx")
		MustRun(t, dir, env, configtxgen, "-profile", "Channel", "-channelID", o.ChannelID, "-outputAnchorPeersUpdate", org.AnchorTx, "-asOrg", org.MSPID)
	}

	// Config templates: the sample configs, Docker off.
	n.cfgDir = filepath.Join(dir, "config")
	os.MkdirAll(n.cfgDir, 0o755)
	core, err := os.ReadFile(filepath.Join(sample, "core.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	coreS := strings.Replace(string(core), "endpoint: unix:///var/run/docker.sock", "endpoint:", 1)
	fabnetWrite(t, filepath.Join(n.cfgDir, "core.yaml"), coreS)
	ord, err := os.ReadFile(filepath.Join(sample, "orderer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fabnetWrite(t, filepath.Join(n.cfgDir, "orderer.yaml"), string(ord))

	if len(o.Builders) == 0 {
		// The peer refuses to start with neither Docker nor a builder: give
		// it one that builds nothing.
		nb := filepath.Join(dir, "nobuilder")
		os.MkdirAll(filepath.Join(nb, "bin"), 0o755)
		for _, s := range []string{"detect", "build", "release"} {
			if err := os.WriteFile(filepath.Join(nb, "bin", s), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		n.opts.Builders = []string{nb}
	}
	n.startOrderer()
	for _, org := range n.Orgs {
		for _, p := range org.Peers {
			n.preparePeer(p)
			n.StartPeer(p)
		}
	}
	return n
}

func fabnetWrite(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (n *fabnet) writeConfigtx(path string) {
	crypto := filepath.Join(n.Dir, "crypto")
	net := configtxNetwork{
		OrdererMSPDir:    filepath.Join(crypto, "ordererOrganizations", "example.com", "msp"),
		OrdererEndpoints: []string{n.Orderer.Addr}, Addresses: []string{n.Orderer.Addr},
		AppCapability: n.opts.AppCapability, OrdererType: "solo", BatchTimeout: "200ms",
	}
	for _, o := range n.Orgs {
		net.Orgs = append(net.Orgs, configtxNetworkOrg{Alias: o.Name, MSPID: o.MSPID,
			MSPDir:     filepath.Join(crypto, "peerOrganizations", o.Domain, "msp"),
			AnchorHost: o.Peers[0].IP, AnchorPort: o.Peers[0].Port})
	}
	writeConfigtx(n.t, path, net)
}

func (n *fabnet) startOrderer() {
	t := n.t
	o := n.Orderer
	o.Dir = filepath.Join(n.Dir, "orderer0")
	tlsDir := filepath.Join(n.Dir, "crypto", "ordererOrganizations", "example.com", "orderers", o.Name, "tls")
	mspDir := filepath.Join(n.Dir, "crypto", "ordererOrganizations", "example.com", "orderers", o.Name, "msp")
	os.MkdirAll(o.Dir, 0o755)
	o.opsAddr = fmt.Sprintf("%s:%d", o.IP, freePort(t, o.IP))
	o.env = []string{
		"FABRIC_CFG_PATH=" + n.cfgDir,
		"FABRIC_LOGGING_SPEC=info",
		"ORDERER_GENERAL_LISTENADDRESS=" + o.IP,
		"ORDERER_GENERAL_LISTENPORT=" + strconv.Itoa(o.Port),
		"ORDERER_GENERAL_TLS_ENABLED=true",
		"ORDERER_GENERAL_TLS_PRIVATEKEY=" + filepath.Join(tlsDir, "server.key"),
		"ORDERER_GENERAL_TLS_CERTIFICATE=" + filepath.Join(tlsDir, "server.crt"),
		"ORDERER_GENERAL_TLS_ROOTCAS=[" + filepath.Join(tlsDir, "ca.crt") + "]",
		"ORDERER_GENERAL_BOOTSTRAPMETHOD=file",
		"ORDERER_GENERAL_BOOTSTRAPFILE=" + n.GenesisBlock,
		"ORDERER_GENERAL_LOCALMSPID=OrdererMSP",
		"ORDERER_GENERAL_LOCALMSPDIR=" + mspDir,
		"ORDERER_FILELEDGER_LOCATION=" + filepath.Join(o.Dir, "ledger"),
		"ORDERER_CONSENSUS_WALDIR=" + filepath.Join(o.Dir, "wal"),
		"ORDERER_CONSENSUS_SNAPDIR=" + filepath.Join(o.Dir, "snap"),
		"ORDERER_OPERATIONS_LISTENADDRESS=" + o.opsAddr,
		"ORDERER_ADMIN_LISTENADDRESS=" + fmt.Sprintf("%s:%d", o.IP, freePort(t, o.IP)),
		"ORDERER_METRICS_PROVIDER=disabled",
	}
	if n.opts.MutualTLS {
		o.env = append(o.env, "ORDERER_GENERAL_TLS_CLIENTAUTHREQUIRED=true",
			"ORDERER_GENERAL_TLS_CLIENTROOTCAS=["+strings.Join(n.tlsCAs(), ",")+"]")
	}
	o.log = filepath.Join(o.Dir, "orderer.log")
	o.cmd = fabnetSpawn(t, FabricBin(t, "orderer"), o.Dir, o.env, o.log)
	fabnetWaitHealthy(t, o.cmd, "orderer", o.opsAddr, o.Addr, o.log)
}

func (n *fabnet) preparePeer(p *fabnetPeer) {
	t := n.t
	p.Dir = filepath.Join(n.Dir, p.Name)
	os.MkdirAll(p.Dir, 0o755)
	node := filepath.Join(n.Dir, "crypto", "peerOrganizations", p.Org.Domain, "peers", p.Name)
	ccPort := freePort(t, p.IP)
	p.opsAddr = fmt.Sprintf("%s:%d", p.IP, freePort(t, p.IP))
	bootstrap := p.Org.Peers[0].Addr
	var builders []string
	for i, b := range n.opts.Builders {
		env := ""
		if len(n.opts.PropagateEnv) > 0 {
			env = ", propagateEnvironment: [" + strings.Join(n.opts.PropagateEnv, ", ") + "]"
		}
		builders = append(builders, fmt.Sprintf("{name: builder%d, path: %s%s}", i, b, env))
	}
	p.env = append([]string{
		"FABRIC_CFG_PATH=" + n.cfgDir,
		"FABRIC_LOGGING_SPEC=info",
		"CORE_PEER_ID=" + p.Name,
		"CORE_PEER_ADDRESS=" + p.Addr,
		"CORE_PEER_LISTENADDRESS=" + p.Addr,
		"CORE_PEER_CHAINCODEADDRESS=" + fmt.Sprintf("%s:%d", p.IP, ccPort),
		"CORE_PEER_CHAINCODELISTENADDRESS=" + fmt.Sprintf("%s:%d", p.IP, ccPort),
		"CORE_PEER_GOSSIP_BOOTSTRAP=" + bootstrap,
		"CORE_PEER_GOSSIP_EXTERNALENDPOINT=" + p.Addr,
		"CORE_PEER_GOSSIP_USELEADERELECTION=true",
		"CORE_PEER_GOSSIP_ORGLEADER=false",
		"CORE_PEER_LOCALMSPID=" + p.Org.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(node, "msp"),
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_CERT_FILE=" + filepath.Join(node, "tls", "server.crt"),
		"CORE_PEER_TLS_KEY_FILE=" + filepath.Join(node, "tls", "server.key"),
		"CORE_PEER_TLS_ROOTCERT_FILE=" + filepath.Join(node, "tls", "ca.crt"),
		"CORE_PEER_FILESYSTEMPATH=" + filepath.Join(p.Dir, "data"),
		"CORE_LEDGER_SNAPSHOTS_ROOTDIR=" + filepath.Join(p.Dir, "data", "snapshots"),
		"CORE_OPERATIONS_LISTENADDRESS=" + p.opsAddr,
		"CORE_METRICS_PROVIDER=disabled",
		"CORE_PEER_PROFILE_ENABLED=false",
		"CORE_CHAINCODE_EXTERNALBUILDERS=[" + strings.Join(builders, ", ") + "]",
		"CORE_CHAINCODE_EXECUTETIMEOUT=60s",
		"CORE_CHAINCODE_STARTUPTIMEOUT=120s",
		"CORE_CHAINCODE_INSTALLTIMEOUT=300s",
	}, n.opts.ExtraPeerEnv...)
	if n.opts.MutualTLS {
		p.env = append(p.env, "CORE_PEER_TLS_CLIENTAUTHREQUIRED=true",
			"CORE_PEER_TLS_CLIENTROOTCAS_FILES="+strings.Join(n.tlsCAs(), " "),
			"CORE_PEER_TLS_CLIENTCERT_FILE="+filepath.Join(node, "tls", "server.crt"),
			"CORE_PEER_TLS_CLIENTKEY_FILE="+filepath.Join(node, "tls", "server.key"))
	}
	p.log = filepath.Join(p.Dir, "peer.log")
}

// tlsCAs are every organisation's TLS CA files.
func (n *fabnet) tlsCAs() []string {
	cas := []string{n.Orderer.TLSCA}
	for _, org := range n.Orgs {
		cas = append(cas, org.TLSCA)
	}
	return cas
}

// StartPeer (re)starts a peer and waits until it serves.
func (n *fabnet) StartPeer(p *fabnetPeer) {
	n.t.Helper()
	p.cmd = fabnetSpawn(n.t, FabricBin(n.t, "peer"), p.Dir, p.env, p.log, "node", "start")
	fabnetWaitHealthy(n.t, p.cmd, p.Name, p.opsAddr, p.Addr, p.log)
}

// StopPeer stops a peer and everything it started (chaincode processes).
func (n *fabnet) StopPeer(p *fabnetPeer) {
	fabnetStop(p.cmd)
	p.cmd = nil
}

// fabnetSpawn starts a process in its own process group, logging to a file,
// and registers its stop with t.Cleanup.
func fabnetSpawn(t testing.TB, bin, dir string, env []string, logPath string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	fabnetMu.Lock()
	fabnetProcs[cmd] = done
	fabnetMu.Unlock()
	t.Cleanup(func() { fabnetStop(cmd) })
	return cmd
}

var (
	fabnetMu    sync.Mutex
	fabnetProcs = map[*exec.Cmd]chan struct{}{}
)

// fabnetStop ends a started process group: SIGTERM, then SIGKILL.
func fabnetStop(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	fabnetMu.Lock()
	done := fabnetProcs[cmd]
	delete(fabnetProcs, cmd)
	fabnetMu.Unlock()
	if done == nil {
		return
	}
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// Chaincode processes a builder started may outlive their parent in the
	// same group.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

func fabnetWaitHealthy(t testing.TB, cmd *exec.Cmd, name, opsAddr, addr, logPath string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	fabnetMu.Lock()
	done := fabnetProcs[cmd]
	fabnetMu.Unlock()
	for time.Now().Before(deadline) {
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited while starting; log:\n%s", name, tail(string(log), 40))
		default:
		}
		resp, err := client.Get("http://" + opsAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
					c.Close()
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	t.Fatalf("%s did not become healthy at %s within 60s; log:\n%s", name, opsAddr, tail(string(log), 60))
}

// PeerCLI runs the real `peer` CLI as the org's Admin against peer p.
func (n *fabnet) PeerCLI(p *fabnetPeer, args ...string) CmdResult {
	n.t.Helper()
	env := []string{
		"FABRIC_CFG_PATH=" + n.cfgDir,
		"FABRIC_LOGGING_SPEC=warning",
		"CORE_PEER_LOCALMSPID=" + p.Org.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + p.Org.AdminMSP,
		"CORE_PEER_ADDRESS=" + p.Addr,
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_ROOTCERT_FILE=" + p.TLSCA,
	}
	return Run(n.t, n.Dir, env, FabricBin(n.t, "peer"), args...)
}

// Logs returns the tail of a peer's log, for failure messages.
func (p *fabnetPeer) Logs(lines int) string {
	b, _ := os.ReadFile(p.log)
	return tail(string(b), lines)
}
