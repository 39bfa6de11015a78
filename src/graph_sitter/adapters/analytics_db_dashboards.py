"""analytics_db reads behind the read-only dashboard: dashboards and the series, tables and runs their widgets
show. Used over a connection of the read-only role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg


@dataclass(frozen=True)
class Dashboard:
    """A row of dashboards."""

    id: uuid.UUID
    name: str
    description: str | None
    widgets: list[dict[str, Any]]
    auto_refresh_seconds: int


class DashboardQueries:
    """What the dashboard pages read."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def dashboards(self) -> list[Dashboard]:
        """Every dashboard, by name."""
        rows = self.conn.execute("SELECT id, name, description, widget_configs, auto_refresh_seconds FROM dashboards"
                                 " ORDER BY name").fetchall()
        return [Dashboard(r[0], r[1], r[2], list(r[3] or []), r[4]) for r in rows]

    def dashboard(self, dashboard_id: uuid.UUID) -> Dashboard | None:
        """One dashboard by id."""
        row = self.conn.execute("SELECT id, name, description, widget_configs, auto_refresh_seconds FROM dashboards"
                                " WHERE id = %s", (dashboard_id,)).fetchone()
        return None if row is None else Dashboard(row[0], row[1], row[2], list(row[3] or []), row[4])

    def metric_series(self, metric: str, days: int = 365) -> dict[str, list[tuple[datetime, float]]]:
        """Per codebase, (measured_at, value) of one codebase metric over the last `days` days, oldest first."""
        rows = self.conn.execute(
            "SELECT entity_key, measured_at, value_numeric FROM metrics WHERE metric_name = %s"
            " AND entity_type = 'codebase' AND dimensions = '{}'::jsonb AND value_numeric IS NOT NULL"
            " AND measured_at >= now() - make_interval(days => %s) ORDER BY entity_key, measured_at",
            (metric, days)).fetchall()
        series: dict[str, list[tuple[datetime, float]]] = {}
        for codebase, at, value in rows:
            series.setdefault(codebase or "?", []).append((at, float(value)))
        return series

    def latest_metrics(self, metrics: list[str]) -> dict[str, dict[str, float]]:
        """Per codebase, the latest value of each of `metrics`."""
        rows = self.conn.execute(
            "SELECT DISTINCT ON (entity_key, metric_name) entity_key, metric_name, value_numeric FROM metrics"
            " WHERE metric_name = ANY(%s) AND entity_type = 'codebase' AND dimensions = '{}'::jsonb"
            " AND value_numeric IS NOT NULL ORDER BY entity_key, metric_name, measured_at DESC",
            (metrics,)).fetchall()
        table: dict[str, dict[str, float]] = {}
        for codebase, name, value in rows:
            table.setdefault(codebase or "?", {})[name] = float(value)
        return table

    def latest_distributions(self, limit: int = 6) -> dict[str, dict[str, float]]:
        """Per codebase (the most recently analysed first), the complexity buckets of its latest run."""
        rows = self.conn.execute(
            "WITH latest AS (SELECT DISTINCT ON (codebase_id) codebase_id, id, completed_at FROM analysis_runs"
            "  WHERE codebase_id IS NOT NULL AND status = 'completed' ORDER BY codebase_id, completed_at DESC)"
            " SELECT m.entity_key, m.dimensions ->> 'bucket', m.value_numeric, l.completed_at FROM latest l"
            " JOIN metrics m ON m.analysis_run_id = l.id AND m.metric_name = 'complexity_distribution'"
            " ORDER BY l.completed_at DESC, m.entity_key").fetchall()
        result: dict[str, dict[str, float]] = {}
        for codebase, bucket, value, _ in rows:
            if codebase not in result and len(result) >= limit:
                continue
            result.setdefault(codebase or "?", {})[bucket] = float(value)
        return result

    def runs(self, trigger_source: str | None, limit: int) -> list[dict[str, Any]]:
        """Recent analytics runs (of one trigger source when given), newest first."""
        rows = self.conn.execute(
            "SELECT name, status, started_at, duration_ms, success_metrics, failed_metrics, total_metrics, metadata"
            " FROM analysis_runs WHERE %(source)s::text IS NULL OR trigger_source = %(source)s"
            " ORDER BY queued_at DESC LIMIT %(limit)s", {"source": trigger_source, "limit": limit}).fetchall()
        keys = ("name", "status", "started_at", "duration_ms", "succeeded", "failed", "total", "metadata")
        return [dict(zip(keys, r)) for r in rows]

    def open_alerts(self, limit: int) -> list[dict[str, Any]]:
        """Firings not resolved yet, newest first."""
        rows = self.conn.execute(
            "SELECT r.name, i.severity, i.entity_key, i.triggered_value, i.baseline_value, i.triggered_at"
            " FROM alert_instances i JOIN alert_rules r ON r.id = i.alert_rule_id WHERE i.status <> 'resolved'"
            " ORDER BY i.triggered_at DESC LIMIT %s", (limit,)).fetchall()
        keys = ("rule", "severity", "codebase", "value", "baseline", "triggered_at")
        return [dict(zip(keys, r)) for r in rows]
