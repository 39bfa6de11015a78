"""The plugin manager: built-in plugins, third-party plugins from the `graph_sitter` entry-point group.

GRAPH_SITTER_DISABLE_PLUGINS=name1,name2 leaves named plugins out; GRAPH_SITTER_TRACE_HOOKS=1 logs every hook call.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pluggy

from graph_sitter import hookspecs

hookimpl = pluggy.HookimplMarker("graph_sitter")
log = logging.getLogger("graph_sitter.plugins")

#: Modules registered by default, by their plugin name. Filled as the built-in writers land.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "graph_sitter.builtins.analytics",
    "graph_sitter.builtins.analysis_jobs",
    "graph_sitter.builtins.events",
    "graph_sitter.builtins.learning",
    "graph_sitter.builtins.projects",
    "graph_sitter.builtins.prompts",
    "graph_sitter.builtins.tasks",
)


def _disabled() -> set[str]:
    return {name.strip() for name in os.environ.get("GRAPH_SITTER_DISABLE_PLUGINS", "").split(",") if name.strip()}


def build_plugin_manager() -> pluggy.PluginManager:
    """A manager with the hook specs, the default plugins and every installed entry-point plugin."""
    import importlib

    pm = pluggy.PluginManager("graph_sitter")
    pm.add_hookspecs(hookspecs)
    disabled = _disabled()
    for module_name in DEFAULT_PLUGINS:
        name = module_name.rsplit(".", 1)[-1]
        if name not in disabled:
            pm.register(importlib.import_module(module_name), name=name)
    pm.load_setuptools_entrypoints("graph_sitter")
    for name in disabled:
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin)
    return pm


_manager: pluggy.PluginManager | None = None


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _manager
    if _manager is None:
        _manager = build_plugin_manager()
    return _manager


def call_safely(hook_name: str, **kwargs: Any) -> tuple[list[Any], list[tuple[str, BaseException]]]:
    """Call a hook one implementation at a time, so that a raising plugin neither stops the others nor the run.

    Returns the results and the (plugin name, error) pairs of the implementations that raised.
    """
    pm = plugin_manager()
    hook = getattr(pm.hook, hook_name)
    results: list[Any] = []
    failures: list[tuple[str, BaseException]] = []
    tracing = bool(os.environ.get("GRAPH_SITTER_TRACE_HOOKS"))
    for impl in reversed(hook.get_hookimpls()):
        if tracing:
            log.warning("hook %s -> %s", hook_name, impl.plugin_name)
        try:
            value = impl.function(**{arg: kwargs[arg] for arg in impl.argnames if arg in kwargs})
        except Exception as exc:  # a plugin's bug must not lose analysis data
            log.warning("plugin %s failed in %s: %s", impl.plugin_name, hook_name, exc)
            failures.append((impl.plugin_name, exc))
            continue
        if value is not None:
            results.append(value)
    return results, failures


def describe_plugins() -> list[dict[str, Any]]:
    """Each registered plugin with the hooks it implements, for `gsdb plugins`."""
    pm = plugin_manager()
    described = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        dist = dict(pm.list_plugin_distinfo()).get(plugin)
        described.append({
            "name": name,
            "hooks": hooks,
            "builtin": name in {m.rsplit(".", 1)[-1] for m in DEFAULT_PLUGINS},
            "distribution": None if dist is None else f"{dist.project_name} {dist.version}",
        })
    return described


def reset_plugin_manager() -> None:
    """Forget the process-wide manager, so the next use rebuilds it (after installing or disabling plugins)."""
    global _manager
    _manager = None
