"""Schema behaviour users rely on: time partitions, immutable prompt versions, cascades, the cross-database view."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from psycopg import errors

from graph_sitter.adapters.database import Cluster
from graph_sitter.config import DATABASES


def test_every_time_series_table_is_partitioned_with_partitions_ahead(cluster: Cluster) -> None:
    expected = {"analytics_db": {"metrics", "performance_data"}, "events_db": {"events", "event_aggregations"},
                "learning_db": {"training_metrics"}}
    now = datetime.now(timezone.utc)
    ahead = f"_p{now.year + (now.month + 2) // 12}{(now.month + 2) % 12 + 1:02d}"  # three months on
    for db, tables in expected.items():
        with cluster.connect(db, "owner") as conn:
            partitioned = {r[0] for r in conn.execute(
                "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid")}
            assert tables <= partitioned, db
            for table in tables:
                parts = {r[0] for r in conn.execute(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = %s::regclass", (table,))}
                assert f"{table}_default" in parts
                assert f"{table}{ahead}" in parts, (table, sorted(parts))


def test_unique_keys_of_time_series_tables_include_the_time_column(cluster: Cluster) -> None:
    for db, table, column in (("analytics_db", "metrics", "measured_at"), ("events_db", "events", "occurred_at"),
                              ("learning_db", "training_metrics", None)):
        with cluster.connect(db, "owner") as conn:
            time_column = column or conn.execute(
                "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid"
                " AND a.attnum = p.partattrs[0] WHERE p.partrelid = %s::regclass", (table,)).fetchone()[0]
            keys = conn.execute(
                "SELECT conname, array(SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY(conkey))"
                " FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", (table,)).fetchall()
            assert keys
            for name, columns in keys:
                assert time_column in columns, (table, name, columns)


def test_a_month_far_away_gets_its_partition_and_default_rows_move_into_it(cluster: Cluster) -> None:
    far = datetime(2031, 7, 15, tzinfo=timezone.utc)
    with cluster.connect("analytics_db", "owner", autocommit=True) as conn:
        conn.execute("INSERT INTO metrics (metric_name, value_numeric, measured_at) VALUES ('probe', 1, %s)", (far,))
        assert conn.execute("SELECT count(*) FROM metrics_default WHERE metric_name = 'probe'").fetchone() == (1,)
        conn.execute("SELECT gs_ensure_time_partition('metrics', %s)", (far,))
        assert conn.execute("SELECT count(*) FROM metrics_default WHERE metric_name = 'probe'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM metrics_p203107 WHERE metric_name = 'probe'").fetchone() == (1,)
        dropped = [r[0] for r in conn.execute("SELECT gs_drop_time_partitions('metrics', '2031-09-01')")]
        assert "metrics_p203107" in dropped and "metrics_default" not in dropped


def test_a_prompt_version_cannot_be_changed_once_created(cluster: Cluster) -> None:
    with cluster.connect("prompts_db", "owner", autocommit=True) as conn:
        template = conn.execute("INSERT INTO prompt_templates (name) VALUES (%s) RETURNING id", (f"p-{uuid.uuid4()}",)).fetchone()[0]
        version = conn.execute(
            "INSERT INTO prompt_versions (template_id, template_content) VALUES (%s, 'Hello {{ name }}') RETURNING id, version_number",
            (template,),
        ).fetchone()
        assert version[1] == 1
        with pytest.raises(psycopg.Error):
            conn.execute("UPDATE prompt_versions SET template_content = 'changed' WHERE id = %s", (version[0],))
        with pytest.raises(psycopg.Error):
            conn.execute("DELETE FROM prompt_versions WHERE id = %s", (version[0],))
        conn.execute("DELETE FROM prompt_templates WHERE id = %s", (template,))  # the whole template may go
        assert conn.execute("SELECT count(*) FROM prompt_versions WHERE id = %s", (version[0],)).fetchone() == (0,)


def test_updated_at_triggers_exist_on_every_table_that_has_the_column(cluster: Cluster) -> None:
    for db in DATABASES:
        with cluster.connect(db, "owner") as conn:
            missing = conn.execute(
                "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND a.attname = 'updated_at' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                " AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'gs_set_updated_at')"
            ).fetchall()
            assert missing == [], (db, missing)


def test_analytics_sees_the_other_databases_read_only(cluster: Cluster) -> None:
    name = f"fdw-probe-{uuid.uuid4()}"
    with cluster.connect("task_db", "owner") as conn:
        conn.execute("INSERT INTO tasks (name) VALUES (%s)", (name,))
    with cluster.connect("analytics_db", "readonly") as ro:
        assert ro.execute("SELECT count(*) FROM task.tasks WHERE name = %s", (name,)).fetchone() == (1,)
        ro.execute("SELECT * FROM cross_domain_summary")
    with cluster.connect("analytics_db", "owner") as owner:
        schemas = {r[0] for r in owner.execute("SELECT foreign_table_schema FROM information_schema.foreign_tables")}
        assert {"task", "projects", "prompts", "codebase", "events", "learning"} <= schemas
        # The remote side logs in as analytics_readonly, so even the owner of the foreign tables cannot write.
        with pytest.raises(errors.InsufficientPrivilege):
            owner.execute("DELETE FROM task.tasks WHERE name = %s", (name,))


@pytest.mark.parametrize("db", DATABASES)
def test_no_owner_role_can_create_roles_or_databases(cluster: Cluster, db: str) -> None:
    with cluster.connect(db, "owner", autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE ROLE gs_should_not_exist")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE DATABASE gs_should_not_exist")
