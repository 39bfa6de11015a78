"""The job queue and its workers on the session's PostgreSQL: queueing, deduplication, nightly steps run by a
worker, a worker killed mid-job, and webhook events that queue analyses."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.events_db import StoredEvent
from graph_sitter.adapters.projects_db import RepositoryFacts, open_project_store
from graph_sitter.builtins import analysis_jobs
from graph_sitter.config import Settings
from graph_sitter.jobs.queue import SCHEMA_VERSION, check_schema_version, enqueue_analysis
from tests.codebase.test_pipeline import _snapshot
from tests.conftest import GSDB, REPO, run_gsdb
from tests.jobs.conftest import codebase_id, make_repo, run_statuses, unique_name, write_config

FAST = ("--heartbeat", "0.5", "--stalled-after", "3", "--recovery-interval", "0.5")


def _job(cluster: Cluster, job_id: int) -> tuple[str, int]:
    with cluster.connect("task_db") as conn:
        return conn.execute("SELECT status::text, attempts FROM procrastinate.procrastinate_jobs WHERE id = %s",
                            (job_id,)).fetchone()


def _events(cluster: Cluster, job_id: int) -> list[str]:
    with cluster.connect("task_db") as conn:
        return [r[0] for r in conn.execute(
            "SELECT type::text FROM procrastinate.procrastinate_events WHERE job_id = %s ORDER BY id", (job_id,))]


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    # its own process group: a kill reaches the analysis' worker processes too, as a lost machine would
    return subprocess.Popen([GSDB, "worker", *FAST, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_the_task_db_schema_is_procrastinates_own(cluster: Cluster) -> None:
    import procrastinate

    check_schema_version()  # the installed procrastinate needs nothing task_db lacks
    shipped = (Path(procrastinate.__file__).parent / "sql" / "schema.sql").read_text()
    ours = (REPO / "database" / "migrations" / "task_db" / "0003_procrastinate.sql").read_text()
    assert shipped.strip() in ours
    assert max(p.stem for p in (Path(procrastinate.__file__).parent / "sql" / "migrations").glob("*.sql")) \
        == SCHEMA_VERSION
    with cluster.connect("task_db", "readonly") as ro:
        ro.execute("SELECT count(*) FROM procrastinate.procrastinate_jobs").fetchone()


def test_enqueue_deduplicates_waiting_jobs_and_refuses_bad_paths(gsdb_env: dict[str, str], settings: Settings,
                                                                cluster: Cluster, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "dedupe")
    name = unique_name("dedupe")
    first = enqueue_analysis(settings, repo, name=name, reason="test")
    second = enqueue_analysis(settings, repo, name=name, reason="test again")
    assert second.job_id == first.job_id and second.already_queued and not first.already_queued
    full = enqueue_analysis(settings, repo, name=name, full=True, reason="test")
    assert full.job_id != first.job_id
    assert _job(cluster, first.job_id)[0] == "todo"
    bad = run_gsdb(gsdb_env, "enqueue", str(tmp_path / "nowhere"))
    assert bad.returncode != 0 and bad.stderr.strip() == f"gsdb: error: {tmp_path / 'nowhere'}: no such directory"
    # leave nothing queued for the other tests' workers
    with cluster.connect("task_db", autocommit=True) as conn:
        conn.execute("UPDATE procrastinate.procrastinate_jobs SET status = 'cancelled' WHERE id = ANY(%s)",
                     ([first.job_id, full.job_id],))


def test_a_nightly_run_queued_for_workers_completes_its_workflow(gsdb_env: dict[str, str], cluster: Cluster,
                                                                 tmp_path: Path) -> None:
    names = [unique_name("queued"), unique_name("queued")]
    config = write_config(tmp_path / "q.toml", [{"name": n, "path": str(make_repo(tmp_path / n))} for n in names],
                          name=unique_name("queued"))
    queued = run_gsdb(gsdb_env, "nightly", "--config", str(config), "--enqueue", "--json")
    assert queued.returncode == 0, queued.stderr
    worker = run_gsdb(gsdb_env, "worker", "--burst", *FAST, timeout=300)
    assert worker.returncode == 0, worker.stdout + worker.stderr
    for name in names:
        assert run_statuses(cluster, name) == [("full", "completed")]
    with cluster.connect("task_db") as conn:
        status, done = conn.execute(
            "SELECT e.status, e.completed_tasks FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id"
            " WHERE w.name LIKE 'nightly:queued-%%' AND e.input_data -> 'repositories' ? %s", (names[0],)).fetchone()
    assert (status, done) == ("completed", 2)


def test_a_worker_killed_mid_job_leads_to_the_job_completing_exactly_once(
        gsdb_env: dict[str, str], settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    import sysconfig

    repo = tmp_path / "big"
    for package in ("email", "json", "asyncio", "xml", "concurrent"):
        shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / package, repo / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    name = unique_name("killed")
    job = enqueue_analysis(settings, repo, name=name, full=True, jobs=1, reason="kill test")
    first = _worker(gsdb_env)
    try:
        def analysing() -> bool:
            with cluster.connect("codebase_db") as conn:
                return conn.execute("SELECT 1 FROM analysis_runs r JOIN codebases c ON c.id = r.codebase_id"
                                    " WHERE c.name = %s AND r.status = 'running'", (name,)).fetchone() is not None
        _wait_for(analysing, 120, "the first worker to start the analysis")
        time.sleep(0.3)  # into the parse phase
        assert _job(cluster, job.job_id)[0] == "doing"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert run_statuses(cluster, name) == [("full", "running")]  # the kill landed mid-job
    second = _worker(gsdb_env)
    try:
        _wait_for(lambda: _job(cluster, job.job_id)[0] == "succeeded", 240, "the second worker to finish the job")
    finally:
        second.send_signal(signal.SIGTERM)  # a graceful stop
        output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output
    status, attempts = _job(cluster, job.job_id)
    events = _events(cluster, job.job_id)
    assert status == "succeeded" and attempts == 2
    assert events.count("succeeded") == 1 and events.count("started") == 2 and "deferred_for_retry" in events
    # exactly one completed analysis; the killed one was rolled back and marked failed
    assert run_statuses(cluster, name) == [("full", "failed"), ("full", "completed")]
    reference = unique_name("reference")
    shutil.copytree(repo, tmp_path / "reference")
    done = run_gsdb(gsdb_env, "analyze", str(tmp_path / "reference"), "--name", reference, "--full")
    assert done.returncode == 0, done.stderr
    assert _snapshot(cluster, codebase_id(cluster, name)) == _snapshot(cluster, codebase_id(cluster, reference))


def _event(event_type: str, payload: dict[str, Any], action: str | None = None) -> StoredEvent:
    return StoredEvent(id=uuid.uuid4(), occurred_at=datetime.now(timezone.utc), source="github",
                       event_type=event_type, action=action, external_id=None, delivery_id=str(uuid.uuid4()),
                       title=None, target_type="repository", target_id=None, target_name=None, status="received",
                       parent_event_id=None, thread_id=None, payload=payload, tags=[], metadata={})


def test_github_events_on_a_registered_repository_queue_an_analysis(analysis_env: None, settings: Settings,
                                                                    cluster: Cluster, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "hooked")
    owner = unique_name("octo")
    with open_project_store(settings) as store:
        store.register_repository(RepositoryFacts(name="hooked", local_path=str(repo),
                                                  clone_url=f"https://github.com/{owner}/hooked.git",
                                                  full_name=f"{owner}/hooked", provider="github"))
    analysis_jobs.forget_registrations()
    repository = {"full_name": f"{owner}/hooked", "default_branch": "main",
                  "clone_url": f"https://github.com/{owner}/hooked.git"}

    def queued() -> list[tuple[int, str]]:
        with cluster.connect("task_db") as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT id, args ->> 'reason' FROM procrastinate.procrastinate_jobs WHERE status = 'todo'"
                " AND args -> 'request' ->> 'path' = %s ORDER BY id", (str(repo.resolve()),))]

    analysis_jobs.event_received(_event("push", {"ref": "refs/heads/feature", "repository": repository}))
    analysis_jobs.event_received(_event("push", {"ref": "refs/heads/main", "deleted": True, "repository": repository}))
    analysis_jobs.event_received(_event("pull_request", {"action": "closed", "number": 7, "repository": repository},
                                        action="closed"))
    other = dict(repository, full_name=f"{owner}/other", clone_url=f"https://github.com/{owner}/other.git")
    analysis_jobs.event_received(_event("push", {"ref": "refs/heads/main", "repository": other}))
    assert queued() == []
    analysis_jobs.event_received(_event("push", {"ref": "refs/heads/main", "after": "abc123", "repository": repository}))
    by_url = dict(repository, full_name=None, clone_url=f"git@github.com:{owner}/hooked.git")
    analysis_jobs.event_received(_event("pull_request", {"action": "opened", "number": 7, "repository": by_url},
                                        action="opened"))
    jobs = queued()
    assert len(jobs) == 1 and jobs[0][1].startswith("github push to main")  # the pull request joined it
    with cluster.connect("task_db", autocommit=True) as conn:
        conn.execute("UPDATE procrastinate.procrastinate_jobs SET status = 'cancelled' WHERE id = %s", (jobs[0][0],))
