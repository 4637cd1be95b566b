package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/chaincode"
	"github.com/fabrun/fabrun/internal/channel"
	"github.com/fabrun/fabrun/internal/module"
)

// chanModule runs fabric_channel through its Go API (the same Execute the
// binary uses) and returns what Ansible would read.
func chanModule(t testing.TB, args map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	out := module.Execute(channel.Spec(), b, channel.Run)
	// Round-trip through JSON like Ansible does.
	j, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("module output is not JSON: %v", err)
	}
	var back map[string]any
	json.Unmarshal(j, &back)
	if strings.Contains(string(j), "PRIVATE KEY") {
		t.Fatalf("module output shows a private key: %s", j)
	}
	return back
}

func chanMust(t testing.TB, args map[string]any, wantChanged bool) map[string]any {
	t.Helper()
	r := chanModule(t, args)
	if f, _ := r["failed"].(bool); f {
		t.Fatalf("fabric_channel %v failed: %v", args["state"], r["msg"])
	}
	if c, _ := r["changed"].(bool); c != wantChanged {
		t.Fatalf("fabric_channel %v: changed=%v, want %v (%v)", args["state"], c, wantChanged, r["msg"])
	}
	return r
}

func chanFail(t testing.TB, args map[string]any, wantMsg ...string) map[string]any {
	t.Helper()
	r := chanModule(t, args)
	if f, _ := r["failed"].(bool); !f {
		t.Fatalf("fabric_channel %v succeeded, want failure: %v", args["state"], r)
	}
	msg, _ := r["msg"].(string)
	t.Logf("fabric_channel %v failed as expected: %s", args["state"], msg)
	for _, w := range wantMsg {
		if !strings.Contains(msg, w) {
			t.Fatalf("fabric_channel %v: message %q does not mention %q", args["state"], msg, w)
		}
	}
	return r
}

