#!/usr/bin/env python3
"""Wait until a service says in its own log that it is ready.

For services whose health endpoint is not safe to poll during start-up: a
Kafka-mode orderer (Fabric v2.5) registers a /healthz checker per chain
before the chain's Kafka producer exists, and /healthz in that window
panics it (kafka.(*chainImpl).HealthCheck, nil producer).

Ready means: some line of the current run matches --begin, and for every
key (the first group) a --begin line named, a --done line names it too.
For the orderer: every channel that logged "Starting chain" has logged
"Start phase completed successfully". Only the current run counts: under
systemd the unit's current invocation, under supervisor the log lines
written since the process started.

Prints one JSON object; exit 0 when ready, 1 when the service is not
running, keeps failing while it starts, or the timeout passed (the message
names the keys still waiting). Keeps failing: the service manager started
it again --restarts times during the wait (supervisor's autorestart and
systemd's Restart= restart a process that exits after its start counted,
so a service that refuses its settings a second after it starts would
otherwise look like one still starting until the timeout).
A process up longer than --settled whose start lines have rotated out of
its log counts as ready: it started long ago, and its callers' health
checks follow.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Fabric: "2026-12-02 04:09:17.123 UTC ..."; log4j (Kafka, ZooKeeper):
# "[2026-12-02 04:09:17,123] ...".
STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)[.,](\d{3})")


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def systemd_lines(unit):
    """Journal lines of the unit's current invocation and its main PID;
    None if not running."""
    # Key=Value lines: systemctl orders properties its own way, not as asked.
    rc, out, _ = run(["systemctl", "show", "-p", "ActiveState", "-p", "InvocationID", "-p", "MainPID", unit + ".service"])
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    if rc != 0 or props.get("ActiveState") not in ("active", "activating") or not props.get("InvocationID"):
        return None
    rc, out, err = run(["journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID=" + props["InvocationID"]])
    try:
        pid = int(props.get("MainPID", "0"))
    except ValueError:
        pid = 0
    return (out.splitlines() if rc == 0 else []), pid


def process_start(pid):
    """Start time of a process, seconds since the epoch."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[19])  # field 22 of stat, counted after the command
    with open("/proc/stat") as f:
        btime = next(int(l.split()[1]) for l in f if l.startswith("btime "))
    return btime + ticks / os.sysconf("SC_CLK_TCK")


def supervisor_lines(supervisorctl, conf, program, log):
    """Log lines written since the program's process started and its PID;
    None if not running."""
    rc, out, _ = run([supervisorctl, "-c", conf, "pid", program])
    try:
        pid = int(out.strip())
    except ValueError:
        return None
    if pid <= 0:
        return None
    try:
        started = process_start(pid) - 1
    except (FileNotFoundError, ProcessLookupError):
        return None  # it exited just now
    lines = []
    for path in (log + ".1", log):
        try:
            with open(path, errors="replace") as f:
                lines.extend(f.read().splitlines())
        except FileNotFoundError:
            pass
    out, keep = [], False
    for line in lines:
        m = STAMP.match(ANSI.sub("", line))
        if m:
            # Both write local time, as this host reads it; a line
            # without a stamp continues the one before.
            t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000
            keep = t >= started
        if keep:
            out.append(line)
    return out, pid


def age(pid):
    """Seconds the process has run (0 if unknown)."""
    try:
        return time.time() - process_start(pid) if pid > 0 else 0
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return 0


def progress(lines, begin, done):
    begun, finished = [], set()
    for line in lines:
        m = begin.search(line)
        if m and m.group(1) not in begun:
            begun.append(m.group(1))
        m = done.search(line)
        if m:
            finished.add(m.group(1))
    return begun, finished


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manager", choices=["systemd", "supervisor"], required=True)
    ap.add_argument("--unit", help="systemd unit (without .service)")
    ap.add_argument("--supervisorctl")
    ap.add_argument("--supervisor-conf")
    ap.add_argument("--program")
    ap.add_argument("--log")
    ap.add_argument("--begin", required=True, help="regex; group 1 names what starts")
    ap.add_argument("--done", required=True, help="regex; group 1 names what is ready")
    ap.add_argument("--what", default="item", help="what a key is, for messages")
    ap.add_argument("--hint", default="", help="appended to the timeout message")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--poll", type=float, default=1)
    ap.add_argument("--restarts", type=int, default=3,
                    help="fail once the service was started again this many times during the wait")
    ap.add_argument("--settled", type=float, default=900,
                    help="a process up this long whose start lines are no longer in its log (rotated away) is ready")
    a = ap.parse_args()

    begin_re, done_re = re.compile(a.begin), re.compile(a.done)
    begin = time.time()
    starting, started, lines = [], set(), []
    pids = []
    while True:
        if a.manager == "systemd":
            lines = systemd_lines(a.unit)
        else:
            lines = supervisor_lines(a.supervisorctl, a.supervisor_conf, a.program, a.log)
        if lines is None:
            print(json.dumps({"ready": False, "msg": "the service is not running (it exited or was never started)"}))
            return 1
        lines, pid = lines
        if pid not in pids:
            pids.append(pid)
        if len(pids) > a.restarts:
            print(json.dumps({"ready": False, "pids": pids,
                              "msg": "it exits while starting: started again %d times in %ds (processes %s)"
                                     % (len(pids) - 1, time.time() - begin, ", ".join(map(str, pids)))}))
            return 1
        starting, started = progress(lines, begin_re, done_re)
        waiting = [c for c in starting if c not in started]
        if starting and not waiting:
            print(json.dumps({"ready": True, "keys": starting, "seconds": round(time.time() - begin, 1)}))
            return 0
        up = age(pid)
        if not starting and up >= a.settled:
            print(json.dumps({"ready": True, "keys": [], "msg": "up for %ds; its start is no longer in its log" % up}))
            return 0
        if time.time() - begin >= a.timeout:
            break
        time.sleep(a.poll)
    if not starting:
        why = "no %s has begun starting yet" % a.what
    else:
        why = "%s %s not ready yet" % (a.what, ", ".join(waiting))
    print(json.dumps({"ready": False, "keys": starting, "waiting": waiting,
                      "msg": "not ready after %ds: %s%s" % (a.timeout, why, "; " + a.hint if a.hint else "")}))
    return 1


if __name__ == "__main__":
    sys.exit(main())
