package tests

// The bad-input table: every case is a mistake a user can make in the
// inventory, the extra vars, a module's arguments or the files on the
// controller, and each must end in a clear error naming the variable (or
// file) and the host, with the right exit code, before anything changes.
// Inventory, extra-vars and file cases run through the runner (`fabrun
// check`, exit 4; a few also `fabrun deploy`), which runs the preflight
// plays with ansible-playbook. Some of each kind (ansible: true) also run
// through Ansible on its own (ansible-playbook playbooks/site.yml, or the
// phase playbook named, exit 2): the same plays and rules, so one case of
// each way a value arrives (host vars, an inventory edit, -e, a JSON -e,
// files) proves that entry point's wiring without running it 50 times.
// Module cases run the module from a playbook. Around each
// case every file under the case's directory (its inventory, fabrun_home of
// every host, and the controller's crypto material and genesis block) is
// checksummed: nothing may be created, changed or removed. The Ansible
// runs and `fabrun deploy` are limited to a tag no task has: only the
// preflight plays (tagged always) run, so a case preflight wrongly passed
// fails without deploying anything.
//
// Module tier: real Ansible and modules, no service is started (file cases
// use crypto material and a genesis block made once by playbooks/artifacts.yml).

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

type badInputCase struct {
	name string
	// kind: inventory, extra vars, files or module.
	kind string
	// hostVars are YAML lines added to host_vars/<host>.yml.
	hostVars map[string]string
	// edit changes the inventory copy's hosts.yml (old -> new).
	edit [2]string
	// extra are -e values given to both entry points.
	extra []string
	// ansible: the case also runs through ansible-playbook on its own;
	// playbook is that entry point (site.yml when empty).
	ansible  bool
	playbook string
	// damage changes the copied controller directory (file cases).
	damage func(t *testing.T, controller string)
	// module and args: a module called with bad arguments (module cases).
	module, args string
	// deploy: `fabrun deploy` must stop too, before any playbook.
	deploy bool
	// want is in the error: it names the variable or file and the host.
	want string
}

