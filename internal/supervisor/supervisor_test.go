package supervisor

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fabrun/fabrun/internal/module"
)

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		check      func(Value) any
		want       any
		fault      int
	}{
		{name: "struct", body: `<methodResponse><params><param><value><struct>
			<member><name>name</name><value><string>kafka</string></value></member>
			<member><name>pid</name><value><int>4242</int></value></member>
			<member><name>statename</name><value>RUNNING</value></member>
			</struct></value></param></params></methodResponse>`,
			check: func(v Value) any {
				return []string{v.Member("name").Text(), v.Member("pid").Text(), v.Member("statename").Text(), v.Member("absent").Text()}
			},
			want: []string{"kafka", "4242", "RUNNING", ""}},
		{name: "reloadConfig's array of arrays", body: `<methodResponse><params><param><value><array><data>
			<value><array><data>
			  <value><array><data><value><string>peer</string></value></data></array></value>
			  <value><array><data><value><string>zookeeper</string></value><value><string>kafka</string></value></data></array></value>
			  <value><array><data></data></array></value>
			</data></array></value></data></array></value></param></params></methodResponse>`,
			check: func(v Value) any {
				l := v.Index(0)
				return [][]string{l.Index(0).Texts(), l.Index(1).Texts(), l.Index(2).Texts(), l.Index(7).Texts()}
			},
			want: [][]string{{"peer"}, {"zookeeper", "kafka"}, {}, {}}},
		{name: "boolean", body: `<methodResponse><params><param><value><boolean>1</boolean></value></param></params></methodResponse>`,
			check: func(v Value) any { return v.Text() }, want: "1"},
		{name: "fault", body: `<methodResponse><fault><value><struct>
			<member><name>faultCode</name><value><int>60</int></value></member>
			<member><name>faultString</name><value><string>ALREADY_STARTED: kafka</string></value></member>
			</struct></value></fault></methodResponse>`, fault: FaultAlreadyStarted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := parseResponse([]byte(tc.body))
			if tc.fault != 0 {
				if !IsFault(err, tc.fault) || !strings.Contains(err.Error(), "ALREADY_STARTED") {
					t.Fatalf("err = %v, want fault %d", err, tc.fault)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.check(v); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
	if _, err := parseResponse([]byte("<html>")); err == nil {
		t.Error("a broken answer was accepted")
	}
}

// fakeSupervisord answers the calls the module makes, for programs whose
// state it keeps; calls records them in order.
type fakeSupervisord struct {
	mu       sync.Mutex
	programs map[string]string // name -> statename
	reread   [3][]string       // added, changed, removed
	calls    []string
	daemon   *exec.Cmd // supervisord's stand-in process: shutdown ends it
}

func (f *fakeSupervisord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var call struct {
		Method string   `xml:"methodName"`
		Params []string `xml:"params>param>value>string"`
	}
	if err := xml.NewDecoder(r.Body).Decode(&call); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.TrimSpace(strings.TrimPrefix(call.Method, "supervisor.")+" "+strings.Join(call.Params, " ")))
	fault := func(code int, s string) {
		fmt.Fprintf(w, `<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>%d</int></value></member>`+
			`<member><name>faultString</name><value><string>%s</string></value></member></struct></value></fault></methodResponse>`, code, s)
	}
	ok := func() {
		fmt.Fprint(w, `<methodResponse><params><param><value><boolean>1</boolean></value></param></params></methodResponse>`)
	}
	name := ""
	if len(call.Params) > 0 {
		name = call.Params[0]
	}
	state, defined := f.programs[name]
	switch call.Method {
	case "supervisor.getState":
		fmt.Fprint(w, `<methodResponse><params><param><value><struct><member><name>statename</name><value>RUNNING</value></member></struct></value></param></params></methodResponse>`)
	case "supervisor.getProcessInfo":
		if !defined {
			fault(FaultBadName, "BAD_NAME: "+name)
			return
		}
		fmt.Fprintf(w, `<methodResponse><params><param><value><struct><member><name>statename</name><value>%s</value></member>`+
			`<member><name>pid</name><value><int>7</int></value></member></struct></value></param></params></methodResponse>`, state)
	case "supervisor.getAllConfigInfo":
		var b strings.Builder
		for _, n := range slices.Sorted(maps.Keys(f.programs)) {
			fmt.Fprintf(&b, `<value><struct><member><name>name</name><value>%s</value></member>`+
				`<member><name>inuse</name><value><boolean>1</boolean></value></member>`+
				`<member><name>group_prio</name><value><int>%d</int></value></member></struct></value>`, n, 100*len(n))
		}
		fmt.Fprint(w, `<methodResponse><params><param><value><array><data>`+b.String()+`</data></array></value></param></params></methodResponse>`)
	case "supervisor.getPID":
		fmt.Fprintf(w, `<methodResponse><params><param><value><int>%d</int></value></param></params></methodResponse>`, f.daemon.Process.Pid)
	case "supervisor.shutdown":
		f.daemon.Process.Kill()
		go f.daemon.Wait()
		ok()
	case "supervisor.reloadConfig":
		list := func(names []string) string {
			var b strings.Builder
			for _, n := range names {
				b.WriteString("<value>" + n + "</value>")
			}
			return "<value><array><data>" + b.String() + "</data></array></value>"
		}
		fmt.Fprintf(w, `<methodResponse><params><param><value><array><data><value><array><data>%s%s%s</data></array></value></data></array></value></param></params></methodResponse>`,
			list(f.reread[0]), list(f.reread[1]), list(f.reread[2]))
	case "supervisor.addProcessGroup":
		f.programs[name] = "STOPPED"
		ok()
	case "supervisor.removeProcessGroup":
		delete(f.programs, name)
		ok()
	case "supervisor.stopProcessGroup", "supervisor.stopProcess":
		if state != "RUNNING" && call.Method == "supervisor.stopProcess" {
			fault(FaultNotRunning, "NOT_RUNNING: "+name)
			return
		}
		f.programs[name] = "STOPPED"
		ok()
	case "supervisor.startProcess":
		switch {
		case !defined:
			fault(FaultBadName, "BAD_NAME: "+name)
		case state == "RUNNING":
			fault(FaultAlreadyStarted, "ALREADY_STARTED: "+name)
		case name == "crasher":
			f.programs[name] = "BACKOFF"
			fault(FaultAbnormalTermination, "ABNORMAL_TERMINATION: "+name)
		default:
			f.programs[name] = "RUNNING"
			ok()
		}
	default:
		fault(1, "UNKNOWN_METHOD")
	}
}

// serve starts f on a unix socket and returns the socket's path.
func serve(t *testing.T, f *fakeSupervisord) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func call(t *testing.T, args map[string]any, check bool) map[string]any {
	t.Helper()
	args["_ansible_check_mode"] = check
	args["_ansible_diff"] = true
	b, _ := json.Marshal(args)
	out := module.Execute(Spec(), b, Run)
	j, _ := json.Marshal(out)
	var back map[string]any
	json.Unmarshal(j, &back)
	return back
}

func TestModule(t *testing.T) {
	for _, tc := range []struct {
		name     string
		programs map[string]string
		reread   [3][]string
		args     map[string]any
		check    bool
		changed  bool
		failed   string // part of the failure message
		calls    []string
		after    string // the program's state after, in the fake
	}{
		{name: "start a new program", programs: map[string]string{}, reread: [3][]string{{"zk"}},
			args: map[string]any{"name": "zk"}, changed: true, after: "RUNNING",
			calls: []string{"getState", "getProcessInfo zk", "reloadConfig", "addProcessGroup zk", "startProcess zk", "getProcessInfo zk"}},
		{name: "running and nothing pending", programs: map[string]string{"zk": "RUNNING"},
			args: map[string]any{"name": "zk"}, after: "RUNNING",
			calls: []string{"getState", "getProcessInfo zk", "reloadConfig", "startProcess zk"}},
		{name: "a changed definition is stopped and loaded again", programs: map[string]string{"zk": "RUNNING"}, reread: [3][]string{nil, {"zk"}},
			args: map[string]any{"name": "zk"}, changed: true, after: "RUNNING",
			calls: []string{"getState", "getProcessInfo zk", "reloadConfig", "stopProcessGroup zk", "removeProcessGroup zk", "addProcessGroup zk", "startProcess zk", "getProcessInfo zk"}},
		{name: "a pending restart of a running program", programs: map[string]string{"zk": "RUNNING"},
			args: map[string]any{"name": "zk", "restart": true}, changed: true, after: "RUNNING",
			calls: []string{"getState", "getProcessInfo zk", "reloadConfig", "startProcess zk", "stopProcess zk", "startProcess zk", "getProcessInfo zk"}},
		{name: "check mode rereads only", programs: map[string]string{"zk": "RUNNING"}, reread: [3][]string{nil, {"zk"}},
			args: map[string]any{"name": "zk"}, check: true, changed: true, after: "RUNNING",
			calls: []string{"getState", "getProcessInfo zk", "reloadConfig"}},
		{name: "a definition written but never loaded (an interrupted run)", programs: map[string]string{}, reread: [3][]string{{"kafka"}},
			args: map[string]any{"name": "kafka"}, changed: true, after: "RUNNING",
			calls: []string{"getState", "getProcessInfo kafka", "reloadConfig", "addProcessGroup kafka", "startProcess kafka", "getProcessInfo kafka"}},
		{name: "a program that exits at once", programs: map[string]string{"crasher": "STOPPED"},
			args: map[string]any{"name": "crasher"}, failed: "crasher did not start: ABNORMAL_TERMINATION", after: "BACKOFF"},
		{name: "a definition never loaded", programs: map[string]string{},
			args: map[string]any{"name": "ghost"}, failed: "no [program:ghost] in its configuration files"},
		{name: "restart an undefined program", programs: map[string]string{},
			args: map[string]any{"name": "ghost", "state": "restarted"}, calls: []string{"getProcessInfo ghost"}},
		{name: "stop a stopped program", programs: map[string]string{"zk": "STOPPED"},
			args: map[string]any{"name": "zk", "state": "stopped"}, after: "STOPPED", calls: []string{"getProcessInfo zk"}},
		{name: "stop", programs: map[string]string{"zk": "RUNNING"},
			args: map[string]any{"name": "zk", "state": "stopped"}, changed: true, after: "STOPPED",
			calls: []string{"getProcessInfo zk", "stopProcess zk", "getProcessInfo zk"}},
		{name: "stop two, one of them stopped already", programs: map[string]string{"zk": "RUNNING", "kafka": "STOPPED"},
			args: map[string]any{"name": []string{"kafka", "zk"}, "state": "stopped"}, changed: true,
			calls: []string{"getProcessInfo kafka", "getProcessInfo zk", "stopProcess zk", "getProcessInfo kafka", "getProcessInfo zk"}},
		{name: "restart two, one never defined", programs: map[string]string{"zk": "RUNNING"},
			args: map[string]any{"name": []string{"ghost", "zk"}, "state": "restarted"}, changed: true, after: "RUNNING",
			calls: []string{"getProcessInfo ghost", "getProcessInfo zk", "stopProcess zk", "startProcess zk", "getProcessInfo ghost", "getProcessInfo zk"}},
		{name: "started takes one name", programs: map[string]string{},
			args: map[string]any{"name": []string{"a", "b"}}, failed: "state=started takes one name"},
		{name: "stopped needs a name", programs: map[string]string{},
			args: map[string]any{"state": "stopped"}, failed: "state=stopped needs name"},
		{name: "restart goes with started only", programs: map[string]string{},
			args: map[string]any{"name": "zk", "state": "stopped", "restart": true}, failed: "restart goes with state=started"},
		{name: "started needs conf and supervisord", programs: map[string]string{},
			args: map[string]any{"name": "zk", "conf": nil, "supervisord": nil}, failed: "conf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSupervisord{programs: tc.programs, reread: tc.reread}
			args := map[string]any{"socket": serve(t, f), "conf": "/c", "supervisord": "/s"}
			for k, v := range tc.args {
				if v == nil {
					delete(args, k)
				} else {
					args[k] = v
				}
			}
			out := call(t, args, tc.check)
			if tc.failed != "" {
				if out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), tc.failed) {
					t.Fatalf("want a failure with %q, got %v", tc.failed, out)
				}
			} else if out["failed"] == true {
				t.Fatalf("failed: %v", out["msg"])
			}
			if tc.failed == "" && out["changed"] != tc.changed {
				t.Errorf("changed = %v, want %v (%v)", out["changed"], tc.changed, out["msg"])
			}
			if tc.calls != nil && !slices.Equal(f.calls, tc.calls) {
				t.Errorf("calls\n got %q\nwant %q", f.calls, tc.calls)
			}
			if name, _ := tc.args["name"].(string); tc.after != "" && name != "" && f.programs[name] != tc.after {
				t.Errorf("%s is %s after, want %s", name, f.programs[name], tc.after)
			}
			if tc.changed && tc.failed == "" && out["diff"] == nil {
				t.Errorf("a change without a diff: %v", out)
			}
		})
	}
}

