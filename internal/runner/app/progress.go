package app

// How a playbook run shows on the terminal: a phase per play, closed with
// the tracker's counts, and the lines that explain a failure or a plan.

import (
	"fmt"
	"strings"

	"github.com/fabrun/fabrun/internal/report"
	"github.com/fabrun/fabrun/internal/runner/playbook"
)

// playbookProgress feeds a run to p: a phase begins with each play and ends
// with the counts the run's tracker kept (onPlayEnd); tasks and retries show
// while it runs (onEvent).
func playbookProgress(p *report.Progress) (onEvent func(*playbook.Event), onPlayEnd func(playbook.PlayResult)) {
	onEvent = func(ev *playbook.Event) {
		switch ev.Event {
		case playbook.EventPlayStart:
			name := ""
			if ev.Play != nil {
				name = ev.Play.Name
			}
			p.Begin(playName(name))
		case playbook.EventTaskStart, playbook.EventHandlerStart:
			if ev.Task != nil {
				p.Task(ev.Task.Name)
			}
		case playbook.EventRetry:
			for h, r := range ev.Hosts {
				p.Wait(h, r.Attempts, r.Retries)
			}
		}
	}
	onPlayEnd = func(r playbook.PlayResult) {
		if r.Stopped {
			p.End(false, "stopped")
			return
		}
		p.End(r.Failed == 0, report.PlayDetail(report.PlaySummary{
			Hosts: r.Hosts, Tasks: r.Tasks, Changed: r.Changed, Failed: r.Failed, NoHosts: r.NoHosts}))
	}
	return onEvent, onPlayEnd
}

func playName(s string) string {
	if s == "" {
		return "(unnamed play)"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// failureLines explains a failed playbook: each failing host and task with
// its error message, or Ansible's own error when no task failed.
func failureLines(res *playbook.Result) []string {
	if res == nil {
		return nil
	}
	var out []string
	for _, f := range res.Failures {
		what := "failed"
		if f.Unreachable {
			what = "unreachable"
		}
		out = append(out, fmt.Sprintf("%s on host %s, task %q (play %q):", what, f.Host, f.Task, f.Play))
		for _, l := range strings.Split(strings.TrimSpace(f.Message), "\n") {
			out = append(out, "    "+l)
		}
		if f.Path != "" {
			out = append(out, "    at "+f.Path)
		}
	}
	if len(res.Failures) == 0 && res.Error != "" {
		out = append(out, "ansible-playbook failed:")
		for _, l := range strings.Split(res.Error, "\n") {
			out = append(out, "    "+l)
		}
	}
	if res.Log != "" && !res.OK() {
		out = append(out, "full Ansible output: "+res.Log)
	}
	return out
}

// planLines lists, per host, the tasks check mode says would change.
func planLines(res *playbook.Result) []string {
	hosts := res.ChangedHosts()
	if len(hosts) == 0 {
		return []string{"no changes: the network matches the inventory"}
	}
	out := []string{fmt.Sprintf("%s would change:", plural(len(hosts), "host"))}
	for _, h := range hosts {
		tasks := res.Changes[h]
		out = append(out, fmt.Sprintf("  %s (%s)", h, plural(len(tasks), "task")))
		for _, t := range tasks {
			out = append(out, "    ~ "+t)
		}
	}
	return out
}
