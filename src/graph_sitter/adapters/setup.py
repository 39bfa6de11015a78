"""`gsdb setup`: roles, the seven databases, extensions, migrations, read-only grants and the analytics FDW.

Idempotent: every step checks the catalogs first, so a second run changes nothing. It connects as the server's
bootstrap role only for what needs it (roles, databases, untrusted extensions, foreign servers); everything
inside a database is created by that database's owner role, so the owner owns all of its objects.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from graph_sitter.adapters import migrations
from graph_sitter.adapters.database import EMBEDDED, Cluster
from graph_sitter.adapters.scram import scram_verifier
from graph_sitter.adapters.server import SUPERUSER
from graph_sitter.bytecode import compile_package
from graph_sitter.config import DATABASES, Settings

#: Extensions created where the server has them; none is required, and a missing one is only reported.
OPTIONAL_EXTENSIONS = ("pg_trgm", "btree_gin", "pg_stat_statements")
#: Namespace for deterministic identity ids: the same organization has the same uuid in all seven databases.
IDENTITY_NAMESPACE = uuid.UUID("5d1f4a3e-8c0b-4f5e-9a57-67736462a001")
#: analytics_db sees each other database through postgres_fdw in a schema named after its domain.
FOREIGN_SCHEMAS = {db: db.removesuffix("_db") for db in DATABASES if db != "analytics_db"}


def organization_id(slug: str) -> uuid.UUID:
    """The id of an organization, identical in every database."""
    return uuid.uuid5(IDENTITY_NAMESPACE, f"organization:{slug}")


def user_id(email: str) -> uuid.UUID:
    """The id of a user, identical in every database."""
    return uuid.uuid5(IDENTITY_NAMESPACE, f"user:{email.lower()}")


@dataclass
class SetupReport:
    """What one `gsdb setup` did."""

    server: str
    version: str
    created_roles: list[str] = field(default_factory=list)
    updated_roles: list[str] = field(default_factory=list)
    created_databases: list[str] = field(default_factory=list)
    applied_migrations: dict[str, list[str]] = field(default_factory=dict)
    extensions: dict[str, list[str]] = field(default_factory=dict)
    missing_extensions: list[str] = field(default_factory=list)
    foreign_schemas_refreshed: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when this run created or altered anything."""
        return bool(
            self.created_roles or self.updated_roles or self.created_databases
            or any(self.applied_migrations.values()) or self.foreign_schemas_refreshed
        )


def migrations_fingerprint() -> str:
    """A hash of every migration and view file; a changed value means setup has work to do."""
    digest = hashlib.sha256()
    for db in DATABASES:
        for m in migrations.discover(db) + migrations.discover_views(db):
            digest.update(f"{m.version}:{m.checksum}\n".encode())
    return digest.hexdigest()