func TestModuleListedAndShutdown(t *testing.T) {
	daemon := exec.Command("sleep", "60")
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Kill() })
	f := &fakeSupervisord{programs: map[string]string{"peer": "RUNNING", "zk": "RUNNING"}, daemon: daemon}
	sock := serve(t, f)

	out := call(t, map[string]any{"socket": sock, "state": "listed"}, false)
	want := []any{map[string]any{"name": "peer", "priority": float64(400)}, map[string]any{"name": "zk", "priority": float64(200)}}
	if out["changed"] != false || out["running"] != true || !reflect.DeepEqual(out["programs"], want) {
		t.Errorf("listed: %v", out)
	}
	if out := call(t, map[string]any{"socket": sock, "state": "shutdown"}, true); out["changed"] != true || daemon.ProcessState != nil {
		t.Errorf("shutdown in check mode: %v", out)
	}
	out = call(t, map[string]any{"socket": sock, "state": "shutdown"}, false)
	if out["changed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), fmt.Sprintf("shut down supervisord %d", daemon.Process.Pid)) {
		t.Errorf("shutdown: %v", out)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", daemon.Process.Pid)); err == nil {
		t.Error("shutdown returned while supervisord still runs")
	}

	down := filepath.Join(t.TempDir(), "none.sock")
	if out := call(t, map[string]any{"socket": down, "state": "listed"}, false); out["running"] != false || len(out["programs"].([]any)) != 0 {
		t.Errorf("listed without supervisord: %v", out)
	}
	if out := call(t, map[string]any{"socket": down, "state": "shutdown"}, false); out["changed"] != false || out["failed"] == true {
		t.Errorf("shutdown without supervisord: %v", out)
	}
}

// A supervisord that is not running is started (here: a stand-in that
// exits at once and never listens, so the module reports it does not
// answer); in check mode nothing is started.
func TestModuleSupervisordDown(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	out := call(t, map[string]any{"socket": sock, "conf": "/c", "supervisord": "/bin/true", "timeout": 1}, false)
	if out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "does not answer") {
		t.Errorf("want a failure saying supervisord does not answer, got %v", out)
	}
	out = call(t, map[string]any{"socket": sock, "conf": "/c", "supervisord": "/bin/false"}, true)
	if out["failed"] == true || out["changed"] != true || !slices.Contains(out["actions"].([]any), any("started supervisord")) {
		t.Errorf("check mode: want a would-be start, got %v", out)
	}
	out = call(t, map[string]any{"socket": sock, "conf": "/c", "supervisord": "/bin/false"}, false)
	if out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "supervisord did not start") {
		t.Errorf("a supervisord that fails to start: got %v", out)
	}
}
