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


# -- alert rules and their firings ----------------------------------------------------------------------------------
# (imported here so that this section stays an addition at the end of the module)
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Iterator, Sequence  # noqa: E402


@dataclass(frozen=True)
class AlertInstance:
    """A row of alert_instances: one firing of a rule, with the rule's settings as they were."""

    id: uuid.UUID
    alert_rule_id: uuid.UUID
    rule_name: str
    analysis_run_id: uuid.UUID | None
    status: str
    severity: str
    metric_name: str
    comparison: str
    threshold_type: str
    threshold_value: float
    triggered_value: float | None
    baseline_value: float | None
    change_value: float | None
    triggered_at: datetime
    entity_key: str | None
    context_data: dict[str, Any]


_RULE_COLUMNS = ("id, name, metric_name, comparison, threshold_value, threshold_type, baseline, baseline_window,"
                 " severity, cooldown_minutes, dimension_filter")
_INSTANCE_COLUMNS = ("i.id, i.alert_rule_id, r.name, i.analysis_run_id, i.status, i.severity, i.metric_name,"
                     " i.comparison, i.threshold_type, i.threshold_value, i.triggered_value, i.baseline_value,"
                     " i.change_value, i.triggered_at, i.entity_key, i.context_data")


class AlertStore:
    """alert_rules and alert_instances over one connection; the rules' logic is in graph_sitter.analytics.alerts."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    @contextmanager
    def evaluating(self, analysis_run_id: uuid.UUID) -> Iterator[None]:
        """One transaction for evaluating a run, serialised per run so a redelivery waits and then finds the firings."""
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"alerts:{analysis_run_id}",))
            yield

    def ensure_rules(self, organization_id: uuid.UUID | None, specs: Sequence[Any]) -> int:
        """Create the rules that do not exist yet (by name); returns how many were created."""
        created = 0
        for s in specs:
            row = self.conn.execute(
                "INSERT INTO alert_rules (organization_id, name, description, metric_name, entity_type, comparison,"
                " threshold_value, threshold_type, baseline, baseline_window, severity, metadata)"
                " VALUES (%s, %s, %s, %s, 'codebase', %s, %s, %s, %s, %s, %s, '{\"builtin\": true}')"
                " ON CONFLICT ON CONSTRAINT alert_rules_name_org_unique DO NOTHING RETURNING id",
                (organization_id, s.name, s.description, s.metric_name, s.comparison, s.threshold_value,
                 s.threshold_type, s.baseline, s.baseline_window, s.severity),
            ).fetchone()
            created += row is not None
        return created

    def active_rules(self, organization_id: uuid.UUID | None) -> list[Any]:
        """The organization's active rules, by name."""
        from graph_sitter.analytics.alerts import AlertRule

        rows = self.conn.execute(
            f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE organization_id IS NOT DISTINCT FROM %s AND is_active"
            " ORDER BY name", (organization_id,),
        ).fetchall()
        return [AlertRule(*r) for r in rows]

    def series(self, codebase_id: uuid.UUID, metric_name: str, dimension_filter: Mapping[str, Any],
               until: datetime) -> list[tuple[datetime, float]]:
        """(measured_at, value) of a codebase metric up to `until`, oldest first; the filter names one dimension set."""
        if not dimension_filter:
            points = AnalyticsStore(self.conn).metric_series(codebase_id, metric_name)
        else:
            points = [(r[0], r[1]) for r in self.conn.execute(
                "SELECT measured_at, value_numeric FROM metrics WHERE codebase_id = %s AND metric_name = %s"
                " AND dimensions = %s::jsonb AND value_numeric IS NOT NULL ORDER BY measured_at",
                (codebase_id, metric_name, json.dumps(dict(dimension_filter))),
            ).fetchall()]
        return [(at, v) for at, v in points if at <= until and v is not None]

    def has_firing(self, rule_id: uuid.UUID, analysis_run_id: uuid.UUID, codebase_id: uuid.UUID) -> bool:
        """Whether the rule already fired for this run of this codebase."""
        return self.conn.execute(
            "SELECT 1 FROM alert_instances WHERE alert_rule_id = %s AND analysis_run_id = %s AND entity_id = %s",
            (rule_id, analysis_run_id, codebase_id),
        ).fetchone() is not None

    def last_firing(self, rule_id: uuid.UUID, codebase_id: uuid.UUID) -> datetime | None:
        """When the rule last fired for this codebase."""
        row = self.conn.execute(
            "SELECT max(triggered_at) FROM alert_instances WHERE alert_rule_id = %s AND entity_id = %s",
            (rule_id, codebase_id),
        ).fetchone()
        return None if row is None else row[0]

    def record_firing(self, evaluation: Any, *, organization_id: uuid.UUID | None, analysis_run_id: uuid.UUID,
                      codebase_id: uuid.UUID, codebase_name: str, measured_at: datetime) -> uuid.UUID:
        """Store one firing of a rule, with a snapshot of the rule."""
        rule = evaluation.rule
        row = self.conn.execute(
            "INSERT INTO alert_instances (alert_rule_id, organization_id, analysis_run_id, severity, metric_name,"
            " comparison, threshold_type, threshold_value, triggered_value, baseline_value, change_value,"
            " entity_type, entity_id, entity_key, context_data)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'codebase', %s, %s, %s) RETURNING id",
            (rule.id, organization_id, analysis_run_id, rule.severity, rule.metric_name, rule.comparison,
             rule.threshold_type, rule.threshold_value, evaluation.value, evaluation.baseline, evaluation.change,
             codebase_id, codebase_name,
             json.dumps({"rule": rule.name, "baseline": rule.baseline, "baseline_window": rule.baseline_window,
                         "measured_at": measured_at.isoformat(), "codebase": codebase_name})),
        ).fetchone()
        assert row is not None
        return row[0]

    def mark_evaluated(self, rule_ids: Sequence[uuid.UUID], fired_ids: Sequence[uuid.UUID]) -> None:
        """Stamp the rules evaluated now, and count a trigger for those that fired."""
        self.conn.execute(
            "UPDATE alert_rules SET last_evaluated_at = now(),"
            " last_triggered_at = CASE WHEN id = ANY(%s) THEN now() ELSE last_triggered_at END,"
            " trigger_count = trigger_count + (id = ANY(%s))::int WHERE id = ANY(%s)",
            (list(fired_ids), list(fired_ids), list(rule_ids)),
        )

    def instances(self, *, codebase_id: uuid.UUID | None = None, analysis_run_id: uuid.UUID | None = None,
                  status: str | None = None, limit: int = 100) -> list[AlertInstance]:
        """Firings, newest first, filtered by codebase, analytics run and status."""
        clauses, params = [], []
        for column, value in (("i.entity_id", codebase_id), ("i.analysis_run_id", analysis_run_id),
                              ("i.status", status)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self.conn.execute(
            f"SELECT {_INSTANCE_COLUMNS} FROM alert_instances i JOIN alert_rules r ON r.id = i.alert_rule_id{where}"
            " ORDER BY i.triggered_at DESC, r.name LIMIT %s", (*params, limit),
        ).fetchall()
        return [AlertInstance(*r) for r in rows]

    def set_instance_status(self, instance_id: uuid.UUID, status: str, by: uuid.UUID | None = None) -> None:
        """Acknowledge or resolve a firing (the database refuses other transitions)."""
        self.conn.execute(
            "UPDATE alert_instances SET status = %s,"
            " acknowledged_at = CASE WHEN %s = 'acknowledged' THEN now() ELSE acknowledged_at END,"
            " acknowledged_by = coalesce(%s, acknowledged_by) WHERE id = %s",
            (status, status, by, instance_id),
        )