func badInputCases() []badInputCase {
	long := strings.Repeat("c", 250)
	ordererKey := "ordererOrganizations/example.com/orderers/orderer0.example.com/msp/keystore/priv_sk"
	peerTLSKey := "peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/server.key"
	adminKey := "peerOrganizations/org2.example.com/users/Admin@org2.example.com/msp/keystore/priv_sk"
	genesis := "channel-artifacts/genesis.block"
	return []badInputCase{
		// Inventory.
		{name: "duplicate broker id", kind: "inventory", hostVars: map[string]string{"server214": "kafka_broker_id: 1"},
			want: "server215: kafka_broker_id 1 is also the id of server214", deploy: true, ansible: true},
		{name: "duplicate zookeeper id", kind: "inventory", hostVars: map[string]string{"server216": "zookeeper_id: 1"},
			want: "server216: zookeeper_id 1 is also the id of server215"},
		{name: "zookeeper id out of range", kind: "inventory", hostVars: map[string]string{"server215": "zookeeper_id: 0"},
			want: "server215: zookeeper_id 0 is outside 1..255"},
		{name: "zookeeper id not a number", kind: "inventory", hostVars: map[string]string{"server215": "zookeeper_id: one"},
			want: `server215: zookeeper_id "one" is not a whole number`},
		{name: "broker id unset", kind: "inventory", hostVars: map[string]string{"server214": "kafka_broker_id: null"},
			want: "server214: kafka_broker_id is not set"},
		{name: "host in no group", kind: "inventory", edit: [2]string{"  hosts:\n", "  hosts:\n    stray:\n      ansible_host: 127.0.194.219\n"},
			want: "stray: the host is in no group", ansible: true},
		{name: "org without peers", kind: "inventory", edit: [2]string{"        org1:\n", "        org3: {}\n        org1:\n"},
			want: `group "org3" has no hosts`},
		{name: "two services on one address and port", kind: "inventory", hostVars: map[string]string{"server215": "kafka_port: 2181"},
			want: "server215: zookeeper client and server215 kafka both bind 127.0.194.215:2181"},
		{name: "two hosts on one address", kind: "inventory", hostVars: map[string]string{"server212": "ansible_host: 127.0.194.211"},
			want: "server212: peer and server211 peer both bind 127.0.194.211:7051"},
		{name: "address neither ip nor name", kind: "inventory", hostVars: map[string]string{"server213": "ansible_host: peer_0!"},
			want: `server213: ansible_host "peer_0!" is neither an IP address nor a host name`},
		{name: "mistyped ip address", kind: "inventory", hostVars: map[string]string{"server213": "ansible_host: 127.0.194.300"},
			want: `server213: ansible_host "127.0.194.300" is neither an IP address nor a host name`},
		{name: "port out of range", kind: "inventory", hostVars: map[string]string{"server211": "fabric_peer_port: 70000"},
			want: "server211: peer port 70000 is outside 1..65535"},
		{name: "port not a number", kind: "inventory", hostVars: map[string]string{"server211": "fabric_peer_operations_port: http"},
			want: `server211: peer_operations port "http" is not a whole number`},
		{name: "duplicate orderer name", kind: "inventory", hostVars: map[string]string{"server216": "orderer_name: orderer0"},
			want: "server216: orderer_name orderer0 is also the name of server215"},
		{name: "orderer name not a dns label", kind: "inventory", hostVars: map[string]string{"server216": "orderer_name: orderer_1"},
			want: `server216: orderer_name "orderer_1" is not a DNS label`},
		{name: "peer name twice in an org", kind: "inventory", hostVars: map[string]string{"server212": "peer_name: peer0"},
			want: "server212: peer_name peer0 is also the name of server211 in org group org1"},
		{name: "peer reconnect backoff not a duration", kind: "inventory",
			hostVars: map[string]string{"server212": "peer_deliveryclient_reconnect_backoff_threshold: soon"},
			want:     `server212: peer_deliveryclient_reconnect_backoff_threshold "soon" is not a duration such as 2s or 500ms`},
		{name: "org settings differ within an org", kind: "inventory", hostVars: map[string]string{"server212": "org_msp_id: Org9MSP"},
			want: `server212: org_msp_id "Org9MSP" differs from "Org1MSP" on the other peers of org group org1`},
		{name: "kafka property the template renders", kind: "inventory",
			hostVars: map[string]string{"server214": "kafka_extra_properties: {min.insync.replicas: 1}"},
			want:     `server214: kafka_extra_properties["min.insync.replicas"] repeats a key server.properties already renders`},
		{name: "kafka properties never rendered", kind: "inventory",
			hostVars: map[string]string{"server214": "kafka_properties: {min.insync.replicas: 2}"},
			want:     "server214: kafka_properties is not a variable of the kafka role", ansible: true},
		{name: "misspelt kafka variable", kind: "inventory", hostVars: map[string]string{"server216": "kafka_min_insync_replica: 2"},
			want: "server216: kafka_min_insync_replica is not a variable of the kafka role"},

		// Extra vars.
		{name: "channel name upper case", kind: "extra vars", extra: []string{"fabric_channel=MyChannel"},
			want: `localhost: fabric_channel "MyChannel" is not a valid channel name`, deploy: true, ansible: true},
		{name: "channel name empty", kind: "extra vars", extra: []string{"fabric_channel="},
			want: "localhost: fabric_channel missing"},
		{name: "channel name starts with a digit", kind: "extra vars", extra: []string{"fabric_channel=1channel"},
			want: `localhost: fabric_channel "1channel" is not a valid channel name`},
		{name: "channel name with underscore", kind: "extra vars", extra: []string{"fabric_channel=my_channel"},
			want: `localhost: fabric_channel "my_channel" is not a valid channel name`},
		{name: "channel name too long", kind: "extra vars", extra: []string{"fabric_channel=" + long},
			want: "localhost: fabric_channel \"" + long + "\" is longer than 249 characters"},
		{name: "system channel name invalid", kind: "extra vars", extra: []string{"artifacts_system_channel=System"},
			want: `localhost: artifacts_system_channel "System" is not a valid channel name`},
		{name: "channel is the system channel", kind: "extra vars", extra: []string{"fabric_channel=system-channel"},
			want: `localhost: fabric_channel "system-channel" is also the system channel's name`},
		{name: "chaincode name with space", kind: "extra vars", extra: []string{`{"chaincode_name": "my cc"}`},
			want: `localhost: chaincode_name "my cc" does not match Fabric's chaincode name rule`, ansible: true},
		{name: "chaincode name empty", kind: "extra vars", extra: []string{"chaincode_name="},
			want: "localhost: chaincode_name is empty"},
		{name: "chaincode version with slash", kind: "extra vars", extra: []string{"chaincode_version=1/2"},
			want: `localhost: chaincode_version "1/2" does not match Fabric's chaincode version rule`},
		{name: "endorsement policy unclosed", kind: "extra vars", extra: []string{`{"chaincode_policy": "OR('Org1MSP.peer'"}`},
			want: `localhost: chaincode_policy "OR('Org1MSP.peer'": OR( is not closed`},
		{name: "endorsement policy unknown org", kind: "extra vars", extra: []string{`{"chaincode_policy": "AND('Org1MSP.peer','Org3MSP.peer')"}`},
			want: "localhost: chaincode_policy names Org3MSP, which no org of the inventory has"},
		{name: "endorsement policy unsatisfiable", kind: "extra vars", extra: []string{`{"chaincode_policy": "OutOf(3, 'Org1MSP.peer', 'Org2MSP.peer')"}`},
			want: "OutOf(3, ...) with 2 rules can never be satisfied"},
		{name: "endorsement policy bad role", kind: "extra vars", extra: []string{`{"chaincode_policy": "OR('Org1MSP.owner')"}`},
			want: `principal "Org1MSP.owner" is not 'MSPID.role'`},
		{name: "batch timeout zero", kind: "extra vars", extra: []string{"artifacts_batch_timeout=0s"},
			want: "localhost: artifacts_batch_timeout 0s is not positive"},
		{name: "batch timeout unreadable", kind: "extra vars", extra: []string{"artifacts_batch_timeout=fast"},
			want: `localhost: artifacts_batch_timeout "fast" is not a duration`},
		{name: "batch size zero messages", kind: "extra vars", extra: []string{"artifacts_max_message_count=0"},
			want: "localhost: artifacts_max_message_count 0 is below 1"},
		{name: "batch preferred over absolute", kind: "extra vars", extra: []string{`{"artifacts_preferred_max_bytes": "99 MB"}`},
			want: "localhost: artifacts_preferred_max_bytes 103809024 (99 MiB) is more than artifacts_absolute_max_bytes 102760448 (98 MiB)"},
		{name: "batch absolute overflows", kind: "extra vars", extra: []string{`{"artifacts_absolute_max_bytes": "5 GB"}`},
			want: `localhost: artifacts_absolute_max_bytes size "5 GB" overflows the 32 bits Fabric keeps it in`},
		{name: "min insync equal to replication factor", kind: "extra vars", extra: []string{"kafka_min_insync_replicas=3"},
			want: "server214: kafka_min_insync_replicas 3 is not below kafka_default_replication_factor 3", ansible: true},
		{name: "replication factor over brokers", kind: "extra vars", extra: []string{"kafka_default_replication_factor=4"},
			want: "server214: kafka_default_replication_factor 4 is more than the 3 brokers of group kafka"},
		{name: "kafka message size below the block size", kind: "extra vars", extra: []string{"kafka_message_max_bytes=1048588"},
			want: "server214: kafka_message_max_bytes 1048588 is below the channel's artifacts_absolute_max_bytes 102760448 (98 MiB)"},
		{name: "kafka fetch size below message size", kind: "extra vars", extra: []string{"kafka_replica_fetch_max_bytes=103809000"},
			want: "server214: kafka_replica_fetch_max_bytes 103809000 is below kafka_message_max_bytes 103809024"},
		{name: "orderer replication factor over brokers", kind: "extra vars", extra: []string{"orderer_kafka_replication_factor=5"},
			want: "server215: orderer_kafka_replication_factor 5 is outside 1..3"},
		{name: "unclean election not a boolean", kind: "extra vars", extra: []string{"kafka_unclean_leader_election_enable=maybe"},
			want: "server214: kafka_unclean_leader_election_enable maybe is not a boolean"},

		// Files on the controller (the artifacts of a deployed network).
		{name: "corrupt genesis block", kind: "files", damage: func(t *testing.T, c string) {
			writeFile(t, filepath.Join(c, genesis), "not a block", 0o644)
		}, want: "localhost: the genesis block %C/" + genesis + " (artifacts_channel_dir) is corrupt", ansible: true},
		{name: "genesis block of the wrong kind", kind: "files", damage: func(t *testing.T, c string) {
			tx, err := os.ReadFile(filepath.Join(c, "channel-artifacts", "mychannel.tx"))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(c, genesis), string(tx), 0o644)
		}, want: "localhost: the genesis block %C/" + genesis + " (artifacts_channel_dir) is corrupt: not a"},
		{name: "missing genesis block for the orderer phase", kind: "files", ansible: true, playbook: "orderer.yml",
			extra: []string{"preflight_artifacts_required=true"}, damage: func(t *testing.T, c string) {
				os.Remove(filepath.Join(c, genesis))
			}, want: "localhost: the genesis block %C/" + genesis + " (artifacts_channel_dir) is missing, and this playbook does not make it"},
		{name: "orderer key missing", kind: "files", damage: func(t *testing.T, c string) {
			os.Remove(filepath.Join(c, "crypto", ordererKey))
		}, want: "server215: the orderer orderer0.example.com signing key %C/crypto/" + ordererKey + " (artifacts_crypto_dir) is missing"},
		{name: "peer TLS key readable by others", kind: "files", damage: func(t *testing.T, c string) {
			os.Chmod(filepath.Join(c, "crypto", peerTLSKey), 0o644)
		}, want: "server211: the peer peer0.org1.example.com TLS key %C/crypto/" + peerTLSKey + " (artifacts_crypto_dir) has mode 0644", ansible: true},
		{name: "admin key readable by the group", kind: "files", damage: func(t *testing.T, c string) {
			os.Chmod(filepath.Join(c, "crypto", adminKey), 0o640)
		}, want: "localhost: the org Org2MSP admin signing key %C/crypto/" + adminKey + " (artifacts_crypto_dir) has mode 0640"},

		// Module arguments: each module fails naming the option.
		{name: "fabric_crypto without config", kind: "module", module: "fabric_crypto", args: `{"output_dir": "%D/out"}`,
			want: "one of the following is required: config, config_file"},
		{name: "fabric_crypto unknown config field", kind: "module", module: "fabric_crypto",
			args: `{"output_dir": "%D/out", "config": {"PeerOrgs": [{"Name": "a", "Domian": "x"}]}}`,
			want: `config: PeerOrgs[0]: unknown field "Domian"`},
		{name: "fabric_configtx bad kind", kind: "module", module: "fabric_configtx",
			args: `{"profile": "P", "kind": "genesis", "channel_id": "c", "output": "%D/g.block", "config": {}}`,
			want: "value of kind must be one of: genesis_block, channel_tx, anchor_tx, got: genesis"},
		{name: "fabric_configtx bad channel id", kind: "module", module: "fabric_configtx",
			args: `{"profile": "P", "kind": "genesis_block", "channel_id": "Bad", "output": "%D/g.block", "config": {"Profiles": {"P": {}}}}`,
			want: `channel_id: "Bad" is not a valid channel name`},
		{name: "fabric_channel bad state", kind: "module", module: "fabric_channel",
			args: `{"state": "exploded", "msp_id": "Org1MSP", "admin_cert": "%D/c", "admin_key": "%D/k"}`,
			want: "value of state must be one of: present, joined, fetched, anchors_updated, listed, got: exploded"},
		{name: "fabric_channel missing identity", kind: "module", module: "fabric_channel", args: `{"state": "listed"}`,
			want: "missing required arguments: admin_cert, admin_key, msp_id"},
		{name: "fabric_chaincode sequence not a number", kind: "module", module: "fabric_chaincode",
			args: `{"state": "installed", "sequence": "many", "msp_id": "Org1MSP", "admin_cert": "%D/c", "admin_key": "%D/k"}`,
			want: "argument 'sequence' is of type str and we were unable to convert to int"},
		{name: "fabric_chaincode without state", kind: "module", module: "fabric_chaincode",
			args: `{"msp_id": "Org1MSP", "admin_cert": "%D/c", "admin_key": "%D/k"}`,
			want: "missing required arguments: state"},
		{name: "fabric_preflight hosts not a list", kind: "module", module: "fabric_preflight",
			args: `{"hosts": "server211", "groups": {}, "network": {}}`,
			want: "argument 'hosts' is of type str and we were unable to convert to list"},
	}
}

