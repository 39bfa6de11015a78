"""SQL of `gsdb maintain`, for any of the seven databases: time partitions and retention (the gs_* helpers of
_common), aggregate refreshes, and the statistics behind the bloat and slow-query reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Partition:
    """One monthly partition of a time-series table."""

    name: str
    lower: datetime | None
    upper: datetime | None


@dataclass(frozen=True)
class TableBloat:
    """Dead-row statistics of one table (an estimate from pg_stat_user_tables; no pgstattuple scan)."""

    database: str
    table: str
    live_rows: int
    dead_rows: int
    dead_ratio: float
    size_bytes: int
    wasted_bytes: int
    last_vacuum: datetime | None


@dataclass(frozen=True)
class SlowQuery:
    """A statement from pg_stat_statements."""

    database: str
    calls: int
    mean_ms: float
    total_ms: float
    rows: int
    query: str


class MaintenanceStore:
    """Maintenance statements over one autocommit connection to one database (as its owner)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def time_series_tables(self) -> list[str]:
        """The range-partitioned tables of schema public, by name."""
        rows = self.conn.execute(
            "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT c.relispartition"
            " AND p.partstrat = 'r' ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def create_partitions(self, table: str, months_back: int, months_ahead: int) -> int:
        """Ensure the monthly partitions from `months_back` before this month to `months_ahead` after it."""
        row = self.conn.execute("SELECT gs_create_time_partitions(%s::regclass, %s, %s)",
                                (table, months_back, months_ahead)).fetchone()
        return int(row[0]) if row else 0

    def partitions(self, table: str) -> list[Partition]:
        """The table's monthly partitions, oldest first."""
        rows = self.conn.execute("SELECT partition_name, lower_bound, upper_bound FROM gs_time_partitions(%s::regclass)",
                                 (table,)).fetchall()
        return [Partition(*r) for r in rows]

    def drop_partitions(self, table: str, older_than: datetime) -> list[str]:
        """Drop the monthly partitions whose upper bound is at or before `older_than`; their names."""
        rows = self.conn.execute("SELECT gs_drop_time_partitions(%s::regclass, %s)", (table, older_than)).fetchall()
        return [r[0] for r in rows]

    def detach_partitions(self, table: str, older_than: datetime) -> list[str]:
        """Detach (and rename *_detached) the monthly partitions whose upper bound is at or before `older_than`."""
        rows = self.conn.execute("SELECT gs_detach_time_partitions(%s::regclass, %s)", (table, older_than)).fetchall()
        return [r[0] for r in rows]

    def refresh_materialized_views(self) -> list[str]:
        """Refresh every populated materialized view of schema public (concurrently when it has a unique index)."""
        views = self.conn.execute(
            "SELECT c.oid::regclass::text, c.relispopulated, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid"
            " AND i.indisunique AND i.indpred IS NULL) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'm' AND n.nspname = 'public' ORDER BY 1").fetchall()
        for name, populated, unique in views:
            # CONCURRENTLY keeps the view readable while it refreshes; it needs a unique index and prior data
            how = sql.SQL("CONCURRENTLY ") if populated and unique else sql.SQL("")
            self.conn.execute(sql.SQL("REFRESH MATERIALIZED VIEW {}{}").format(how, sql.SQL(name)))
        return [v[0] for v in views]

    def has_function(self, name: str) -> bool:
        """Whether a function of that name exists in schema public."""
        return self.conn.execute(
            "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
            " AND p.proname = %s", (name,)).fetchone() is not None

    def refresh_aggregation(self, function: str, since: datetime) -> int:
        """Run one of the gs_refresh_*_aggregations(since) functions; the rows it wrote."""
        row = self.conn.execute(sql.SQL("SELECT {}(%s)").format(sql.Identifier(function)), (since,)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def bloat(self, database: str) -> list[TableBloat]:
        """Tables of this database with dead rows, the most wasted space first."""
        rows = self.conn.execute(
            "SELECT format('%I.%I', schemaname, relname), n_live_tup, n_dead_tup, pg_table_size(relid),"
            " greatest(last_vacuum, last_autovacuum) FROM pg_stat_user_tables WHERE n_dead_tup > 0").fetchall()
        found = []
        for table, live, dead, size, vacuumed in rows:
            ratio = dead / (live + dead) if live + dead else 0.0
            found.append(TableBloat(database, table, int(live), int(dead), round(ratio, 4), int(size),
                                    int(size * ratio), vacuumed))
        return sorted(found, key=lambda b: (-b.wasted_bytes, -b.dead_rows, b.table))

    def statements_unavailable(self) -> str | None:
        """Why pg_stat_statements cannot be read here, or None when it can."""
        preload = self.conn.execute("SHOW shared_preload_libraries").fetchone()
        if not preload or "pg_stat_statements" not in str(preload[0]):
            return "not available: the server does not preload pg_stat_statements (shared_preload_libraries)"
        if not self.conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone():
            return "not available: the pg_stat_statements extension is not installed in this database"
        return None

    def slowest_statements(self, databases: list[str], limit: int) -> list[SlowQuery]:
        """The statements with the highest mean time in the given databases (real names)."""
        rows = self.conn.execute(
            "SELECT d.datname, s.calls, s.mean_exec_time, s.total_exec_time, s.rows,"
            " regexp_replace(left(s.query, 300), '\\s+', ' ', 'g')"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " WHERE d.datname = ANY(%s) ORDER BY s.mean_exec_time DESC LIMIT %s", (databases, limit)).fetchall()
        return [SlowQuery(r[0], int(r[1]), round(float(r[2]), 3), round(float(r[3]), 3), int(r[4]), r[5])
                for r in rows]
