package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/preflight"
	"github.com/fabrun/fabrun/internal/runner/playbook"
	"github.com/fabrun/fabrun/internal/status"
	"github.com/fabrun/fabrun/internal/verify"
)

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                                     "0.0s",
		400 * time.Millisecond:                "0.4s",
		14*time.Second + 200*time.Millisecond: "14.2s",
		125 * time.Second:                     "2m05s",
		time.Hour + 2*time.Minute:             "1h02m",
		-time.Second:                          "0.0s",
	}
	for d, want := range tests {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPhaseLine(t *testing.T) {
	tests := []struct {
		word, name string
		d          time.Duration
		detail     string
		want       string
	}{
		{"ok", "preflight", 400 * time.Millisecond, "2 warnings",
			"ok      preflight                                    0.4s  2 warnings"},
		{"FAILED", "Kafka brokers", 41 * time.Second, "",
			"FAILED  Kafka brokers                               41.0s"},
		{"ok", strings.Repeat("x", 50), time.Second, "",
			"ok      " + strings.Repeat("x", 39) + "…     1.0s"},
	}
	for _, tt := range tests {
		if got := PhaseLine(tt.word, tt.name, tt.d, tt.detail); got != tt.want {
			t.Errorf("PhaseLine = %q\n           want %q", got, tt.want)
		}
	}
}

// clock is a fake time source advanced by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func ev(name string, mod func(*playbook.Event)) *playbook.Event {
	e := &playbook.Event{Event: name}
	if mod != nil {
		mod(e)
	}
	return e
}

