"""The plugin system around `analyze`: runtime plugins get the hooks, a raising plugin loses nothing, plugins can be
disabled, and the learning plugin runs after the analytics plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_sitter import plugins
from graph_sitter.adapters.database import Cluster
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from graph_sitter.plugins import hookimpl
from tests.domains.test_events import (  # noqa: F401 (fixtures)
    Recorder, analysis_env, codebase_events, make_repo, recorder, unique_name,
)


class Exploding:
    """A plugin whose analysis_finished always raises."""

    @hookimpl
    def analysis_finished(self, run: Any, result: Any) -> None:
        raise RuntimeError("boom in analysis_finished")


def _codebase_rows(cluster: Cluster, run_id: Any, codebase_id: Any) -> tuple[int, str]:
    with cluster.connect("codebase_db") as conn:
        elements = conn.execute("SELECT count(*) FROM code_elements WHERE codebase_id = %s",
                                (codebase_id,)).fetchone()[0]
        status = conn.execute("SELECT status FROM analysis_runs WHERE id = %s", (run_id,)).fetchone()[0]
    return elements, status


def test_runtime_plugin_receives_the_hooks(recorder: Recorder, settings: Settings, tmp_path: Path) -> None:
    result = analyze(make_repo(tmp_path / "repo"), AnalyzeOptions(name=unique_name("hooks"), jobs=1), settings)
    hooks = [name for name, _ in recorder.calls]
    assert hooks[0] == "analysis_started" and hooks[-1] == "analysis_finished"
    assert "files_analyzed" in hooks
    assert sum(n for name, n in recorder.calls if name == "files_analyzed") == result.files["analyzed"]
    assert recorder.calls[-1][1] == result.run_id and recorder.runs[0].id == result.run_id
    assert result.plugin_failures == []


def test_raising_plugin_loses_no_analysis_data(analysis_env: None, settings: Settings, cluster: Cluster,
                                               tmp_path: Path) -> None:
    pm = plugins.plugin_manager()
    pm.register(Exploding(), name="exploding")
    try:
        result = analyze(make_repo(tmp_path / "repo"), AnalyzeOptions(name=unique_name("boom"), jobs=1), settings)
    finally:
        pm.unregister(name="exploding")
    elements, status = _codebase_rows(cluster, result.run_id, result.codebase_id)
    assert elements == sum(result.elements.values()) > 0 and status == "completed"
    assert result.plugin_failures == [{"plugin": "exploding", "hook": "analysis_finished",
                                       "error": "RuntimeError: boom in analysis_finished"}]
    failed = [e for e in codebase_events(cluster, result.codebase_id) if e.name == "plugin.failed"]
    assert len(failed) == 1
    assert failed[0].payload["plugin"] == "exploding" and failed[0].payload["hook"] == "analysis_finished"
    assert "boom" in failed[0].payload["error"]
    # the other built-in writers still did their work
    names = {e.name for e in codebase_events(cluster, result.codebase_id)}
    assert {"analysis.started", "analysis.completed"} <= names
    with cluster.connect("analytics_db") as conn:
        assert conn.execute("SELECT count(*) FROM analysis_runs WHERE codebase_run_id = %s",
                            (result.run_id,)).fetchone()[0] == 1


def test_disabled_events_plugin_writes_no_event(analysis_env: None, settings: Settings, cluster: Cluster,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_SITTER_DISABLE_PLUGINS", "events")
    plugins.reset_plugin_manager()
    assert plugins.plugin_manager().get_plugin("events") is None
    assert plugins.plugin_manager().get_plugin("learning") is not None
    result = analyze(make_repo(tmp_path / "repo"), AnalyzeOptions(name=unique_name("quiet"), jobs=1), settings)
    assert codebase_events(cluster, result.codebase_id) == []
    elements, status = _codebase_rows(cluster, result.run_id, result.codebase_id)
    assert elements > 0 and status == "completed"


def test_learning_runs_after_analytics(analysis_env: None) -> None:
    order = [impl.plugin_name for impl in reversed(plugins.plugin_manager().hook.analysis_finished.get_hookimpls())]
    assert order.index("analytics") < order.index("learning") == len(order) - 1


def test_builtin_plugins_are_listed_with_their_hooks(analysis_env: None) -> None:
    described = {p["name"]: p for p in plugins.describe_plugins()}
    assert {"analysis_started", "analysis_finished", "analysis_failed", "plugin_failed"} <= set(
        described["events"]["hooks"])
    assert described["learning"]["hooks"] == ["analysis_finished"] and described["learning"]["builtin"]
