package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/chaincode"
	"github.com/fabrun/fabrun/internal/module"
)

// ccModule runs fabric_chaincode through its Go API.
func ccModule(t testing.TB, args map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	out := module.Execute(chaincode.Spec(), b, chaincode.Run)
	j, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("module output is not JSON: %v", err)
	}
	if strings.Contains(string(j), "PRIVATE KEY") {
		t.Fatalf("module output shows a private key: %s", j)
	}
	var back map[string]any
	json.Unmarshal(j, &back)
	return back
}

func ccMust(t testing.TB, args map[string]any, wantChanged bool) map[string]any {
	t.Helper()
	r := ccModule(t, args)
	if f, _ := r["failed"].(bool); f {
		t.Fatalf("fabric_chaincode %v failed: %v", args["state"], r["msg"])
	}
	if c, _ := r["changed"].(bool); c != wantChanged {
		t.Fatalf("fabric_chaincode %v: changed=%v, want %v (%v)", args["state"], c, wantChanged, r["msg"])
	}
	return r
}

func ccFail(t testing.TB, args map[string]any, wantMsg ...string) string {
	t.Helper()
	r := ccModule(t, args)
	if f, _ := r["failed"].(bool); !f {
		t.Fatalf("fabric_chaincode %v succeeded, want failure: %v", args["state"], r)
	}
	msg, _ := r["msg"].(string)
	t.Logf("fabric_chaincode %v failed as expected: %s", args["state"], msg)
	for _, w := range wantMsg {
		if !strings.Contains(msg, w) {
			t.Fatalf("fabric_chaincode %v: message %q does not mention %q", args["state"], msg, w)
		}
	}
	return msg
}

// ccBuilderNet starts a network whose peers build chaincode with the
// project's external builder (roles/peer/files/builder), offline, with the
// test's Go toolchain and build cache.
func ccBuilderNet(t testing.TB, o fabnetOptions) *fabnet {
	t.Helper()
	builder := mustExist(t, filepath.Join(RepoRoot(t), "roles", "peer", "files", "builder"), "git checkout (the peer role's builder)")
	gocache := os.Getenv("GOCACHE")
	if gocache == "" {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		if err != nil {
			t.Fatalf("go env GOCACHE: %v", err)
		}
		gocache = strings.TrimSpace(string(out))
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the builder needs go: %v", err)
	}
	o.Builders = []string{builder}
	o.PropagateEnv = []string{"GOCACHE", "FABRUN_GO", "HOME"}
	o.ExtraPeerEnv = append(o.ExtraPeerEnv, "GOCACHE="+gocache, "FABRUN_GO="+gobin)
	return fabnetStart(t, o)
}

// ccSetupChannel creates the channel and joins every peer with fabric_channel.
func ccSetupChannel(t testing.TB, n *fabnet) {
	t.Helper()
	block := filepath.Join(n.Dir, "channel.block")
	chanMust(t, n.chanArgs(n.Orgs[0], "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": block}), true)
	for _, org := range n.Orgs {
		for _, p := range org.Peers {
			chanMust(t, mergeArgs(n.chanArgs(org, "joined", map[string]any{"block_path": block}), peerArgs(p)), true)
		}
	}
}

// ccArgs are the options for org's admin talking to peer p.
func (n *fabnet) ccArgs(org *fabnetOrg, p *fabnetPeer, state string, extra map[string]any) map[string]any {
	return mergeArgs(n.chanArgs(org, state, extra), peerArgs(p))
}

func myccPath(t testing.TB) string {
	return mustExist(t, filepath.Join(RepoRoot(t), "chaincode", "mycc"), "git checkout (chaincode/mycc)")
}

