"""One `gsdb analyze` of a real repository leaves the run's rows in all seven databases, and a re-run adds no
duplicate events or tasks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from graph_sitter.adapters.database import Cluster
from tests.conftest import run_gsdb

COMPLEX = "def tangled(a, b, c, d):\n" + "".join(
    f"    if a == {i}:\n        b += {i}\n    elif c and d:\n        d -= 1\n" for i in range(8)) + "    return b\n"


def _count(cluster: Cluster, db: str, sql: str, *params: object) -> int:
    with cluster.connect(db) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_one_analysis_feeds_all_seven_databases(cluster: Cluster, gsdb_env: dict[str, str], tmp_path: Path) -> None:
    repo = tmp_path / "seven"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("from pkg.core import tangled\n")
    (repo / "pkg" / "core.py").write_text(COMPLEX)
    git = ["git", "-C", str(repo), "-c", "user.name=Ada", "-c", "user.email=ada@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)

    first = json.loads(run_gsdb(gsdb_env, "analyze", str(repo), "--json").stdout)
    cid, run_id = first["codebase_id"], first["run_id"]
    assert first["plugin_failures"] == []
    assert _count(cluster, "codebase_db", "SELECT count(*) FROM code_elements WHERE codebase_id = %s", cid) > 0
    assert _count(cluster, "analytics_db", "SELECT count(*) FROM analysis_runs WHERE codebase_run_id = %s", run_id) == 1
    assert _count(cluster, "analytics_db", "SELECT count(*) FROM metrics WHERE codebase_id = %s", cid) > 0
    assert _count(cluster, "events_db", "SELECT count(*) FROM events WHERE metadata ->> 'codebase_id' = %s", cid) >= 2
    assert _count(cluster, "learning_db", "SELECT count(*) FROM learning_models") > 0
    assert _count(cluster, "projects_db", "SELECT count(*) FROM repositories WHERE local_path = %s", str(repo)) == 1
    assert _count(cluster, "task_db", "SELECT count(*) FROM tasks WHERE metadata ->> 'codebase_id' = %s", cid) >= 1
    assert _count(cluster, "prompts_db", "SELECT count(*) FROM context_sources WHERE source_config ->> 'codebase_id' = %s",
                  cid) == 1

    events = _count(cluster, "events_db", "SELECT count(*) FROM events WHERE metadata ->> 'codebase_id' = %s", cid)
    tasks = _count(cluster, "task_db", "SELECT count(*) FROM tasks WHERE metadata ->> 'codebase_id' = %s", cid)
    second = json.loads(run_gsdb(gsdb_env, "analyze", str(repo), "--json").stdout)
    assert second["files"]["analyzed"] == 0
    assert _count(cluster, "task_db", "SELECT count(*) FROM tasks WHERE metadata ->> 'codebase_id' = %s", cid) == tasks
    # a new run adds its own lifecycle events, never a repeated finding
    after = _count(cluster, "events_db", "SELECT count(*) FROM events WHERE metadata ->> 'codebase_id' = %s", cid)
    assert after == events + 2
    assert _count(cluster, "learning_db", "SELECT count(*) FROM adaptations") >= 1
    assert _count(cluster, "prompts_db", "SELECT count(*) FROM context_sources WHERE source_config ->> 'codebase_id' = %s",
                  cid) == 1
