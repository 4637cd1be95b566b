package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// awxJob is one job run the way AWX runs it: a private data directory
// (project/, inventory/hosts, env/extravars, env/envvars, env/ssh_key)
// streamed through `ansible-runner transmit | worker | process`, as AWX's
// control node, an execution node and the control node again do.
type awxJob struct {
	Status string           // artifacts/<ident>/status: successful, failed
	Events []map[string]any // artifacts/<ident>/job_events/*.json, in order
}

// awxSurveyDefaults is what a launch with every survey default sends: the
// answers (a question that is not required and left empty is not passed) and
// the job template's own extra vars (awx/surveys.yml), answers winning.
func awxSurveyDefaults(t testing.TB, job string) map[string]any {
	t.Helper()
	surveys, extra := renderedSurveys(t)
	vars := map[string]any{}
	if job == "deploy" {
		for k, v := range extra {
			vars[k] = v
		}
	}
	for _, q := range surveys[job].Spec {
		if d := fmt.Sprint(q.Default); q.Default != nil && (d != "" || *q.Required) {
			vars[q.Variable] = q.Default
		}
	}
	return vars
}

// awxProject copies the checkout's tracked files, as AWX's project update
// checks out the repository (the collection's modules come from the
// execution environment, here collectionsPath).
func awxProject(t testing.TB, dst string) {
	t.Helper()
	root := RepoRoot(t)
	r := MustRun(t, root, nil, "git", "ls-files", "-z")
	for _, rel := range strings.Split(strings.TrimRight(r.Stdout, "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() { // deleted in the work tree, or a link
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, rel), b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// awxInventory writes inventory/hosts as AWX does: an executable that
// prints the inventory's JSON (here `ansible-inventory --list --export` of
// the lab's), without the lab's private key file: the machine credential
// (env/ssh_key, loaded into ssh-agent by the runner) logs in instead.
func awxInventory(t testing.TB, env []string, labInventory, dst string) {
	t.Helper()
	r := MustRun(t, filepath.Dir(dst), env, VenvBin(t, "ansible-inventory"), "-i", labInventory, "--list", "--export")
	var inv map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &inv); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "ansible_ssh_private_key_file")
			for _, c := range x {
				strip(c)
			}
		case []any:
			for _, c := range x {
				strip(c)
			}
		}
	}
	strip(inv)
	b, _ := json.Marshal(inv)
	script := "#!/bin/sh\ncat <<'EOF'\n" + string(b) + "\nEOF\n"
	if err := os.WriteFile(dst, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// runAWXJob runs playbook from the project with extravars through
// transmit | worker | process and reads the job's status and events.
func runAWXJob(t testing.TB, env []string, labInventory, sshKey, collectionsPath, ident, playbook string, extravars map[string]any, envvars map[string]string) awxJob {
	t.Helper()
	pdd := t.TempDir()
	for _, d := range []string{"project", "inventory", "env"} {
		if err := os.MkdirAll(filepath.Join(pdd, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	awxProject(t, filepath.Join(pdd, "project"))
	awxInventory(t, env, labInventory, filepath.Join(pdd, "inventory", "hosts"))
	ev := map[string]string{"ANSIBLE_COLLECTIONS_PATH": collectionsPath, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
	for k, v := range envvars {
		ev[k] = v
	}
	files := map[string]any{"env/extravars": extravars, "env/envvars": ev}
	for name, v := range files {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(pdd, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if sshKey != "" { // the machine credential's key
		key, err := os.ReadFile(sshKey)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pdd, "env", "ssh_key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	runner := VenvBin(t, "ansible-runner")
	worker := t.TempDir()
	cmd := exec.Command("bash", "-o", "pipefail", "-c",
		`"$1" transmit "$2" -p "$3" --ident "$4" | "$1" worker --private-data-dir "$5" | "$1" process "$2" --ident "$4"`,
		"bash", runner, pdd, playbook, ident, worker)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	artifacts := filepath.Join(pdd, "artifacts", ident)
	status, serr := os.ReadFile(filepath.Join(artifacts, "status"))
	if serr != nil {
		t.Fatalf("transmit | worker | process (%v): no status: %v\n%s", err, serr, tail(string(out), 60))
	}
	job := awxJob{Status: strings.TrimSpace(string(status))}
	names, _ := filepath.Glob(filepath.Join(artifacts, "job_events", "*.json"))
	type numbered struct {
		n int
		e map[string]any
	}
	var events []numbered
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		c, _ := e["counter"].(float64)
		events = append(events, numbered{int(c), e})
	}
	sort.Slice(events, func(i, j int) bool { return events[i].n < events[j].n })
	for _, e := range events {
		job.Events = append(job.Events, e.e)
	}
	if len(job.Events) == 0 {
		t.Fatalf("job %s: status %s but no job events\n%s", ident, job.Status, tail(string(out), 60))
	}
	return job
}

// stats is the job's playbook_on_stats event data: counter name -> host -> count.
func (j awxJob) stats(t testing.TB) map[string]map[string]float64 {
	t.Helper()
	for _, e := range j.Events {
		if e["event"] == "playbook_on_stats" {
			data, _ := e["event_data"].(map[string]any)
			out := map[string]map[string]float64{}
			for _, k := range []string{"ok", "changed", "failures", "dark", "skipped"} {
				out[k] = map[string]float64{}
				m, _ := data[k].(map[string]any)
				for h, v := range m {
					out[k][h], _ = v.(float64)
				}
			}
			return out
		}
	}
	t.Fatal("no playbook_on_stats event")
	return nil
}

// stdout is every event's stdout, as AWX's job output shows it.
func (j awxJob) stdout() string {
	var b strings.Builder
	for _, e := range j.Events {
		if s, ok := e["stdout"].(string); ok && s != "" {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// changed lists the tasks whose result reported a change, as
// "play: task on host".
func (j awxJob) changed() []string {
	var out []string
	for _, e := range j.Events {
		if e["event"] != "runner_on_ok" {
			continue
		}
		data, _ := e["event_data"].(map[string]any)
		if res, _ := data["res"].(map[string]any); res["changed"] == true {
			out = append(out, fmt.Sprintf("%v: %v on %v", data["play"], data["task"], data["host"]))
		}
	}
	return out
}

// failedEvents are the runner_on_failed events' task names and messages.
func (j awxJob) failedEvents() string {
	var b strings.Builder
	for _, e := range j.Events {
		if e["event"] != "runner_on_failed" {
			continue
		}
		data, _ := e["event_data"].(map[string]any)
		res, _ := data["res"].(map[string]any)
		fmt.Fprintf(&b, "%v on %v: %v\n", data["task"], data["host"], res["msg"])
	}
	return b.String()
}

// TestAWXJobBadSurveyValue launches the deploy job template with the survey
// defaults but the channel name My_Channel, through transmit | worker |
// process on this machine's Molecule inventory: the job ends failed in
// preflight, before any host is touched, its events name the value, and no
// host changed.
func TestAWXJobBadSurveyValue(t *testing.T) {
	tier(t, "module")
	for _, m := range collectionModules(t) {
		ModuleBin(t, m)
	}
	root := RepoRoot(t)
	runnerEnv := []string{"PATH=" + filepath.Join(root, "build", "venv", "bin") + string(os.PathListSeparator) + os.Getenv("PATH")}
	scratch := t.TempDir()
	envvars := map[string]string{"FABRUN_MOLECULE_ROOT": scratch, "FABRUN_SOFTWARE_DIR": filepath.Join(root, "build")}
	vars := awxSurveyDefaults(t, "deploy")
	vars["fabric_channel"] = "My_Channel"
	job := runAWXJob(t, append(runnerEnv, "FABRUN_MOLECULE_ROOT="+scratch), filepath.Join(root, "extensions", "molecule", "inventory"), "",
		filepath.Join(root, "build", "collections"), "bad-channel", "playbooks/deploy.yml", vars, envvars)
	if failed := job.failedEvents(); job.Status != "failed" || !strings.Contains(failed, "My_Channel") || !strings.Contains(failed, "fabric_channel") {
		t.Errorf("status %s, failed events:\n%s\noutput:\n%s", job.Status, failed, tail(job.stdout(), 40))
	}
	for host, n := range job.stats(t)["changed"] {
		if n != 0 {
			t.Errorf("changed %v on %s", n, host)
		}
	}
	if entries, _ := os.ReadDir(scratch); len(entries) != 0 {
		t.Errorf("the failed job made %v under the hosts' root", entries)
	}
}
