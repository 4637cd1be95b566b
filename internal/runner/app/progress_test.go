package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/report"
	"github.com/fabrun/fabrun/internal/runner/playbook"
)

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
	p := &report.Progress{W: &buf, Now: c.now, Every: 10 * time.Second}
	onEvent, onPlayEnd := playbookProgress(p)
	// As playbook.Run wires them: the tracker counts, then the event shows.
	tr := playbook.NewTracker("site.yml", c.now)
	tr.OnPlayEnd(onPlayEnd)
	on := func(e *playbook.Event) {
		tr.Handle(e)
		onEvent(e)
	}

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

// TestProgressStopped: a run that ends inside a play closes its phase as
// stopped, not ok.
func TestProgressStopped(t *testing.T) {
	var buf bytes.Buffer
	p := &report.Progress{W: &buf, Now: time.Now}
	onEvent, onPlayEnd := playbookProgress(p)
	tr := playbook.NewTracker("site.yml", nil)
	tr.OnPlayEnd(onPlayEnd)
	e := ev(playbook.EventPlayStart, func(e *playbook.Event) { e.Play = &playbook.Play{Name: "Kafka"} })
	tr.Handle(e)
	onEvent(e)
	tr.Finish(-1, "killed")
	if len(p.Phases) != 1 || p.Phases[0].OK || !strings.Contains(buf.String(), "stopped") {
		t.Errorf("phases %+v, output %q", p.Phases, buf.String())
	}
}

func TestFailureLines(t *testing.T) {
	res := &playbook.Result{ExitCode: 2, Log: "/tmp/x.log", Failures: []playbook.Failure{{
		Play: "Kafka", Task: "Wait for the broker", Host: "server214", Path: "roles/kafka/tasks/main.yml:40",
		Message: "Timeout when waiting for 127.0.194.214:9092\nbroker log: invalid num.network.threads",
	}}}
	got := strings.Join(failureLines(res), "\n")
	want := `failed on host server214, task "Wait for the broker" (play "Kafka"):
    Timeout when waiting for 127.0.194.214:9092
    broker log: invalid num.network.threads
    at roles/kafka/tasks/main.yml:40
full Ansible output: /tmp/x.log`
	if got != want {
		t.Errorf("FailureLines:\n%s\nwant:\n%s", got, want)
	}
	res = &playbook.Result{ExitCode: 4, Error: "ERROR! the playbook: site.yml could not be found"}
	if got := strings.Join(failureLines(res), "\n"); got != "ansible-playbook failed:\n    ERROR! the playbook: site.yml could not be found" {
		t.Errorf("FailureLines without host failures = %q", got)
	}
}

func TestPlanLines(t *testing.T) {
	res := &playbook.Result{Changes: map[string][]string{
		"server215": {"Kafka : Render server.properties", "Kafka : Restart"},
		"server211": {"Peers : Render core.yaml"},
		"server212": nil,
	}}
	got := strings.Join(planLines(res), "\n")
	want := `2 hosts would change:
  server211 (1 task)
    ~ Peers : Render core.yaml
  server215 (2 tasks)
    ~ Kafka : Render server.properties
    ~ Kafka : Restart`
	if got != want {
		t.Errorf("PlanLines:\n%s\nwant:\n%s", got, want)
	}
	if got := planLines(&playbook.Result{}); got[0] != "no changes: the network matches the inventory" {
		t.Errorf("no changes: %v", got)
	}
}
