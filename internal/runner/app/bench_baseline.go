package app

// The bench's plain-script baseline (internal/bench/baseline) on the bench's
// own network: the files a deploy rendered, its data deleted, started again
// by hand.

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/fabrun/fabrun/internal/bench"
	"github.com/fabrun/fabrun/internal/bench/baseline"
	"github.com/fabrun/fabrun/internal/report"
)

// plainScript runs the baseline (the run-th) once on what the last deploy rendered
// (its services stopped and data deleted, which teardown --delete-data
// does). It makes the crypto material and channel artifacts anew, so the
// controller's files are not the deploy's after it: a deploy from nothing
// must follow.
func (b *benchRun) plainScript(what string, run int) (float64, []report.Phase, error) {
	s := b.s
	s.prog.Begin(what)
	if err := s.load(); err != nil {
		s.prog.End(false, err.Error())
		return 0, nil, err
	}
	plan, err := b.baselinePlan()
	if err == nil {
		err = os.MkdirAll(b.logDir, 0o755)
	}
	if err == nil {
		var transcript *os.File
		name := filepath.Join(b.logDir, fmt.Sprintf("plain-script-%d.sh", run))
		if transcript, err = os.Create(name); err == nil {
			defer transcript.Close()
			fmt.Fprintf(transcript, "#!/bin/sh\n# %s: the commands fabrun bench timed (internal/bench/baseline).\nset -e\n", what)
			plan.Transcript = transcript
		}
	}
	if err != nil {
		s.prog.End(false, err.Error())
		return 0, nil, fmt.Errorf("plain script: %v", err)
	}
	phases, err := baseline.Run(s.ctx, plan)
	var secs float64
	for _, p := range phases {
		secs += p.Seconds
	}
	if err != nil {
		s.prog.End(false, err.Error())
		return secs, phases, fmt.Errorf("plain script: %v (its commands in %s)", err, b.logDir)
	}
	s.prog.End(true, bench.Seconds(secs))
	return secs, phases, nil
}