func writeFile(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// treeSums is every file and directory under dir: content hash and mode.
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := info.Mode().String()
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			sum += " " + hex.EncodeToString(h[:])
		}
		sums[rel] = sum
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var diffs []string
	for p, s := range after {
		if before[p] != s {
			diffs = append(diffs, fmt.Sprintf("%s: %q -> %q", p, before[p], s))
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			diffs = append(diffs, p+": removed")
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s changed files:\n%s", what, strings.Join(diffs, "\n"))
	}
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// TestBadInput runs the table; see the top of this file.
func TestBadInput(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	cases := badInputCases()
	if len(cases) < 40 {
		t.Fatalf("%d cases, the table promises at least 40", len(cases))
	}
	viaAnsible := map[string]bool{}
	for _, tc := range cases {
		viaAnsible[tc.kind] = viaAnsible[tc.kind] || tc.ansible
	}
	for _, kind := range []string{"inventory", "extra vars", "files"} {
		if !viaAnsible[kind] {
			t.Errorf("no %s case runs through ansible-playbook on its own (ansible: true)", kind)
		}
	}
	FabrunBin(t)
	for _, m := range []string{"fabric_crypto", "fabric_configtx", "fabric_channel", "fabric_chaincode", "fabric_preflight"} {
		ModuleBin(t, m)
	}

	// The artifacts a deployed network has on the controller, made once.
	base := t.TempDir()
	baseInv := relocatedInventory(t, root, base, "127.0.194.")
	start := time.Now()
	if r := AnsiblePlaybook(t, "-i", baseInv, "playbooks/artifacts.yml"); r.Err != nil {
		t.Fatalf("artifacts.yml: %v\n%s", r.Err, tail(r.Stdout, 40))
	}
	t.Logf("artifacts made in %s", time.Since(start).Round(time.Second))

	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.kind == "module" {
				badModuleArgs(t, dir, tc)
				return
			}
			inv := relocatedInventory(t, root, dir, "127.0.194.")
			for h, vars := range tc.hostVars {
				p := filepath.Join(inv, "host_vars", h+".yml")
				os.MkdirAll(filepath.Dir(p), 0o755)
				writeFile(t, p, "---\n"+vars+"\n", 0o644)
			}
			if tc.edit[0] != "" {
				hosts := filepath.Join(inv, "hosts.yml")
				s := string(mustRead(t, hosts))
				if !strings.Contains(s, tc.edit[0]) {
					t.Fatalf("hosts.yml has no %q to edit", tc.edit[0])
				}
				writeFile(t, hosts, strings.Replace(s, tc.edit[0], tc.edit[1], 1), 0o644)
			}
			controller := filepath.Join(dir, "controller")
			want := tc.want
			if tc.kind == "files" {
				copyTree(t, filepath.Join(base, "controller"), controller)
				tc.damage(t, controller)
				want = strings.ReplaceAll(want, "%C", controller)
			}
			before := treeSums(t, dir)

			args := []string{"check", "-i", inv, "--json"}
			for _, e := range tc.extra {
				args = append(args, "-e", e)
			}
			r := fabrun(t, args...)
			if r.Code != 4 || !findingHas(r.Doc, "error", want) {
				t.Errorf("fabrun check: exit %d (want 4), no error finding %q:\n%s", r.Code, want, r)
			}
			// guardTags: the preflight plays are tagged always, every other task
			// is skipped, so a case that preflight wrongly lets through cannot
			// deploy a network (one did, before group_names' "ungrouped" was
			// understood).
			guardTags := "fabrun-bad-input-guard"
			if tc.deploy {
				r := fabrun(t, append([]string{"deploy", "--tags", guardTags}, args[1:]...)...)
				if r.Code != 4 || r.Doc["playbook"] != nil || !findingHas(r.Doc, "error", want) {
					t.Errorf("fabrun deploy: exit %d (want 4, no playbook):\n%s", r.Code, r)
				}
			}

			if !tc.ansible {
				sameTree(t, "the case", before, treeSums(t, dir))
				return
			}
			playbook := tc.playbook
			if playbook == "" {
				playbook = "site.yml"
			}
			pargs := []string{"-i", inv, "--tags", guardTags, filepath.Join("playbooks", playbook)}
			for _, e := range tc.extra {
				pargs = append(pargs, "-e", e)
			}
			pr := AnsiblePlaybook(t, pargs...)
			out := flat(pr.Stdout + pr.Stderr)
			if exitCode(pr.Err) != 2 || !strings.Contains(out, flat(want)) || !strings.Contains(out, "nothing was started") {
				t.Errorf("ansible-playbook %s: exit %d (want 2), output lacks %q:\n%s", playbook, exitCode(pr.Err), want, tail(pr.Stdout, 40))
			}
			if strings.Contains(pr.Stdout, "PLAY [Crypto material") || strings.Contains(pr.Stdout, "PLAY [ZooKeeper") {
				t.Errorf("ansible-playbook %s went past preflight", playbook)
			}
			sameTree(t, "the case", before, treeSums(t, dir))
		})
	}
}

