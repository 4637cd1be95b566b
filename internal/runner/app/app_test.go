package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/preflight"
	"github.com/fabrun/fabrun/internal/report"
)

func parse(t *testing.T, args ...string) (*Options, int, string) {
	t.Helper()
	var got *Options
	run := func(_ context.Context, o *Options, _ IO) int {
		cp := *o
		got = &cp
		return 0
	}
	var out, errb bytes.Buffer
	code := Parse(context.Background(), append([]string{"fabrun"}, args...), run, IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	return got, code, out.String() + errb.String()
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want *Options
	}{
		{"deploy defaults", []string{"deploy"}, &Options{Command: "deploy"}},
		{"deploy everything", []string{"deploy", "-i", "inventory/production", "-e", "a=1", "-e", "b=2 c=3", "--limit", "kafka",
			"--tags", "config", "--check", "-vvv", "--forks", "3", "--json", "--no-verify", "--org", "org2", "--peer", "peer1.org2.example.com"},
			&Options{Command: "deploy", Inventory: "inventory/production", ExtraVars: []string{"a=1", "b=2 c=3"}, Limit: "kafka",
				Tags: "config", Check: true, Verbose: 3, Forks: 3, JSON: true, NoVerify: true, Org: "org2", Peer: "peer1.org2.example.com"}},
		{"short flags", []string{"deploy", "-l", "server214", "-t", "kafka", "-C", "-f", "2", "-v", "-v"},
			&Options{Command: "deploy", Limit: "server214", Tags: "kafka", Check: true, Forks: 2, Verbose: 2}},
		{"long inventory and extra vars", []string{"deploy", "--inventory=inv", "--extra-vars", "@vars.yml"},
			&Options{Command: "deploy", Inventory: "inv", ExtraVars: []string{"@vars.yml"}}},
		{"verify", []string{"verify", "--json", "-i", "x"}, &Options{Command: "verify", JSON: true, Inventory: "x"}},
		{"status", []string{"status", "--home", "/r"}, &Options{Command: "status", Home: "/r"}},
		{"log dir", []string{"deploy", "--log-dir", "/tmp/logs"}, &Options{Command: "deploy", LogDir: "/tmp/logs"}},
		{"teardown", []string{"teardown", "--yes", "--delete-data"}, &Options{Command: "teardown", Yes: true, DeleteData: true}},
		{"teardown -y", []string{"teardown", "-y"}, &Options{Command: "teardown", Yes: true}},
		{"plan", []string{"plan", "--limit", "peer"}, &Options{Command: "plan", Limit: "peer"}},
		{"migrate", []string{"migrate", "--json"}, &Options{Command: "migrate", JSON: true}},
		{"migrate --abort", []string{"migrate", "--abort", "-y"}, &Options{Command: "migrate", Abort: true, Yes: true}},
		{"backup", []string{"backup"}, &Options{Command: "backup", BackupName: "ordering"}},
		{"restore a named backup", []string{"restore", "--name", "raft-migration", "--yes"}, &Options{Command: "restore", BackupName: "raft-migration", Yes: true}},
		{"check", []string{"check", "-e", "kafka_min_insync_replicas=3"}, &Options{Command: "check", ExtraVars: []string{"kafka_min_insync_replicas=3"}}},
		{"extra vars with a comma", []string{"check", "-e", `{"chaincode_policy": "OR('A.peer','B.peer')"}`},
			&Options{Command: "check", ExtraVars: []string{`{"chaincode_policy": "OR('A.peer','B.peer')"}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code, out := parse(t, tt.args...)
			if code != 0 || got == nil {
				t.Fatalf("exit %d, output %s", code, out)
			}
			if got.ExtraVars == nil {
				got.ExtraVars = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseEnvInventory(t *testing.T) {
	t.Setenv("FABRUN_INVENTORY", "/from/env")
	got, code, _ := parse(t, "check")
	if code != 0 || got.Inventory != "/from/env" {
		t.Errorf("FABRUN_INVENTORY: %+v, %d", got, code)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"check", "extra"}, `takes no arguments`},
		{[]string{"check", "--bogus"}, `flag provided but not defined`},
		{[]string{"check", "--check"}, `flag provided but not defined`}, // check mode is deploy's
		{[]string{"status", "--limit", "x"}, `flag provided but not defined`},
		{[]string{"deploy", "--forks", "x"}, `invalid value`},
		{[]string{"deploy", "--forks", "-1"}, `--forks must be positive`},
		{[]string{"verify", "--yes"}, `flag provided but not defined`},
	}
	for _, tt := range tests {
		got, code, out := parse(t, tt.args...)
		if code != report.ExitUsage || got != nil || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, options %+v, output %q; want exit 1 and %q", tt.args, code, got, out, tt.want)
		}
	}
}

func TestParseHelpAndExitCode(t *testing.T) {
	_, code, out := parse(t)
	if code != 0 || !strings.Contains(out, "deploy") || !strings.Contains(out, "Exit codes") {
		t.Errorf("no command: exit %d, %q", code, out)
	}
	var errb bytes.Buffer
	code = Parse(context.Background(), []string{"fabrun", "verify"}, func(context.Context, *Options, IO) int { return report.ExitVerify },
		IO{Out: &errb, Err: &errb})
	if code != report.ExitVerify {
		t.Errorf("runner exit code not passed through: %d", code)
	}
}

// fakeHome is a checkout with the files preflight looks for and a fake
// ansible-playbook that prints the events of a preflight play whose
// fabric_preflight task returned outcomes()' good one (the bad one when an
// extra var ends in =bad): the runner's side of the preflight, without Ansible.
func fakeHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	good, bad := outcomes()
	write := func(p, content string, mode os.FileMode) {
		p = filepath.Join(home, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	for name, o := range map[string]preflight.Outcome{"good.json": good, "bad.json": bad} {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		write(name, string(b), 0o644)
	}
	write("ansible.cfg", "[defaults]\n", 0o644)
	write("playbooks/site.yml", "---\n", 0o644)
	write("playbooks/preflight.yml", "---\n", 0o644)
	write("inventory/local/hosts.yml", "all: {}\n", 0o644)
	write("build/venv/bin/ansible-playbook", `#!/bin/sh
case "$*" in *teardown.yml*) echo 'ansible-playbook must not run in this test' >&2; exit 99;; esac
out=good.json result=ok rc=0
case "$*" in *=bad*) out=bad.json result=failed rc=2;; esac
ev() { printf '\036FABRUN-EVENT %s\n' "$1"; }
ev '{"_event":"v2_playbook_on_play_start","play":{"name":"Preflight","id":"p"}}'
ev '{"_event":"v2_playbook_on_task_start","task":{"name":"Evaluate the preflight rules","id":"t"}}'
ev "{\"_event\":\"v2_runner_on_$result\",\"task\":{\"name\":\"Evaluate the preflight rules\",\"id\":\"t\"},\"hosts\":{\"localhost\":{\"action\":\"fabrun.fabric.fabric_preflight\",\"fabrun_preflight\":$(cat `+home+`/$out)}}}"
ev '{"_event":"v2_playbook_on_stats","stats":{}}'
exit $rc
`, 0o755)
	write("build/fabric/bin/peer", "x", 0o755)
	write("build/fabric/bin/orderer", "x", 0o755)
	write("build/artifacts/kafka-3.9.1.tar.gz", "x", 0o644)
	write("build/artifacts/zookeeper-3.8.4.tar.gz", "x", 0o644)
	return home
}

// outcomes are a passing preflight with two warnings and a failing one.
func outcomes() (good, bad preflight.Outcome) {
	warn := []preflight.Finding{
		{Level: preflight.Warning, Rule: "kafka-brokers", Message: "3 Kafka brokers with default.replication.factor 3"},
		{Level: preflight.Warning, Rule: "zookeeper-ensemble", Message: "a ZooKeeper ensemble of 2", Hosts: []string{"a", "b"}},
	}
	good = preflight.Outcome{Report: preflight.Report{Findings: warn}, Topology: &inventory.Topology{Channel: "mychannel"}}
	bad = preflight.Outcome{Report: preflight.Report{Findings: append([]preflight.Finding{{Level: preflight.Error, Rule: "kafka-min-insync",
		Message: "server215: kafka_min_insync_replicas 3 is not below kafka_default_replication_factor 3", Hosts: []string{"server215"}}}, warn...)}}
	return good, bad
}

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Parse(context.Background(), append([]string{"fabrun"}, args...), Run,
		IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestCheckCommand(t *testing.T) {
	home := fakeHome(t)
	code, out, errs := runCmd(t, "", "check", "--home", home)
	if code != report.ExitOK || !strings.Contains(out, "ok      preflight") || !strings.Contains(out, "2 warnings") ||
		!strings.Contains(out, "preflight passed") {
		t.Errorf("check: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCmd(t, "", "check", "--home", home, "-e", "kafka_min_insync_replicas=bad")
	if code != report.ExitPreflight || !strings.Contains(out, "FAILED  preflight") ||
		!strings.Contains(out, "error: server215: kafka_min_insync_replicas 3") || strings.Contains(out, "[server215]") {
		t.Errorf("check with M = R: exit %d\n%s", code, out)
	}
	// --log-dir: the playbook log goes there, not into the checkout's build/log.
	logs := t.TempDir()
	if err := os.RemoveAll(filepath.Join(home, "build", "log")); err != nil {
		t.Fatal(err)
	}
	if code, out, errs = runCmd(t, "", "check", "--home", home, "--log-dir", logs); code != report.ExitOK {
		t.Errorf("check --log-dir: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(logs, "fabrun-preflight.log")); err != nil {
		t.Errorf("check --log-dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "build", "log")); !os.IsNotExist(err) {
		t.Errorf("check --log-dir wrote into the checkout's build/log (%v)", err)
	}
	// --json: one document on stdout, progress on stderr.
	code, out, errs = runCmd(t, "", "check", "--home", home, "--json", "-e", "x=bad")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if code != report.ExitPreflight || doc["exit_code"] != float64(4) || doc["ok"] != false || !strings.Contains(errs, "FAILED  preflight") {
		t.Errorf("check --json: exit %d, doc %v, stderr %s", code, doc, errs)
	}
	pf := doc["preflight"].(map[string]any)["findings"].([]any)
	if first := pf[0].(map[string]any); first["level"] != "error" || first["rule"] != "kafka-min-insync" {
		t.Errorf("first finding = %v", first)
	}
}

func TestTeardownAsksBeforeDeleting(t *testing.T) {
	home := fakeHome(t)
	code, out, errs := runCmd(t, "n\n", "teardown", "--home", home, "--delete-data")
	if code != report.ExitCancelled || !strings.Contains(errs, "DELETE its data") || !strings.Contains(out, "teardown cancelled: not confirmed") {
		t.Errorf("answered no: exit %d\n%s\n%s", code, out, errs)
	}
	// With no terminal the answer is no.
	var outb, errb bytes.Buffer
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code = Parse(context.Background(), []string{"fabrun", "teardown", "--home", home, "--delete-data", "--json"}, Run, IO{In: f, Out: &outb, Err: &errb})
	var doc map[string]any
	if err := json.Unmarshal(outb.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v: %s", err, outb.String())
	}
	if code != report.ExitCancelled || !strings.Contains(doc["error"].(string), "pass --yes") {
		t.Errorf("no terminal: exit %d, doc %v", code, doc)
	}
	// Answered yes, it runs teardown.yml (here a stub that fails: exit 2).
	os.WriteFile(filepath.Join(home, "playbooks", "teardown.yml"), []byte("---\n"), 0o644)
	code, out, _ = runCmd(t, "yes\n", "teardown", "--home", home, "--delete-data")
	if code != report.ExitDeploy || !strings.Contains(out, "ansible-playbook must not run in this test") {
		t.Errorf("answered yes: exit %d\n%s", code, out)
	}
}

func TestSetupErrors(t *testing.T) {
	code, out, _ := runCmd(t, "", "check", "--home", t.TempDir())
	if code != report.ExitUsage || !strings.Contains(out, "not a fabrun checkout") {
		t.Errorf("bad home: exit %d, %s", code, out)
	}
	home := fakeHome(t)
	code, out, _ = runCmd(t, "", "check", "--home", home, "-i", filepath.Join(home, "nosuch"))
	if code != report.ExitUsage || !strings.Contains(out, "nosuch") {
		t.Errorf("bad inventory: exit %d, %s", code, out)
	}
}

func TestFindHome(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "playbooks"), 0o755)
	os.WriteFile(filepath.Join(root, "ansible.cfg"), nil, 0o644)
	os.MkdirAll(filepath.Join(root, "build", "bin"), 0o755)
	os.MkdirAll(filepath.Join(root, "roles", "kafka"), 0o755)
	other := t.TempDir()
	tests := []struct {
		name                string
		flag, env, exe, cwd string
		want                string
		wantErr             bool
	}{
		{"flag", root, "", "", other, root, false},
		{"flag wins over env", root, other, "", "", root, false},
		{"bad flag", other, root, "", root, "", true},
		{"env", "", root, "", other, root, false},
		{"binary in build/bin", "", "", filepath.Join(root, "build", "bin", "fabrun"), other, root, false},
		{"binary elsewhere, cwd inside", "", "", "/usr/local/bin/fabrun", filepath.Join(root, "roles", "kafka"), root, false},
		{"nothing", "", "", "/usr/local/bin/fabrun", other, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindHome(tt.flag, tt.env, tt.exe, tt.cwd)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("FindHome = %q, %v; want %q (err %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestChildEnv(t *testing.T) {
	env := ChildEnv("/r", false)
	if env["ANSIBLE_CONFIG"] != "/r/ansible.cfg" || !strings.HasPrefix(env["PATH"], "/r/build/venv/bin:/r/build/fabric/bin:") {
		t.Errorf("ChildEnv = %v", env)
	}
}

func TestFindCollection(t *testing.T) {
	user := t.TempDir()
	installed := filepath.Join(t.TempDir(), "cols")
	coll := filepath.Join(installed, "ansible_collections", "fabrun", "fabric")
	for _, d := range []string{"playbooks", "roles", "plugins/modules"} {
		os.MkdirAll(filepath.Join(coll, d), 0o755)
	}
	userColl := filepath.Join(user, ".ansible", "collections", "ansible_collections", "fabrun", "fabric")
	empty := t.TempDir()
	tests := []struct {
		name, paths, user, want string
	}{
		{"collections path", installed, user, coll},
		{"path naming ansible_collections", filepath.Join(installed, "ansible_collections"), user, coll},
		{"first of several", empty + ":" + installed, user, coll},
		{"user default", empty, user, userColl},
		{"nowhere", empty, t.TempDir(), ""},
	}
	for _, d := range []string{"playbooks", "roles", "plugins/modules"} {
		os.MkdirAll(filepath.Join(userColl, d), 0o755)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindCollection(tt.paths, tt.user)
			if got != tt.want || (err != nil) != (tt.want == "") {
				t.Errorf("FindCollection(%q) = %q, %v; want %q", tt.paths, got, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "ansible-galaxy collection install") {
				t.Errorf("the error does not say how to install: %v", err)
			}
		})
	}
	if env := ChildEnv(coll, true); len(env) != 0 {
		t.Errorf("ChildEnv for an installed collection = %v, want the user's own environment", env)
	}
}

// Restoring a backup replaces the ordering service's data: it asks first,
// and an archive name must be a plain file name. Nothing runs either way
// (fakeHome's ansible-playbook exits 99 when reached).
func TestRestoreAndAbortAskFirst(t *testing.T) {
	home := fakeHome(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"restore answered no", []string{"restore", "--home", home}, report.ExitCancelled, "restore cancelled: not confirmed"},
		{"abort answered no", []string{"migrate", "--abort", "--home", home}, report.ExitCancelled, "abort cancelled: not confirmed"},
		{"restore of a path", []string{"restore", "--home", home, "--name", "../etc", "--yes"}, report.ExitUsage, `--name "../etc"`},
		{"backup of a path", []string{"backup", "--home", home, "--name", "a/b"}, report.ExitUsage, `--name "a/b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(t, "n\n", tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s\n%s", code, tc.code, tc.want, out, errs)
			}
		})
	}
}
