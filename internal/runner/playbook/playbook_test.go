package playbook

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// recorded are fabrun_events lines as ansible-core 2.19 printed them for a
// small playbook (see tests/fabrun_test.go for the live run), interleaved
// with the default callback's human output.
var recorded = strings.Join([]string{
	"",
	"PLAY [Kafka brokers] ***********************************************************",
	Marker + `{"_event": "v2_playbook_on_start", "_timestamp": "2026-01-01T00:00:00.000000Z", "playbook": "/repo/playbooks/kafka.yml"}`,
	Marker + `{"_event": "v2_playbook_on_play_start", "_timestamp": "2026-01-01T00:00:00.100000Z", "play": {"name": "Kafka brokers", "id": "p1", "hosts": ["kafka"]}}`,
	"",
	"TASK [kafka : Render server.properties] ****************************************",
	Marker + `{"_event": "v2_playbook_on_task_start", "_timestamp": "2026-01-01T00:00:00.200000Z", "play": {"name": "Kafka brokers", "id": "p1"}, "task": {"name": "kafka : Render server.properties", "id": "t1", "path": "/repo/roles/kafka/tasks/main.yml:10", "action": "ansible.builtin.template"}}`,
	"changed: [server215]",
	Marker + `{"_event": "v2_runner_on_ok", "_timestamp": "2026-01-01T00:00:01.000000Z", "task": {"name": "kafka : Render server.properties", "id": "t1"}, "hosts": {"server215": {"action": "ansible.builtin.template", "changed": true}}}`,
	Marker + `{"_event": "v2_runner_on_ok", "_timestamp": "2026-01-01T00:00:01.100000Z", "task": {"name": "kafka : Render server.properties", "id": "t1"}, "hosts": {"server216": {"action": "ansible.builtin.template", "changed": false}}}`,
	Marker + `{"_event": "v2_runner_on_skipped", "_timestamp": "2026-01-01T00:00:01.100000Z", "task": {"name": "kafka : Render server.properties", "id": "t1"}, "hosts": {"server214": {"skipped": true}}}`,
	Marker + `{"_event": "v2_playbook_on_task_start", "_timestamp": "2026-01-01T00:00:01.200000Z", "task": {"name": "kafka : Optional probe", "id": "t2"}}`,
	Marker + `{"_event": "v2_runner_on_failed", "_timestamp": "2026-01-01T00:00:01.300000Z", "task": {"name": "kafka : Optional probe", "id": "t2"}, "hosts": {"server215": {"failed": true, "msg": "ignored", "ignore_errors": true}}}`,
	Marker + `{"_event": "v2_playbook_on_task_start", "_timestamp": "2026-01-01T00:00:01.400000Z", "task": {"name": "kafka : Wait for the broker", "id": "t3", "path": "/repo/roles/kafka/tasks/main.yml:40"}}`,
	Marker + `{"_event": "v2_runner_retry", "_timestamp": "2026-01-01T00:00:02.000000Z", "task": {"name": "kafka : Wait for the broker", "id": "t3"}, "hosts": {"server214": {"attempts": 1, "retries": 30, "msg": "not yet"}}}`,
	"FAILED - RETRYING: [server214]: kafka : Wait for the broker (30 retries left).",
	Marker + `{"_event": "v2_runner_on_failed", "_timestamp": "2026-01-01T00:00:05.000000Z", "task": {"name": "kafka : Wait for the broker", "id": "t3", "path": "/repo/roles/kafka/tasks/main.yml:40", "action": "ansible.builtin.wait_for"}, "hosts": {"server214": {"failed": true, "msg": "Timeout when waiting for 127.0.194.214:9092", "stderr": "invalid value for num.network.threads"}}}`,
	"fatal: [server214]: FAILED! => ...",
	Marker + `{"_event": "v2_runner_on_unreachable", "_timestamp": "2026-01-01T00:00:05.100000Z", "task": {"name": "kafka : Wait for the broker", "id": "t3"}, "hosts": {"server216": {"unreachable": true, "msg": "Failed to connect"}}}`,
	"",
	"PLAY RECAP *********************************************************************",
	"server214                  : ok=0    changed=0    unreachable=0    failed=1",
	Marker + `{"_event": "v2_playbook_on_stats", "_timestamp": "2026-01-01T00:00:05.200000Z", "stats": {"server214": {"ok": 0, "changed": 0, "failures": 1, "unreachable": 0, "skipped": 1, "rescued": 0, "ignored": 0}, "server215": {"ok": 1, "changed": 1, "failures": 0, "unreachable": 0, "skipped": 0, "rescued": 0, "ignored": 1}}}`,
	"",
}, "\n")

