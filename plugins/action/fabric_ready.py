# fabrun.fabric.fabric_ready runs without a copy of its executable for each task
# (plugins/plugin_utils/cached_module.py).
from ansible_collections.fabrun.fabric.plugins.plugin_utils.cached_module import CachedModuleAction as ActionModule  # noqa: F401