// baselinePlan is the guide's steps on the bench's network, from its
// topology and the service programs the deploy rendered.
func (b *benchRun) baselinePlan() (baseline.Plan, error) {
	s := b.s
	topo := s.loaded.Topology
	home, crypto := s.home, topo.CryptoDir()
	host := func(h string) string { return filepath.Join(b.dir, "hosts", h) }
	arts := topo.ChannelArtifactsDir()
	stage := func(phase string) baseline.Stage { return baseline.Stage{Phase: phase} }
	zk, kafka, orderers, peers := stage("ZooKeeper ensemble"), stage("Kafka brokers"), stage("Orderers"), stage("Peers")
	add := func(st *baseline.Stage, h, program, ready string) error {
		svc, err := readProgram(host(h), program)
		if err != nil {
			return err
		}
		svc.Ready = ready
		st.Services = append(st.Services, svc)
		st.Dirs = append(st.Dirs, filepath.Join(host(h), "data", program))
		// The program's TMPDIR (the peer's is under its data directory,
		// made empty just above) must exist for it to start a chaincode.
		if d := tmpdirOf(svc.Command); d != "" {
			st.Dirs = append(st.Dirs, d)
		}
		return nil
	}
	for _, z := range topo.ZooKeepers {
		if err := add(&zk, z.Host, "zookeeper", z.Endpoint()); err != nil {
			return baseline.Plan{}, err
		}
		zk.Files = append(zk.Files, baseline.File{Path: filepath.Join(host(z.Host), "data", "zookeeper", "myid"), Content: strconv.Itoa(z.ID) + "\n"})
	}
	for _, k := range topo.Brokers {
		if err := add(&kafka, k.Host, "kafka", k.Endpoint()); err != nil {
			return baseline.Plan{}, err
		}
	}
	acl, err := b.ordererACL()
	if err != nil {
		return baseline.Plan{}, err
	}
	kafka.After = append(kafka.After, acl)
	// Mutual TLS: the roots of client certificates the roles install on
	// peers and orderers (fabric_tls_client_root_cas), from the material
	// the script generated.
	clientRoots := func(st *baseline.Stage, tlsDir string) {
		if !topo.TLSClientAuth {
			return
		}
		roots := []string{topo.OrdererTLSCA()}
		for _, org := range topo.Orgs {
			roots = append(roots, topo.OrgTLSCA(org))
		}
		st.Bundles = append(st.Bundles, baseline.Bundle{From: roots, To: filepath.Join(tlsDir, "client-root-cas.pem")})
	}
	for _, o := range topo.Orderers {
		if err := add(&orderers, o.Host, "orderer", o.Endpoint()); err != nil {
			return baseline.Plan{}, err
		}
		from := filepath.Join(crypto, "ordererOrganizations", topo.Domain, "orderers", o.FQDN)
		to := filepath.Join(host(o.Host), "orderer")
		orderers.Copies = append(orderers.Copies,
			baseline.Copy{From: filepath.Join(from, "msp"), To: filepath.Join(to, "msp")},
			baseline.Copy{From: filepath.Join(from, "tls"), To: filepath.Join(to, "tls")},
			baseline.Copy{From: filepath.Join(arts, "genesis.block"), To: filepath.Join(to, "genesis.block")})
		clientRoots(&orderers, filepath.Join(to, "tls"))
	}
	var cliPeers []baseline.Peer
	var anchors, members []string
	for _, org := range topo.Orgs {
		anchors = append(anchors, org.MSPID)
		members = append(members, fmt.Sprintf("'%s.peer'", org.MSPID))
		adminTLS := topo.OrgAdminTLS(org)
		for _, p := range org.Peers {
			if err := add(&peers, p.Host, "peer", p.Endpoint()); err != nil {
				return baseline.Plan{}, err
			}
			from := filepath.Join(topo.OrgDir(org), "peers", p.FQDN)
			to := filepath.Join(host(p.Host), "peer")
			peers.Copies = append(peers.Copies,
				baseline.Copy{From: filepath.Join(from, "msp"), To: filepath.Join(to, "msp")},
				baseline.Copy{From: filepath.Join(from, "tls"), To: filepath.Join(to, "tls")})
			clientRoots(&peers, filepath.Join(to, "tls"))
			cliPeers = append(cliPeers, baseline.Peer{Name: p.FQDN, MSPID: org.MSPID, Address: p.Endpoint(),
				TLSCA: topo.OrgTLSCA(org), AdminMSP: topo.OrgAdminMSP(org),
				AdminTLSCert: filepath.Join(adminTLS, "client.crt"), AdminTLSKey: filepath.Join(adminTLS, "client.key"),
				ConfigDir: filepath.Join(to, "etc")})
		}
	}
	if len(topo.Orderers) == 0 || len(cliPeers) < 2 {
		return baseline.Plan{}, fmt.Errorf("the bench's network needs an orderer and two peers (it has %d and %d)", len(topo.Orderers), len(cliPeers))
	}
	return baseline.Plan{
		Bin:            filepath.Join(home, "build", "fabric", "bin"),
		Workdir:        topo.Workdir,
		GenesisProfile: roleDefault(home, "artifacts", "artifacts_genesis_profile"),
		ChannelProfile: roleDefault(home, "artifacts", "artifacts_channel_profile"),
		SystemChannel:  orDefault(s.loaded.Outcome.SystemChannel, roleDefault(home, "artifacts", "artifacts_system_channel")),
		Channel:        topo.Channel,
		AnchorMSPs:     anchors,
		Stages:         []baseline.Stage{zk, kafka, orderers, peers},
		Orderer:        topo.Orderers[0].Endpoint(),
		OrdererTLSCA:   topo.OrdererTLSCA(),
		ClientAuth:     topo.TLSClientAuth,
		Peers:          cliPeers,
		// The guide's chaincode steps; its queries on the first org's two peers.
		Chaincode: baseline.Chaincode{
			Name: "mycc", Version: "1.0", Path: filepath.Join(home, "chaincode", "mycc"),
			Policy: "OR(" + strings.Join(members, ",") + ")",
			Init:   []string{"init", "a", "100", "b", "200"},
			Ready:  []string{"query", "a"}, ReadyExpect: "100",
			Invoke: []string{"invoke", "a", "b", "10"},
			Query:  []string{"query", "b"}, Expect: "210",
			QueryOn: []string{cliPeers[0].Name, cliPeers[1].Name},
		},
		// The peers' builder compiles the installed source with the bench's Go cache.
		Env: []string{"GOCACHE=" + b.gocache},
	}, nil
}

