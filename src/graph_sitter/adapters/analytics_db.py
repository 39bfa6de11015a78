"""analytics_db: the typed API over analysis runs, their steps, metric time series and performance data."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Mapping

import psycopg


class AnalyticsStore:
    """Writes and reads analytics_db over one connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def find_run(self, codebase_run_id: uuid.UUID) -> uuid.UUID | None:
        """The analytics run recorded for a codebase_db run, if any."""
        row = self.conn.execute("SELECT id FROM analysis_runs WHERE codebase_run_id = %s", (codebase_run_id,)).fetchone()
        return None if row is None else row[0]

    def record_analysis(
        self,
        *,
        organization_id: uuid.UUID,
        codebase_id: uuid.UUID,
        codebase_name: str,
        codebase_run_id: uuid.UUID,
        run_type: str,
        started_at: datetime,
        seconds: Mapping[str, float],
        items: Mapping[str, int],
        metrics: Mapping[str, Any],
        distribution: Mapping[str, int],
        resources: Mapping[str, float],
    ) -> uuid.UUID:
        """Record one analysis run: the run, one step per phase, metric points and performance data.

        Idempotent per codebase_db run: a second call for the same run returns the first analytics run.
        """
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"analytics:{codebase_run_id}",))
            existing = self.find_run(codebase_run_id)
            if existing is not None:
                return existing
            for table in ("metrics", "performance_data"):
                self.conn.execute("SELECT gs_ensure_time_partition(%s::regclass, %s)", (table, started_at))
            total_ms = seconds.get("total", 0.0) * 1000
            numeric = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            row = self.conn.execute(
                "INSERT INTO analysis_runs (organization_id, name, analysis_type, codebase_id, codebase_run_id, status,"
                " progress_percentage, started_at, completed_at, duration_ms, cpu_time_ms, memory_peak_bytes,"
                " total_metrics, success_metrics, trigger_source, metadata)"
                " VALUES (%s, %s, 'quality', %s, %s, 'completed', 100, %s, %s + make_interval(secs => %s), %s, %s, %s,"
                " %s, %s, 'gsdb analyze', %s) RETURNING id",
                (organization_id, f"analyze {codebase_name}", codebase_id, codebase_run_id, started_at, started_at,
                 total_ms / 1000, round(total_ms), round(resources.get("cpu_seconds", 0) * 1000),
                 int(resources.get("max_rss_bytes", 0)), len(numeric), len(numeric),
                 json.dumps({"run_type": run_type})),
            ).fetchone()
            assert row is not None
            run_id = row[0]
            phases = [(name, value) for name, value in seconds.items() if name != "total"]
            for order, (name, value) in enumerate(phases, 1):
                self.conn.execute(
                    "INSERT INTO analysis_steps (analysis_run_id, step_name, step_order, status, duration_ms,"
                    " items_processed) VALUES (%s, %s, %s, 'completed', %s, %s)",
                    (run_id, name, order, round(value * 1000), items.get(name)),
                )
            with self.conn.cursor().copy(
                "COPY metrics (organization_id, analysis_run_id, metric_name, metric_type, category, value_numeric,"
                " entity_type, entity_id, entity_key, codebase_id, dimensions, measured_at) FROM STDIN"
            ) as copy:
                for name, value in numeric.items():
                    copy.write_row((organization_id, run_id, name, "gauge", "codebase", value, "codebase", codebase_id,
                                    codebase_name, codebase_id, "{}", started_at))
                for bucket, count in distribution.items():
                    copy.write_row((organization_id, run_id, "complexity_distribution", "gauge", "complexity",
                                    float(count), "codebase", codebase_id, codebase_name, codebase_id,
                                    json.dumps({"bucket": bucket}), started_at))
            for name, value in phases:
                count = items.get(name)
                self.conn.execute(
                    "INSERT INTO performance_data (organization_id, analysis_run_id, operation_name, operation_type,"
                    " duration_ms, items_processed, operations_per_second, version, measured_at, metadata)"
                    " VALUES (%s, %s, %s, 'analysis_phase', %s, %s, %s, %s, %s, %s)",
                    (organization_id, run_id, name, value * 1000, count,
                     round(count / value, 3) if count and value > 0 else None, _version(), started_at,
                     json.dumps({"codebase": codebase_name})),
                )
            return run_id

    def metric_series(self, codebase_id: uuid.UUID, metric_name: str) -> list[tuple[datetime, float]]:
        """(measured_at, value) of one codebase metric over time, oldest first."""
        rows = self.conn.execute(
            "SELECT measured_at, value_numeric FROM metrics WHERE codebase_id = %s AND metric_name = %s"
            " AND dimensions = '{}'::jsonb ORDER BY measured_at",
            (codebase_id, metric_name),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]


def _version() -> str:
    from graph_sitter import __version__

    return __version__
