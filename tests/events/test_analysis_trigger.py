"""A signed GitHub push or pull request, sent over HTTP to `gsdb serve`, queues an analysis of the registered
repository it is about (the job that `gsdb worker` runs); events about other repositories or branches queue none."""

from __future__ import annotations

import json
import time
from pathlib import Path

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.projects_db import RepositoryFacts, open_project_store
from graph_sitter.config import Settings
from tests.events.conftest import Server, fixture, github_headers
from tests.jobs.conftest import make_repo, unique_name


def _queued(cluster: Cluster, path: Path) -> list[tuple[int, str]]:
    with cluster.connect("task_db") as conn:
        return [(int(r[0]), str(r[1])) for r in conn.execute(
            "SELECT id, args ->> 'reason' FROM procrastinate.procrastinate_jobs WHERE status = 'todo'"
            " AND args -> 'request' ->> 'path' = %s ORDER BY id", (str(path.resolve()),))]


def _wait_for_jobs(cluster: Cluster, path: Path, timeout: float = 30) -> list[tuple[int, str]]:
    deadline = time.monotonic() + timeout
    while not (jobs := _queued(cluster, path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return jobs


def test_signed_push_over_http_queues_an_analysis_of_the_registered_checkout(
        server: Server, settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "served")
    owner = unique_name("octo")
    with open_project_store(settings) as store:
        store.register_repository(RepositoryFacts(name="served", local_path=str(repo),
                                                  clone_url=f"https://github.com/{owner}/served.git",
                                                  full_name=f"{owner}/served", provider="github"))
    push = fixture("github_push")
    push["repository"].update(full_name=f"{owner}/served", name="served", default_branch="main",
                              clone_url=f"https://github.com/{owner}/served.git")

    feature = dict(push, ref="refs/heads/feature")
    body = json.dumps(feature).encode()
    assert server.post("github", body, github_headers(body, "push")).status_code == 200
    elsewhere = json.loads(json.dumps(push))
    elsewhere["repository"].update(full_name=f"{owner}/elsewhere", clone_url=f"https://github.com/{owner}/x.git")
    body = json.dumps(elsewhere).encode()
    assert server.post("github", body, github_headers(body, "push")).status_code == 200
    time.sleep(1.0)  # the hook runs after the answer: give it time to (not) queue
    assert _queued(cluster, repo) == []

    body = json.dumps(dict(push, ref="refs/heads/main")).encode()
    assert server.post("github", body, github_headers(body, "push")).status_code == 200
    jobs = _wait_for_jobs(cluster, repo)
    assert len(jobs) == 1 and jobs[0][1].startswith("github push to main"), jobs
    with cluster.connect("task_db", autocommit=True) as conn:  # no worker of another test should run it
        conn.execute("UPDATE procrastinate.procrastinate_jobs SET status = 'cancelled' WHERE id = %s", (jobs[0][0],))
