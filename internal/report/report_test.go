package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/preflight"
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
	raft := *n
	raft.Brokers, raft.ZooKeeper = nil, nil
	if l := SummaryLines(&raft, o, nil, nil); l[0] != "  channel     mychannel (Raft orderers orderer0.example.com)" {
		t.Errorf("summary of a Raft network: %q", l[0])
	}
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
		Failures: []map[string]string{{"host": "server214", "task": "Start Kafka", "message": "<boom>"}},
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
