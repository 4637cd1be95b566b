# fabrun_events: machine-readable progress for the fabrun runner.
#
# An aggregate callback (it runs beside the stdout callback, which keeps
# printing Ansible's usual output). For every playbook event it prints one
# line to the same stdout:
#
#     <RS>FABRUN-EVENT {"_event": "v2_runner_on_failed", ...}
#
# where <RS> is the ASCII record separator (0x1e). The JSON follows the field
# names of the ansible.posix.jsonl callback (_event, _timestamp, play, task,
# hosts, stats), so go-ansible's AnsiblePlaybookJSONLEventResults decodes it.
# The runner splits these lines from the human output it shows with -v.
#
# The runner embeds this file, writes it to a temporary directory and enables
# it with ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED.

from __future__ import annotations

DOCUMENTATION = """
    name: fabrun_events
    type: aggregate
    short_description: one JSON line per playbook event, for the fabrun runner
    description:
      - Prints each play, task, host result and the final stats as a JSON line
        prefixed by a record separator and C(FABRUN-EVENT).
    requirements:
      - enabled in callbacks_enabled
"""

import datetime
import json

from ansible.plugins.callback import CallbackBase

MARKER = "\x1eFABRUN-EVENT "
# Strings longer than this are cut: the runner shows messages, not logs.
MAX_TEXT = 4000
# Result keys the runner uses; everything else stays in Ansible's own output.
KEEP = (
    "action", "changed", "failed", "skipped", "unreachable", "msg", "stderr",
    "stdout", "rc", "cmd", "skip_reason", "failed_when_result", "censored",
    "exception", "module_stderr", "module_stdout",
)

# The result key of fabrun.fabric.fabric_preflight (internal/preflight.ResultKey).
PREFLIGHT = "fabrun_preflight"


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def _cut(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "...(cut)"
    if isinstance(value, list):
        return [_cut(v) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k): _cut(v) for k, v in list(value.items())[:50]}
    return value


def _result(res):
    data = getattr(res, "result", None)
    if data is None:
        data = res._result
    return data


def _host(res):
    host = getattr(res, "host", None) or res._host
    return host.get_name()


def _task(res):
    return getattr(res, "task", None) or res._task


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fabrun_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._play = None
        self._task_item = None

    def _emit(self, event, **fields):
        fields["_event"] = event
        fields["_timestamp"] = _now()
        try:
            line = json.dumps(fields, default=str, sort_keys=True)
        except Exception as exc:  # never break a run over a progress line
            line = json.dumps({"_event": event, "_timestamp": fields["_timestamp"], "error": str(exc)})
        self._display.display(MARKER + line, screen_only=True)

    def _task_dict(self, task):
        return {
            "name": task.get_name().strip(),
            "id": str(task._uuid),
            "path": task.get_path() or "",
            "action": task.action,
            "duration": {"start": _now()},
        }

    def _host_result(self, res, **extra):
        data = _result(res)
        if data.get("_ansible_no_log"):
            out = {k: data[k] for k in ("changed", "failed", "skipped", "unreachable") if k in data}
            out["censored"] = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
        else:
            out = {k: _cut(data[k]) for k in KEEP if k in data}
            # The preflight module's outcome is read whole, not shown.
            if isinstance(data.get(PREFLIGHT), dict):
                out[PREFLIGHT] = data[PREFLIGHT]
            if "results" in data and isinstance(data["results"], list):
                # A loop: keep the failed items' messages.
                items = []
                for item in data["results"]:
                    if isinstance(item, dict) and item.get("failed"):
                        items.append({k: _cut(item[k]) for k in KEEP if k in item})
                if items:
                    out["failed_items"] = items
        task = _task(res)
        out.setdefault("action", task.action)
        out.update(extra)
        return {_host(res): out}

    # playbook and play

    def v2_playbook_on_start(self, playbook):
        self._emit("v2_playbook_on_start", playbook=getattr(playbook, "_file_name", ""))

    def v2_playbook_on_play_start(self, play):
        self._play = {
            "name": play.get_name().strip(),
            "id": str(play._uuid),
            "path": "",
            "duration": {"start": _now()},
            "hosts": list(play.hosts) if isinstance(play.hosts, list) else [str(play.hosts)],
        }
        self._emit("v2_playbook_on_play_start", play=self._play)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_item = self._task_dict(task)
        self._emit("v2_playbook_on_task_start", play=self._play, task=self._task_item)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_item = self._task_dict(task)
        self._task_item["handler"] = True
        self._emit("v2_playbook_on_handler_task_start", play=self._play, task=self._task_item)

    def v2_playbook_on_no_hosts_matched(self):
        self._emit("v2_playbook_on_no_hosts_matched", play=self._play)

    # host results

    def _runner(self, event, res, **extra):
        self._emit(event, play=self._play, task=self._task_dict(_task(res)), hosts=self._host_result(res, **extra))

    def v2_runner_on_ok(self, result):
        self._runner("v2_runner_on_ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._runner("v2_runner_on_failed", result, ignore_errors=bool(ignore_errors))

    def v2_runner_on_skipped(self, result):
        self._runner("v2_runner_on_skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._runner("v2_runner_on_unreachable", result)

    def v2_runner_retry(self, result):
        data = _result(result)
        self._runner(
            "v2_runner_retry", result,
            attempts=data.get("attempts"), retries=data.get("retries"),
        )

    def v2_runner_on_async_poll(self, result):
        self._runner("v2_runner_on_async_poll", result)

    # the end

    def v2_playbook_on_stats(self, stats):
        out = {}
        for host in sorted(stats.processed.keys()):
            s = stats.summarize(host)
            out[host] = {
                "ok": s.get("ok", 0),
                "changed": s.get("changed", 0),
                "failures": s.get("failures", 0),
                "unreachable": s.get("unreachable", 0),
                "skipped": s.get("skipped", 0),
                "rescued": s.get("rescued", 0),
                "ignored": s.get("ignored", 0),
            }
        self._emit("v2_playbook_on_stats", stats=out)
