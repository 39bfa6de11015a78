"""The migration runner: order, checksums, drift refusal, status."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from graph_sitter.adapters import migrations
from graph_sitter.adapters.database import Cluster
from graph_sitter.errors import MigrationError


@pytest.fixture()
def scratch(cluster: Cluster):
    """An empty database owned by the bootstrap role, dropped afterwards."""
    name = f"{cluster.settings.db_prefix}gs_scratch_migrations"
    with cluster.admin_connect(autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with cluster.admin_connect(name, autocommit=True) as conn:
        yield conn
    with cluster.admin_connect(autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _write(root: Path, db: str, name: str, text: str) -> Path:
    folder = root / "migrations" / db
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_applies_common_then_database_files_in_order(scratch: psycopg.Connection, tmp_path: Path) -> None:
    _write(tmp_path, "_common", "0001_log.sql", "CREATE TABLE log (step text);")
    _write(tmp_path, "demo_db", "0002_second.sql", "INSERT INTO log VALUES ('second');")
    _write(tmp_path, "demo_db", "0001_first.sql", "INSERT INTO log VALUES ('first');")
    applied = migrations.migrate(scratch, "demo_db", root=tmp_path)
    assert applied == ["_common/0001_log", "demo_db/0001_first", "demo_db/0002_second"]
    assert [r[0] for r in scratch.execute("SELECT step FROM log")] == ["first", "second"]
    assert migrations.migrate(scratch, "demo_db", root=tmp_path) == []
    states = migrations.status(scratch, "demo_db", root=tmp_path)
    assert {s.state for s in states} == {"applied"}


def test_a_changed_applied_file_is_refused(scratch: psycopg.Connection, tmp_path: Path) -> None:
    path = _write(tmp_path, "demo_db", "0001_t.sql", "CREATE TABLE t (id int);")
    migrations.migrate(scratch, "demo_db", root=tmp_path)
    path.write_text("CREATE TABLE t (id bigint);")
    _write(tmp_path, "demo_db", "0002_more.sql", "CREATE TABLE u (id int);")
    with pytest.raises(MigrationError, match="was changed after it was applied"):
        migrations.migrate(scratch, "demo_db", root=tmp_path)
    assert scratch.execute("SELECT to_regclass('u')").fetchone() == (None,)  # nothing after the drift ran
    assert [s.state for s in migrations.status(scratch, "demo_db", root=tmp_path)] == ["changed", "pending"]


def test_a_failing_migration_leaves_no_trace(scratch: psycopg.Connection, tmp_path: Path) -> None:
    _write(tmp_path, "demo_db", "0001_bad.sql", "CREATE TABLE half (id int); SELECT no_such_function();")
    with pytest.raises(MigrationError, match="0001_bad failed"):
        migrations.migrate(scratch, "demo_db", root=tmp_path)
    assert scratch.execute("SELECT to_regclass('half')").fetchone() == (None,)
    assert scratch.execute("SELECT count(*) FROM schema_migrations").fetchone() == (0,)


def test_badly_named_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "demo_db", "create_things.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_name.sql"):
        migrations.discover("demo_db", root=tmp_path)


def test_shipped_migrations_are_all_applied(cluster: Cluster) -> None:
    from graph_sitter.config import DATABASES

    for db in DATABASES:
        with cluster.connect(db, "owner") as conn:
            states = migrations.status(conn, db)
        assert states and all(s.state == "applied" for s in states), (db, states)
