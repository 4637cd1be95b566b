// Package baseline is the floor issue 14 measures fabrun's deploy against:
// the guide's steps done by hand, with Fabric's own tools and no Ansible.
// It makes the crypto material and channel artifacts with cryptogen and
// configtxgen, copies each node's part to it, starts ZooKeeper, Kafka, the
// orderers and the peers with the command lines a deploy rendered (waiting
// for each to listen), then creates and joins the channel, installs and
// instantiates the chaincode and runs the guide's invoke and queries with
// the peer CLI. Every command is written to a transcript as a shell line
// (with its time as a comment after it), so what was timed can be read and
// run again as a script.
package baseline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fabrun/fabrun/internal/bench"
	"github.com/fabrun/fabrun/internal/report"
)

// Service is one process of the network, as its service manager starts it.
type Service struct {
	Name    string // zookeeper on server215
	Command string // the command line (sh syntax)
	Dir     string // its working directory
	Log     string // where its output goes
	Ready   string // address:port it accepts connections on once started
}

// Copy puts generated material where a node reads it: From (a file or a
// directory tree) replaces To.
type Copy struct{ From, To string }

// File is a small file a node needs written (ZooKeeper's myid).
type File struct{ Path, Content string }

// Bundle is a file a node reads made of generated ones, one after the other
// (mutual TLS's client roots: every org's TLS CA).
type Bundle struct {
	From []string
	To   string
}

// Stage is one phase of the network's start: data directories made empty,
// files written, material copied and bundled (after the copies), then
// services started together and waited for, then commands run (argv each)
// against them.
type Stage struct {
	Phase    string
	Dirs     []string
	Files    []File
	Copies   []Copy
	Bundles  []Bundle
	Services []Service
	After    [][]string
}

// Peer is a peer as the peer CLI addresses it, with its org's Admin.
type Peer struct {
	Name         string // peer0.org1.example.com
	MSPID        string
	Address      string // address:port
	TLSCA        string
	AdminMSP     string
	AdminTLSCert string
	AdminTLSKey  string
	ConfigDir    string // FABRIC_CFG_PATH: a directory with core.yaml
}

// Chaincode is what the guide installs and runs.
type Chaincode struct {
	Name, Version, Path, Policy string
	Init                        []string // init a 100 b 200
	// Instantiate counts as done when Ready answers ReadyExpect (query a: 100).
	Ready       []string
	ReadyExpect string
	Invoke      []string // invoke a b 10
	// Queries after the invoke: args and the answer expected, on the
	// peers named (queried until they answer it: a peer may lag a block).
	Query   []string
	Expect  string
	QueryOn []string
}

// Plan is everything the steps need.
type Plan struct {
	Bin            string // cryptogen, configtxgen, peer
	Workdir        string // crypto-config.yaml, configtx.yaml; crypto/ and channel-artifacts/ are made again
	GenesisProfile string
	ChannelProfile string
	SystemChannel  string
	Channel        string
	AnchorMSPs     []string // one anchor peer update per org
	Stages         []Stage
	Orderer        string // address:port the CLI sends to
	OrdererTLSCA   string
	ClientAuth     bool
	Peers          []Peer // the first is where the channel is created and the chaincode instantiated
	Chaincode      Chaincode
	Env            []string // added to every process's environment
	Timeout        time.Duration
	Transcript     io.Writer
}

// Phase names of the steps after the network has started, as fabrun's plays
// and verification name theirs.
const (
	PhaseArtifacts = "Crypto material and channel artifacts"
	PhaseChannel   = "Channel"
	PhaseChaincode = "Chaincode"
	PhaseVerify    = "verify"
)

// run is one execution of a plan.
type run struct {
	ctx   context.Context
	p     *Plan
	procs []*process
}

type process struct {
	svc  Service
	cmd  *exec.Cmd
	done chan struct{}
}

