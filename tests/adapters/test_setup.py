"""`gsdb setup`: idempotent, seven databases, least-privilege roles, extensions, read-only grants."""

from __future__ import annotations

import stat

import psycopg
import pytest
from psycopg import errors, sql

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.setup import SetupReport, organization_id, run_setup
from graph_sitter.config import DATABASES, Settings


def test_first_setup_creates_everything(setup_report: SetupReport, settings: Settings) -> None:
    assert sorted(setup_report.created_databases) == sorted(settings.database_name(db) for db in DATABASES)
    assert set(setup_report.created_roles) == set(settings.all_roles())
    assert all(setup_report.applied_migrations[db] for db in DATABASES)


def test_second_setup_changes_nothing(cluster: Cluster, settings: Settings) -> None:
    again = run_setup(settings)
    assert not again.changed, again
    assert again.created_roles == [] and again.created_databases == []
    assert all(not versions for versions in again.applied_migrations.values())


def test_setup_leaves_the_package_byte_compiled(cluster: Cluster, settings: Settings) -> None:
    """Even under PYTHONDONTWRITEBYTECODE (CI images), `gsdb` then starts from bytecode, not by compiling sources."""
    import importlib.util
    from pathlib import Path

    import graph_sitter.codebase.pipeline as pipeline

    cached = Path(importlib.util.cache_from_source(pipeline.__file__))
    cached.unlink(missing_ok=True)
    run_setup(settings)
    assert cached.exists()


def test_admin_role_is_not_superuser(cluster: Cluster, settings: Settings) -> None:
    with cluster.admin_connect() as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = %s",
            (settings.admin_role,),
        ).fetchone()
    assert row == (False, True, True, True)


def test_owner_roles_have_no_extra_rights(cluster: Cluster, settings: Settings) -> None:
    with cluster.admin_connect() as conn:
        for db in DATABASES:
            row = conn.execute(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s",
                (settings.owner_role(db),),
            ).fetchone()
            assert row == (False, False, False, False), db


def test_each_owner_owns_its_database_and_every_object_in_it(cluster: Cluster, settings: Settings) -> None:
    for db in DATABASES:
        with cluster.connect(db, "owner") as conn:
            owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").fetchone()
            assert owner == (settings.owner_role(db),)
            foreign_owned = conn.execute(
                "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S','f') AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)"
                # objects of an extension (pg_stat_statements' views) belong to the extension, created by setup's admin
                " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
            ).fetchall()
            assert foreign_owned == [], (db, foreign_owned)


def test_owner_cannot_connect_to_another_database(cluster: Cluster) -> None:
    conninfo = cluster.conninfo("task_db", "owner").replace(
        f"dbname={cluster.settings.database_name('task_db')}", f"dbname={cluster.settings.database_name('events_db')}"
    )
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(conninfo)


def test_owner_cannot_create_roles(cluster: Cluster) -> None:
    with cluster.connect("task_db", "owner") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("CREATE ROLE gs_should_not_exist")


def _tables(conn: psycopg.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        )
    ]


@pytest.mark.parametrize("db", DATABASES)
def test_readonly_reads_every_table_and_writes_none(cluster: Cluster, db: str) -> None:
    with cluster.connect(db, "owner") as conn:
        tables = _tables(conn)
        views = [r[0] for r in conn.execute(
            "SELECT format('%I.%I', schemaname, viewname) FROM pg_views v WHERE schemaname NOT IN ('pg_catalog','information_schema')"
            " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
            "   AND d.objid = format('%I.%I', v.schemaname, v.viewname)::regclass AND d.deptype = 'e')"
        )]
    assert len(tables) >= 4
    with cluster.connect(db, "readonly", autocommit=True) as ro:
        for name in tables + views:
            ro.execute(sql.SQL("SELECT * FROM {} LIMIT 1").format(sql.SQL(name)))
        writes = []
        for name in tables:
            writes += [sql.SQL("INSERT INTO {} DEFAULT VALUES").format(sql.SQL(name)),
                       sql.SQL("DELETE FROM {}").format(sql.SQL(name))]
        for statement in (
            *writes,
            sql.SQL("UPDATE public.schema_migrations SET version = version"),
            sql.SQL("TRUNCATE public.schema_migrations"),
            sql.SQL("CREATE TABLE public.gs_ro_probe (id int)"),
            sql.SQL("CREATE SCHEMA gs_ro_probe"),
            sql.SQL("CREATE TEMP TABLE gs_ro_probe (id int)"),
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                ro.execute(statement)


def test_readonly_default_privileges_cover_future_tables(cluster: Cluster) -> None:
    with cluster.connect("learning_db", "owner", autocommit=True) as conn:
        conn.execute("CREATE TABLE gs_future_probe (id int)")
        try:
            with cluster.connect("learning_db", "readonly") as ro:
                assert ro.execute("SELECT count(*) FROM gs_future_probe").fetchone() == (0,)
        finally:
            conn.execute("DROP TABLE gs_future_probe")


def test_public_cannot_connect_or_create(cluster: Cluster, settings: Settings) -> None:
    with cluster.admin_connect() as conn:
        for db in DATABASES:
            acl = conn.execute(
                "SELECT has_database_privilege('public', datname, 'CONNECT') FROM pg_database WHERE datname = %s",
                (settings.database_name(db),),
            ).fetchone()
            assert acl == (False,), db


def test_credentials_file_is_private(cluster: Cluster) -> None:
    path = cluster.credentials.path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(cluster.settings.all_roles()) <= set(cluster.credentials.all(cluster.server_key))


def test_passwords_are_stored_hashed_not_in_clear(cluster: Cluster, settings: Settings) -> None:
    with cluster.admin_connect() as conn:
        rows = conn.execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(%s)", (settings.all_roles(),)).fetchall() \
            if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0] else []
    for _, secret in rows:
        assert secret is None or secret.startswith("SCRAM-SHA-256$")


def test_one_identity_across_databases(cluster: Cluster, settings: Settings) -> None:
    expected = organization_id(settings.organization)
    for db in DATABASES:
        with cluster.connect(db, "owner") as conn:
            assert conn.execute("SELECT id FROM organizations WHERE slug = %s", (settings.organization,)).fetchone() == (expected,)


def test_optional_extensions_are_created_when_available(setup_report: SetupReport, settings: Settings) -> None:
    created = setup_report.extensions[settings.database_name("analytics_db")]
    assert "postgres_fdw" in created
    assert "pg_trgm" in created or "pg_trgm" in setup_report.missing_extensions
