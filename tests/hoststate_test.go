package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hostStateDrift runs on a deployed network whose last site.yml changed
// nothing: the node playbooks skip every host that is as its last full run
// left it (fabric_host_state), find drift on the others and fix it there
// only. On the peers: a re-run with nothing to change runs no task of the
// roles; a deleted config file (server212), a stopped peer (server213) and a
// key whose mode was loosened (server211) are each found and fixed, and
// only those peers restart; the next re-run skips every peer again.
func (f *faultNet) hostStateDrift(t *testing.T) {
	hostsDir := strings.TrimSuffix(f.hostsDir, "/")
	pidOf := func(pids map[string]int, host, bin string) int {
		for cmd, pid := range pids {
			if strings.Contains(cmd, "/"+host+"/bin/"+bin) {
				return pid
			}
		}
		return 0
	}
	peers := []string{"server211", "server212", "server213", "server214"}
	run := func(what string) map[string]map[string]int {
		t.Helper()
		start := time.Now()
		r := f.play(t, "peer")
		t.Logf("peer.yml %s: %s", what, time.Since(start).Round(100*time.Millisecond))
		if r.Err != nil {
			t.Fatalf("peer.yml %s: %v\n%s", what, r.Err, tail(r.Stdout, 80))
		}
		if what == "with nothing to change" && strings.Contains(r.Stdout, "Install the peer binary") {
			t.Errorf("peer.yml %s ran the peer role's tasks:\n%s", what, tail(r.Stdout, 80))
		}
		return ansibleRecap(t, r.Stdout)
	}

	before := networkPIDs(hostsDir)
	for host, c := range run("with nothing to change") {
		if c["changed"] != 0 {
			t.Errorf("%s changed=%d, want 0", host, c["changed"])
		}
	}

	coreYAML := filepath.Join(hostsDir, "server212", "peer", "etc", "core.yaml")
	keys, _ := filepath.Glob(filepath.Join(hostsDir, "server211", "peer", "msp", "keystore", "*"))
	if len(keys) != 1 {
		t.Fatalf("server211's peer key: %v", keys)
	}
	keyInfo, err := os.Stat(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(coreYAML); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keys[0], 0o644); err != nil {
		t.Fatal(err)
	}
	if r := f.supervisorctl(t, "server213", "stop", "peer"); r.Err != nil {
		t.Fatalf("stop the peer on server213: %v %s", r.Err, r.Stdout)
	}
	drifted := map[string]bool{"server211": true, "server212": true, "server213": true}
	recap := run("after drift on server211, server212 and server213")
	after := networkPIDs(hostsDir)
	for _, host := range peers {
		if changed := recap[host]["changed"] > 0; changed != drifted[host] {
			t.Errorf("%s: changed=%d, drifted=%v", host, recap[host]["changed"], drifted[host])
		}
		was, now := pidOf(before, host, "peer"), pidOf(after, host, "peer")
		if now == 0 {
			t.Errorf("%s: no peer running after the re-run", host)
		}
		if restarted := was != now; restarted != drifted[host] {
			t.Errorf("%s: peer restarted=%v (pid %d -> %d), drifted=%v", host, restarted, was, now, drifted[host])
		}
	}
	for cmd, pid := range before {
		if !strings.Contains(cmd, "/bin/peer") && !strings.Contains(cmd, "chaincode") && after[cmd] != pid {
			t.Errorf("restarted by the peers' re-run: %s (pid %d -> %d)", cmd, pid, after[cmd])
		}
	}
	if _, err := os.Stat(coreYAML); err != nil {
		t.Errorf("core.yaml not restored on server212: %v", err)
	}
	if fi, err := os.Stat(keys[0]); err != nil || fi.Mode().Perm() != keyInfo.Mode().Perm() {
		t.Errorf("server211's key: %v %v, want mode %v back", fi.Mode(), err, keyInfo.Mode().Perm())
	}

	for host, c := range run("again, with nothing to change") {
		if c["changed"] != 0 {
			t.Errorf("%s changed=%d, want 0", host, c["changed"])
		}
	}
}