// findingHas is true when the --json document has a finding of level
// whose message contains text.
func findingHas(doc map[string]any, level, text string) bool {
	fs, _ := get(doc, "preflight", "findings").([]any)
	for _, f := range fs {
		m, _ := f.(map[string]any)
		if m["level"] == level && strings.Contains(flat(fmt.Sprint(m["message"])), flat(text)) {
			return true
		}
	}
	return false
}

// badModuleArgs calls a module with bad arguments from a playbook on the
// controller: the task fails naming the option and nothing is written.
func badModuleArgs(t *testing.T, dir string, tc badInputCase) {
	work := filepath.Join(dir, "work")
	os.MkdirAll(work, 0o755)
	play := filepath.Join(dir, "play.yml")
	writeFile(t, play, fmt.Sprintf(`---
- name: Bad module arguments
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Call %[1]s
      fabrun.fabric.%[1]s: %[2]s
`, tc.module, strings.ReplaceAll(tc.args, "%D", work)), 0o644)
	before := treeSums(t, work)
	r := AnsiblePlaybook(t, "-i", "localhost,", play)
	out := flat(r.Stdout + r.Stderr)
	if exitCode(r.Err) != 2 || !strings.Contains(out, flat(tc.want)) || !strings.Contains(out, "fatal: [localhost]: FAILED!") {
		t.Errorf("%s: exit %d (want 2), output lacks %q:\n%s", tc.module, exitCode(r.Err), tc.want, tail(r.Stdout, 30))
	}
	sameTree(t, tc.module, before, treeSums(t, work))
}

