"""`gsdb nightly` end to end on the session's PostgreSQL: incremental runs, the codebase lock under concurrency,
a failing repository among good ones, branches, transient errors, and the records in task_db and analytics_db."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any


from graph_sitter import plugins
from graph_sitter.adapters.database import Cluster
from graph_sitter.config import Settings
from graph_sitter.jobs.config import load_config
from graph_sitter.jobs.locks import codebase_lock
from graph_sitter.jobs.nightly import run_nightly
from graph_sitter.jobs.retry import RetryPolicy
from graph_sitter.plugins import hookimpl
from tests.codebase.test_pipeline import _snapshot
from tests.conftest import GSDB, run_gsdb
from tests.jobs.conftest import codebase_id, make_repo, run_statuses, unique_name, write_config


def _nightly(env: dict[str, str], config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_gsdb(env, "nightly", "--config", str(config), *args)


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return json.loads(result.stdout)


def test_a_second_run_is_incremental_and_an_unchanged_repository_is_left_alone(
        gsdb_env: dict[str, str], cluster: Cluster, repo: Path, tmp_path: Path) -> None:
    name = unique_name("inc")
    config = write_config(tmp_path / "n.toml", [{"name": name, "path": str(repo)}])
    first = _nightly(gsdb_env, config, "--json")
    assert first.returncode == 0, first.stderr
    assert _json(first)["repositories"][0]["run_type"] == "full"
    unchanged = _json(_nightly(gsdb_env, config, "--json"))["repositories"][0]
    assert unchanged["status"] == "completed" and unchanged["run_type"] == "unchanged"
    (repo / "pkg" / "extra.py").write_text("def extra():\n    return 1\n")
    changed = _json(_nightly(gsdb_env, config, "--json"))["repositories"][0]
    assert changed["run_type"] == "incremental" and changed["files_analyzed"] == 1
    forced = _json(_nightly(gsdb_env, config, "--json", "--analyse-unchanged"))["repositories"][0]
    assert forced["run_type"] == "incremental" and forced["files_analyzed"] == 0
    assert run_statuses(cluster, name) == [("full", "completed"), ("incremental", "completed"),
                                           ("incremental", "completed")]


def test_two_concurrent_runs_leave_the_same_rows_as_one(gsdb_env: dict[str, str], cluster: Cluster,
                                                         tmp_path: Path) -> None:
    import sysconfig

    source = tmp_path / "source"
    for package in ("json", "email", "concurrent"):  # large enough for the two runs to overlap
        shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / package, source / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    twice, once = unique_name("twice"), unique_name("once")
    shutil.copytree(source, tmp_path / twice)
    shutil.copytree(source, tmp_path / once)
    config = write_config(tmp_path / "twice.toml", [{"name": twice, "path": str(tmp_path / twice)}])
    # --analyse-unchanged: the run that waits for the lock analyses too, instead of finding nothing changed
    procs = [subprocess.Popen([GSDB, "nightly", "--config", str(config), "--json", "--analyse-unchanged"],
                              env=gsdb_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outputs]
    runs = sorted(json.loads(o[0])["repositories"][0]["run_type"] for o in outputs)
    assert runs == ["full", "incremental"]  # one waited for the other's lock, then found nothing to parse
    single = write_config(tmp_path / "once.toml", [{"name": once, "path": str(tmp_path / once)}])
    assert _nightly(gsdb_env, single).returncode == 0
    assert _snapshot(cluster, codebase_id(cluster, twice)) == _snapshot(cluster, codebase_id(cluster, once))
    assert run_statuses(cluster, twice) == [("full", "completed"), ("incremental", "completed")]


def test_a_locked_codebase_is_waited_for_or_skipped(gsdb_env: dict[str, str], settings: Settings, repo: Path,
                                                    tmp_path: Path) -> None:
    name = unique_name("locked")
    config = write_config(tmp_path / "n.toml", [{"name": name, "path": str(repo)}])
    with codebase_lock(settings, name):
        skipped = _nightly(gsdb_env, config, "--skip-locked", "--json")
        waiting = subprocess.Popen([GSDB, "nightly", "--config", str(config), "--json"], env=gsdb_env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None  # still waiting for the lock
    out, err = waiting.communicate(timeout=120)
    assert skipped.returncode == 0, skipped.stderr
    outcome = _json(skipped)["repositories"][0]
    assert outcome["status"] == "skipped" and "another job" in outcome["error"]
    assert waiting.returncode == 0, err
    assert json.loads(out)["repositories"][0]["run_type"] == "full"


def test_a_failing_repository_does_not_stop_the_others(gsdb_env: dict[str, str], cluster: Cluster, repo: Path,
                                                       tmp_path: Path) -> None:
    good, missing, nogit = unique_name("good"), unique_name("missing"), unique_name("nogit")
    plain = make_repo(tmp_path / "plain")
    config = write_config(tmp_path / "mixed.toml", [
        {"name": missing, "path": str(tmp_path / "does-not-exist")},
        {"name": nogit, "path": str(plain), "branch": "main"},
        {"name": good, "path": str(repo)},
    ], name=unique_name("mixed"))
    result = _nightly(gsdb_env, config)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    table = result.stdout
    for name in (good, missing, nogit):
        assert name in table
    assert table.count("failed") >= 2 and "completed" in table and "1 of 3 repositories ok" in table
    assert run_statuses(cluster, good) == [("full", "completed")]
    assert codebase_id(cluster, missing) is None
    workflow = load_config(config).name
    with cluster.connect("task_db") as conn:
        status, done, failed, results = conn.execute(
            "SELECT e.status, e.completed_tasks, e.failed_tasks, e.workflow_results FROM workflow_executions e"
            " JOIN workflows w ON w.id = e.workflow_id WHERE w.name = %s", (workflow,)).fetchone()
    assert (status, done, failed) == ("failed", 1, 2)
    assert {k: v["status"] for k, v in results["steps"].items()} == {good: "completed", missing: "failed",
                                                                     nogit: "failed"}
    assert "no such directory" in results["steps"][missing]["error"]
    assert "not a git repository" in results["steps"][nogit]["error"]
    with cluster.connect("analytics_db") as conn:
        history = conn.execute(
            "SELECT r.status, r.failed_metrics, array_agg(s.step_name || ':' || s.status ORDER BY s.step_name)"
            " FROM analysis_runs r JOIN analysis_steps s ON s.analysis_run_id = r.id"
            " WHERE r.trigger_source = 'gsdb nightly' AND r.name = %s GROUP BY r.id", (f"nightly {workflow}",)).fetchall()
    assert history == [("failed", 2, sorted([f"{good}:completed", f"{missing}:failed", f"{nogit}:failed"]))]


def test_a_branch_is_analysed_in_a_worktree_without_touching_the_checkout(
        gsdb_env: dict[str, str], cluster: Cluster, repo: Path, tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                              env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                                   "HOME": str(tmp_path)}).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "main")
    git("checkout", "-q", "-b", "feature")
    (repo / "pkg" / "feature.py").write_text("def only_on_feature():\n    return 1\n")
    git("add", ".")
    git("commit", "-q", "-m", "feature")
    git("checkout", "-q", "main")
    name = unique_name("branch")
    config = write_config(tmp_path / "n.toml", [{"name": name, "path": str(repo), "branch": "feature"}])
    first = _nightly(gsdb_env, config, "--json")
    assert first.returncode == 0, first.stderr
    outcome = _json(first)["repositories"][0]
    assert outcome["status"] == "completed" and outcome["commit"] == git("rev-parse", "feature")
    assert git("symbolic-ref", "--short", "HEAD") == "main" and not (repo / "pkg" / "feature.py").exists()
    elements = _snapshot(cluster, codebase_id(cluster, name))[0]
    assert any(e[1] == "pkg.feature.only_on_feature" for e in elements)
    again = _json(_nightly(gsdb_env, config, "--json"))["repositories"][0]
    assert again["run_type"] == "unchanged"  # the worktree kept its files' mtimes


class _DropConnectionOnce:
    """Terminates the analysis' own codebase_db connection the first time a run starts: a real lost connection."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.fired = 0

    @hookimpl
    def analysis_started(self, run: Any) -> None:
        if self.fired:
            return
        self.fired += 1
        with self.cluster.connect("codebase_db", autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                         " AND application_name = 'gsdb' AND pid <> pg_backend_pid()")


def test_a_lost_connection_is_retried_and_the_run_completes(analysis_env: None, settings: Settings,
                                                           cluster: Cluster, repo: Path, tmp_path: Path) -> None:
    name = unique_name("retry")
    dropper = _DropConnectionOnce(cluster)
    plugins.plugin_manager().register(dropper, name="drop-connection")
    config = load_config(write_config(tmp_path / "n.toml", [{"name": name, "path": str(repo)}]))
    report = run_nightly(settings, config, policy=RetryPolicy(attempts=3, base_delay=0.1))
    outcome = report.outcomes[0]
    assert dropper.fired == 1
    assert report.ok and outcome.status == "completed" and outcome.attempts == 2, outcome
    # the interrupted run is marked failed by the one that followed it
    assert run_statuses(cluster, name) == [("full", "failed"), ("full", "completed")]