func TestChaincodeModuleLegacy(t *testing.T) {
	tier(t, "network")
	n := ccBuilderNet(t, fabnetOptions{Orgs: 2})
	ccSetupChannel(t, n)
	org1, org2 := n.Orgs[0], n.Orgs[1]
	p1, p2 := org1.Peers[0], org2.Peers[0]
	src := myccPath(t)
	policy := "OR ('Org1MSP.peer','Org2MSP.peer')"
	install := func(org *fabnetOrg, p *fabnetPeer, version string, changed bool) map[string]any {
		return ccMust(t, n.ccArgs(org, p, "installed", map[string]any{"name": "mycc", "version": version, "path": src}), changed)
	}
	query := func(org *fabnetOrg, p *fabnetPeer, account string) string {
		t.Helper()
		r := ccMust(t, n.ccArgs(org, p, "queried", map[string]any{"name": "mycc", "args": []any{"query", account}}), false)
		return r["payload"].(string)
	}

	t.Run("install", func(t *testing.T) {
		r := ccMust(t, n.ccArgs(org1, p1, "installed", map[string]any{"name": "mycc", "version": "1.0", "path": src,
			"_ansible_check_mode": true, "_ansible_diff": true}), true)
		if r["diff"] == nil || r["cc_path"] != "github.com/fabrun/fabrun/chaincode/mycc" {
			t.Fatalf("check mode: %v", r)
		}
		start := time.Now()
		install(org1, p1, "1.0", true)
		t.Logf("TIMING install (package + install on peer0.org1): %s", time.Since(start))
		r = install(org1, p1, "1.0", false)
		if !jsonHas(r["installed_chaincodes"], "mycc 1.0") {
			t.Fatalf("installed_chaincodes = %v", r["installed_chaincodes"])
		}
		ccFail(t, n.ccArgs(org1, p1, "installed", map[string]any{"name": "mycc", "version": "1.0", "path": filepath.Join(n.Dir, "nothere")}), "path")
		ccFail(t, n.ccArgs(org1, p1, "installed", map[string]any{"name": "mycc", "path": src}), "version")
	})

	t.Run("instantiate", func(t *testing.T) {
		base := map[string]any{"name": "mycc", "version": "1.0", "args": []any{"init", "a", 100, "b", "200"}, "policy": policy}
		ccFail(t, n.ccArgs(org1, p1, "instantiated", mergeArgs(base, map[string]any{"policy": "OR('Org1MSP.peer',"})), "policy", "not a valid endorsement policy")
		ccFail(t, n.ccArgs(org1, p1, "instantiated", mergeArgs(base, map[string]any{"version": "9.9"})), "not installed on peer")
		r := ccMust(t, n.ccArgs(org1, p1, "instantiated", mergeArgs(base, map[string]any{"_ansible_check_mode": true, "_ansible_diff": true})), true)
		if r["action"] != "instantiate" || r["diff"] == nil {
			t.Fatalf("check mode: %v", r)
		}
		start := time.Now()
		r = ccMust(t, n.ccArgs(org1, p1, "instantiated", base), true)
		t.Logf("TIMING instantiate until the chaincode answers: %s (committed after %.1fs)", time.Since(start), r["committed_after"])
		r = ccMust(t, n.ccArgs(org1, p1, "instantiated", base), false)
		if r["action"] != "none" {
			t.Fatalf("second instantiate: %v", r)
		}
	})

	t.Run("query and invoke", func(t *testing.T) {
		if got := query(org1, p1, "a"); got != "100" {
			t.Fatalf("query a = %q, want 100", got)
		}
		inv := n.ccArgs(org1, p1, "invoked", map[string]any{"name": "mycc", "args": []any{"invoke", "a", "b", "10"}})
		r := ccMust(t, mergeArgs(inv, map[string]any{"_ansible_check_mode": true}), true)
		if got := query(org1, p1, "b"); got != "200" {
			t.Fatalf("check-mode invoke changed the ledger: b = %q (%v)", got, r)
		}
		start := time.Now()
		r = ccMust(t, inv, true)
		t.Logf("TIMING invoke until committed: %s", time.Since(start))
		if r["validation_code"] != "VALID" || r["tx_id"] == "" {
			t.Fatalf("invoke: %v", r)
		}
		if got := query(org1, p1, "b"); got != "210" {
			t.Fatalf("query b = %q, want 210", got)
		}
	})

	t.Run("chaincode errors", func(t *testing.T) {
		ccFail(t, n.ccArgs(org1, p1, "invoked", map[string]any{"name": "mycc", "args": []any{"invoke", "a", "b", "ten"}}),
			"Invalid transaction amount, expecting a integer value")
		ccFail(t, n.ccArgs(org1, p1, "queried", map[string]any{"name": "mycc", "args": []any{"query", "nobody"}}), "nobody")
		ccFail(t, n.ccArgs(org1, p1, "invoked", map[string]any{"name": "mycc", "args": []any{"invoke", "nobody", "b", "1"}}), "Entity not found")
		ccFail(t, n.ccArgs(org1, p1, "queried", map[string]any{"name": "nocc", "args": []any{"query", "a"}}), "nocc")
		ccFail(t, n.ccArgs(org1, p1, "invoked", map[string]any{"name": "mycc"}), "args")
		if a, b := query(org1, p1, "a"), query(org1, p1, "b"); a != "90" || b != "210" {
			t.Fatalf("failed calls changed the ledger: a=%s b=%s", a, b)
		}
	})

	t.Run("peer CLI agrees", func(t *testing.T) {
		out := n.PeerCLI(p1, "chaincode", "query", "-C", n.ChannelID, "-n", "mycc", "-c", `{"Args":["query","b"]}`)
		if out.Err != nil || strings.TrimSpace(out.Stdout) != "210" {
			t.Fatalf("peer chaincode query: %v\nstdout: %s\nstderr: %s", out.Err, out.Stdout, out.Stderr)
		}
	})

	t.Run("second org", func(t *testing.T) {
		start := time.Now()
		install(org2, p2, "1.0", true)
		// The first query on peer0.org2 builds and starts the chaincode there.
		if got := query(org2, p2, "b"); got != "210" {
			t.Fatalf("query b on peer0.org2 = %q", got)
		}
		t.Logf("TIMING install + first query on peer0.org2: %s", time.Since(start))
		// Endorsed by both orgs.
		ccMust(t, n.ccArgs(org1, p1, "invoked", map[string]any{"name": "mycc", "args": []any{"invoke", "b", "a", "5"},
			"endorsing_peers": []any{map[string]any{"address": p2.Addr, "tls_ca": p2.TLSCA, "msp_id": org2.MSPID}}}), true)
		if got := query(org2, p2, "a"); got != "95" {
			t.Fatalf("query a on peer0.org2 = %q, want 95", got)
		}
	})

	t.Run("upgrade", func(t *testing.T) {
		install(org1, p1, "2.0", true)
		start := time.Now()
		r := ccMust(t, n.ccArgs(org1, p1, "instantiated", map[string]any{"name": "mycc", "version": "2.0",
			"args": []any{"init", "a", "1000", "b", "2000"}, "policy": policy, "ready_args": []any{"query", "a"}}), true)
		t.Logf("TIMING upgrade until answering: %s", time.Since(start))
		if r["action"] != "upgrade" || r["previous_version"] != "1.0" {
			t.Fatalf("upgrade: %v", r)
		}
		if got := query(org1, p1, "a"); got != "1000" {
			t.Fatalf("after upgrade a = %q", got)
		}
	})

	t.Run("build failure", func(t *testing.T) {
		broken := filepath.Join(n.Dir, "broken")
		copyTree(t, src, broken)
		if err := os.WriteFile(filepath.Join(broken, "zz_broken.go"), []byte("package main\n\nfunc broken() int { return \"not an int\" }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// Fabric v2.5 builds legacy chaincode at install time.
		ccFail(t, n.ccArgs(org1, p1, "installed", map[string]any{"name": "broken", "version": "1.0", "path": broken}), "could not build or start", "broken")
		if log := p1.Logs(400); !strings.Contains(log, "zz_broken.go") {
			t.Fatalf("the compiler error is not in the peer log:\n%s", log)
		}
		// The package stays on the peer; instantiating it fails clearly.
		start := time.Now()
		ccFail(t, n.ccArgs(org1, p1, "instantiated", map[string]any{"name": "broken", "version": "1.0",
			"args": []any{"init", "a", "1", "b", "2"}, "policy": policy}), "could not build or start", "broken")
		t.Logf("instantiate of unbuildable chaincode failed after %s", time.Since(start))
		// Nothing else moved.
		ccMust(t, n.ccArgs(org1, p1, "instantiated", map[string]any{"name": "mycc", "version": "2.0", "policy": policy}), false)
		if got := query(org1, p1, "a"); got != "1000" {
			t.Fatalf("a = %q after the failed instantiate", got)
		}
	})
}

func TestChaincodeModuleLifecycle(t *testing.T) {
	tier(t, "network")
	n := ccBuilderNet(t, fabnetOptions{Orgs: 2, AppCapability: "V2_0"})
	ccSetupChannel(t, n)
	org1, org2 := n.Orgs[0], n.Orgs[1]
	p1, p2 := org1.Peers[0], org2.Peers[0]
	src := myccPath(t)
	policy := "OR('Org1MSP.peer','Org2MSP.peer')"
	def := map[string]any{"name": "mycc", "version": "1.0", "policy": policy, "init_required": true}

	var pkgID string
	t.Run("install packages", func(t *testing.T) {
		for _, x := range []struct {
			org *fabnetOrg
			p   *fabnetPeer
		}{{org1, p1}, {org2, p2}} {
			args := n.ccArgs(x.org, x.p, "lifecycle_installed", map[string]any{"name": "mycc", "version": "1.0", "path": src})
			start := time.Now()
			r := ccMust(t, args, true)
			t.Logf("TIMING lifecycle install (package + build) on %s: %s", x.p.Name, time.Since(start))
			id := r["package_id"].(string)
			if !strings.HasPrefix(id, "mycc_1.0:") || (pkgID != "" && id != pkgID) {
				t.Fatalf("package_id %q (first %q)", id, pkgID)
			}
			pkgID = id
			ccMust(t, args, false)
		}
	})

	t.Run("approve", func(t *testing.T) {
		for _, x := range []struct {
			org *fabnetOrg
			p   *fabnetPeer
		}{{org1, p1}, {org2, p2}} {
			args := n.ccArgs(x.org, x.p, "approved", mergeArgs(def, map[string]any{"package_id": pkgID}))
			r := ccMust(t, mergeArgs(args, map[string]any{"_ansible_check_mode": true, "_ansible_diff": true}), true)
			if r["diff"] == nil || r["sequence"].(float64) != 1 {
				t.Fatalf("check mode: %v", r)
			}
			ccMust(t, args, true)
			ccMust(t, args, false)
		}
		ccFail(t, n.ccArgs(org1, p1, "approved", mergeArgs(def, map[string]any{"package_id": pkgID, "policy": "AND('Org1MSP.peer'"})), "policy")
	})

	t.Run("commit and init", func(t *testing.T) {
		args := n.ccArgs(org1, p1, "committed", mergeArgs(def, map[string]any{
			"endorsing_peers": []any{map[string]any{"address": p2.Addr, "tls_ca": p2.TLSCA, "msp_id": org2.MSPID}}}))
		r := ccMust(t, mergeArgs(args, map[string]any{"_ansible_check_mode": true}), true)
		if ap, _ := r["approvals"].(map[string]any); ap["Org1MSP"] != true || ap["Org2MSP"] != true {
			t.Fatalf("approvals: %v", r["approvals"])
		}
		start := time.Now()
		ccMust(t, args, true)
		t.Logf("TIMING commit: %s", time.Since(start))
		ccMust(t, args, false)
		start = time.Now()
		ccMust(t, n.ccArgs(org1, p1, "invoked", map[string]any{"name": "mycc", "args": []any{"init", "a", "100", "b", "200"}, "is_init": true}), true)
		t.Logf("TIMING init invoke: %s", time.Since(start))
		ccMust(t, n.ccArgs(org1, p1, "invoked", map[string]any{"name": "mycc", "args": []any{"invoke", "a", "b", "10"}}), true)
		r = ccMust(t, n.ccArgs(org2, p2, "queried", map[string]any{"name": "mycc", "args": []any{"query", "b"}}), false)
		if r["payload"] != "210" {
			t.Fatalf("b on peer0.org2 = %v", r["payload"])
		}
		out := n.PeerCLI(p2, "chaincode", "query", "-C", n.ChannelID, "-n", "mycc", "-c", `{"Args":["query","a"]}`)
		if out.Err != nil || strings.TrimSpace(out.Stdout) != "90" {
			t.Fatalf("peer chaincode query: %v\n%s\n%s", out.Err, out.Stdout, out.Stderr)
		}
	})
}
