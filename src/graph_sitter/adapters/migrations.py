"""Versioned SQL migrations: database/migrations/_common then database/migrations/<db>, applied in order.

Each file runs inside its own transaction as the database's owner role. schema_migrations records the version,
the file's checksum and when it was applied; a file changed after it was applied is refused, because the
database no longer matches what the file says.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import psycopg

from graph_sitter.errors import MigrationError

COMMON = "_common"
_FILENAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")
#: Session-level advisory lock key: concurrent `gsdb setup` runs migrate one after the other.
_LOCK_KEY = 0x67736462  # "gsdb"


def sql_root() -> Path:
    """The database/ folder: shipped inside the package as graph_sitter/sql."""
    return Path(str(files("graph_sitter") / "sql"))


@dataclass(frozen=True)
class Migration:
    """One SQL file and its identity in schema_migrations."""

    version: str
    path: Path
    checksum: str

    @property
    def sql(self) -> str:
        """The file's SQL text."""
        return self.path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class MigrationState:
    """A migration as `gsdb migrate --status` shows it."""

    version: str
    state: Literal["applied", "pending", "changed", "unknown"]
    applied_at: Any = None


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files_in(folder: Path, kind: str) -> list[Migration]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.sql")):
        if not _FILENAME.match(path.name):
            raise MigrationError(f"{path}: migration files must be named NNNN_name.sql")
        found.append(Migration(f"{kind}/{path.stem}", path, _checksum(path)))
    return found


def discover(db: str, root: Path | None = None) -> list[Migration]:
    """All migrations for one database, in the order they apply: the common ones first."""
    base = (root or sql_root()) / "migrations"
    return _files_in(base / COMMON, COMMON) + _files_in(base / db, db)


def discover_views(db: str, root: Path | None = None) -> list[Migration]:
    """Repeatable view definitions for one database (database/views/<db>), re-applied when they change."""
    return _files_in((root or sql_root()) / "views" / db, f"views/{db}")


def _ensure_table(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version      text PRIMARY KEY,
            checksum     text NOT NULL,
            applied_at   timestamptz NOT NULL DEFAULT now(),
            execution_ms integer NOT NULL DEFAULT 0 CHECK (execution_ms >= 0)
        )
        """
    )


def _applied(conn: psycopg.Connection[Any]) -> dict[str, tuple[str, Any]]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute("SELECT version, checksum, applied_at FROM schema_migrations").fetchall()
    return {version: (checksum, applied_at) for version, checksum, applied_at in rows}


def status(conn: psycopg.Connection[Any], db: str, root: Path | None = None) -> list[MigrationState]:
    """Applied, pending and changed migrations of one database."""
    applied = _applied(conn)
    states = []
    known = set()
    for m in discover(db, root):
        known.add(m.version)
        if m.version not in applied:
            states.append(MigrationState(m.version, "pending"))
        elif applied[m.version][0] != m.checksum:
            states.append(MigrationState(m.version, "changed", applied[m.version][1]))
        else:
            states.append(MigrationState(m.version, "applied", applied[m.version][1]))
    for version, (_, applied_at) in sorted(applied.items()):
        if version not in known and not version.startswith("views/"):
            states.append(MigrationState(version, "unknown", applied_at))
    return states


def _refuse_drift(db: str, migrations: list[Migration], applied: dict[str, tuple[str, Any]]) -> None:
    for m in migrations:
        if m.version in applied and applied[m.version][0] != m.checksum:
            raise MigrationError(
                f"{m.path.name} ({m.version}) was changed after it was applied to {db}: checksum "
                f"{m.checksum[:12]} != recorded {applied[m.version][0][:12]}; restore the file and add a new migration"
            )


def _apply(conn: psycopg.Connection[Any], db: str, m: Migration) -> None:
    started = time.perf_counter()
    try:
        with conn.transaction():
            conn.execute(m.sql)  # no parameters: psycopg sends the whole file as one script
            conn.execute(
                "INSERT INTO schema_migrations (version, checksum, execution_ms) VALUES (%s, %s, %s)"
                " ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now(),"
                " execution_ms = EXCLUDED.execution_ms",
                (m.version, m.checksum, int((time.perf_counter() - started) * 1000)),
            )
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MigrationError(f"migration {m.version} failed on {db}: {first}") from None


def migrate(conn: psycopg.Connection[Any], db: str, root: Path | None = None) -> list[str]:
    """Apply pending migrations in order; returns the versions applied. Refuses changed applied files."""
    migrations = discover(db, root)
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        _ensure_table(conn)
        applied = _applied(conn)
        _refuse_drift(db, migrations, applied)
        done = []
        for m in migrations:
            if m.version not in applied:
                _apply(conn, db, m)
                done.append(m.version)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))


def apply_views(conn: psycopg.Connection[Any], db: str, force: bool = False, root: Path | None = None) -> list[str]:
    """(Re)create the repeatable views of one database when they changed, or always when `force`."""
    views = discover_views(db, root)
    applied = _applied(conn)
    done = []
    for m in views:
        if force or applied.get(m.version, ("",))[0] != m.checksum:
            _apply(conn, db, m)
            done.append(m.version)
    return done