class _Setup:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.settings = cluster.settings
        self.report = SetupReport(server=cluster.endpoint.describe(), version="")

    # -- roles --------------------------------------------------------------------------------------------
    def _password_for(self, role: str, exists: bool) -> tuple[str | None, bool]:
        """The password to set for `role`, or None when the stored one is still right."""
        store = self.cluster.credentials
        key = self.cluster.server_key
        override = self.settings.password_override(role)
        stored = store.get(key, role)
        if exists and stored is not None and (override is None or override == stored):
            return None, False
        password, _ = store.get_or_create(key, role, override or (stored if not exists else None))
        return password, True

    def ensure_roles(self, admin: psycopg.Connection[Any]) -> None:
        existing = {
            r[0]: r[1:]
            for r in admin.execute(
                "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = ANY(%s)",
                (self.settings.all_roles(),),
            )
        }
        wanted = {role: (False, False, False, True) for role in self.settings.all_roles()}
        wanted[self.settings.admin_role] = (False, True, True, True)
        for role, attrs in wanted.items():
            super_, createdb, createrole, login = attrs
            options = sql.SQL(" ").join(
                sql.SQL(word)
                for word in (
                    "LOGIN" if login else "NOLOGIN",
                    "SUPERUSER" if super_ else "NOSUPERUSER",
                    "CREATEDB" if createdb else "NOCREATEDB",
                    "CREATEROLE" if createrole else "NOCREATEROLE",
                    "NOREPLICATION",
                    "NOBYPASSRLS",
                )
            )
            password, new_password = self._password_for(role, role in existing)
            if role not in existing:
                admin.execute(
                    sql.SQL("CREATE ROLE {} WITH {} PASSWORD {}").format(
                        sql.Identifier(role), options, sql.Literal(scram_verifier(password or ""))
                    )
                )
                self.report.created_roles.append(role)
                continue
            if existing[role] != attrs:
                admin.execute(sql.SQL("ALTER ROLE {} WITH {}").format(sql.Identifier(role), options))
                self.report.updated_roles.append(role)
            if new_password and password is not None:
                admin.execute(
                    sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(scram_verifier(password))
                    )
                )
                if role not in self.report.updated_roles:
                    self.report.updated_roles.append(role)
        # pg_monitor: statistics for status and bloat reports; pg_read_all_data: backups that never see the FDW
        # user mappings' passwords (only their mapped users and superusers can); pg_maintain: VACUUM and friends.
        for extra in ("pg_monitor", "pg_read_all_data", "pg_maintain"):
            if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (extra,)).fetchone():
                admin.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(extra), sql.Identifier(self.settings.admin_role)))

    # -- databases ----------------------------------------------------------------------------------------
    def ensure_database(self, admin: psycopg.Connection[Any], db: str) -> None:
        name = self.settings.database_name(db)
        owner = self.settings.owner_role(db)
        row = admin.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if row is None:
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )
            self.report.created_databases.append(name)
        elif row[0] != owner:
            admin.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), sql.Identifier(owner)))
        # Without this every role could connect to every database: task_user must not reach events_db.
        admin.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
        admin.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(
                sql.Identifier(name), sql.Identifier(self.settings.readonly_role), sql.Identifier(self.settings.admin_role)
            )
        )

    def prepare_database(self, db: str) -> None:
        """As the bootstrap role inside one database: extensions and the public schema's ownership."""
        name = self.settings.database_name(db)
        owner = self.settings.owner_role(db)
        with self.cluster.admin_connect(name, autocommit=True) as conn:
            available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
            preloaded = str(conn.execute("SHOW shared_preload_libraries").fetchone()[0])  # type: ignore[index]
            if "pg_stat_statements" not in preloaded:
                available.discard("pg_stat_statements")  # its views fail unless the server preloads it
            wanted = list(OPTIONAL_EXTENSIONS) + (["postgres_fdw"] if db == "analytics_db" else [])
            created = []
            for ext in wanted:
                if ext not in available:
                    if ext not in self.report.missing_extensions:
                        self.report.missing_extensions.append(ext)
                    continue
                try:
                    conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))
                    created.append(ext)
                except psycopg.Error:
                    if ext not in self.report.missing_extensions:
                        self.report.missing_extensions.append(ext)
            self.report.extensions[name] = created
            if "timescaledb" in available:
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            # PostgreSQL < 15 lets PUBLIC create in schema public and gives it to the bootstrap superuser.
            conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            schema_owner = conn.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname='public'").fetchone()
            if schema_owner and schema_owner[0] not in (owner, "pg_database_owner"):
                conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))

    def migrate_database(self, db: str) -> None:
        """As the owner: default privileges for the read-only role, migrations, grants, partitions, identity."""
        readonly = sql.Identifier(self.settings.readonly_role)
        with self.cluster.connect(db, "owner", autocommit=True) as conn:
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(readonly))
            conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {}").format(readonly))
            conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO {}").format(readonly))
            applied = migrations.migrate(conn, db)
            self.report.applied_migrations[db] = applied
            conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(readonly))
            # The database's own schemas besides public (task_db's job queue, `procrastinate`) are readable too.
            for (schema,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname <> 'public'"
                                          " AND nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"):
                for grant in ("GRANT USAGE ON SCHEMA {} TO {}", "GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}",
                              "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}"):
                    conn.execute(sql.SQL(grant).format(sql.Identifier(schema), readonly))
            conn.execute(
                "SELECT gs_create_time_partitions(p.partrelid::regclass, 0, 3) FROM pg_partitioned_table p"
                " JOIN pg_class c ON c.oid = p.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND NOT c.relispartition AND p.partstrat = 'r'"
            )
            slug = self.settings.organization
            conn.execute(
                "INSERT INTO organizations (id, name, slug) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (organization_id(slug), slug, slug),
            )

    # -- cross-database analytics -------------------------------------------------------------------------
    def ensure_foreign_schemas(self, force: bool) -> None:
        """postgres_fdw servers, user mappings and one read-only foreign schema per other database."""
        analytics = self.settings.database_name("analytics_db")
        owner = self.settings.owner_role("analytics_db")
        readonly = self.settings.readonly_role
        key = self.cluster.server_key
        password = self.cluster.credentials.get(key, readonly)
        endpoint = self.cluster.endpoint
        host = "127.0.0.1" if self.cluster.embedded is not None else endpoint.host
        rotated = readonly in self.report.updated_roles or readonly in self.report.created_roles
        with self.cluster.admin_connect(analytics, autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgres_fdw'").fetchone():
                return
            # postgres_fdw refuses non-superusers when the remote end never asks for the password (a trust-auth
            # server); only a superuser may waive that, and only where the server really does not check.
            is_super = admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
            waive = bool(is_super and is_super[0]) and self._server_ignores_passwords()
            for db, schema in FOREIGN_SCHEMAS.items():
                server = f"gs_{schema}"
                options = [("host", host), ("port", str(endpoint.port)), ("dbname", self.settings.database_name(db))]
                if endpoint.sslmode:
                    options.append(("sslmode", endpoint.sslmode))
                opts = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(k), sql.Literal(v)) for k, v in options)
                exists = admin.execute(
                    "SELECT array(SELECT option_name || '=' || option_value FROM pg_options_to_table(srvoptions) ORDER BY 1)"
                    " FROM pg_foreign_server WHERE srvname = %s",
                    (server,),
                ).fetchone()
                if exists and sorted(f"{k}={v}" for k, v in options) != list(exists[0]):
                    # The embedded server moved to another port, or the external one to another host.
                    admin.execute(sql.SQL("DROP SERVER {} CASCADE").format(sql.Identifier(server)))
                    exists = None
                if not exists:
                    admin.execute(sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS ({})").format(sql.Identifier(server), opts))
                    admin.execute(sql.SQL("ALTER SERVER {} OWNER TO {}").format(sql.Identifier(server), sql.Identifier(owner)))
                    force = True
                for mapped in (owner, readonly):
                    has = admin.execute(
                        "SELECT 1 FROM pg_user_mappings WHERE srvname = %s AND usename = %s", (server, mapped)
                    ).fetchone()
                    secret = sql.SQL("user {}, password {}").format(sql.Literal(readonly), sql.Literal(password))
                    if waive:
                        secret = sql.SQL("{}, password_required 'false'").format(secret)
                    if not has:
                        admin.execute(
                            sql.SQL("CREATE USER MAPPING FOR {} SERVER {} OPTIONS ({})").format(
                                sql.Identifier(mapped), sql.Identifier(server), secret
                            )
                        )
                    elif rotated:
                        admin.execute(
                            sql.SQL("ALTER USER MAPPING FOR {} SERVER {} OPTIONS (SET password {})").format(
                                sql.Identifier(mapped), sql.Identifier(server), sql.Literal(password)
                            )
                        )
        with self.cluster.connect("analytics_db", "owner", autocommit=True) as conn:
            for db, schema in FOREIGN_SCHEMAS.items():
                missing = not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
                if not (force or missing or self.report.applied_migrations.get(db)):
                    continue
                with conn.transaction():
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
                    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                    conn.execute(
                        sql.SQL("IMPORT FOREIGN SCHEMA public EXCEPT (schema_migrations) FROM SERVER {} INTO {}").format(
                            sql.Identifier(f"gs_{schema}"), sql.Identifier(schema)
                        )
                    )
                    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(readonly)))
                    conn.execute(
                        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(readonly))
                    )
                self.report.foreign_schemas_refreshed = True
            views = migrations.apply_views(conn, "analytics_db", force=self.report.foreign_schemas_refreshed)
            if views:
                self.report.applied_migrations.setdefault("analytics_db", []).extend(views)
            conn.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(readonly))
            )

    def _server_ignores_passwords(self) -> bool:
        """True when the server lets the read-only role in with a wrong password (trust authentication)."""
        conninfo = self.cluster.conninfo("task_db", "readonly")
        try:
            with psycopg.connect(conninfo + " password=certainly-not-the-password"):
                return True
        except psycopg.Error:
            return False