// Run does the plan's steps in order and returns each phase's time (their
// sum is the baseline's: stopping the processes afterwards is not a step).
// The processes it started are stopped before it returns, whatever happened.
func Run(ctx context.Context, p Plan) (phases []report.Phase, err error) {
	if p.Timeout <= 0 {
		p.Timeout = 2 * time.Minute
	}
	if p.Transcript == nil {
		p.Transcript = io.Discard
	}
	if len(p.Peers) == 0 {
		return nil, errors.New("baseline: the plan has no peer")
	}
	r := &run{ctx: ctx, p: &p}
	defer r.stop()
	timed := func(name string, step func() error) error {
		fmt.Fprintf(p.Transcript, "\n# %s\n", name)
		start := time.Now()
		err := step()
		phases = append(phases, report.Phase{Name: name, OK: err == nil, Seconds: time.Since(start).Seconds()})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if err := timed(PhaseArtifacts, r.artifacts); err != nil {
		return phases, err
	}
	for _, st := range p.Stages {
		if err := timed(st.Phase, func() error { return r.stage(st) }); err != nil {
			return phases, err
		}
	}
	for _, step := range []struct {
		name string
		do   func() error
	}{{PhaseChannel, r.channel}, {PhaseChaincode, r.chaincode}, {PhaseVerify, r.verify}} {
		if err := timed(step.name, step.do); err != nil {
			return phases, err
		}
	}
	return phases, nil
}

func (r *run) artifacts() error {
	p := r.p
	crypto, arts := filepath.Join(p.Workdir, "crypto"), filepath.Join(p.Workdir, "channel-artifacts")
	for _, d := range []string{crypto, arts} {
		if err := r.replaceDir(d); err != nil {
			return err
		}
	}
	if _, err := r.tool(nil, "cryptogen", "generate", "--config="+filepath.Join(p.Workdir, "crypto-config.yaml"), "--output="+crypto); err != nil {
		return err
	}
	gen := func(args ...string) error {
		_, err := r.tool(nil, "configtxgen", append([]string{"-configPath", p.Workdir}, args...)...)
		return err
	}
	if err := gen("-profile", p.GenesisProfile, "-channelID", p.SystemChannel, "-outputBlock", filepath.Join(arts, "genesis.block")); err != nil {
		return err
	}
	if err := gen("-profile", p.ChannelProfile, "-channelID", p.Channel, "-outputCreateChannelTx", filepath.Join(arts, p.Channel+".tx")); err != nil {
		return err
	}
	for _, msp := range p.AnchorMSPs {
		if err := gen("-profile", p.ChannelProfile, "-channelID", p.Channel, "-asOrg", msp,
			"-outputAnchorPeersUpdate", filepath.Join(arts, msp+"anchors.tx")); err != nil {
			return err
		}
	}
	return nil
}

// stage prepares its nodes' files, starts its services and waits for each
// to accept connections.
func (r *run) stage(st Stage) error {
	for _, d := range st.Dirs {
		if err := r.replaceDir(d); err != nil {
			return err
		}
	}
	for _, f := range st.Files {
		r.script("printf '%%s' %s > %s", quote(f.Content), quote(f.Path))
		if err := os.WriteFile(f.Path, []byte(f.Content), 0o644); err != nil {
			return err
		}
	}
	for _, c := range st.Copies {
		r.script("rm -rf %s && cp -a %s %s", quote(c.To), quote(c.From), quote(c.To))
		if err := os.RemoveAll(c.To); err != nil {
			return err
		}
		if out, err := exec.CommandContext(r.ctx, "cp", "-a", c.From, c.To).CombinedOutput(); err != nil {
			return fmt.Errorf("cp %s %s: %v: %s", c.From, c.To, err, out)
		}
	}
	for _, b := range st.Bundles {
		r.script("cat %s > %s", strings.Join(quoteAll(b.From), " "), quote(b.To))
		var content []byte
		for _, f := range b.From {
			c, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			content = append(content, c...)
		}
		if err := os.WriteFile(b.To, content, 0o644); err != nil {
			return err
		}
	}
	for _, svc := range st.Services {
		if err := r.start(svc); err != nil {
			return err
		}
	}
	for _, pr := range r.procs[len(r.procs)-len(st.Services):] {
		if err := r.ready(pr); err != nil {
			return err
		}
	}
	for _, argv := range st.After {
		if _, err := r.command(nil, argv); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) start(svc Service) error {
	if err := os.MkdirAll(filepath.Dir(svc.Log), 0o750); err != nil {
		return err
	}
	r.script("(cd %s && exec %s) >> %s 2>&1 &", quote(svc.Dir), svc.Command, quote(svc.Log))
	log, err := os.OpenFile(svc.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("sh", "-c", "exec "+svc.Command)
	cmd.Dir, cmd.Stdout, cmd.Stderr = svc.Dir, log, log
	cmd.Env = append(os.Environ(), r.p.Env...)
	// Its own process group: stopping it stops what it started (a peer's
	// chaincode processes) too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %v", svc.Name, err)
	}
	pr := &process{svc: svc, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(pr.done) }()
	r.procs = append(r.procs, pr)
	return nil
}

// ready waits until the process accepts connections on its address.
func (r *run) ready(pr *process) error {
	r.script("until nc -z %s; do sleep 0.1; done", strings.Replace(pr.svc.Ready, ":", " ", 1))
	deadline := time.Now().Add(r.p.Timeout)
	for {
		c, err := net.DialTimeout("tcp", pr.svc.Ready, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-pr.done:
			return fmt.Errorf("%s exited (%v) before it listened on %s; its log %s ends:\n%s",
				pr.svc.Name, pr.cmd.ProcessState, pr.svc.Ready, pr.svc.Log, tail(pr.svc.Log))
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not listen on %s after %s; its log %s ends:\n%s",
				pr.svc.Name, pr.svc.Ready, r.p.Timeout, pr.svc.Log, tail(pr.svc.Log))
		}
	}
}

// stop ends every process started, the last started first (peers before
// orderers before brokers before ZooKeeper, as an operator stops them: a
// broker shuts down cleanly only while ZooKeeper is up): SIGTERM to each
// one's process group, SIGKILL after 30 s.
func (r *run) stop() {
	for i := len(r.procs) - 1; i >= 0; i-- {
		pr := r.procs[i]
		syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-pr.done:
		case <-time.After(30 * time.Second):
			syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL)
			<-pr.done
		}
	}
	r.procs = nil
}

