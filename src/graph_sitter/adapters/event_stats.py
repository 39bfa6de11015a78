"""events_db: event counts per source, type and hour/day (event_aggregations), and spikes against a baseline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

#: Hours of history the current hour is compared with.
DEFAULT_BASELINE_HOURS = 24
#: A spike is more than mean + K standard deviations of the baseline hours…
DEFAULT_K = 3.0
#: …and at least this many events (a handful of events is never a spike).
DEFAULT_MIN_COUNT = 10


@dataclass(frozen=True)
class Count:
    """Events of one source and type in one hour or day (source and type None: all of them)."""

    source: str | None
    event_type: str | None
    bucket: str
    period_start: datetime
    event_count: int


@dataclass(frozen=True)
class Anomaly:
    """A row of event_anomalies."""

    id: uuid.UUID
    anomaly_type: str
    severity: str
    source: str | None
    event_type: str | None
    window_start: datetime | None
    expected_value: float | None
    observed_value: float | None
    description: str | None
    detected_at: datetime


def counts(conn: psycopg.Connection[Any], *, bucket: str = "hour", since: datetime | None = None,
           source: str | None = None, event_type: str | None = None, totals: bool = False,
           limit: int = 200) -> list[Count]:
    """Counts per source and type (or the all-sources totals), newest period first."""
    clauses = ["bucket = %s"]
    params: list[Any] = [bucket]
    clauses.append("source IS NULL" if totals else "source IS NOT NULL")
    if since is not None:
        clauses.append("period_start >= %s")
        params.append(since)
    if source is not None:
        clauses.append("source = %s")
        params.append(source)
    if event_type is not None:
        clauses.append("event_type = %s")
        params.append(event_type)
    params.append(limit)
    rows = conn.execute(
        "SELECT source, event_type, bucket, period_start, sum(event_count) FROM event_aggregations"
        f" WHERE {' AND '.join(clauses)} GROUP BY 1, 2, 3, 4 ORDER BY period_start DESC, 1, 2 LIMIT %s", params)
    return [Count(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]


# The baseline counts hours without events as zeros: mean and standard deviation over exactly N hours.
DETECT_SPIKES_SQL = """
WITH current AS (
    SELECT organization_id, source, event_type, period_start, event_count
      FROM event_aggregations
     WHERE bucket = 'hour' AND source IS NOT NULL
       AND period_start = date_trunc('hour', %(at)s AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
), baseline AS (
    SELECT c.organization_id, c.source, c.event_type, c.period_start, c.event_count,
           coalesce(sum(a.event_count), 0)::float8 / %(hours)s AS mean,
           coalesce(sum(a.event_count::float8 * a.event_count), 0) / %(hours)s AS mean_square
      FROM current c
      LEFT JOIN event_aggregations a
        ON a.bucket = 'hour' AND a.organization_id IS NOT DISTINCT FROM c.organization_id
       AND a.source = c.source AND a.event_type = c.event_type
       AND a.period_start >= c.period_start - make_interval(hours => %(hours)s) AND a.period_start < c.period_start
     GROUP BY 1, 2, 3, 4, 5
), scored AS (
    SELECT *, sqrt(greatest(mean_square - mean * mean, 0)) AS stddev FROM baseline
)
INSERT INTO event_anomalies (organization_id, anomaly_type, severity, source, event_type, description,
                             window_start, window_end, expected_value, observed_value, detection_method,
                             confidence_score, event_count, anomaly_data)
SELECT s.organization_id, 'spike',
       CASE WHEN s.event_count > s.mean + 3 * %(k)s * s.stddev THEN 'high' ELSE 'medium' END,
       s.source, s.event_type,
       format('%%s %%s events in the hour from %%s: %%s, baseline %%s ± %%s over %%s hours', s.source, s.event_type,
              to_char(s.period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00 UTC'), s.event_count,
              round(s.mean::numeric, 1), round(s.stddev::numeric, 1), %(hours)s),
       s.period_start, s.period_start + interval '1 hour', s.mean, s.event_count,
       format('mean + %%s·stddev over %%s hours', %(k)s, %(hours)s),
       CASE WHEN s.stddev > 0 THEN least(99.99, round((100 * (1 - 1 / (1 + (s.event_count - s.mean) / s.stddev)))::numeric, 2))
            ELSE 99.99 END,
       s.event_count,
       jsonb_build_object('mean', s.mean, 'stddev', s.stddev, 'k', %(k)s, 'baseline_hours', %(hours)s)
  FROM scored s
 WHERE s.event_count >= %(min_count)s AND s.event_count > s.mean + %(k)s * s.stddev
   -- one anomaly per source, type and hour: a later pass in the same hour adds nothing
   AND NOT EXISTS (SELECT 1 FROM event_anomalies x
                    WHERE x.anomaly_type = 'spike' AND x.organization_id IS NOT DISTINCT FROM s.organization_id
                      AND x.source = s.source AND x.event_type = s.event_type AND x.window_start = s.period_start)
RETURNING id, anomaly_type, severity, source, event_type, window_start, expected_value, observed_value, description,
          detected_at
"""

_ANOMALY = ("SELECT id, anomaly_type, severity, source, event_type, window_start, expected_value, observed_value,"
            " description, detected_at FROM event_anomalies")


def detect_spikes(conn: psycopg.Connection[Any], at: datetime, *, hours: int = DEFAULT_BASELINE_HOURS,
                  k: float = DEFAULT_K, min_count: int = DEFAULT_MIN_COUNT) -> list[Anomaly]:
    """Record a spike for each (source, type) whose hour of `at` exceeds its baseline; returns the new ones."""
    with conn.transaction():
        # one detector at a time, so two serve processes cannot record the same spike twice
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('graph_sitter.detect_spikes'))")
        rows = conn.execute(DETECT_SPIKES_SQL, {"at": at, "hours": hours, "k": k, "min_count": min_count}).fetchall()
    return [Anomaly(*r) for r in rows]


def anomalies(conn: psycopg.Connection[Any], *, limit: int = 50, unresolved_only: bool = True) -> list[Anomaly]:
    """The latest anomalies, newest first."""
    where = " WHERE NOT is_resolved" if unresolved_only else ""
    return [Anomaly(*r) for r in conn.execute(f"{_ANOMALY}{where} ORDER BY detected_at DESC LIMIT %s", (limit,))]
