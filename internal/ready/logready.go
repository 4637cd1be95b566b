package ready

// Readiness by a service's own log, for services whose health endpoint is
// unsafe to poll during start-up: a Kafka-mode orderer (Fabric v2.5)
// registers a /healthz checker per chain before the chain's Kafka producer
// exists, and /healthz in that window panics it (kafka.(*chainImpl).
// HealthCheck, nil producer).
//
// Ready means: some line of the current run matches begin, and for every key
// (the first group) a begin line named, a done line names it too. For the
// orderer: every channel that logged "Starting chain" has logged "Start
// phase completed successfully". Only the current run counts: under systemd
// the unit's current invocation, under supervisor the log lines written
// since the process started. Not ready: the service is not running, keeps
// failing while it starts (the service manager started it again `restarts`
// times during the wait: supervisor's autorestart and systemd's Restart=
// restart a process that exits after its start counted, so a service that
// refuses its settings a second after it starts would otherwise look like
// one still starting until the timeout), or the timeout passed. A process
// up longer than `settled` whose start lines have rotated out of its log
// counts as ready: it started long ago, and its callers' health checks
// follow.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/supervisor"
)

// errNotRunning: the service does not run (it exited, or never started).
var errNotRunning = errors.New("the service is not running (it exited or was never started)")

// currentRun returns the log lines of the service's current run and its
// main process id, or errNotRunning.
type currentRun func(ctx context.Context) ([]string, int, error)

// logWait is what a log wait looks for.
type logWait struct {
	begin, done *regexp.Regexp
	what, hint  string
	restarts    int
	settled     time.Duration
}

// logPoll is one look at the current run: its answer, and the process id
// seen (pids keeps each one, to notice a crash loop).
func (w logWait) poll(ctx context.Context, run currentRun, pids *[]int, up func(pid int) time.Duration) answer {
	lines, pid, err := run(ctx)
	if err != nil {
		return answer{problem: err.Error(), final: errors.Is(err, errNotRunning), data: map[string]any{"ready": false}}
	}
	if !slices.Contains(*pids, pid) {
		*pids = append(*pids, pid)
	}
	data := map[string]any{"ready": false, "pids": *pids}
	if len(*pids) > w.restarts {
		return answer{final: true, data: data, problem: fmt.Sprintf("it exits while starting: started again %d times (processes %s)",
			len(*pids)-1, strings.Trim(fmt.Sprint(*pids), "[]"))}
	}
	var begun []string
	finished := map[string]bool{}
	for _, line := range lines {
		if m := w.begin.FindStringSubmatch(line); len(m) > 1 && !slices.Contains(begun, m[1]) {
			begun = append(begun, m[1])
		}
		if m := w.done.FindStringSubmatch(line); len(m) > 1 {
			finished[m[1]] = true
		}
	}
	var waiting []string
	for _, k := range begun {
		if !finished[k] {
			waiting = append(waiting, k)
		}
	}
	data["keys"], data["waiting"] = begun, waiting
	switch {
	case len(begun) > 0 && len(waiting) == 0:
		data["ready"] = true
		return answer{ready: true, data: data}
	case len(begun) == 0 && up(pid) >= w.settled:
		data["ready"] = true
		data["settled"] = true
		return answer{ready: true, data: data}
	case len(begun) == 0:
		return answer{data: data, problem: w.hinted("no " + w.what + " has begun starting yet")}
	}
	return answer{data: data, problem: w.hinted(fmt.Sprintf("%s %s not ready yet", w.what, strings.Join(waiting, ", ")))}
}

func (w logWait) hinted(s string) string {
	if w.hint != "" {
		return s + "; " + w.hint
	}
	return s
}

// ansi matches terminal colour codes (Fabric colours its log).
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// stamp is a line's time: Fabric's "2026-12-02 04:09:17.123 UTC ...",
// log4j's (Kafka, ZooKeeper) "[2026-12-02 04:09:17,123] ...". Both write
// local time, as this host reads it.
var stamp = regexp.MustCompile(`^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)[.,](\d{3})`)