func (r *run) channel() error {
	p := r.p
	first := p.Peers[0]
	arts := filepath.Join(p.Workdir, "channel-artifacts")
	block := filepath.Join(arts, p.Channel+".block")
	// The orderers listen before their Kafka chains are up; an operator
	// retries the create until the ordering service takes it.
	if _, err := r.retry(first, r.orderer("channel", "create", "-c", p.Channel, "-f", filepath.Join(arts, p.Channel+".tx"),
		"--outputBlock", block), nil); err != nil {
		return err
	}
	for _, peer := range p.Peers {
		if _, err := r.peer(peer, "channel", "join", "-b", block); err != nil {
			return err
		}
	}
	for _, msp := range p.AnchorMSPs {
		admin, ok := r.findPeer(func(p Peer) bool { return p.MSPID == msp })
		if !ok {
			return fmt.Errorf("no peer of %s for its anchor peer update", msp)
		}
		if _, err := r.peer(admin, r.orderer("channel", "update", "-c", p.Channel, "-f", filepath.Join(arts, msp+"anchors.tx"))...); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) chaincode() error {
	p, cc := r.p, r.p.Chaincode
	for _, peer := range p.Peers {
		if _, err := r.peer(peer, "chaincode", "install", "-n", cc.Name, "-v", cc.Version, "-p", cc.Path); err != nil {
			return err
		}
	}
	if _, err := r.peer(p.Peers[0], r.orderer("chaincode", "instantiate", "-C", p.Channel, "-n", cc.Name, "-v", cc.Version,
		"-c", ccArgs(cc.Init), "-P", cc.Policy)...); err != nil {
		return err
	}
	// instantiate returns once ordered: the chaincode is there when it answers.
	_, err := r.retry(p.Peers[0], []string{"chaincode", "query", "-C", p.Channel, "-n", cc.Name, "-c", ccArgs(cc.Ready)},
		func(out string) bool { return strings.TrimSpace(out) == cc.ReadyExpect })
	return err
}

func (r *run) verify() error {
	p, cc := r.p, r.p.Chaincode
	if _, err := r.peer(p.Peers[0], r.orderer("chaincode", "invoke", "-C", p.Channel, "-n", cc.Name, "-c", ccArgs(cc.Invoke),
		"--waitForEvent")...); err != nil {
		return err
	}
	for _, name := range cc.QueryOn {
		peer, ok := r.findPeer(func(p Peer) bool { return p.Name == name })
		if !ok {
			return fmt.Errorf("no peer %s to query", name)
		}
		if _, err := r.retry(peer, []string{"chaincode", "query", "-C", p.Channel, "-n", cc.Name, "-c", ccArgs(cc.Query)},
			func(out string) bool { return strings.TrimSpace(out) == cc.Expect }); err != nil {
			return err
		}
	}
	return nil
}

// orderer adds the orderer's address and TLS flags to a peer CLI command.
func (r *run) orderer(args ...string) []string {
	p := r.p
	args = append(args, "-o", p.Orderer, "--tls", "--cafile", p.OrdererTLSCA)
	if p.ClientAuth {
		first := p.Peers[0]
		args = append(args, "--clientauth", "--certfile", first.AdminTLSCert, "--keyfile", first.AdminTLSKey)
	}
	return args
}

// retry runs a peer CLI command until it succeeds and its output passes
// ok (nil: any output), every 250 ms until the plan's timeout.
func (r *run) retry(peer Peer, args []string, ok func(string) bool) (string, error) {
	deadline := time.Now().Add(r.p.Timeout)
	for {
		out, err := r.peer(peer, args...)
		if err == nil && (ok == nil || ok(out)) {
			return out, nil
		}
		if err == nil {
			err = fmt.Errorf("peer %s on %s answered %q", args[0]+" "+args[1], peer.Name, strings.TrimSpace(out))
		}
		if time.Now().After(deadline) || r.ctx.Err() != nil {
			return out, err
		}
		select {
		case <-r.ctx.Done():
			return out, r.ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// peer runs the peer CLI as the peer's org Admin, addressed to that peer.
func (r *run) peer(peer Peer, args ...string) (string, error) {
	env := []string{
		"FABRIC_CFG_PATH=" + peer.ConfigDir,
		"CORE_PEER_LOCALMSPID=" + peer.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + peer.AdminMSP,
		"CORE_PEER_ADDRESS=" + peer.Address,
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_ROOTCERT_FILE=" + peer.TLSCA,
	}
	if r.p.ClientAuth {
		env = append(env, "CORE_PEER_TLS_CLIENTAUTHREQUIRED=true",
			"CORE_PEER_TLS_CLIENTCERT_FILE="+peer.AdminTLSCert, "CORE_PEER_TLS_CLIENTKEY_FILE="+peer.AdminTLSKey)
	}
	return r.tool(env, "peer", args...)
}

// tool runs one of Fabric's binaries with env added to its environment.
func (r *run) tool(env []string, name string, args ...string) (string, error) {
	return r.command(env, append([]string{filepath.Join(r.p.Bin, name)}, args...))
}

// command runs argv with env added to its environment, written to the
// transcript with its time, and fails with the end of its output.
func (r *run) command(env, argv []string) (string, error) {
	r.script("%s", strings.Join(quoteAll(slices.Concat(env, argv)), " "))
	cmd := exec.CommandContext(r.ctx, argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), r.p.Env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	defer func() { r.script("#   %.2f s", time.Since(start).Seconds()) }()
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", filepath.Base(argv[0]), strings.Join(argv[1:min(3, len(argv))], " "), err,
			bench.LastLines(stderr.String()+stdout.String(), 5))
	}
	return stdout.String(), nil
}

func (r *run) replaceDir(d string) error {
	r.script("rm -rf %s && mkdir -p %s", quote(d), quote(d))
	if err := os.RemoveAll(d); err != nil {
		return err
	}
	return os.MkdirAll(d, 0o750)
}

// findPeer is the first peer of the plan that is, or false.
func (r *run) findPeer(is func(Peer) bool) (Peer, bool) {
	if i := slices.IndexFunc(r.p.Peers, is); i >= 0 {
		return r.p.Peers[i], true
	}
	return Peer{}, false
}

func (r *run) script(format string, args ...any) {
	fmt.Fprintf(r.p.Transcript, format+"\n", args...)
}

// ccArgs is the peer CLI's -c: {"Args":[...]}.
func ccArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return `{"Args":[` + strings.Join(q, ",") + `]}`
}

// quote is s as one sh word.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:=@,+%", c))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return bench.LastLines(string(b), 15)
}