// TestHostStateModule runs fabric_host_state against a real supervisord
// (roles/service running a sleeper): in sync after a record; a changed,
// re-moded or deleted file, a stopped, restarted or vanished service and
// another digest each break it, and name what differs; a file rewritten
// with the same bytes does not.
func TestHostStateModule(t *testing.T) {
	tier(t, "module")
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	inv := filepath.Join(dir, "hosts.yml")
	if err := os.WriteFile(inv, []byte(fmt.Sprintf(
		"all:\n  hosts:\n    svc:\n      ansible_connection: local\n      ansible_host: 127.0.0.1\n"+
			"      ansible_python_interpreter: %s\n", VenvBin(t, "python"))), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { AnsiblePlaybook(t, "-i", inv, "playbooks/teardown.yml", "-e", "fabrun_home="+home) })
	step := func(name string, extra ...string) string {
		t.Helper()
		r, _ := ansibleTimedPlaybook(t, append([]string{"-i", inv, "tests/testdata/hoststate/play.yml",
			"-e", "fabrun_home=" + home, "-e", "step=" + name}, extra...)...)
		if r.Err != nil {
			t.Fatalf("step %s: %v\n%s", name, r.Err, tail(r.Stdout, 60))
		}
		if c := ansibleRecap(t, r.Stdout)["svc"]; name != "start" && c["changed"] != 0 {
			t.Errorf("step %s: changed=%d, want 0 (the module never reports a change)", name, c["changed"])
		}
		return r.Stdout
	}
	check := func(want string, extra ...string) {
		t.Helper()
		m := regexp.MustCompile(`HOSTSTATE (\w+) ?(.*)`).FindStringSubmatch(step("check", extra...))
		if m == nil {
			t.Fatal("no HOSTSTATE line in the check's output")
		}
		inSync, reasons := m[1] == "True", strings.ReplaceAll(m[2], home+"/", "")
		if want == "" && !inSync {
			t.Errorf("not in sync: %s", reasons)
		}
		if want != "" && (inSync || !strings.Contains(reasons, want)) {
			t.Errorf("in_sync=%v reasons %q, want %q", inSync, reasons, want)
		}
	}
	sv := func(args ...string) {
		t.Helper()
		conf := filepath.Join(home, "etc", "supervisor", "supervisord.conf")
		if r := Run(t, home, nil, VenvBin(t, "supervisorctl"), append([]string{"-c", conf}, args...)...); r.Err != nil {
			t.Fatalf("supervisorctl %v: %v %s", args, r.Err, r.Stdout)
		}
	}
	conf := filepath.Join(home, "etc", "sleeper", "sleeper.conf")
	write := func(content string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(conf, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(conf, mode); err != nil {
			t.Fatal(err)
		}
	}

	step("start")
	check("no record of a full run")
	step("record")
	check("")
	check("the desired state changed", "-e", "digest=d2")
	write("port=2\n", 0o640)
	check("etc/sleeper/sleeper.conf: content changed")
	write("port=1\n", 0o640) // the same bytes again, a new mtime
	check("")
	write("port=1\n", 0o644)
	check("etc/sleeper/sleeper.conf: mode or owner changed")
	write("port=1\n", 0o640)
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	check("etc/sleeper/sleeper.conf: missing")
	write("port=1\n", 0o640)
	check("")
	sv("stop", "sleeper")
	check("service sleeper is not running")
	sv("start", "sleeper")
	check("service sleeper was restarted since the last full run")
	step("record")
	check("")
	sv("shutdown")
	check("service sleeper is not running")
}

// TestHostStateTemplateNames: the host-state digest renders a node role's
// templates by name through roles/service/templates/host_state_templates.j2,
// whose search path has the service role's templates first; a node role's
// template with one of those names would be shadowed and its changes missed.
func TestHostStateTemplateNames(t *testing.T) {
	tier(t, "module")
	roles := filepath.Join(RepoRoot(t), "roles")
	names := func(role string) []string {
		entries, err := os.ReadDir(filepath.Join(roles, role, "templates"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	service := map[string]bool{}
	for _, n := range names("service") {
		service[n] = true
	}
	// The node roles: those with a host_state entry point.
	nodeRoles, err := filepath.Glob(filepath.Join(roles, "*", "tasks", "host_state.yml"))
	if err != nil || len(nodeRoles) == 0 {
		t.Fatalf("no node role with tasks/host_state.yml under %s (%v)", roles, err)
	}
	for _, p := range nodeRoles {
		role := filepath.Base(filepath.Dir(filepath.Dir(p)))
		if role == "service" {
			continue
		}
		for _, n := range names(role) {
			if service[n] {
				t.Errorf("roles/%s/templates/%s has the name of a template of roles/service: the host-state digest would render the service role's", role, n)
			}
		}
	}
}