// sinceStart keeps the lines written since started; a line without a stamp
// continues the one before.
func sinceStart(lines []string, started time.Time) []string {
	var out []string
	keep := false
	for _, line := range lines {
		if m := stamp.FindStringSubmatch(ansi.ReplaceAllString(line, "")); m != nil {
			t, err := time.ParseInLocation("2006-01-02 15:04:05", m[1], time.Local)
			if err == nil {
				ms, _ := strconv.Atoi(m[2])
				keep = !t.Add(time.Duration(ms) * time.Millisecond).Before(started)
			}
		}
		if keep {
			out = append(out, line)
		}
	}
	return out
}

// supervisorRun is a supervisor program's current run: its log (and the
// rotated one before it) from one second before its process started; with
// log "", whether it runs and no lines.
func supervisorRun(socket, program, log string) currentRun {
	client := supervisor.NewClient(socket)
	return func(ctx context.Context) ([]string, int, error) {
		info, err := client.ProcessInfo(ctx, program)
		var down *supervisor.DownError
		if errors.As(err, &down) || supervisor.IsFault(err, supervisor.FaultBadName) || (err == nil && info.PID <= 0) {
			return nil, 0, errNotRunning
		}
		if err != nil {
			return nil, 0, err
		}
		started, err := processStart(int(info.PID))
		if err != nil {
			return nil, 0, errNotRunning // it exited just now
		}
		if log == "" {
			return nil, int(info.PID), nil
		}
		var lines []string
		for _, p := range []string{log + ".1", log} {
			if b, err := os.ReadFile(p); err == nil {
				lines = append(lines, strings.Split(strings.TrimRight(string(b), "\n"), "\n")...)
			}
		}
		return sinceStart(lines, started.Add(-time.Second)), int(info.PID), nil
	}
}

// systemdRun is a unit's current invocation: its journal lines (with
// journal; without, whether it runs and no lines).
func systemdRun(unit string, journal bool) currentRun {
	return func(ctx context.Context) ([]string, int, error) {
		out, err := exec.CommandContext(ctx, "systemctl", "show", "-p", "ActiveState", "-p", "InvocationID", "-p", "MainPID", unit+".service").Output()
		props := map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				props[k] = strings.TrimSpace(v) // systemctl orders them its own way
			}
		}
		if err != nil || (props["ActiveState"] != "active" && props["ActiveState"] != "activating") || props["InvocationID"] == "" {
			return nil, 0, errNotRunning
		}
		pid, _ := strconv.Atoi(props["MainPID"])
		if !journal {
			return nil, pid, nil
		}
		text, err := exec.CommandContext(ctx, "journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID="+props["InvocationID"]).Output()
		if err != nil {
			return nil, pid, nil
		}
		return strings.Split(strings.TrimRight(string(text), "\n"), "\n"), pid, nil
	}
}

// userHZ is the kernel's clock tick for /proc/<pid>/stat's times (USER_HZ:
// 100 on every Linux architecture fabrun runs on).
const userHZ = 100

// processStart is when a process started.
func processStart(pid int) (time.Time, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return time.Time{}, err
	}
	// The command may hold spaces and parentheses: fields count after its last ")".
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b)[i+1:])
	if len(fields) < 20 {
		return time.Time{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64) // field 22 of stat
	if err != nil {
		return time.Time{}, err
	}
	boot, err := bootTime()
	if err != nil {
		return time.Time{}, err
	}
	return boot.Add(time.Duration(ticks) * time.Second / userHZ), nil
}

func bootTime() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(s, 0), err
		}
	}
	return time.Time{}, errors.New("/proc/stat: no btime")
}

// processAge is how long a process has run (0 when unknown).
func processAge(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	t, err := processStart(pid)
	if err != nil {
		return 0
	}
	return time.Since(t)
}
