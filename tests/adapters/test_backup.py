"""`gsdb backup` then `gsdb restore` brings rows back; backups carry no secrets."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from graph_sitter.adapters.database import Cluster
from tests.conftest import run_gsdb


def test_backup_then_restore_preserves_rows(cluster: Cluster, gsdb_env: dict[str, str], tmp_path: Path) -> None:
    name = f"backup-probe-{uuid.uuid4()}"
    with cluster.connect("task_db") as conn:
        conn.execute("INSERT INTO tasks (name) VALUES (%s)", (name,))
    with cluster.connect("events_db") as conn:
        before_events = conn.execute("SELECT count(*) FROM events").fetchone()

    backup_dir = tmp_path / "backup"
    result = run_gsdb(gsdb_env, "backup", str(backup_dir))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert set(manifest["databases"]) == {"task_db", "projects_db", "prompts_db", "codebase_db", "analytics_db",
                                          "events_db", "learning_db"}
    secrets = cluster.credentials.all(cluster.server_key).values()
    for path in backup_dir.iterdir():
        data = path.read_bytes()
        assert not any(s.encode() in data for s in secrets), f"{path.name} contains a password"

    with cluster.connect("task_db") as conn:
        conn.execute("DELETE FROM tasks WHERE name = %s", (name,))

    result = run_gsdb(gsdb_env, "restore", str(backup_dir))
    assert result.returncode == 0, result.stderr
    with cluster.connect("task_db") as conn:
        assert conn.execute("SELECT count(*) FROM tasks WHERE name = %s", (name,)).fetchone() == (1,)
    with cluster.connect("events_db") as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == before_events
    # Grants and the cross-database schemas come back too.
    with cluster.connect("task_db", "readonly") as ro:
        assert ro.execute("SELECT count(*) FROM tasks WHERE name = %s", (name,)).fetchone() == (1,)
    with cluster.connect("analytics_db", "readonly") as ro:
        assert ro.execute("SELECT count(*) FROM task.tasks WHERE name = %s", (name,)).fetchone() == (1,)


def test_restore_refuses_a_folder_that_is_not_a_backup(gsdb_env: dict[str, str], tmp_path: Path) -> None:
    result = run_gsdb(gsdb_env, "restore", str(tmp_path))
    assert result.returncode != 0
    assert "not a gsdb backup" in result.stderr
    assert "Traceback" not in result.stderr
