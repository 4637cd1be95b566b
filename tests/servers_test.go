package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The test's lab: its own subnet, directory and name prefix, so it never
// touches a lab a person brought up with `make lab-up` (192.168.250.x, fl).
const (
	serversSubnet = "192.168.251"
	serversPrefix = "flt"
	serversUser   = "deploy"
)

// serversLab drives tools/lab/lab.sh for one lab directory.
type serversLab struct {
	t    *testing.T
	dir  string
	env  []string
	tool string
}

func newServersLab(t *testing.T) *serversLab {
	root := RepoRoot(t)
	dir := filepath.Join(t.TempDir(), "lab")
	return &serversLab{t: t, dir: dir, tool: filepath.Join(root, "tools", "lab", "lab.sh"), env: []string{
		"LAB_DIR=" + dir, "LAB_SUBNET=" + serversSubnet, "LAB_PREFIX=" + serversPrefix,
		"LAB_CACHE=" + filepath.Join(root, "build", "lab-cache"), "PATH=" + os.Getenv("PATH"),
	}}
}

func (l *serversLab) run(cmd string) (CmdResult, time.Duration) {
	start := time.Now()
	r := Run(l.t, RepoRoot(l.t), l.env, l.tool, cmd)
	return r, time.Since(start).Round(100 * time.Millisecond)
}

func (l *serversLab) addr(octet string) string { return serversSubnet + "." + octet }

// ssh runs a command on a lab server as the admin user, checking its host key.
func (l *serversLab) ssh(octet string, command ...string) CmdResult {
	args := []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + filepath.Join(l.dir, "known_hosts"), "-i", filepath.Join(l.dir, "id_ed25519"),
		serversUser + "@" + l.addr(octet)}
	return Run(l.t, l.dir, nil, "ssh", append(args, command...)...)
}

// leftovers lists what lab.sh made that still exists: namespaces, links,
// cgroups, mounts and processes of this lab.
func (l *serversLab) leftovers() []string {
	var left []string
	if ns, _ := filepath.Glob("/run/netns/" + serversPrefix + "-*"); len(ns) > 0 {
		left = append(left, fmt.Sprint("network namespaces ", ns))
	}
	if links, _ := filepath.Glob("/sys/class/net/" + serversPrefix + "-*"); len(links) > 0 {
		left = append(left, fmt.Sprint("links ", links))
	}
	if cgs, _ := filepath.Glob("/sys/fs/cgroup/*/fabrun-lab-" + serversPrefix); len(cgs) > 0 {
		left = append(left, fmt.Sprint("cgroups ", cgs))
	}
	if cgs, _ := filepath.Glob("/sys/fs/cgroup/fabrun-lab-" + serversPrefix); len(cgs) > 0 {
		left = append(left, fmt.Sprint("cgroups ", cgs))
	}
	if mounts, _ := os.ReadFile("/proc/self/mounts"); strings.Contains(string(mounts), l.dir+"/") {
		left = append(left, "mounts under "+l.dir)
	}
	if procs := procsMatching(l.dir + "/"); len(procs) > 0 {
		left = append(left, fmt.Sprint("processes ", procs))
	}
	return left
}