def ensure_server(cluster: Cluster) -> bool:
    """Initialise and start the embedded server if that is the one in use; True if it now listens on a new port."""
    if cluster.embedded is None:
        return False
    password, _ = cluster.credentials.get_or_create(EMBEDDED, SUPERUSER, cluster.settings.password_override(SUPERUSER))
    cluster.embedded.initialize(password)
    before = cluster.embedded.port
    return cluster.embedded.start() != before


def _state_file(settings: Settings):
    return settings.home / f"setup-state{('-' + settings.db_prefix) if settings.db_prefix else ''}.json"


def run_setup(settings: Settings, cluster: Cluster | None = None) -> SetupReport:
    """Create or update everything; safe to run any number of times."""
    started = time.perf_counter()
    cluster = cluster or Cluster(settings)
    ensure_server(cluster)
    worker = _Setup(cluster)
    with cluster.admin_connect(autocommit=True) as admin:
        worker.report.version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        # One setup at a time per server: roles and databases are cluster-wide.
        admin.execute("SELECT pg_advisory_lock(hashtext('graph_sitter.setup'))")
        worker.ensure_roles(admin)
        for db in DATABASES:
            worker.ensure_database(admin, db)
        for db in DATABASES:
            worker.prepare_database(db)
            worker.migrate_database(db)
        worker.ensure_foreign_schemas(force=False)
        admin.execute("SELECT pg_advisory_unlock(hashtext('graph_sitter.setup'))")
    worker.report.seconds = time.perf_counter() - started
    state = _state_file(settings)
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"fingerprint": migrations_fingerprint(), "server": cluster.server_key}))
    compile_package()
    return worker.report


def ensure_ready(settings: Settings, cluster: Cluster | None = None) -> Cluster:
    """Make the databases usable: start the embedded server, and run setup on first use or after an upgrade."""
    cluster = cluster or Cluster(settings)
    if cluster.embedded is None:
        return cluster
    try:
        state = json.loads(_state_file(settings).read_text())
    except (FileNotFoundError, ValueError):
        state = {}
    if not cluster.embedded.initialized or state.get("fingerprint") != migrations_fingerprint():
        run_setup(settings, cluster)
    elif ensure_server(cluster):
        run_setup(settings, cluster)  # the analytics FDW must follow the server to its new port
    return cluster


def drop_everything(settings: Settings, cluster: Cluster | None = None) -> list[str]:
    """Drop the seven databases and the roles of this install (prefix included); returns what was dropped."""
    cluster = cluster or Cluster(settings)
    dropped = []
    with cluster.admin_connect(autocommit=True) as admin:
        for db in DATABASES:
            name = settings.database_name(db)
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                dropped.append(name)
        for role in settings.all_roles():
            if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
                dropped.append(role)
    _state_file(settings).unlink(missing_ok=True)
    return dropped