func TestProgressFromEvents(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	p := &Progress{W: &buf, Now: c.now, Every: 10 * time.Second}
	on := p.PlaybookEvents()

	on(ev(playbook.EventPlayStart, func(e *playbook.Event) { e.Play = &playbook.Play{Name: "ZooKeeper", Hosts: []string{"zookeeper"}} }))
	on(ev(playbook.EventTaskStart, func(e *playbook.Event) { e.Task = &playbook.Task{Name: "Install"} }))
	on(ev(playbook.EventOK, func(e *playbook.Event) {
		e.Hosts = map[string]*playbook.HostResult{"server215": {Changed: true}, "server216": {Changed: true}}
	}))
	on(ev(playbook.EventTaskStart, func(e *playbook.Event) { e.Task = &playbook.Task{Name: "Wait for ZooKeeper"} }))
	c.add(5 * time.Second)
	on(ev(playbook.EventRetry, func(e *playbook.Event) {
		e.Hosts = map[string]*playbook.HostResult{"server215": {Attempts: 1, Retries: 60}}
	}))
	c.add(6 * time.Second)
	on(ev(playbook.EventRetry, func(e *playbook.Event) {
		e.Hosts = map[string]*playbook.HostResult{"server215": {Attempts: 2, Retries: 60}}
	}))
	c.add(2 * time.Second)
	on(ev(playbook.EventPlayStart, func(e *playbook.Event) { e.Play = &playbook.Play{Name: "Kafka", Hosts: []string{"kafka"}} }))
	on(ev(playbook.EventTaskStart, func(e *playbook.Event) { e.Task = &playbook.Task{Name: "Start"} }))
	on(ev(playbook.EventFailed, func(e *playbook.Event) {
		e.Hosts = map[string]*playbook.HostResult{"server214": {Failed: true, Msg: "boom"}}
	}))
	c.add(3 * time.Second)
	on(ev(playbook.EventStats, nil))
	p.Close()

	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	want := []string{
		"...     ZooKeeper: Wait for ZooKeeper (server215: attempt 2/60, 11.0s)",
		"ok      ZooKeeper                                   13.0s  zookeeper, 2 tasks, 2 changed",
		"FAILED  Kafka                                        3.0s  kafka, 1 task, no change, 1 failed",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if len(p.Phases) != 2 || !p.Phases[0].OK || p.Phases[1].OK || p.Phases[0].Seconds != 13 {
		t.Errorf("phases = %+v", p.Phases)
	}
}

func TestProgressTTY(t *testing.T) {
	var buf bytes.Buffer
	p := &Progress{W: &buf, TTY: true}
	p.Begin("verify")
	p.Task("query a")
	time.Sleep(300 * time.Millisecond)
	p.End(true, "fresh")
	out := buf.String()
	if !strings.Contains(out, "\r\033[K") || !strings.Contains(out, " verify · query a ") {
		t.Errorf("no live spinner line in %q", out)
	}
	if !strings.HasSuffix(out, "\r\033[K"+PhaseLine("ok", "verify", time.Duration(p.Phases[0].Seconds*float64(time.Second)), "fresh")+"\n") &&
		!strings.Contains(out, "ok      verify") {
		t.Errorf("no final line in %q", out)
	}
}

func TestProgressQuiet(t *testing.T) {
	var buf bytes.Buffer
	p := &Progress{W: &buf, Quiet: true}
	p.Begin("preflight")
	p.End(true, "")
	s := p.Skip("verify", "check mode")
	if !s.Skipped {
		t.Error("Skip: not skipped")
	}
	got := buf.String()
	for _, want := range []string{"...     preflight\n", "ok      preflight", "skip    verify", "check mode"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
}

func TestFailureLines(t *testing.T) {
	res := &playbook.Result{ExitCode: 2, Log: "/tmp/x.log", Failures: []playbook.Failure{{
		Play: "Kafka", Task: "Wait for the broker", Host: "server214", Path: "roles/kafka/tasks/main.yml:40",
		Message: "Timeout when waiting for 127.0.194.214:9092\nbroker log: invalid num.network.threads",
	}}}
	got := strings.Join(FailureLines(res), "\n")
	want := `failed on host server214, task "Wait for the broker" (play "Kafka"):
    Timeout when waiting for 127.0.194.214:9092
    broker log: invalid num.network.threads
    at roles/kafka/tasks/main.yml:40
full Ansible output: /tmp/x.log`
	if got != want {
		t.Errorf("FailureLines:\n%s\nwant:\n%s", got, want)
	}
	res = &playbook.Result{ExitCode: 4, Error: "ERROR! the playbook: site.yml could not be found"}
	if got := strings.Join(FailureLines(res), "\n"); got != "ansible-playbook failed:\n    ERROR! the playbook: site.yml could not be found" {
		t.Errorf("FailureLines without host failures = %q", got)
	}
}

func TestPlanLines(t *testing.T) {
	res := &playbook.Result{Changes: map[string][]string{
		"server215": {"Kafka : Render server.properties", "Kafka : Restart"},
		"server211": {"Peers : Render core.yaml"},
		"server212": nil,
	}}
	got := strings.Join(PlanLines(res), "\n")
	want := `2 hosts would change:
  server211 (1 task)
    ~ Peers : Render core.yaml
  server215 (2 tasks)
    ~ Kafka : Render server.properties
    ~ Kafka : Restart`
	if got != want {
		t.Errorf("PlanLines:\n%s\nwant:\n%s", got, want)
	}
	if got := PlanLines(&playbook.Result{}); got[0] != "no changes: the network matches the inventory" {
		t.Errorf("no changes: %v", got)
	}
}

func TestPreflightLines(t *testing.T) {
	r := &preflight.Report{Findings: []preflight.Finding{
		{Level: preflight.Error, Rule: "kafka-min-insync", Message: "min.insync.replicas 3 is not below 3", Hosts: []string{"server214"}, Advice: "1 < M < R"},
		{Level: preflight.Warning, Rule: "zookeeper-ensemble", Message: "2 nodes tolerate 0"},
	}}
	got := strings.Join(PreflightLines(r), "\n")
	want := "        error: min.insync.replicas 3 is not below 3 [server214]\n          -> 1 < M < R\n        warning: 2 nodes tolerate 0"
	if got != want {
		t.Errorf("PreflightLines:\n%s\nwant:\n%s", got, want)
	}
	if d := PreflightDetail(r); d != "1 error, 1 warning" {
		t.Errorf("PreflightDetail = %q", d)
	}
}

func TestStatusLines(t *testing.T) {
	r := &status.Report{Nodes: []status.Node{
		{Kind: "zookeeper", Name: "zookeeper 1", Host: "server215", Endpoint: "127.0.194.215:2181", Healthy: true, Detail: "leader"},
		{Kind: "peer", Name: "peer1.org2.example.com", Host: "server214", Endpoint: "127.0.194.214:9443", Error: "connection refused"},
	}}
	got := StatusLines(r)
	if len(got) != 3 || !strings.HasPrefix(got[0], "ok      zookeeper zookeeper 1") || !strings.HasSuffix(got[0], "leader") ||
		!strings.HasPrefix(got[1], "FAILED  peer") || !strings.HasSuffix(got[1], "connection refused") || got[2] != "1 check of 2 not healthy" {
		t.Errorf("StatusLines = %q", got)
	}
	r.Nodes = r.Nodes[:1]
	r.Healthy = true
	if got := StatusLines(r); got[1] != "all 1 checks healthy" {
		t.Errorf("healthy: %q", got)
	}
}

func TestVerifyAndSummary(t *testing.T) {
	o := &verify.Outcome{Mode: "fresh", TxID: "0123456789abcdef", Before: verify.Balances{From: 100, To: 200},
		After:  []verify.Balances{{Peer: "peer0.org1.example.com", From: 90, To: 210}, {Peer: "peer1.org1.example.com", From: 90, To: 210}},
		Checks: []verify.Check{{Name: "b = 210 on peer1.org1.example.com", OK: true, Detail: "read b = 210"}}, OK: true}
	if got := VerifyDetail(o); got != "fresh: a=100 b=200, moved 10, a=90 b=210 on peer0.org1, peer1.org1" {
		t.Errorf("VerifyDetail = %q", got)
	}
	if got := VerifyLines(o); len(got) != 1 || got[0] != "        ok b = 210 on peer1.org1.example.com (read b = 210)" {
		t.Errorf("VerifyLines = %q", got)
	}
	n := &NetworkSummary{Channel: "mychannel", Chaincode: "mycc", Version: "1.0", Orderers: []string{"orderer0.example.com"},
		Brokers: []int{4, 1, 2}, ZooKeeper: []int{1, 2}, Peers: []string{"peer0.org1.example.com"}}
	lines := SummaryLines(n, o, map[string]uint64{"peer0.org1.example.com": 5},
		[]Phase{{Name: "preflight", Seconds: 0.4}, {Name: "Preflight", Seconds: 1}, {Name: "Kafka", Seconds: 12},
			{Name: "Preflight", Seconds: 0.5}, {Name: "verify", Seconds: 3}, {Name: "x", Skipped: true}})
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		"channel     mychannel (orderers orderer0.example.com; Kafka brokers 1, 2, 4; ZooKeeper 1, 2)",
		"peers       1 peer joined: peer0.org1.example.com (height 5)",
		"chaincode   mycc 1.0",
		"values      fresh network: read a=100 b=200, moved 10 (tx 0123456789ab), then a=90 b=210 on peer0.org1.example.com; a=90 b=210 on peer1.org1.example.com",
		"time        preflight 0.4s · Preflight 1.5s (2×) · Kafka 12.0s · verify 3.0s",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	d := &Document{Command: "deploy", OK: false, ExitCode: ExitVerify, Error: "verification failed",
		Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seconds: 12.5,
		Phases:   []Phase{{Name: "preflight", OK: true, Seconds: 0.4}},
		Failures: []playbook.Failure{{Host: "server214", Task: "Start Kafka", Message: "<boom>"}},
		Verify:   &verify.Outcome{Mode: "repeat"}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, d); err != nil {
		t.Fatal(err)
	}
	// One document, and it decodes back.
	dec := json.NewDecoder(&buf)
	var back map[string]any
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Error("more than one JSON document")
	}
	if back["command"] != "deploy" || back["exit_code"] != float64(3) || back["ok"] != false {
		t.Errorf("decoded = %v", back)
	}
	f := back["failures"].([]any)[0].(map[string]any)
	if f["host"] != "server214" || f["task"] != "Start Kafka" || f["message"] != "<boom>" {
		t.Errorf("failure = %v", f)
	}
	if _, ok := back["status"]; ok {
		t.Error("empty status is not omitted")
	}
}

func TestExitCodesDistinct(t *testing.T) {
	codes := []int{ExitOK, ExitUsage, ExitDeploy, ExitVerify, ExitPreflight, ExitCancelled, ExitInterrupt}
	seen := map[int]bool{}
	for _, c := range codes {
		if seen[c] {
			t.Errorf("exit code %d used twice", c)
		}
		seen[c] = true
	}
}
