"""analytics_db: the history of nightly runs — one analysis_runs row per run (trigger_source `gsdb nightly`), one
analysis_steps row per repository, and the repositories' timings in performance_data."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

import psycopg

#: trigger_source of the analytics runs that record nightly runs.
NIGHTLY_SOURCE = "gsdb nightly"


@dataclass(frozen=True)
class StepRecord:
    """One repository of a nightly run, as analytics_db keeps it."""

    name: str
    status: str                      # completed, failed or skipped
    seconds: float = 0.0
    files_analyzed: int | None = None
    error: str | None = None
    attempts: int = 1
    output: Mapping[str, Any] = field(default_factory=dict)


class HistoryStore:
    """Writes the nightly history into analytics_db over one autocommit connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def record_nightly(self, *, organization_id: uuid.UUID, workflow: str, execution_id: uuid.UUID,
                       started_at: datetime, completed_at: datetime, steps: Sequence[StepRecord]) -> uuid.UUID:
        """Record one finished nightly run; recording the same execution again returns the first record."""
        failed = sum(s.status == "failed" for s in steps)
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"analytics:nightly:{execution_id}",))
            existing = self.conn.execute(
                "SELECT id FROM analysis_runs WHERE trigger_source = %s AND external_run_id = %s",
                (NIGHTLY_SOURCE, str(execution_id)),
            ).fetchone()
            if existing is not None:
                return existing[0]
            self.conn.execute("SELECT gs_ensure_time_partition('performance_data'::regclass, %s)", (started_at,))
            row = self.conn.execute(
                "INSERT INTO analysis_runs (organization_id, name, analysis_type, status, progress_percentage,"
                " started_at, completed_at, duration_ms, total_metrics, success_metrics, failed_metrics,"
                " error_message, trigger_source, external_run_id, tags, metadata)"
                " VALUES (%s, %s, 'custom', %s, 100, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (organization_id, f"nightly {workflow}", "failed" if failed else "completed", started_at,
                 completed_at, max(0, round((completed_at - started_at).total_seconds() * 1000)), len(steps),
                 sum(s.status == "completed" for s in steps), failed,
                 f"{failed} of {len(steps)} repositories failed" if failed else None, NIGHTLY_SOURCE,
                 str(execution_id), ["nightly"],
                 json.dumps({"workflow": workflow, "workflow_execution_id": str(execution_id),
                             "repositories": {s.name: s.status for s in steps}})),
            ).fetchone()
            assert row is not None
            run_id = row[0]
            for order, s in enumerate(steps, 1):
                self.conn.execute(
                    "INSERT INTO analysis_steps (analysis_run_id, step_name, step_order, status, duration_ms,"
                    " items_processed, output_data, error_message, retry_count)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (run_id, s.name, order, s.status, round(s.seconds * 1000), s.files_analyzed,
                     json.dumps(dict(s.output), default=str), s.error, max(0, s.attempts - 1)),
                )
                self.conn.execute(
                    "INSERT INTO performance_data (organization_id, analysis_run_id, operation_name, operation_type,"
                    " duration_ms, items_processed, success_rate, measured_at, metadata)"
                    " VALUES (%s, %s, 'nightly.repository', 'nightly', %s, %s, %s, %s, %s)",
                    (organization_id, run_id, s.seconds * 1000, s.files_analyzed,
                     100 if s.status == "completed" else 0, started_at,
                     json.dumps({"codebase": s.name, "status": s.status, "attempts": s.attempts})),
                )
        return run_id