func feed(t *testing.T, s *Splitter, text string, chunk int) {
	t.Helper()
	for len(text) > 0 {
		n := chunk
		if n > len(text) {
			n = len(text)
		}
		if _, err := s.Write([]byte(text[:n])); err != nil {
			t.Fatal(err)
		}
		text = text[n:]
	}
	s.Flush()
}

func TestSplitter(t *testing.T) {
	for _, chunk := range []int{1, 7, 64, 1 << 20} {
		var events []string
		var human []string
		var bad []string
		s := &Splitter{
			OnEvent:    func(e *Event) { events = append(events, e.Event) },
			Human:      func(l string) { human = append(human, l) },
			OnBadEvent: func(l string, err error) { bad = append(bad, l) },
		}
		feed(t, s, recorded+Marker+"{not json\nprefix text "+Marker+`{"_event": "x"}`+"\ntrailing without newline", chunk)
		if len(events) != 14 || events[0] != EventPlaybookStart || events[12] != EventStats || events[13] != "x" {
			t.Errorf("chunk %d: events = %v", chunk, events)
		}
		if len(bad) != 1 {
			t.Errorf("chunk %d: bad = %v", chunk, bad)
		}
		joined := strings.Join(human, "\n")
		if strings.Contains(joined, "FABRUN-EVENT") || !strings.Contains(joined, "fatal: [server214]") ||
			!strings.Contains(joined, "prefix text ") || human[len(human)-1] != "trailing without newline" {
			t.Errorf("chunk %d: human = %q", chunk, human)
		}
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
		check   func(*Event) bool
	}{
		{Marker + `{"_event": "v2_runner_retry", "hosts": {"h": {"attempts": 3, "retries": 10}}}`, false,
			func(e *Event) bool { return e.Hosts["h"].Attempts == 3 && e.Hosts["h"].Retries == 10 }},
		{`{"_event": "v2_runner_on_ok", "_timestamp": "2026-01-01T00:00:01.5Z"}`, false,
			func(e *Event) bool { return e.Time().Equal(time.Date(2026, 1, 1, 0, 0, 1, 5e8, time.UTC)) }},
		{`{"_event": "v2_runner_on_ok", "_timestamp": "yesterday"}`, false, func(e *Event) bool { return e.Time().IsZero() }},
		{`{"hosts": {}}`, true, nil},
		{`[1, 2]`, true, nil},
		{``, true, nil},
	}
	for _, tt := range tests {
		e, err := ParseEvent(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseEvent(%q) err = %v", tt.in, err)
			continue
		}
		if err == nil && !tt.check(e) {
			t.Errorf("ParseEvent(%q) = %+v", tt.in, e)
		}
	}
}

