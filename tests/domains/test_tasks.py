"""task_db as users meet it: findings of `gsdb analyze` become deduplicated tasks, the run's resource usage, and
the library and CLI over tasks, hierarchy, dependencies and workflows."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.task_db import (DependencyCycle, InvalidTransition, TaskError, TaskNotFound, TaskStore)
from graph_sitter.builtins.tasks import findings_of, hotspot_priority
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from tests.conftest import run_gsdb


def _complex(name: str, branches: int) -> str:
    """A function with cyclomatic complexity 1 + branches."""
    body = "".join(f"    if x == {i}:\n        r += {i}\n" for i in range(branches))
    return f"def {name}(x):\n    r = 0\n{body}    return r\n\n\n"


def _git(repo: Path, *args: str, author: str = "Alice") -> None:
    email = f"{author.lower()}@example.com"
    subprocess.run(["git", "-c", f"user.name={author}", "-c", f"user.email={email}", *args], cwd=repo, check=True,
                   capture_output=True, timeout=30)


def _make_repo(root: Path) -> Path:
    """A git repository with one hotspot (cc 12), one simple function and an import cycle a <-> b."""
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "mod.py").write_text(_complex("tangled", 11) + "def simple():\n    return 1\n")
    (root / "a.py").write_text("import b\n\n\ndef fa():\n    return b.fb()\n")
    (root / "b.py").write_text("import a\n\n\ndef fb():\n    return 1\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "first", author="Alice")
    (root / "a.py").write_text((root / "a.py").read_text() + "# touched\n")
    _git(root, "commit", "-qam", "second", author="Bob")
    return root


@pytest.fixture()
def store(cluster: Cluster) -> Iterator[TaskStore]:
    with cluster.connect("task_db", autocommit=True) as conn:
        yield TaskStore(conn)


def _finding_tasks(store: TaskStore, codebase_id: uuid.UUID) -> dict[str, tuple]:
    rows = store.conn.execute(
        "SELECT metadata ->> 'finding_key', id, status, priority, name, output_data FROM tasks"
        " WHERE metadata ->> 'codebase_id' = %s ORDER BY created_at",
        (str(codebase_id),),
    ).fetchall()
    return {r[0] + ("" if r[2] != "completed" else f"#{r[1]}"): r[1:] for r in rows}


def _name() -> str:
    return f"tasks-{uuid.uuid4().hex[:8]}"


# -- findings become tasks ------------------------------------------------------------------------------------
def test_analysis_turns_hotspots_and_cycles_into_tasks(settings: Settings, cluster: Cluster, store: TaskStore,
                                                       tmp_path: Path) -> None:
    result = analyze(_make_repo(tmp_path / "repo"), AnalyzeOptions(name=_name()), settings)
    assert result.plugin_failures == []
    tasks = _finding_tasks(store, result.codebase_id)
    assert set(tasks) == {"hotspot:mod.tangled", "import_cycle:a,b"}
    _, status, priority, name, _ = tasks["hotspot:mod.tangled"]
    assert (status, priority, name) == ("pending", "low", "Reduce complexity of mod.tangled")
    assert tasks["import_cycle:a,b"][3] in ("Break import cycle a -> b -> a", "Break import cycle b -> a -> b")
    task = store.get_task(tasks["hotspot:mod.tangled"][0])
    assert task.input_data["cyclomatic_complexity"] == 12 and task.input_data["file"] == "mod.py"
    assert task.metadata["codebase"] == result.codebase and task.task_type == "maintenance"
    assert [t.name for t in store.list_tasks(codebase=result.codebase)] == [t.name for t in
                                                                             store.list_tasks(codebase=str(result.codebase_id))]


def test_analysis_records_its_resource_usage(settings: Settings, store: TaskStore, tmp_path: Path) -> None:
    result = analyze(_make_repo(tmp_path / "repo"), AnalyzeOptions(name=_name()), settings)
    usage = store.run_usage(result.run_id)
    whole = usage[None]
    assert whole["wall_time_ms"] == round(result.seconds["total"] * 1000)
    assert whole["cpu_user_ms"] + whole["cpu_system_ms"] > 0
    assert whole["memory_peak_rss_bytes"] > 10 * 1024 * 1024
    assert {"walk", "parse", "store"} <= set(usage) - {None}


def test_rerun_without_change_creates_no_task(settings: Settings, store: TaskStore, tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo")
    name = _name()
    first = analyze(repo, AnalyzeOptions(name=name), settings)
    before = store.conn.execute("SELECT count(*) FROM tasks").fetchone()
    again = analyze(repo, AnalyzeOptions(name=name), settings)
    assert again.plugin_failures == []
    assert store.conn.execute("SELECT count(*) FROM tasks").fetchone() == before
    assert _finding_tasks(store, first.codebase_id) == _finding_tasks(store, again.codebase_id)
    assert len(store.run_usage(again.run_id)) > 1  # each run still records what it cost


def test_fixed_hotspot_closes_its_task_and_a_relapse_opens_a_new_one(settings: Settings, store: TaskStore,
                                                                    tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo")
    name = _name()
    first = analyze(repo, AnalyzeOptions(name=name), settings)
    hotspot_task = _finding_tasks(store, first.codebase_id)["hotspot:mod.tangled"][0]
    (repo / "mod.py").write_text(_complex("tangled", 3) + "def simple():\n    return 1\n")
    _git(repo, "commit", "-qam", "simplify")
    fixed = analyze(repo, AnalyzeOptions(name=name), settings)
    closed = store.get_task(hotspot_task)
    assert closed.status == "completed" and closed.completed_at is not None
    assert "no longer found" in closed.output_data["note"]
    assert closed.output_data["resolved_by_run_id"] == str(fixed.run_id)
    assert _finding_tasks(store, first.codebase_id)["import_cycle:a,b"][1] == "pending"  # still there

    (repo / "mod.py").write_text(_complex("tangled", 25) + "def simple():\n    return 1\n")
    relapse = analyze(repo, AnalyzeOptions(name=name), settings)
    tasks = _finding_tasks(store, relapse.codebase_id)
    new_id, status, priority, _, _ = tasks["hotspot:mod.tangled"]
    assert new_id != hotspot_task and status == "pending" and priority == "normal"  # cc 26
    assert store.get_task(hotspot_task).status == "completed"


def test_worse_hotspot_updates_its_task(settings: Settings, store: TaskStore, tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo")
    name = _name()
    first = analyze(repo, AnalyzeOptions(name=name), settings)
    task_id = _finding_tasks(store, first.codebase_id)["hotspot:mod.tangled"][0]
    (repo / "mod.py").write_text(_complex("tangled", 35) + "def simple():\n    return 1\n")
    analyze(repo, AnalyzeOptions(name=name), settings)
    task = store.get_task(task_id)
    assert (task.status, task.priority, task.input_data["cyclomatic_complexity"]) == ("pending", "high", 36)


def test_cancelled_finding_task_is_not_recreated(settings: Settings, store: TaskStore, tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo")
    name = _name()
    first = analyze(repo, AnalyzeOptions(name=name), settings)
    task_id = _finding_tasks(store, first.codebase_id)["import_cycle:a,b"][0]
    store.set_status(task_id, "cancelled", "the cycle is intended")
    (repo / "b.py").write_text((repo / "b.py").read_text() + "# changed\n")
    again = analyze(repo, AnalyzeOptions(name=name), settings)
    tasks = _finding_tasks(store, again.codebase_id)
    assert tasks["import_cycle:a,b"][:2] == (task_id, "cancelled")


def test_hotspot_cut_from_a_truncated_list_keeps_its_task(settings: Settings, store: TaskStore,
                                                         tmp_path: Path) -> None:
    """The pipeline reports the top 20 hotspots; one pushed out of them is not fixed and its task stays open."""
    repo = tmp_path / "many"
    repo.mkdir()
    functions = {f"f{i:02d}": 9 + i for i in range(21)}  # cc 10 .. 30: 21 hotspots, f00 is the least complex
    (repo / "many.py").write_text("".join(_complex(n, b) for n, b in functions.items()))
    name = _name()
    first = analyze(repo, AnalyzeOptions(name=name), settings)
    assert first.findings["metrics"]["hotspot_count"] == 21 and len(first.findings["hotspots"]) == 20
    keys = set(_finding_tasks(store, first.codebase_id))
    assert "hotspot:many.f01" in keys and "hotspot:many.f00" not in keys

    functions["g"] = 40  # a new, worse hotspot pushes f01 (cc 11) out of the top 20
    (repo / "many.py").write_text("".join(_complex(n, b) for n, b in functions.items()))
    second = analyze(repo, AnalyzeOptions(name=name), settings)
    assert "many.f01" not in {h["qualified_name"] for h in second.findings["hotspots"]}
    tasks = _finding_tasks(store, second.codebase_id)
    assert tasks["hotspot:many.f01"][1] == "pending"
    assert tasks["hotspot:many.g"][2] == "high"


def test_priority_follows_complexity_and_cycle_keys_ignore_rotation() -> None:
    assert [hotspot_priority(cc) for cc in (10, 19, 20, 29, 30, 49, 50, 400)] == [
        "low", "low", "normal", "normal", "high", "high", "critical", "critical"]
    one = findings_of({"import_cycles": [["a", "b", "c"]]})[0]
    other = findings_of({"import_cycles": [["b", "c", "a"]]})[0]
    assert one.key == other.key == "import_cycle:a,b,c"
    assert one.name == "Break import cycle a -> b -> c -> a" and one.priority == "normal"
    assert findings_of({"import_cycles": [["a", "b", "c", "d"]]})[0].priority == "high"


# -- hierarchy and dependencies -------------------------------------------------------------------------------
def test_hierarchy_children_ancestors_subtree_and_moves(store: TaskStore) -> None:
    root = store.create_task("release 2.0")
    docs = store.create_task("write docs", parent=root.id)
    page = store.create_task("api page", parent=str(docs.id)[:13])
    code = store.create_task("ship code", parent=root.id, priority="high")
    assert (page.root_task_id, page.task_level) == (root.id, 2)
    assert [t.id for t in store.children(root.id)] == [docs.id, code.id]
    assert [t.id for t in store.ancestors(page.id)] == [docs.id, root.id]
    assert [t.id for t in store.subtree(root.id)] == [root.id, docs.id, page.id, code.id]
    with pytest.raises(DependencyCycle, match="circular task hierarchy"):
        store.move_task(root.id, page.id)
    moved = store.move_task(docs.id, code.id)
    assert moved.task_level == 2 and store.get_task(page.id).task_level == 3
    assert store.move_task(docs.id, None).root_task_id == docs.id


def test_dependencies_refuse_cycles_and_list_both_directions(store: TaskStore) -> None:
    a, b, c = (store.create_task(n) for n in ("design", "build", "test"))
    store.add_dependency(b.id, a.id)                      # build waits for design
    store.add_dependency(c.id, b.id)                      # test waits for build
    again = store.add_dependency(c.id, b.id)              # idempotent
    assert again.dependency_type == "depends_on"
    with pytest.raises(DependencyCycle, match="circular dependency"):
        store.add_dependency(a.id, c.id)                  # design waiting for test closes the loop
    with pytest.raises(DependencyCycle, match="circular dependency"):
        store.add_dependency(c.id, a.id, "blocks")        # test before design: the same loop
    with pytest.raises(DependencyCycle):
        store.add_dependency(a.id, a.id)
    assert [t.id for t in store.blocked_by(b.id)] == [a.id]
    assert [t.id for t in store.blocking(b.id)] == [c.id]
    store.complete_task(a.id)
    assert store.blocked_by(b.id, unfinished_only=True) == []
    store.add_dependency(a.id, c.id, "related_to")        # not an ordering: no cycle
    assert len(store.dependencies(a.id)) == 2
    assert store.remove_dependency(c.id, b.id) and not store.remove_dependency(c.id, b.id)


def test_bad_values_and_unknown_ids_are_task_errors(store: TaskStore) -> None:
    with pytest.raises(TaskError, match="invalid priority"):
        store.create_task("x", priority="asap")
    with pytest.raises(TaskNotFound):
        store.get_task(str(uuid.uuid4()))
    with pytest.raises(TaskNotFound):
        store.get_task("not-an-id!")


def test_done_stamps_completion_and_keeps_the_note(store: TaskStore) -> None:
    task = store.complete_task(store.create_task("tidy up").id, "done in #12")
    assert task.status == "completed" and task.completed_at is not None and task.output_data["note"] == "done in #12"


# -- workflows ------------------------------------------------------------------------------------------------
def test_workflow_runs_its_steps_in_order(store: TaskStore) -> None:
    wf = store.create_workflow(f"release-{uuid.uuid4().hex[:6]}", ["build", "test", "deploy"])
    assert [s.name for s in wf.steps] == ["build", "test", "deploy"]
    assert [t.id for t in store.blocked_by(wf.steps[1].task_id)] == [wf.steps[0].task_id]
    run = store.start_workflow(wf.name)
    assert (run.status, run.current_stage) == ("running", "build")
    assert [s.status for s in run.steps] == ["running", "pending", "pending"]
    with pytest.raises(InvalidTransition, match="active execution"):
        store.start_workflow(wf.name)
    run = store.complete_step(run.id, {"artifact": "app.whl"})
    assert (run.current_stage, run.completed_tasks, run.stages_completed) == ("test", 1, ["build"])
    assert store.get_task(wf.steps[0].task_id).status == "completed"
    assert store.get_task(wf.steps[1].task_id).status == "in_progress"

    paused = store.set_execution_status(run.id, "paused")
    with pytest.raises(InvalidTransition, match="paused"):
        store.complete_step(run.id)
    assert paused.status == "paused"
    store.set_execution_status(str(run.id)[:8], "running")
    store.complete_step(run.id)
    done = store.complete_step(run.id)
    assert (done.status, done.completed_tasks, done.current_stage) == ("completed", 3, None)
    assert done.completed_at is not None and [s.status for s in done.steps] == ["completed"] * 3
    with pytest.raises(InvalidTransition):
        store.complete_step(run.id)
    with pytest.raises(InvalidTransition, match="invalid status transition"):
        store.set_execution_status(run.id, "running")    # completed is terminal

    second = store.start_workflow(wf.name)               # a new execution; the steps start over
    assert [s.status for s in second.steps] == ["running", "pending", "pending"]
    assert len(store.executions(wf.name)) == 2


def test_failed_or_cancelled_step_ends_the_execution(store: TaskStore) -> None:
    wf = store.create_workflow(f"nightly-{uuid.uuid4().hex[:6]}", ["fetch", "crunch"])
    run = store.start_workflow(wf.id)
    failed = store.fail_step(run.id, "network down")
    assert (failed.status, failed.failed_tasks, failed.error_message) == ("failed", 1, "network down")
    assert failed.steps[0].status == "failed" and failed.steps[0].error_message == "network down"
    with pytest.raises(InvalidTransition):
        store.fail_step(run.id, "again")
    retry = store.start_workflow(wf.id)
    cancelled = store.set_execution_status(retry.id, "cancelled")
    assert cancelled.status == "cancelled" and cancelled.steps[0].status == "cancelled"
    with pytest.raises(TaskError, match="exists already"):
        store.create_workflow(wf.name, ["x"])
    with pytest.raises(TaskError, match="must differ"):
        store.create_workflow("dupes", ["a", "a"])


# -- CLI ------------------------------------------------------------------------------------------------------
def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cli_add_depend_show_done(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    tag = uuid.uuid4().hex[:6]
    parent = _ok(run_gsdb(gsdb_env, "tasks", "add", f"epic {tag}", "--priority", "high")).strip()
    child = _ok(run_gsdb(gsdb_env, "tasks", "add", f"story {tag}", "--parent", parent[:8])).strip()
    other = json.loads(_ok(run_gsdb(gsdb_env, "tasks", "add", f"spike {tag}", "--json")))
    assert other["status"] == "pending" and other["parent_task_id"] is None
    _ok(run_gsdb(gsdb_env, "tasks", "depend", child, other["id"]))
    error = _one_line_error(run_gsdb(gsdb_env, "tasks", "depend", other["id"], child))
    assert error.startswith("gsdb: error: circular dependency")
    shown = _ok(run_gsdb(gsdb_env, "tasks", "show", child))
    assert f"story {tag}" in shown and f"epic {tag}" in shown and f"spike {tag}" in shown
    details = json.loads(_ok(run_gsdb(gsdb_env, "tasks", "show", child, "--json")))
    assert details["ancestors"][0]["id"] == parent and details["blocked_by"][0]["id"] == other["id"]
    listed = _ok(run_gsdb(gsdb_env, "tasks", "list"))
    assert f"story {tag}" in listed
    _ok(run_gsdb(gsdb_env, "tasks", "done", child, "--note", "shipped"))
    assert f"story {tag}" not in _ok(run_gsdb(gsdb_env, "tasks", "list"))
    assert f"story {tag}" in _ok(run_gsdb(gsdb_env, "tasks", "list", "--status", "completed"))
    assert _ok(run_gsdb(gsdb_env, "tasks", "tree", parent)).splitlines()[1].endswith(f"  story {tag}")
    assert "no task" in _one_line_error(run_gsdb(gsdb_env, "tasks", "show", "ffffffff-0000"))


def test_cli_lists_the_tasks_of_an_analysed_codebase(settings: Settings, gsdb_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    name = _name()
    analyze(_make_repo(tmp_path / "repo"), AnalyzeOptions(name=name), settings)
    rows = json.loads(_ok(run_gsdb(gsdb_env, "tasks", "list", "--codebase", name, "--json")))
    assert sorted(r["metadata"]["finding_key"] for r in rows) == ["hotspot:mod.tangled", "import_cycle:a,b"]


def test_cli_workflow(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    name = f"ship-{uuid.uuid4().hex[:6]}"
    _ok(run_gsdb(gsdb_env, "tasks", "workflow", "create", name, "build", "release"))
    started = json.loads(_ok(run_gsdb(gsdb_env, "tasks", "workflow", "start", name, "--json")))
    assert started["status"] == "running" and started["current_stage"] == "build"
    _ok(run_gsdb(gsdb_env, "tasks", "workflow", "next", started["id"]))
    finished = _ok(run_gsdb(gsdb_env, "tasks", "workflow", "next", started["id"][:8]))
    assert "completed" in finished.splitlines()[0] and "(2/2 steps done)" in finished
    error = _one_line_error(run_gsdb(gsdb_env, "tasks", "workflow", "next", started["id"]))
    assert "only a running execution advances" in error
    assert name in _ok(run_gsdb(gsdb_env, "tasks", "workflow", "list"))
