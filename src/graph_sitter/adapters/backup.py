"""`gsdb backup DIR` and `gsdb restore DIR`: pg_dump -Fc per database, the roles, and a checksummed manifest.

Backups hold no secret: roles are written without passwords, pg_dump runs as a role that cannot read the FDW
user mappings' passwords, and the FDW objects are rebuilt by setup after a restore.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from graph_sitter.adapters import migrations
from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.server import binary_dir
from graph_sitter.adapters.setup import FOREIGN_SCHEMAS, _Setup, run_setup
from graph_sitter.config import DATABASES, Settings
from graph_sitter.errors import GraphSitterError

MANIFEST = "manifest.json"
#: TOC entry types skipped on restore: setup recreates them as the right role, with the current secrets.
_SKIPPED_ON_RESTORE = re.compile(r"\b(EXTENSION|COMMENT - EXTENSION|SERVER|USER MAPPING|SCHEMA - public|COMMENT - SCHEMA public)\b")


class BackupError(GraphSitterError):
    """pg_dump or pg_restore failed, or a backup folder is incomplete."""


@dataclass
class BackupReport:
    """What `gsdb backup` or `gsdb restore` did."""

    directory: str
    databases: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    return int(match.group(1)) if match else 0


def client_tool(name: str, server_major: int) -> Path:
    """The pg_dump/pg_restore to use: same major as the server if installed, else the bundled one (newer)."""
    candidates = [binary_dir() / name]
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    best: tuple[int, Path] | None = None
    for path in candidates:
        try:
            out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10).stdout
        except OSError:
            continue
        found_version = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
        major = int(found_version.group(1)) if found_version else 0
        if major == server_major:
            return path
        if major > server_major and (best is None or major < best[0]):
            best = (major, path)
    if best is None:
        raise BackupError(f"no {name} for PostgreSQL {server_major} or newer was found")
    return best[1]


def _env_and_dsn(cluster: Cluster, db: str, as_admin_role: bool = False) -> tuple[dict[str, str], str]:
    """Connection for the client tools; the password travels in the environment, never on the command line.

    Dumps run as graph_sitter_admin (pg_read_all_data), not as a superuser: PostgreSQL then hides the options of
    the FDW user mappings, so no password ends up in a backup.
    """
    if as_admin_role:
        params = conninfo_to_dict(cluster.conninfo(db, "admin"))
    else:
        params = conninfo_to_dict(cluster.admin_conninfo(cluster.settings.database_name(db)))
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = str(params.pop("password"))
    return env, " ".join(f"{k}={v}" for k, v in params.items())


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        reason = (errors or lines or [f"exit {proc.returncode}"])[0]
        raise BackupError(f"{what} failed: {reason}")


def _repeatable_view_names(db: str) -> set[str]:
    """Views from database/views/<db>: they read the foreign schemas, which setup rebuilds after a restore."""
    names = set()
    for m in migrations.discover_views(db):
        names.update(re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:public\.)?(\w+)", m.sql, re.IGNORECASE))
    return names


def _names_rebuilt_view(toc_line: str, views: set[str]) -> bool:
    return any(re.search(rf"\b(VIEW|TABLE) public {re.escape(v)}\b|\bVIEW {re.escape(v)}\b", toc_line) for v in views)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _roles_sql(cluster: Cluster) -> str:
    settings = cluster.settings
    lines = ["-- graph_sitter roles, without passwords: `gsdb setup` sets them from the environment or generates them."]
    with cluster.admin_connect(autocommit=True) as admin:
        rows = admin.execute(
            "SELECT rolname, rolcanlogin, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = ANY(%s) ORDER BY 1",
            (settings.all_roles(),),
        ).fetchall()
    for name, login, createdb, createrole in rows:
        attrs = " ".join([
            "LOGIN" if login else "NOLOGIN", "NOSUPERUSER",
            "CREATEDB" if createdb else "NOCREATEDB", "CREATEROLE" if createrole else "NOCREATEROLE",
        ])
        lines.append(f'CREATE ROLE "{name}" WITH {attrs};')
    return "\n".join(lines) + "\n"


def backup(settings: Settings, directory: Path) -> BackupReport:
    """Dump each database in custom format, plus roles and a manifest with checksums."""
    started = time.perf_counter()
    from graph_sitter.adapters.setup import ensure_ready

    cluster = ensure_ready(settings)
    directory.mkdir(parents=True, exist_ok=True)
    with cluster.admin_connect(autocommit=True) as admin:
        version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    pg_dump = client_tool("pg_dump", _major(version))
    report = BackupReport(str(directory))
    manifest: dict[str, Any] = {
        "format": 1, "created_at": datetime.now(timezone.utc).isoformat(), "server_version": version,
        "prefix": settings.db_prefix, "databases": {},
    }
    for db in DATABASES:
        target = directory / f"{db}.dump"
        env, dsn = _env_and_dsn(cluster, db, as_admin_role=True)
        cmd = [str(pg_dump), "-Fc", "--no-password", "-f", str(target), "-d", dsn]
        if db == "analytics_db":
            for schema in FOREIGN_SCHEMAS.values():
                cmd += ["--exclude-schema", schema]
        _run(cmd, env, f"pg_dump of {db}")
        report.databases[db] = target.stat().st_size
        manifest["databases"][db] = {"file": target.name, "sha256": _sha256(target), "bytes": target.stat().st_size}
    (directory / "roles.sql").write_text(_roles_sql(cluster))
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2))
    report.seconds = time.perf_counter() - started
    return report


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{directory} is not a gsdb backup: no {MANIFEST}") from None
    except ValueError:
        raise BackupError(f"{directory / MANIFEST} is not valid JSON") from None
    for db in DATABASES:
        entry = manifest.get("databases", {}).get(db)
        if entry is None:
            raise BackupError(f"backup in {directory} has no {db}")
        path = directory / entry["file"]
        if not path.exists() or _sha256(path) != entry["sha256"]:
            raise BackupError(f"{path} is missing or does not match its checksum in {MANIFEST}")
    return manifest


def restore(settings: Settings, directory: Path) -> BackupReport:
    """Replace the seven databases with the contents of a backup made by `backup`."""
    started = time.perf_counter()
    manifest = _read_manifest(directory)
    cluster = Cluster(settings)
    run_setup(settings, cluster)
    with cluster.admin_connect(autocommit=True) as admin:
        version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    pg_restore = client_tool("pg_restore", max(_major(version), _major(manifest.get("server_version", "0"))))
    worker = _Setup(cluster)
    report = BackupReport(str(directory))
    with cluster.admin_connect(autocommit=True) as admin:
        for db in DATABASES:
            name = settings.database_name(db)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            worker.ensure_database(admin, db)
            worker.prepare_database(db)
            dump = directory / manifest["databases"][db]["file"]
            env, dsn = _env_and_dsn(cluster, db)
            listing = subprocess.run([str(pg_restore), "-l", str(dump)], capture_output=True, text=True, env=env)
            if listing.returncode != 0:
                raise BackupError(f"pg_restore could not read {dump}: {listing.stderr.strip()[-200:]}")
            rebuilt = _repeatable_view_names(db)
            kept = [
                line for line in listing.stdout.splitlines()
                if not _SKIPPED_ON_RESTORE.search(line) and not _names_rebuilt_view(line, rebuilt)
            ]
            list_file = directory / f".{db}.restore-list"
            list_file.write_text("\n".join(kept) + "\n")
            try:
                _run(
                    [str(pg_restore), "--no-password", "--no-owner", "--no-privileges", "--exit-on-error",
                     "--role", settings.owner_role(db), "-L", str(list_file), "-d", dsn, str(dump)],
                    env, f"pg_restore of {db}",
                )
            finally:
                list_file.unlink(missing_ok=True)
            report.databases[db] = dump.stat().st_size
    # Grants, default privileges and the foreign schemas were left out of the restore; setup puts them back.
    setup = _Setup(cluster)
    for db in DATABASES:
        setup.migrate_database(db)
    setup.ensure_foreign_schemas(force=True)
    report.seconds = time.perf_counter() - started
    return report
