"""`gsdb status`: the server, its version, and each database's size, migrations and connections."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from graph_sitter.adapters import migrations
from graph_sitter.adapters.database import Cluster
from graph_sitter.config import DATABASES, Settings
from graph_sitter.errors import DatabaseUnavailable


@dataclass
class DatabaseStatus:
    """One of the seven databases as seen from the catalogs."""

    name: str
    exists: bool
    size_bytes: int = 0
    connections: int = 0
    migrations_applied: int = 0
    migrations_pending: int = 0
    migrations_changed: list[str] = field(default_factory=list)


@dataclass
class ClusterStatus:
    """The server and its databases."""

    mode: str
    endpoint: str
    running: bool
    version: str = ""
    data_dir: str | None = None
    error: str | None = None
    databases: list[DatabaseStatus] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Running, all seven databases present, nothing pending or changed."""
        return self.running and all(
            d.exists and not d.migrations_pending and not d.migrations_changed for d in self.databases
        ) and len(self.databases) == len(DATABASES)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for `gsdb status --json`."""
        return asdict(self) | {"healthy": self.healthy}


def cluster_status(settings: Settings) -> ClusterStatus:
    """Collect the status without changing anything (the embedded server is not started)."""
    cluster = Cluster(settings)
    mode = "embedded" if cluster.embedded is not None else "external"
    data_dir = str(cluster.embedded.pgdata) if cluster.embedded is not None else None
    if cluster.embedded is not None and not cluster.embedded.status().running:
        return ClusterStatus(mode, cluster.endpoint.describe(), False, cluster.embedded.version(), data_dir,
                             "embedded server is stopped (`gsdb server start`)")
    try:
        admin = cluster.admin_connect(autocommit=True)
    except DatabaseUnavailable as exc:
        return ClusterStatus(mode, cluster.endpoint.describe(), False, data_dir=data_dir, error=str(exc))
    status = ClusterStatus(mode, cluster.endpoint.describe(), True, data_dir=data_dir)
    with admin:
        status.version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        for db in DATABASES:
            name = settings.database_name(db)
            row = admin.execute(
                "SELECT pg_database_size(d.oid), coalesce(s.numbackends, 0) FROM pg_database d"
                " LEFT JOIN pg_stat_database s ON s.datid = d.oid WHERE d.datname = %s",
                (name,),
            ).fetchone()
            if row is None:
                status.databases.append(DatabaseStatus(name, False))
                continue
            entry = DatabaseStatus(name, True, int(row[0]), int(row[1]))
            with cluster.admin_connect(name, autocommit=True) as conn:
                for state in migrations.status(conn, db):
                    if state.state == "applied":
                        entry.migrations_applied += 1
                    elif state.state == "pending":
                        entry.migrations_pending += 1
                    elif state.state == "changed":
                        entry.migrations_changed.append(state.version)
            status.databases.append(entry)
    return status