// ordererACL is the Kafka ACL the kafka role sets (kept in ZooKeeper, so
// gone with its data): the orderers may create, describe, write and read
// every topic. It runs as the first broker, a super user; an orderer's
// principal is the CN of its backbone certificate.
func (b *benchRun) ordererACL() ([]string, error) {
	topo := b.s.loaded.Topology
	if len(topo.Brokers) == 0 {
		return nil, fmt.Errorf("the bench's network has no Kafka broker")
	}
	k := topo.Brokers[0]
	hostDir := filepath.Join(b.dir, "hosts", k.Host)
	libs, _ := filepath.Glob(filepath.Join(hostDir, "bin", "kafka-*", "libs"))
	if len(libs) != 1 {
		return nil, fmt.Errorf("no single Kafka installation under %s/bin: update the bench", hostDir)
	}
	conf := filepath.Join(hostDir, "etc", "kafka")
	argv := []string{"java", "-Dlog4j.configuration=file:" + filepath.Join(conf, "tools-log4j.properties"),
		"-cp", filepath.Join(libs[0], "*"), "kafka.admin.AclCommand", "--bootstrap-server", k.Endpoint(),
		"--command-config", filepath.Join(conf, "client-ssl.properties"), "--add", "--topic", "*"}
	for _, o := range topo.Orderers {
		certFile := filepath.Join(b.dir, "hosts", o.Host, "orderer", "kafka-tls", "cert.pem")
		cn, err := certCommonName(certFile)
		if err != nil {
			return nil, err
		}
		argv = append(argv, "--allow-principal=User:"+cn)
	}
	for _, op := range []string{"Create", "Describe", "Write", "Read"} {
		argv = append(argv, "--operation="+op)
	}
	return argv, nil
}

// certCommonName is the subject CN of the first certificate in a PEM file.
func certCommonName(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		return "", fmt.Errorf("%s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	return cert.Subject.CommonName, nil
}

// readProgram reads the command line, working directory and log of a
// supervisor program the service role rendered on a host of the bench.
// programTmpdir finds TMPDIR among the env(1) words of a program's command.
var programTmpdir = regexp.MustCompile(`(?:^| )TMPDIR=('[^']*'|\S+)`)

// tmpdirOf is the TMPDIR a program's command sets, "" when none.
func tmpdirOf(command string) string {
	if m := programTmpdir.FindStringSubmatch(command); m != nil {
		return strings.Trim(m[1], "'")
	}
	return ""
}

func readProgram(hostDir, name string) (baseline.Service, error) {
	path := filepath.Join(hostDir, "etc", "supervisor", "programs", name+".conf")
	f, err := os.Open(path)
	if err != nil {
		return baseline.Service{}, fmt.Errorf("the plain script starts what the deploy rendered: %v", err)
	}
	defer f.Close()
	svc := baseline.Service{Name: name + " on " + filepath.Base(hostDir)}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		switch {
		case !ok:
		case k == "command":
			svc.Command = v
		case k == "directory":
			svc.Dir = v
		case k == "stdout_logfile":
			svc.Log = v
		}
	}
	if err := sc.Err(); err != nil {
		return svc, err
	}
	if svc.Command == "" || svc.Dir == "" || svc.Log == "" {
		return svc, fmt.Errorf("%s has no command, directory or stdout_logfile: update the bench", path)
	}
	return svc, nil
}