// chanArgs are the common options for acting as org's admin.
func (n *fabnet) chanArgs(org *fabnetOrg, state string, extra map[string]any) map[string]any {
	a := map[string]any{
		"state":          state,
		"channel_id":     n.ChannelID,
		"orderer":        n.Orderer.Addr,
		"orderer_tls_ca": n.Orderer.TLSCA,
		"msp_id":         org.MSPID,
		"admin_cert":     org.AdminCert,
		"admin_key":      org.AdminKey,
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

func peerArgs(p *fabnetPeer) map[string]any {
	return map[string]any{"peer": p.Addr, "peer_tls_ca": p.TLSCA}
}

func mergeArgs(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestChannelModule(t *testing.T) {
	tier(t, "network")
	n := fabnetStart(t, fabnetOptions{Orgs: 2})
	org1, org2 := n.Orgs[0], n.Orgs[1]
	p1, p2 := org1.Peers[0], org2.Peers[0]
	blockPath := filepath.Join(n.Dir, "out", "mychannel.block")

	t.Run("validation", func(t *testing.T) {
		chanFail(t, n.chanArgs(org1, "present", map[string]any{"block_path": blockPath}), "channel_tx")
		chanFail(t, n.chanArgs(org1, "joined", nil), "peer", "block_path")
		chanFail(t, n.chanArgs(org1, "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": blockPath, "orderer": "nohost"}), "orderer must be host:port")
		chanFail(t, n.chanArgs(org1, "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": blockPath, "channel_id": "other"}), "creates channel \"mychannel\", not channel_id \"other\"")
		chanFail(t, n.chanArgs(org1, "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": blockPath, "admin_key": "/nonexistent/key"}), "admin_key")
		chanFail(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": blockPath, "block": "latest"}), "block must be newest, oldest, config or a block number")
		chanFail(t, n.chanArgs(org1, "gone", nil), "value of state must be one of")
		if _, err := os.Stat(blockPath); err == nil {
			t.Fatal("a failed task wrote the block file")
		}
	})

	t.Run("present", func(t *testing.T) {
		check := n.chanArgs(org1, "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": blockPath, "_ansible_check_mode": true, "_ansible_diff": true})
		r := chanMust(t, check, true)
		if r["diff"] == nil {
			t.Fatalf("check+diff mode gave no diff: %v", r)
		}
		if _, err := os.Stat(blockPath); err == nil {
			t.Fatal("check mode wrote the block file")
		}
		start := time.Now()
		args := n.chanArgs(org1, "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": blockPath})
		r = chanMust(t, args, true)
		t.Logf("TIMING create channel: %s", time.Since(start))
		if r["created"] != true {
			t.Fatalf("created = %v", r["created"])
		}
		first, err := os.ReadFile(blockPath)
		if err != nil {
			t.Fatal(err)
		}
		r = chanMust(t, args, false)
		if r["block_written"] != false {
			t.Fatalf("second run rewrote the block: %v", r)
		}
		// A missing block file is fetched again (block 0), the channel unchanged.
		os.Remove(blockPath)
		r = chanMust(t, args, false)
		if r["block_written"] != true {
			t.Fatalf("missing file not restored: %v", r)
		}
		again, _ := os.ReadFile(blockPath)
		if string(again) != string(first) {
			t.Fatal("re-fetched genesis block differs from the saved one")
		}
		// Org2's admin sees the same channel.
		chanMust(t, n.chanArgs(org2, "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": blockPath}), false)
	})

	t.Run("joined", func(t *testing.T) {
		args := mergeArgs(n.chanArgs(org1, "joined", map[string]any{"block_path": blockPath}), peerArgs(p1))
		r := chanMust(t, mergeArgs(args, map[string]any{"_ansible_check_mode": true, "_ansible_diff": true}), true)
		if r["diff"] == nil {
			t.Fatalf("no diff: %v", r)
		}
		r = chanMust(t, mergeArgs(n.chanArgs(org1, "listed", nil), peerArgs(p1)), false)
		if len(r["channels"].([]any)) != 0 {
			t.Fatalf("check mode joined the peer: %v", r["channels"])
		}
		start := time.Now()
		chanMust(t, args, true)
		t.Logf("TIMING join channel: %s", time.Since(start))
		r = chanMust(t, args, false)
		if !jsonHas(r["channels"], "mychannel") {
			t.Fatalf("channels = %v", r["channels"])
		}
		chanMust(t, mergeArgs(n.chanArgs(org2, "joined", map[string]any{"block_path": blockPath}), peerArgs(p2)), true)
		// The real CLI agrees.
		out := n.PeerCLI(p2, "channel", "list")
		if out.Err != nil || !strings.Contains(out.Stdout, "mychannel") {
			t.Fatalf("peer channel list: %v\n%s\n%s", out.Err, out.Stdout, out.Stderr)
		}
	})

	t.Run("listed", func(t *testing.T) {
		r := chanMust(t, mergeArgs(n.chanArgs(org1, "listed", nil), peerArgs(p1)), false)
		if !jsonHas(r["channels"], "mychannel") || r["joined"] != true {
			t.Fatalf("listed: %v", r)
		}
	})

	t.Run("fetched", func(t *testing.T) {
		dest := filepath.Join(n.Dir, "out", "fetched.block")
		for _, which := range []string{"oldest", "0", "config"} {
			r := chanMust(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": dest, "block": which}), which == "oldest")
			if r["block_number"].(float64) != 0 {
				t.Fatalf("block %s: number %v", which, r["block_number"])
			}
		}
		genesis, _ := os.ReadFile(blockPath)
		got, _ := os.ReadFile(dest)
		if string(got) != string(genesis) {
			t.Fatal("fetched oldest block differs from the genesis block saved by state=present")
		}
		chanMust(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": dest, "block": "newest"}), false)
		// TLS name override: the certificate's DNS name instead of the address.
		chanMust(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": dest, "block": "0", "orderer_tls_hostname": "orderer0.example.com"}), false)
		chanFail(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": dest, "block": "0", "orderer_tls_hostname": "wrong.example.com", "timeout": 5}), n.Orderer.Addr, "not wrong.example.com")
		chanMust(t, mergeArgs(n.chanArgs(org1, "listed", map[string]any{"peer_tls_hostname": "peer0.org1.example.com"}), peerArgs(p1)), false)
		chanFail(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": dest, "block": "99"}), "block 99")
		chanFail(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": dest, "channel_id": "nochannel"}), "does not exist")
	})

	t.Run("anchors_updated", func(t *testing.T) {
		args := n.chanArgs(org1, "anchors_updated", map[string]any{"anchors_tx": org1.AnchorTx})
		r := chanMust(t, mergeArgs(args, map[string]any{"_ansible_check_mode": true, "_ansible_diff": true}), true)
		if r["diff"] == nil {
			t.Fatalf("no diff: %v", r)
		}
		r = chanMust(t, args, true)
		if !jsonHas(r["anchor_peers"], p1.Addr) {
			t.Fatalf("anchor_peers = %v", r["anchor_peers"])
		}
		chanMust(t, args, false)
		chanMust(t, n.chanArgs(org2, "anchors_updated", map[string]any{"anchors_tx": org2.AnchorTx}), true)
		// The newest block is now a config block.
		dest := filepath.Join(n.Dir, "out", "config.block")
		r = chanMust(t, n.chanArgs(org1, "fetched", map[string]any{"block_path": dest, "block": "config"}), true)
		if r["block_number"].(float64) != 2 {
			t.Fatalf("config block number %v, want 2", r["block_number"])
		}
		chanFail(t, n.chanArgs(org1, "anchors_updated", map[string]any{"anchors_tx": n.ChannelTx}), "anchors_tx")
	})

	t.Run("stopped peer", func(t *testing.T) {
		n.StopPeer(p2)
		start := time.Now()
		chanFail(t, mergeArgs(n.chanArgs(org2, "joined", map[string]any{"block_path": blockPath, "timeout": 10}), peerArgs(p2)), p2.Addr)
		t.Logf("join against a stopped peer failed after %s", time.Since(start))
		n.StartPeer(p2)
		chanMust(t, mergeArgs(n.chanArgs(org2, "joined", map[string]any{"block_path": blockPath}), peerArgs(p2)), false)
	})
}

// TestChannelModuleMutualTLS runs against an orderer and a peer that
// require client certificates.
func TestChannelModuleMutualTLS(t *testing.T) {
	tier(t, "network")
	n := fabnetStart(t, fabnetOptions{Orgs: 1, MutualTLS: true})
	org := n.Orgs[0]
	p := org.Peers[0]
	block := filepath.Join(n.Dir, "mychannel.block")
	mtls := map[string]any{"client_tls_cert": org.AdminTLSCert, "client_tls_key": org.AdminTLSKey}
	chanFail(t, n.chanArgs(org, "present", map[string]any{"channel_tx": n.ChannelTx, "block_path": block, "client_tls_cert": org.AdminTLSCert}),
		"client_tls_cert, client_tls_key")
	chanFail(t, mergeArgs(n.chanArgs(org, "listed", map[string]any{"timeout": 5}), peerArgs(p)), p.Addr, "certificate required", "client_tls_cert")
	chanFail(t, n.chanArgs(org, "fetched", map[string]any{"block_path": block, "timeout": 5}), n.Orderer.Addr, "client_tls_cert")
	chanMust(t, n.chanArgs(org, "present", mergeArgs(mtls, map[string]any{"channel_tx": n.ChannelTx, "block_path": block})), true)
	chanMust(t, mergeArgs(n.chanArgs(org, "joined", mergeArgs(mtls, map[string]any{"block_path": block})), peerArgs(p)), true)
	r := chanMust(t, mergeArgs(n.chanArgs(org, "listed", mtls), peerArgs(p)), false)
	if !jsonHas(r["channels"], "mychannel") {
		t.Fatalf("channels = %v", r["channels"])
	}
	chanMust(t, n.chanArgs(org, "anchors_updated", mergeArgs(mtls, map[string]any{"anchors_tx": org.AnchorTx})), true)
}

func jsonHas(list any, s string) bool {
	l, _ := list.([]any)
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestChannelChaincodeAnsible runs both modules as built binaries through
// the real ansible-playbook: the seed's channel and chaincode steps.
func TestChannelChaincodeAnsible(t *testing.T) {
	tier(t, "network")
	ModuleBin(t, "fabric_channel")
	ModuleBin(t, "fabric_chaincode")
	n := ccBuilderNet(t, fabnetOptions{Orgs: 2})
	var orgs []map[string]any
	for _, org := range n.Orgs {
		orgs = append(orgs, map[string]any{
			"msp_id": org.MSPID, "admin_cert": org.AdminCert, "admin_key": org.AdminKey,
			"peer": org.Peers[0].Addr, "peer_tls_ca": org.Peers[0].TLSCA, "anchors_tx": org.AnchorTx,
		})
	}
	vars := map[string]any{"net": map[string]any{
		"channel": n.ChannelID, "channel_tx": n.ChannelTx, "block": filepath.Join(n.Dir, "ansible", "mychannel.block"),
		"orderer": n.Orderer.Addr, "orderer_tls_ca": n.Orderer.TLSCA, "cc_path": myccPath(t), "orgs": orgs,
	}}
	b, _ := json.Marshal(vars)
	varsFile := filepath.Join(n.Dir, "vars.json")
	if err := os.WriteFile(varsFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	env := append(AnsibleEnv(t), "ANSIBLE_CALLBACK_RESULT_FORMAT=json")
	r := Run(t, RepoRoot(t), env, VenvBin(t, "ansible-playbook"), "-i", "localhost,", "-c", "local",
		"-e", "@"+varsFile, filepath.Join(RepoRoot(t), "tests", "playbooks", "channel_chaincode.yml"))
	out := r.Stdout + r.Stderr
	t.Logf("TIMING ansible-playbook channel_chaincode.yml: %s", time.Since(start))
	if r.Err != nil {
		t.Fatalf("ansible-playbook failed: %v\n%s", r.Err, out)
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Fatal("the playbook output shows a private key")
	}
	recap := regexp.MustCompile(`localhost\s*:\s*ok=(\d+)\s+changed=\d+\s+unreachable=0\s+failed=0\s+skipped=0\s+rescued=0\s+ignored=2`).FindStringSubmatch(out)
	if recap == nil || recap[1] != "22" {
		t.Fatalf("unexpected recap (want ok=22, the two expected failures ignored):\n%s", out)
	}
	t.Logf("recap: %s", recap[0])
	// The real CLI sees what the playbook did.
	q := n.PeerCLI(n.Orgs[0].Peers[0], "chaincode", "query", "-C", n.ChannelID, "-n", "mycc", "-c", `{"Args":["query","b"]}`)
	if q.Err != nil || strings.TrimSpace(q.Stdout) != "210" {
		t.Fatalf("peer chaincode query b: %v\n%s\n%s", q.Err, q.Stdout, q.Stderr)
	}
}

// TestChannelChaincodeAnsibleDoc checks that ansible-doc reads both sidecars
// and that they document exactly the options the modules accept, with the
// same types, defaults, choices, aliases and required flags.
func TestChannelChaincodeAnsibleDoc(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	for _, m := range []struct {
		name string
		spec module.Spec
	}{{"fabric_channel", channel.Spec()}, {"fabric_chaincode", chaincode.Spec()}} {
		t.Run(m.name, func(t *testing.T) {
			ModuleBin(t, m.name)
			r := MustRun(t, root, AnsibleEnv(t), VenvBin(t, "ansible-doc"), "--json", "fabrun.fabric."+m.name)
			if strings.Contains(r.Stderr, "WARNING") || strings.Contains(r.Stderr, "ERROR") {
				t.Errorf("ansible-doc complained:\n%s", r.Stderr)
			}
			var parsed map[string]struct {
				Doc struct {
					Options map[string]struct {
						Type     string   `json:"type"`
						Required bool     `json:"required"`
						Default  any      `json:"default"`
						Choices  []any    `json:"choices"`
						Aliases  []string `json:"aliases"`
						Elements string   `json:"elements"`
					} `json:"options"`
				} `json:"doc"`
				Examples string         `json:"examples"`
				Return   map[string]any `json:"return"`
			}
			if err := json.Unmarshal([]byte(r.Stdout), &parsed); err != nil {
				t.Fatalf("ansible-doc --json: %v", err)
			}
			doc := parsed["fabrun.fabric."+m.name]
			if doc.Examples == "" || len(doc.Return) == 0 {
				t.Errorf("EXAMPLES or RETURN missing")
			}
			for name, o := range m.spec.Options {
				d, ok := doc.Doc.Options[name]
				if !ok {
					t.Errorf("option %s is not documented", name)
					continue
				}
				if d.Type != string(o.Type) {
					t.Errorf("option %s: documented type %q, spec %q", name, d.Type, o.Type)
				}
				if d.Required != o.Required {
					t.Errorf("option %s: documented required=%v, spec %v", name, d.Required, o.Required)
				}
				if o.Default != nil && fmt.Sprint(d.Default) != fmt.Sprint(o.Default) {
					t.Errorf("option %s: documented default %v, spec %v", name, d.Default, o.Default)
				}
				if fmt.Sprint(d.Choices) != fmt.Sprint(o.Choices) && !(len(d.Choices) == 0 && len(o.Choices) == 0) {
					t.Errorf("option %s: documented choices %v, spec %v", name, d.Choices, o.Choices)
				}
				if fmt.Sprint(d.Aliases) != fmt.Sprint(o.Aliases) && !(len(d.Aliases) == 0 && len(o.Aliases) == 0) {
					t.Errorf("option %s: documented aliases %v, spec %v", name, d.Aliases, o.Aliases)
				}
				if o.Type == module.List && d.Elements != string(o.Elements) {
					t.Errorf("option %s: documented elements %q, spec %q", name, d.Elements, o.Elements)
				}
			}
			for name := range doc.Doc.Options {
				if _, ok := m.spec.Options[name]; !ok {
					t.Errorf("documented option %s does not exist", name)
				}
			}
		})
	}
}