// TestPreflightOncePerRun: a run that imports preflight.yml several times
// (as site.yml does through its phases) evaluates the rules once; with
// preflight_done given (fabrun deploy, after its own preflight run)
// not at all.
func TestPreflightOncePerRun(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	ModuleBin(t, "fabric_preflight")
	play := filepath.Join(t.TempDir(), "twice.yml")
	pf := filepath.Join(root, "playbooks", "preflight.yml")
	writeFile(t, play, "---\n- name: First\n  ansible.builtin.import_playbook: "+pf+
		"\n- name: Second\n  ansible.builtin.import_playbook: "+pf+"\n", 0o644)
	for _, tc := range []struct {
		extra []string
		runs  int
	}{{nil, 1}, {[]string{"-e", "preflight_done=true"}, 0}} {
		r := AnsiblePlaybook(t, append([]string{"-i", "inventory/local", "--check", play}, tc.extra...)...)
		if r.Err != nil {
			t.Fatalf("%v: %v\n%s", tc.extra, r.Err, tail(r.Stdout, 30))
		}
		// A skipped evaluation never includes the role's tasks. (Counting
		// warnings would not do: Ansible prints a repeated warning once.)
		if n := strings.Count(r.Stdout, "TASK [preflight : Evaluate the preflight rules]"); n != tc.runs {
			t.Errorf("%v: the rules ran %d times, want %d:\n%s", tc.extra, n, tc.runs, tail(r.Stdout, 60))
		}
	}
}
