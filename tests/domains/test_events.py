"""events_db after `analyze`: lifecycle events, findings against the previous run, idempotent redelivery."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from graph_sitter import plugins
from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.events_db import EventStore, NewEvent, StoredEvent
from graph_sitter.builtins import events as events_plugin
from graph_sitter.builtins.events import compare_findings, cycle_key, delivery_id
from graph_sitter.codebase import pipeline
from graph_sitter.codebase.pipeline import AnalysisResult, AnalyzeOptions, analyze
from graph_sitter.config import Settings
from graph_sitter.plugins import hookimpl

HOT = '''
def hot(a, b, c):
    total = 0
    for i in range(a):
        if i % 2:
            total += 1
        elif i % 3:
            total -= 1
        if b and c:
            total += 2
        if b or c:
            total += 3
    while total > 100:
        total -= 7
        if total == 50:
            break
    return total if a else -total if b else 0
'''

WORSE = '''
def tangled(x, y):
    if x > 1:
        y += 1
    if x > 2:
        y += 2
    if x > 3:
        y += 3
    if x > 4 and y:
        y += 4
    if x > 5 or y:
        y += 5
    for i in range(x):
        if i == y:
            continue
        while y > i:
            y -= 1
    try:
        y = y // x
    except ZeroDivisionError:
        y = 0
    return y if x else None
'''


def make_repo(root: Path) -> Path:
    """A small Python repository: plain functions, one hotspot, one import cycle (pkg.a <-> pkg.b)."""
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n\n\ndef one():\n    return b.two()\n" + HOT)
    (pkg / "b.py").write_text("from pkg import a\n\n\ndef two():\n    return 2\n\n\ndef three():\n    return a.one()\n")
    return root


def make_worse(root: Path) -> None:
    """Add a complex function: a new hotspot, and the mean complexity rises well over 10 %."""
    (root / "pkg" / "worse.py").write_text(WORSE)


def unique_name(prefix: str) -> str:
    """A codebase name no other test uses (the session's databases are shared)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture()
def analysis_env(monkeypatch: pytest.MonkeyPatch, gsdb_env: dict[str, str], cluster: Cluster) -> Iterator[None]:
    """The session's install in os.environ (hooks without a result load settings from it), fresh plugin manager."""
    for key in list(os.environ):
        if key.startswith(("GRAPH_SITTER_", "POSTGRES_")) and key not in gsdb_env:
            monkeypatch.delenv(key)
    for key, value in gsdb_env.items():
        monkeypatch.setenv(key, value)
    plugins.reset_plugin_manager()
    yield
    plugins.reset_plugin_manager()


class Recorder:
    """A plugin registered at runtime that remembers what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.runs: list[Any] = []
        self.events: list[StoredEvent] = []

    @hookimpl
    def analysis_started(self, run: Any) -> None:
        self.calls.append(("analysis_started", run.id))
        self.runs.append(run)

    @hookimpl
    def files_analyzed(self, run: Any, files: list[Any]) -> None:
        self.calls.append(("files_analyzed", len(files)))

    @hookimpl
    def analysis_finished(self, run: Any, result: Any) -> None:
        self.calls.append(("analysis_finished", result.run_id))

    @hookimpl
    def event_received(self, event: Any) -> None:
        self.events.append(event)


@pytest.fixture()
def recorder(analysis_env: None) -> Iterator[Recorder]:
    """A Recorder registered on the process-wide plugin manager for one test."""
    rec = Recorder()
    pm = plugins.plugin_manager()
    pm.register(rec, name="recorder")
    yield rec
    pm.unregister(name="recorder")


def codebase_events(cluster: Cluster, codebase_id: Any) -> list[StoredEvent]:
    """Every event of one codebase, oldest first."""
    with cluster.connect("events_db") as conn:
        return EventStore(conn).events(codebase_id=codebase_id)


def two_runs(tmp_path: Path, settings: Settings, prefix: str) -> tuple[Path, AnalysisResult, AnalysisResult]:
    """Analyse a fresh repository, make it worse, analyse it again."""
    repo = make_repo(tmp_path / "repo")
    options = AnalyzeOptions(name=unique_name(prefix), jobs=1)
    first = analyze(repo, options, settings)
    make_worse(repo)
    second = analyze(repo, options, settings)
    return repo, first, second


# -- pure comparison ---------------------------------------------------------------------------------------------

def test_compare_findings_reports_new_hotspots_cycles_and_regressions() -> None:
    previous = {"metrics": {"mean_cyclomatic_complexity": 2.0},
                "hotspots": [{"qualified_name": "m.f", "cyclomatic_complexity": 11}],
                "import_cycles": [["m.a", "m.b"]]}
    current = {"metrics": {"mean_cyclomatic_complexity": 2.2},
               "hotspots": [{"qualified_name": "m.f", "cyclomatic_complexity": 13},
                            {"qualified_name": "m.g", "cyclomatic_complexity": 10}],
               "import_cycles": [["m.b", "m.a"], ["m.c", "m.d", "m.e"]]}
    found = {(f.kind, f.subject) for f in compare_findings(previous, current)}
    assert found == {("new_hotspot", "m.g"), ("complexity_regression", "m.f"),
                     ("new_import_cycle", cycle_key(["m.c", "m.d", "m.e"])),
                     ("complexity_regression", "mean_cyclomatic_complexity")}


def test_compare_findings_is_quiet_on_first_run_and_small_changes() -> None:
    current = {"metrics": {"mean_cyclomatic_complexity": 3.0}, "hotspots": [{"qualified_name": "m.f"}]}
    assert compare_findings({}, current) == []
    previous = {"metrics": {"mean_cyclomatic_complexity": 2.9}, "hotspots": [{"qualified_name": "m.f"}]}
    assert compare_findings(previous, current) == []  # +3.4 %: below the 5 % threshold


def test_cycle_key_ignores_rotation_and_delivery_ids_are_deterministic() -> None:
    assert cycle_key(["a", "b", "c"]) == cycle_key(["c", "a", "b"])
    run = uuid.uuid4()
    assert delivery_id(run, "finding.new_hotspot", "m.f") == delivery_id(run, "finding.new_hotspot", "m.f")
    assert delivery_id(run, "finding.new_hotspot", "m.f") != delivery_id(run, "finding.new_hotspot", "m.g")


# -- against the database ----------------------------------------------------------------------------------------

def test_two_runs_record_lifecycle_events_and_findings(analysis_env: None, settings: Settings, cluster: Cluster,
                                                       tmp_path: Path) -> None:
    _, first, second = two_runs(tmp_path, settings, "events")
    stored = codebase_events(cluster, second.codebase_id)
    names = [e.name for e in stored]
    assert names.count("analysis.started") == 2 and names.count("analysis.completed") == 2
    assert all(e.source == "graph_sitter" and e.metadata["codebase_id"] == str(second.codebase_id) for e in stored)
    hotspots = [e for e in stored if e.name == "finding.new_hotspot"]
    assert [e.target_id for e in hotspots] == ["pkg.worse.tangled"]
    assert hotspots[0].payload["cyclomatic_complexity"] >= 10
    assert hotspots[0].thread_id == str(second.run_id)
    regression = [e for e in stored if e.name == "finding.complexity_regression"]
    assert {e.target_id for e in regression} == {"mean_cyclomatic_complexity"}
    assert regression[0].payload["after"] > regression[0].payload["before"]
    # the first run is the baseline: no findings; the cycle pkg.a <-> pkg.b existed in both runs
    assert not [e for e in stored if e.thread_id == str(first.run_id) and e.event_type == "finding"]
    assert not [e for e in stored if e.name == "finding.new_import_cycle"]
    # findings hang under their run's analysis.completed event
    completed = {e.thread_id: e.id for e in stored if e.name == "analysis.completed"}
    assert hotspots[0].parent_event_id == completed[str(second.run_id)]


def test_new_import_cycle_is_a_finding(analysis_env: None, settings: Settings, cluster: Cluster,
                                       tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    options = AnalyzeOptions(name=unique_name("cycle"), jobs=1)
    analyze(repo, options, settings)
    (repo / "pkg" / "c.py").write_text("from pkg import d\n\n\ndef c():\n    return d.d()\n")
    (repo / "pkg" / "d.py").write_text("from pkg import c\n\n\ndef d():\n    return c.c()\n")
    second = analyze(repo, options, settings)
    cycles = [e for e in codebase_events(cluster, second.codebase_id) if e.name == "finding.new_import_cycle"]
    assert len(cycles) == 1 and sorted(cycles[0].payload["modules"]) == ["pkg.c", "pkg.d"]


def test_redelivery_and_unchanged_rerun_add_no_duplicates(recorder: Recorder, settings: Settings,
                                                         cluster: Cluster, tmp_path: Path) -> None:
    repo, _, second = two_runs(tmp_path, settings, "redeliver")
    before = codebase_events(cluster, second.codebase_id)
    run = recorder.runs[-1]
    # the same run's hooks delivered again, to every plugin
    plugins.call_safely("analysis_started", run=run)
    plugins.call_safely("analysis_finished", run=run, result=second)
    assert len(codebase_events(cluster, second.codebase_id)) == len(before)
    # a new run of an unchanged repository: its own started/completed, but no finding is raised again
    third = analyze(repo, AnalyzeOptions(name=second.codebase, jobs=1), settings)
    after = codebase_events(cluster, second.codebase_id)
    added = [e for e in after if e.id not in {b.id for b in before}]
    assert sorted(e.name for e in added) == ["analysis.completed", "analysis.started"]
    assert {e.thread_id for e in added} == {str(third.run_id)}


def test_ingest_is_once_per_delivery_id(analysis_env: None, cluster: Cluster) -> None:
    from datetime import datetime, timezone

    at = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    key = f"test:{uuid.uuid4()}"
    event = NewEvent(source="custom", event_type="test.ping", action="sent", delivery_id=key, external_id=key,
                     occurred_at=at, payload={"n": 1})
    with cluster.connect("events_db") as conn:
        store = EventStore(conn)
        store.ensure_partition(at)
        first = store.ingest(event)
        assert first is not None and first.name == "test.ping.sent" and first.occurred_at == at
        assert store.ingest(event) is None
        # a re-send under a new delivery id but with the provider's same event id is still one event
        again = NewEvent(**{**event.__dict__, "delivery_id": key + ":resend"})
        assert store.ingest(again) is None
        assert conn.execute("SELECT count(*) FROM events WHERE external_id = %s", (key,)).fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM event_deliveries WHERE delivery_id LIKE %s",
                            (key + "%",)).fetchone()[0] == 2


def test_failed_run_records_analysis_failed(analysis_env: None, settings: Settings, cluster: Cluster,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    name = unique_name("failed")

    def broken_walk(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "walk_repository", broken_walk)
    with pytest.raises(RuntimeError):
        analyze(repo, AnalyzeOptions(name=name, jobs=1), settings)
    with cluster.connect("events_db") as conn:
        stored = EventStore(conn).events(source="graph_sitter", event_type="analysis", action="failed")
    failed = [e for e in stored if e.payload.get("codebase") == name]
    assert len(failed) == 1 and "disk on fire" in failed[0].payload["error"]


def test_event_received_once_per_new_event_without_recursion(recorder: Recorder, settings: Settings,
                                                             cluster: Cluster, tmp_path: Path) -> None:
    class Echo:
        """A listener that stores an event of its own for every event it hears."""

        heard = 0

        @hookimpl
        def event_received(self, event: Any) -> None:
            Echo.heard += 1
            events_plugin.plugin_failed(run=recorder.runs[-1], plugin=f"echo-{Echo.heard}", hook="event_received",
                                        error=RuntimeError("echo"))

    pm = plugins.plugin_manager()
    pm.register(Echo(), name="echo")
    try:
        repo = make_repo(tmp_path / "repo")
        result = analyze(repo, AnalyzeOptions(name=unique_name("listen"), jobs=1), settings)
    finally:
        pm.unregister(name="echo")
    names = sorted(e.name for e in recorder.events)
    assert names == ["analysis.completed", "analysis.started"]
    assert Echo.heard == 2  # the echoes were stored but not dispatched again
    stored = codebase_events(cluster, result.codebase_id)
    assert sorted(e.name for e in stored) == ["analysis.completed", "analysis.started", "plugin.failed",
                                              "plugin.failed"]