// TestServersEndToEnd deploys the production inventory's shape (same groups
// and placement, /opt/fabrun, systemd, SSH as a sudo user with host key
// checking) from the installed collection onto six systemd-nspawn servers
// that start without Java or anything of the project; checks the guide's
// numbers, a backbone that refuses strangers, no private key in any
// journal, the peer CLI on org2, a reboot, the AWX jobs (the deploy job is
// the second run: nothing but the verification changes), and teardown;
// then removes the lab and checks nothing of it is left.
func TestServersEndToEnd(t *testing.T) {
	tier(t, "servers")
	FabricBin(t, "peer")
	lab := newServersLab(t)
	t.Cleanup(func() {
		r, d := lab.run("down")
		t.Logf("lab down: %s", d)
		if r.Err != nil {
			t.Errorf("lab down: %v\n%s", r.Err, r.Stderr)
		}
		if left := lab.leftovers(); len(left) > 0 {
			t.Errorf("left after lab down: %v", left)
		}
	})
	if r, d := lab.run("up"); r.Err != nil {
		t.Fatalf("lab up: %v\n%s", r.Err, tail(r.Stderr, 40))
	} else {
		t.Logf("lab up: %s", d)
	}

	// The servers start with nothing of the project and no Java.
	for _, o := range []string{"211", "215"} {
		if r := lab.ssh(o, "test ! -e /opt/fabrun && ! command -v java"); r.Err != nil {
			t.Fatalf("server%s is not fresh: %v %s", o, r.Err, r.Stdout)
		}
	}

	// ansible-playbook fabrun.fabric.<name> from the installed collection,
	// outside the checkout, over SSH (a short control path: the socket name
	// has a length limit).
	work := t.TempDir()
	cp, err := os.MkdirTemp("/tmp", "flcp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(cp) })
	collections := installCollection(t, buildCollection(t))
	env := append(collectionUserEnv(t, work, collections),
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+cp, "ANSIBLE_CALLBACK_RESULT_FORMAT=json")
	inventory := filepath.Join(lab.dir, "hosts.yml")
	ansibleOutput := map[string]string{} // scanned for private keys
	play := func(name string, extra ...string) (CmdResult, time.Duration) {
		t.Helper()
		start := time.Now()
		r := Run(t, work, env, VenvBin(t, "ansible-playbook"), append([]string{"-i", inventory, "fabrun.fabric." + name}, extra...)...)
		ansibleOutput[fmt.Sprintf("ansible-playbook %s (run %d)", name, len(ansibleOutput)+1)] = r.Stdout + r.Stderr
		d := time.Since(start).Round(100 * time.Millisecond)
		t.Logf("ansible-playbook fabrun.fabric.%s: %s", name, d)
		if r.Err != nil {
			t.Fatalf("fabrun.fabric.%s: %v\n%s\nstderr:\n%s", name, r.Err, tail(r.Stdout, 150), tail(r.Stderr, 30))
		}
		return r, d
	}
	t.Cleanup(func() {
		// Stop the services before the containers go (a failed test leaves them up).
		Run(t, work, env, VenvBin(t, "ansible-playbook"), "-i", inventory, "fabrun.fabric.teardown")
	})

	site, _ := play("site")

	// Java arrives on the three fresh Java servers in one play, before
	// ZooKeeper's, where the broker-only server214 used to install it
	// alone in the Kafka play while the other brokers waited.
	javaPlay := "Java on a new network's backbone"
	if out := playOutput(site.Stdout, javaPlay); !strings.Contains(out, "Install openjdk-17-jre-headless") ||
		strings.Count(out, "changed: [server21") != 3 {
		t.Errorf("site.yml's play %q did not install Java on server214-216 at once:\n%s", javaPlay, out)
	}

	// The binary modules run from root's cache on each server
	// (plugins/plugin_utils/cached_module.py), one build of each, named by
	// its SHA-256; a rebuilt module replaces its copy there.
	moduleBin := func(name string) string {
		return filepath.Join(collections, "ansible_collections", "fabrun", "fabric", "plugins", "modules", ".bin", name)
	}
	cachedModules := func(t *testing.T) map[string]string {
		t.Helper()
		const dir = "/root/.ansible/fabrun/modules"
		r := lab.ssh("215", "sudo sh -c \"stat -c '%U %a %n' "+dir+" "+dir+"/*\"")
		if r.Err != nil {
			t.Fatalf("server215's module cache: %v %s %s", r.Err, r.Stdout, r.Stderr)
		}
		cached := map[string]string{}
		for i, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 || f[0] != "root" || f[1] != "700" {
				t.Errorf("server215: %q, want root's and mode 700", line)
				continue
			}
			if i == 0 {
				continue // the directory
			}
			name, sum, _ := strings.Cut(filepath.Base(f[2]), "-")
			if _, dup := cached[name]; dup {
				t.Errorf("server215 keeps two builds of %s", name)
			}
			cached[name] = sum
		}
		return cached
	}
	t.Run("modules run from root's cache on the servers", func(t *testing.T) {
		cached := cachedModules(t)
		for _, name := range []string{"fabric_files", "fabric_host_state", "fabric_install", "fabric_ready"} {
			if want := sha256File(t, moduleBin(name)); cached[name] != want {
				t.Errorf("server215 caches %s as %q, want its build %s", name, cached[name], want)
			}
		}
		// A rebuild (here: the same executable with a byte more) is copied once and replaces the old build.
		f, err := os.OpenFile(moduleBin("fabric_host_facts"), os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.Write([]byte{0})
			f.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		r := Run(t, work, env, VenvBin(t, "ansible"), "-i", inventory, "server215", "-m", "fabrun.fabric.fabric_host_facts", "-a", "java=java")
		if r.Err != nil || !strings.Contains(r.Stdout, `"major": 17`) {
			t.Fatalf("the rebuilt fabric_host_facts on server215: %v\n%s\n%s", r.Err, r.Stdout, r.Stderr)
		}
		if got, want := cachedModules(t)["fabric_host_facts"], sha256File(t, moduleBin("fabric_host_facts")); got != want {
			t.Errorf("after a rebuild server215 caches fabric_host_facts as %q, want %s", got, want)
		}
	})

	verify := func(want ...string) {
		t.Helper()
		r, _ := play("verify")
		for _, w := range want {
			if !strings.Contains(r.Stdout, w) {
				t.Errorf("verify.yml output lacks %q:\n%s", w, tail(r.Stdout, 60))
			}
		}
	}
	verify("a 100 -> 90, b 200 -> 210, a + b = 300", "seed check passed: b = 210",
		"peer0.org1.example.com: b = 210", "peer1.org1.example.com: b = 210")

	t.Run("services run as the fabrun user under systemd", func(t *testing.T) {
		r := lab.ssh("215", "systemctl show -p User -p ActiveState fabrun-zookeeper fabrun-kafka fabrun-orderer; command -v java")
		if r.Err != nil || strings.Count(r.Stdout, "User=fabrun") != 3 || strings.Count(r.Stdout, "ActiveState=active") != 3 ||
			!strings.Contains(r.Stdout, "/java") {
			t.Errorf("server215: %v\n%s", r.Err, r.Stdout)
		}
		if r := lab.ssh("213", "command -v go || test -x /usr/local/go/bin/go"); r.Err == nil {
			t.Errorf("server213 has a Go toolchain; the chaincode should arrive prebuilt: %s", r.Stdout)
		}
	})

	// The unit's ExecStartPost pause: a start fails when the process exits
	// within service_start_seconds, and the failure shows its journal.
	t.Run("a service that exits at once fails its start, with its last log lines", func(t *testing.T) {
		r := Run(t, work, env, VenvBin(t, "ansible-playbook"), "-i", inventory,
			filepath.Join(RepoRoot(t), "tests", "testdata", "servers", "crasher.yml"), "--limit", "server211")
		if r.Err != nil {
			t.Errorf("crasher.yml: %v\n%s", r.Err, tail(r.Stdout, 40))
		}
	})

	// The backbone is secured on real servers as on the local network.
	workdir := filepath.Join(lab.dir, "controller")
	t.Run("the ordering backbone refuses strangers", func(t *testing.T) {
		checkBackboneRefusesStrangers(t, workdir,
			[]string{lab.addr("215") + ":2181", lab.addr("216") + ":2181"},
			[]string{lab.addr("214") + ":9092", lab.addr("215") + ":9092", lab.addr("216") + ":9092"}, "mychannel",
			filepath.Join(workdir, "crypto/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls"))
	})

	t.Run("no private key in any service's journal or Ansible's output", func(t *testing.T) {
		texts := map[string]string{}
		for k, v := range ansibleOutput {
			texts[k] = v
		}
		for _, o := range []string{"211", "212", "213", "214", "215", "216"} {
			r := lab.ssh(o, "sudo journalctl --no-pager -o cat -u 'fabrun-*'")
			if r.Err != nil || strings.TrimSpace(r.Stdout) == "" {
				t.Fatalf("server%s: journal of the fabrun units: %v %s", o, r.Err, r.Stderr)
			}
			texts["journal of server"+o] = r.Stdout
		}
		if leaks := privateKeyLeaks(t, filepath.Join(workdir, "crypto"), nil, texts); len(leaks) > 0 {
			t.Errorf("a private key shows in: %v", leaks)
		}
	})

	// The official peer CLI, from the controller, reads b on peer1.org2 (with
	// the Admin's TLS client certificate: mutual TLS is the default).
	t.Run("peer CLI reads b = 210 on peer1.org2", func(t *testing.T) {
		org := filepath.Join(lab.dir, "controller", "crypto", "peerOrganizations", "org2.example.com")
		cliEnv := append([]string{
			"FABRIC_CFG_PATH=" + chaincodeFabricConfig(t),
			"CORE_PEER_ADDRESS=" + lab.addr("214") + ":7051",
			"CORE_PEER_LOCALMSPID=Org2MSP",
			"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(org, "users", "Admin@org2.example.com", "msp"),
			"CORE_PEER_TLS_ENABLED=true",
			"CORE_PEER_TLS_ROOTCERT_FILE=" + filepath.Join(org, "tlsca", "tlsca.org2.example.com-cert.pem"),
			"FABRIC_LOGGING_SPEC=error",
		}, peerCLIClientCert(filepath.Join(org, "users", "Admin@org2.example.com"))...)
		r := Run(t, work, cliEnv, FabricBin(t, "peer"), "chaincode", "query", "-C", "mychannel", "-n", "mycc",
			"-c", `{"Args":["query","b"]}`)
		if r.Err != nil || strings.TrimSpace(r.Stdout) != "210" {
			t.Errorf("peer chaincode query b on peer1.org2: %v %q\n%s", r.Err, r.Stdout, r.Stderr)
		}
	})

	// server216 runs ZooKeeper, Kafka and an orderer: after a reboot of the
	// container systemd alone brings them back, and the network verifies.
	t.Run("reboot server216", func(t *testing.T) {
		pidFile := filepath.Join(lab.dir, "hosts", "server216", "nspawn.pid")
		before, _ := os.ReadFile(pidFile)
		lab.ssh("216", "sudo", "systemctl", "reboot")
		units := "fabrun-zookeeper fabrun-kafka fabrun-orderer"
		ordererCA := filepath.Join(lab.dir, "controller", "crypto", "ordererOrganizations", "example.com", "tlsca", "tlsca.example.com-cert.pem")
		deadline := time.Now().Add(4 * time.Minute)
		for {
			after, _ := os.ReadFile(pidFile)
			r := lab.ssh("216", "systemctl is-active "+units)
			code, _, _ := networkHealthz("https://"+lab.addr("216")+":8443/healthz", ordererCA)
			if len(after) > 0 && string(after) != string(before) && r.Err == nil && code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server216 did not come back with %s active and orderer1 healthy (nspawn %q -> %q, /healthz %d): %s",
					units, before, after, code, r.Stdout)
			}
			time.Sleep(2 * time.Second)
		}
		verify("a 90 -> 80, b 210 -> 220, a + b = 300")
	})

	// The AWX job templates' jobs (awx/), run as AWX runs them: ansible-runner
	// transmit | worker | process with the project, the lab's inventory, the
	// machine credential's key and the survey's answers. A bad channel name
	// fails in preflight and changes nothing; the deploy job with the survey
	// defaults finds the network as it is (site.yml's second run over SSH:
	// nothing changes) and verifies it.
	t.Run("AWX deploy job through ansible-runner transmit | worker | process", func(t *testing.T) {
		runnerEnv := []string{"PATH=" + filepath.Join(RepoRoot(t), "build", "venv", "bin") + string(os.PathListSeparator) + os.Getenv("PATH")}
		envvars := map[string]string{"ANSIBLE_SSH_CONTROL_PATH_DIR": cp}
		key := filepath.Join(lab.dir, "id_ed25519")
		bad := awxSurveyDefaults(t, "deploy")
		bad["fabric_channel"] = "My_Channel"
		start := time.Now()
		job := runAWXJob(t, runnerEnv, inventory, key, collections, "bad-channel", "playbooks/deploy.yml", bad, envvars)
		t.Logf("AWX deploy job with channel My_Channel: %s, %s", job.Status, time.Since(start).Round(100*time.Millisecond))
		if failed := job.failedEvents(); job.Status != "failed" || !strings.Contains(failed, "My_Channel") {
			t.Errorf("deploy job with channel My_Channel: status %s, failed events:\n%s\noutput:\n%s", job.Status, failed, tail(job.stdout(), 40))
		}
		for host, n := range job.stats(t)["changed"] {
			if n != 0 {
				t.Errorf("deploy job with channel My_Channel changed %v on %s", n, host)
			}
		}

		// A service stopped by hand, the peer on server211: the deploy job
		// starts it as its last full run defined it (service `start`:
		// systemd starts the unit in place) and verifies through it.
		if r := lab.ssh("211", "sudo", "systemctl", "stop", "fabrun-peer"); r.Err != nil {
			t.Fatalf("systemctl stop fabrun-peer on server211: %v %s", r.Err, r.Stderr)
		}
		start = time.Now()
		job = runAWXJob(t, runnerEnv, inventory, key, collections, "deploy", "playbooks/deploy.yml", awxSurveyDefaults(t, "deploy"), envvars)
		t.Logf("AWX deploy job with the survey defaults: %s, %s", job.Status, time.Since(start).Round(100*time.Millisecond))
		st := job.stats(t)
		if job.Status != "successful" || len(st["failures"]) != 0 || len(st["dark"]) != 0 || len(st["ok"]) < 6 {
			t.Fatalf("deploy job: status %s, stats %v, failed events:\n%s\noutput:\n%s", job.Status, st, job.failedEvents(), tail(job.stdout(), 60))
		}
		for _, w := range []string{"a 80 -> 70, b 220 -> 230, a + b = 300", "peer1.org2.example.com: b = 230"} {
			if !strings.Contains(job.stdout(), w) {
				t.Errorf("deploy job's events lack %q:\n%s", w, tail(job.stdout(), 60))
			}
		}
		// The second site run over SSH: only the stopped peer's start and
		// the verification's invoke change anything.
		peerStart := "Peers: Start unless it runs, fabrun-peer on server211"
		if changed := job.changed(); !slices.Contains(changed, peerStart) {
			t.Errorf("the deploy job did not start the stopped peer (%q); it changed %v", peerStart, changed)
		}
		for _, c := range job.changed() {
			if !strings.HasPrefix(c, "Verify the chaincode: ") && c != peerStart {
				t.Errorf("the deploy job on a deployed network changed %s", c)
			}
		}
		// Not a new network: Java was checked by the hosts' own plays.
		if out := playOutput(job.stdout(), javaPlay); !strings.Contains(out, "no hosts matched") {
			t.Errorf("the deploy job on a deployed network ran play %q:\n%s", javaPlay, out)
		}
		// AWX runs the job from a fresh copy of the project, and the site run
		// above ran the installed collection: the hosts are in sync all the
		// same (the roles' files count by content, not by path or time), so
		// the peers, which the reboot did not touch, end their play at the
		// host-state check.
		if strings.Contains(job.stdout(), "Install the peer binary") {
			t.Errorf("the deploy job ran the peer role in full on a peer in sync:\n%s", tail(job.stdout(), 60))
		}

		// The status job template: read-only health of every node.
		start = time.Now()
		job = runAWXJob(t, runnerEnv, inventory, key, collections, "status", "playbooks/status.yml", map[string]any{}, envvars)
		t.Logf("AWX status job: %s, %s", job.Status, time.Since(start).Round(100*time.Millisecond))
		st = job.stats(t)
		if job.Status != "successful" || len(st["failures"]) != 0 || len(st["ok"]) != 6 {
			t.Errorf("status job: status %s, stats %v, failed events:\n%s", job.Status, st, job.failedEvents())
		}
		for host, n := range st["changed"] {
			if n != 0 {
				t.Errorf("status job changed %v on %s", n, host)
			}
		}
	})

	t.Run("teardown stops every unit", func(t *testing.T) {
		play("teardown")
		for _, o := range []string{"211", "212", "213", "214", "215", "216"} {
			r := lab.ssh(o, "systemctl list-units --no-legend --state=active 'fabrun-*'")
			if r.Err != nil || strings.TrimSpace(r.Stdout) != "" {
				t.Errorf("server%s after teardown: %v %q", o, r.Err, r.Stdout)
			}
		}
	})
}

// playOutput is the part of ansible-playbook's output that play name printed:
// from its PLAY line to the next play's (or the recap); "" if it did not run.
func playOutput(stdout, name string) string {
	header := "PLAY [" + name + "]"
	start := strings.Index(stdout, header)
	if start < 0 {
		return ""
	}
	out := stdout[start:]
	if end := strings.Index(out[len(header):], "PLAY "); end >= 0 {
		out = out[:len(header)+end]
	}
	return out
}
