"""One maintenance pass over the seven databases; each step of each database is independent, so one failure
is reported and the rest still runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from graph_sitter.config import DATABASES, Settings
from graph_sitter.maintenance.retention import RetentionPolicy, cutoff

#: The aggregation functions of the migrations, by database.
AGGREGATIONS = {"analytics_db": "gs_refresh_metric_aggregations", "events_db": "gs_refresh_event_aggregations"}


@dataclass(frozen=True)
class MaintainOptions:
    """What one pass does."""

    months_ahead: int = 3
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    aggregate_days: int = 7
    top: int = 10
    dry_run: bool = False


@dataclass
class RetentionAction:
    """Expired partitions of one table, dropped, detached or (dry run) only named."""

    database: str
    table: str
    months: int
    cutoff: datetime
    partitions: list[str]
    action: str


@dataclass
class MaintenanceReport:
    """What a pass did and found."""

    created_partitions: dict[str, int] = field(default_factory=dict)       # "db.table" -> created
    retention: list[RetentionAction] = field(default_factory=list)
    kept_forever: list[str] = field(default_factory=list)
    refreshed: dict[str, int] = field(default_factory=dict)                # aggregate -> rows written (-1: a view)
    bloat: list[Any] = field(default_factory=list)
    slow_queries: list[Any] = field(default_factory=list)
    slow_queries_note: str | None = None
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when every step succeeded."""
        return not self.errors


def run_maintenance(settings: Settings, options: MaintainOptions = MaintainOptions(),
                    now: datetime | None = None) -> MaintenanceReport:
    """Create the coming partitions, apply retention, refresh aggregates, and report bloat and slow queries."""
    from graph_sitter.adapters.maintenance_db import MaintenanceStore
    from graph_sitter.adapters.setup import ensure_ready

    now = now or datetime.now(timezone.utc)
    cluster = ensure_ready(settings)
    report = MaintenanceReport(dry_run=options.dry_run)
    for db in DATABASES:
        with cluster.connect(db, "owner", autocommit=True, application_name="gsdb-maintain") as conn:
            store = MaintenanceStore(conn)
            step = _stepper(report, conn, db)
            tables = step("list tables", store.time_series_tables) or []
            for table in tables:
                if not options.dry_run:
                    created = step(f"partitions of {table}", lambda t=table: store.create_partitions(
                        t, 1, options.months_ahead))
                    report.created_partitions[f"{db}.{table}"] = created or 0
                _retain(report, store, step, db, table, options, now)
            if not options.dry_run:
                for view in step("materialized views", store.refresh_materialized_views) or []:
                    report.refreshed[f"{db}.{view}"] = -1
                function = AGGREGATIONS.get(db)
                if function and step(f"find {function}", lambda f=function: store.has_function(f)):
                    rows = step(function, lambda f=function: store.refresh_aggregation(
                        f, now - timedelta(days=options.aggregate_days)))
                    if rows is not None:
                        report.refreshed[f"{db}.{function}"] = rows
            report.bloat += step("bloat", lambda d=db: store.bloat(settings.database_name(d))) or []
    report.bloat = sorted(report.bloat, key=lambda b: (-b.wasted_bytes, -b.dead_rows))[:options.top]
    _slow_queries(settings, cluster, report, options.top)
    return report


def _stepper(report: MaintenanceReport, conn: Any, db: str) -> Callable[..., Any]:
    def step(what: str, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except Exception as exc:  # one failed step is reported; the others still run
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            report.errors.append(f"{db}: {what}: {first}")
            if not conn.closed and conn.info.transaction_status != 0:
                conn.rollback()
            return None
    return step


def _retain(report: MaintenanceReport, store: Any, step: Callable[..., Any], db: str, table: str,
            options: MaintainOptions, now: datetime) -> None:
    months = options.retention.months_for(db, table)
    if months is None:
        report.kept_forever.append(f"{db}.{table}")
        return
    limit = cutoff(months, now)
    if options.dry_run:
        parts = step(f"partitions of {table}", lambda: store.partitions(table)) or []
        names = [p.name for p in parts if p.upper is not None and p.upper <= limit]
        action = "would " + ("detach" if options.retention.detach else "drop")
    elif options.retention.detach:
        names, action = step(f"detach {table}", lambda: store.detach_partitions(table, limit)) or [], "detached"
    else:
        names, action = step(f"drop {table}", lambda: store.drop_partitions(table, limit)) or [], "dropped"
    report.retention.append(RetentionAction(db, table, months, limit, names, action))


def _slow_queries(settings: Settings, cluster: Any, report: MaintenanceReport, top: int) -> None:
    from graph_sitter.adapters.maintenance_db import MaintenanceStore

    # the admin role has pg_monitor: it reads the statistics (and query texts) of every role
    try:
        with cluster.connect("task_db", "admin", autocommit=True, application_name="gsdb-maintain") as conn:
            store = MaintenanceStore(conn)
            report.slow_queries_note = store.statements_unavailable()
            if report.slow_queries_note is None:
                report.slow_queries = store.slowest_statements([settings.database_name(d) for d in DATABASES], top)
    except Exception as exc:
        report.slow_queries_note = f"not available: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}"
