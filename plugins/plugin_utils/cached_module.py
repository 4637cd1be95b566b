# The action of this collection's Go binary modules: no copy of the
# executable for each task.
#
# Ansible cannot pipeline a binary module: every call makes a temporary
# directory on the host, copies the executable (2-20 MB) and an arguments
# file into it, fixes their modes, runs it and removes the directory, each
# step a command or a transfer of its own (0.5-1 s a task over SSH with
# become). Here the arguments go on standard input and the executable is
#  - on a local connection without become: the collection's own, run in place;
#  - on other hosts: kept under its SHA-256 in $HOME/.ansible/fabrun/modules
#    of the user it runs as (0700; root's under become, never under
#    fabrun_home, which the service user owns): one command a task once the
#    host has that build, the copy only after a rebuild, which replaces it.
# Ansible's own path stays for what this does not cover: async tasks, kept
# remote files, a shell that is not POSIX, local become, a remote host whose
# pipelining is off (sudo's requiretty), and a host with
# fabrun_module_cache: false (a home it may not run programs from).
from __future__ import annotations

import hashlib
import json
import os
import shlex

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.vars.clean import remove_internal_keys

try:  # ansible-core 2.19+: the JSON profile a module's arguments are encoded with
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # older cores take Ansible's own path
    get_module_encoder = None

CACHE_DIR = '"$HOME/.ansible/fabrun/modules"'
# What the host prints instead of a result while it lacks this build.
MISSING = 'FABRUN-MODULE-NOT-CACHED'

_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: str) -> str:
    """SHA-256 of the controller file at path, remembered for the task's worker (fabric_install calls twice)."""
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
        _digests[key] = h.hexdigest()
    return _digests[key]


class CachedModuleAction(NormalAction):
    """Ansible's normal action, with the module run in place or from the host's cache."""

    def _placement(self, wrap_async, task_vars) -> str:
        """'in place', 'cached' or '' (Ansible's own path) for this task's module."""
        conn = self._connection
        if wrap_async or self._task.async_val or C.DEFAULT_KEEP_REMOTE_FILES or get_module_encoder is None:
            return ''
        setting = self._templar.template(task_vars.get('fabrun_module_cache', True))
        try:
            if not boolean(setting, strict=True):
                return ''
        except TypeError:
            raise AnsibleActionFail('%s: fabrun_module_cache must be true or false (is %r)' % (
                task_vars.get('inventory_hostname'), setting))
        if getattr(conn._shell, 'SHELL_FAMILY', '') != 'sh' or not conn.has_pipelining:
            return ''
        if conn.transport in ('local', 'ansible.builtin.local'):
            return '' if conn.become else 'in place'
        return 'cached' if conn.is_pipelining_enabled(wrap_async) else ''

    def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None, persist_files=False,
                        delete_remote_tmp=None, wrap_async=False, ignore_unknown_opts=False):
        task_vars = task_vars or {}
        placement = self._placement(wrap_async, task_vars)
        if not placement:
            return super()._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars,
                                           wrap_async=wrap_async, ignore_unknown_opts=ignore_unknown_opts)
        module_name = module_name or self._task.action
        module_args = dict(self._task.args if module_args is None else module_args)
        self._update_module_args(module_name, module_args, task_vars, ignore_unknown_opts=ignore_unknown_opts)
        bits, path = self._configure_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
        if bits.module_style != 'binary':
            raise AnsibleActionFail('%s is not a binary module (%s)' % (module_name, bits.module_style))
        args = json.dumps(module_args, cls=get_module_encoder(bits.serialization_profile, Direction.CONTROLLER_TO_MODULE)).encode()
        env = self._compute_environment_string()
        if placement == 'in place':
            res = self._low_level_execute_command('%s %s -' % (env, shlex.quote(path)), sudoable=False, in_data=args)
        else:
            name = os.path.basename(path)
            cached = '%s/%s-%s' % (CACHE_DIR, name, file_digest(path))
            command = 'f=%s; if [ -x "$f" ]; then %s "$f" -; exit $?; fi; echo %s' % (cached, env, MISSING)
            res = self._low_level_execute_command(command, sudoable=True, in_data=args)
            if res.get('stdout', '').strip() == MISSING:
                self._cache(path, name, cached)
                res = self._low_level_execute_command(command, sudoable=True, in_data=args)
        data = self._parse_returned_data(res, bits.serialization_profile)
        remove_internal_keys(data)
        return data

    def _to_host(self, path: str, name: str) -> str:
        """Send the controller file at path into the task's temporary directory as name; its path there."""
        shell = self._connection._shell
        if shell.tmpdir is None:
            self._make_tmp_path()
        remote = shell.join_path(shell.tmpdir, name)
        self._transfer_file(path, remote)
        self._fixup_perms2((shell.tmpdir, remote))
        return remote

    def _cache(self, path: str, name: str, cached: str) -> None:
        """Put this build on the host (through the task's temporary directory), replacing older ones."""
        remote = self._to_host(path, name)
        # A whole file or none (rename); other builds of the module go, but
        # not another task's copy in flight (those end in .<pid>).
        script = ('f=%(cached)s; umask 077 && mkdir -p %(dir)s && cp %(src)s "$f.$$" && chmod 0700 "$f.$$" && '
                  'mv -f "$f.$$" "$f" && for o in %(dir)s/%(name)s-*; do '
                  'case "${o##*/}" in "${f##*/}"|*.*) ;; *) rm -f "$o" ;; esac; done') % {
            'cached': cached, 'dir': CACHE_DIR, 'name': shlex.quote(name), 'src': shlex.quote(remote)}
        res = self._low_level_execute_command(script, sudoable=True)
        if res.get('rc') != 0:
            raise AnsibleActionFail('keeping module %s on the host failed: %s' % (
                name, (res.get('stderr') or res.get('stdout') or '').strip()))
