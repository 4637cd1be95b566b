# Controller side of fabrun.fabric.fabric_install: the controller file's
# SHA-256 goes to the module on the host, which says whether it needs the
# file; only then is it sent (to a temporary directory made for it; a local
# connection reads the controller's file) and the module called again to
# install it. One Go module process when nothing
# changes, where ansible.builtin.copy ran a stat and a copy module (Python).
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.fabrun.fabric.plugins.plugin_utils.cached_module import CachedModuleAction, file_digest

MODULE = 'fabrun.fabric.fabric_install'


class ActionModule(CachedModuleAction):

    def run(self, tmp=None, task_vars=None):
        result = ActionBase.run(self, tmp, task_vars)
        args = dict(self._task.args)
        src = args.pop('src', None)
        if not src:
            raise AnsibleActionFail('src is required: the file on the controller')
        src = os.path.expanduser(str(src))
        if not os.path.isabs(src):
            src = self._find_needle('files', src)
        if not os.path.isfile(src):
            raise AnsibleActionFail('src %s: no such file on the controller' % src)
        args['checksum'] = file_digest(src)

        res = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        if res.get('needs_src') and not res.get('failed'):
            # On the same machine the module reads the controller's file.
            args['src'] = src if self._placement(False, task_vars) == 'in place' else self._to_host(src, 'source')
            res = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        result.update(res)
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