func TestHostResultMessage(t *testing.T) {
	rc := 127
	tests := []struct {
		r    *HostResult
		want string
	}{
		{&HostResult{Msg: "Timeout", Stderr: "port closed"}, "Timeout\nport closed"},
		{&HostResult{Msg: "non-zero return code", Stderr: "", Stdout: "ignored when msg is set"}, "non-zero return code"},
		{&HostResult{Stdout: "only stdout\n"}, "only stdout"},
		{&HostResult{Msg: "same", Stderr: "same"}, "same"},
		{&HostResult{Msg: []any{"line 1", "line 2"}}, "line 1\nline 2"},
		{&HostResult{Msg: map[string]any{"k": 1}}, `{"k":1}`},
		{&HostResult{Msg: "MODULE FAILURE", ModuleStderr: "Traceback\n  File x\nValueError: bad"}, "MODULE FAILURE\nTraceback\n  File x\nValueError: bad"},
		{&HostResult{Msg: "One or more items failed", FailedItems: []*HostResult{{Msg: "item 2 failed"}}}, "One or more items failed\nitem 2 failed"},
		{&HostResult{Censored: "hidden (no_log)"}, "hidden (no_log)"},
		{&HostResult{Exception: "a\nb\nc\nd"}, "b\nc\nd"},
		{&HostResult{RC: &rc}, "exit status 127"},
		{&HostResult{Msg: "non-zero return code", RC: &rc, Stdout: "unix:///tmp/x.sock no such file"}, "non-zero return code\nunix:///tmp/x.sock no such file"},
		{&HostResult{Msg: "non-zero return code", RC: &rc, Stderr: "boom", Stdout: "noise"}, "non-zero return code\nboom"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := tt.r.Message(); got != tt.want {
			t.Errorf("Message(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestTracker(t *testing.T) {
	end := time.Date(2026, 1, 1, 0, 0, 6, 0, time.UTC)
	tr := NewTracker("kafka.yml", func() time.Time { return end })
	s := &Splitter{OnEvent: tr.Handle}
	feed(t, s, recorded, 4096)
	snap := tr.Snapshot()
	if snap.ExitCode != -1 {
		t.Errorf("running exit code = %d", snap.ExitCode)
	}
	res := tr.Finish(2, "stderr text")
	if res.OK() {
		t.Error("a run with failures is OK")
	}
	if len(res.Plays) != 1 {
		t.Fatalf("plays = %+v", res.Plays)
	}
	p := res.Plays[0]
	if p.Name != "Kafka brokers" || p.Tasks != 3 || p.OK != 2 || p.Changed != 1 || p.Failed != 2 || p.Skipped != 1 {
		t.Errorf("play = %+v", p)
	}
	if got := p.Duration(); got != 5100*time.Millisecond {
		t.Errorf("play duration = %v", got)
	}
	want := []Failure{
		{Play: "Kafka brokers", Task: "kafka : Wait for the broker", Host: "server214", Action: "ansible.builtin.wait_for",
			Path: "/repo/roles/kafka/tasks/main.yml:40", Message: "Timeout when waiting for 127.0.194.214:9092\ninvalid value for num.network.threads"},
		{Play: "Kafka brokers", Task: "kafka : Wait for the broker", Host: "server216", Message: "Failed to connect", Unreachable: true},
	}
	if !reflect.DeepEqual(res.Failures, want) {
		t.Errorf("failures =\n%+v\nwant\n%+v", res.Failures, want)
	}
	if !reflect.DeepEqual(res.Changes, map[string][]string{"server215": {"Kafka brokers : kafka : Render server.properties"}}) {
		t.Errorf("changes = %v", res.Changes)
	}
	if res.ChangedHosts()[0] != "server215" || res.TotalChanged() != 1 {
		t.Errorf("changed hosts = %v, total %d", res.ChangedHosts(), res.TotalChanged())
	}
	if res.Stats["server214"].Failures != 1 || res.Stats["server215"].Ignored != 1 {
		t.Errorf("stats = %+v", res.Stats)
	}
	if res.Error != "" {
		t.Errorf("error text %q kept although hosts explain the failure", res.Error)
	}
	// A run with no host failure keeps stderr as its explanation.
	tr = NewTracker("site.yml", nil)
	res = tr.Finish(4, "ERROR! the playbook could not be found")
	if res.OK() || res.Error != "ERROR! the playbook could not be found" {
		t.Errorf("parse error result = %+v", res)
	}
	// A clean run is OK.
	tr = NewTracker("site.yml", nil)
	tr.Handle(&Event{Event: EventStats, Stats: map[string]*Stats{"h": {OK: 3}}})
	if res := tr.Finish(0, ""); !res.OK() {
		t.Errorf("clean run not OK: %+v", res)
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"plain", Options{Home: "/r", AnsiblePlaybook: "/r/build/venv/bin/ansible-playbook"},
			[]string{"/r/build/venv/bin/ansible-playbook", "/r/playbooks/site.yml"}},
		{"everything", Options{Home: "/r", AnsiblePlaybook: "ap", Inventory: "/r/inventory/production",
			ExtraVars: []string{"a=1", "@vars.yml"}, Limit: "kafka", Tags: "config", Check: true, Diff: true, Verbose: 3, Forks: 10},
			[]string{"ap", "--check", "--diff", "--extra-vars", "a=1", "--extra-vars", "@vars.yml", "--forks", "10",
				"--inventory", "/r/inventory/production", "--limit", "kafka", "--tags", "config", "-vvv", "/r/playbooks/site.yml"}},
		{"verbose 6 is -vvvv", Options{Home: "/r", AnsiblePlaybook: "ap", Verbose: 6}, []string{"ap", "-vvvv", "/r/playbooks/site.yml"}},
		{"installed collection", Options{Home: "/c/ansible_collections/fabrun/fabric", Collection: "fabrun.fabric", AnsiblePlaybook: "ap",
			Inventory: "/inv"}, []string{"ap", "--inventory", "/inv", "fabrun.fabric.site"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Command(tt.opts, "site")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Command =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestPlaybookPath(t *testing.T) {
	for in, want := range map[string]string{
		"site": "/r/playbooks/site.yml", "site.yml": "/r/playbooks/site.yml", "x.yaml": "/r/playbooks/x.yaml",
		"/abs/p.yml": "/abs/p.yml", "rel/dir.yml": "rel/dir.yml",
	} {
		if got := PlaybookPath("/r", in); got != want {
			t.Errorf("PlaybookPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTarget(t *testing.T) {
	coll := Options{Home: "/c", Collection: "fabrun.fabric"}
	for _, tt := range []struct {
		opts     Options
		in, want string
	}{
		{Options{Home: "/r"}, "site", "/r/playbooks/site.yml"},
		{coll, "site", "fabrun.fabric.site"},
		{coll, "verify.yml", "fabrun.fabric.verify"},
		{coll, "x.yaml", "fabrun.fabric.x"},
		{coll, "/abs/p.yml", "/abs/p.yml"},
	} {
		if got := Target(tt.opts, tt.in); got != tt.want {
			t.Errorf("Target(%+v, %q) = %q, want %q", tt.opts, tt.in, got, tt.want)
		}
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("ANSIBLE_CALLBACKS_ENABLED", "ansible.posix.profile_tasks")
	env := Env(Options{Home: "/r", Env: map[string]string{"PATH": "/x"}}, "/tmp/cb")
	if env["ANSIBLE_CONFIG"] != "/r/ansible.cfg" || env["ANSIBLE_CALLBACKS_ENABLED"] != "fabrun_events,ansible.posix.profile_tasks" ||
		!strings.HasPrefix(env["ANSIBLE_CALLBACK_PLUGINS"], "/tmp/cb") || env["ANSIBLE_NOCOLOR"] != "1" || env["PATH"] != "/x" ||
		env["PYTHONUNBUFFERED"] != "1" {
		t.Errorf("Env = %v", env)
	}
	if env := Env(Options{Home: "/c", Collection: "fabrun.fabric"}, "/tmp/cb"); env["ANSIBLE_CONFIG"] != "" {
		t.Errorf("an installed collection runs under the user's Ansible config, got ANSIBLE_CONFIG=%q", env["ANSIBLE_CONFIG"])
	}
	if env := Env(Options{Home: "/r", Color: true}, "/tmp/cb"); env["ANSIBLE_FORCE_COLOR"] != "1" {
		t.Errorf("Color: %v", env)
	}
}

func TestCallbackEmbedded(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("callback", CallbackName+".py"))
	if err != nil {
		t.Fatal(err)
	}
	if string(src) != string(callbackPlugin) || !strings.Contains(string(callbackPlugin), `MARKER = "\x1eFABRUN-EVENT "`) {
		t.Error("embedded plugin differs from callback/fabrun_events.py or its marker changed")
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(t.Context(), Options{Home: t.TempDir()}, "site"); err == nil {
		t.Error("no binary: no error")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ansible-playbook")
	os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	if _, err := Run(t.Context(), Options{Home: dir, AnsiblePlaybook: bin}, "site"); err == nil || !strings.Contains(err.Error(), "playbook site") {
		t.Errorf("no playbook: err = %v", err)
	}
}

// TestRunFakeAnsible drives Run with a shell script standing in for
// ansible-playbook: it prints recorded events and exits 2.
func TestRunFakeAnsible(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "playbooks"), 0o755)
	os.WriteFile(filepath.Join(dir, "playbooks", "site.yml"), []byte("---\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "events.txt"), []byte(recorded), 0o644)
	bin := filepath.Join(dir, "ansible-playbook")
	script := "#!/bin/sh\n" +
		"test -f \"$ANSIBLE_CALLBACK_PLUGINS/fabrun_events.py\" || { echo 'no plugin' >&2; exit 9; }\n" +
		"test \"$ANSIBLE_CONFIG\" = \"" + dir + "/ansible.cfg\" || { echo \"bad config $ANSIBLE_CONFIG\" >&2; exit 9; }\n" +
		"cat " + filepath.Join(dir, "events.txt") + "\necho 'a warning on stderr' >&2\nexit 2\n"
	os.WriteFile(bin, []byte(script), 0o755)
	var human strings.Builder
	var n int
	res, err := Run(t.Context(), Options{Home: dir, AnsiblePlaybook: bin, Human: &human,
		Log: filepath.Join(dir, "log", "run.log"), OnEvent: func(*Event) { n++ }}, "site")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 2 || res.OK() || len(res.Failures) != 2 || n != 13 {
		t.Errorf("result = %+v (exit %d, %d events)", res, res.ExitCode, n)
	}
	if !strings.Contains(human.String(), "fatal: [server214]") || !strings.Contains(human.String(), "a warning on stderr") {
		t.Errorf("human output = %q", human.String())
	}
	log, err := os.ReadFile(filepath.Join(dir, "log", "run.log"))
	if err != nil || !strings.HasPrefix(string(log), "# fabrun: "+bin) || !strings.Contains(string(log), "PLAY RECAP") {
		t.Errorf("log = %q, %v", log, err)
	}
}

// Snapshot is a copy of the result so far.
func (t *Tracker) Snapshot() *Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshot()
}
