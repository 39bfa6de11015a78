"""`gsdb maintain` on the session's PostgreSQL: partitions ahead, retention that removes only expired partitions
(dropped or detached), aggregate refreshes, and the bloat and slow-query reports."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from graph_sitter.adapters.database import Cluster
from graph_sitter.config import Settings
from graph_sitter.maintenance.maintain import MaintainOptions, run_maintenance
from graph_sitter.maintenance.retention import RetentionPolicy, cutoff, parse_retention
from tests.conftest import run_gsdb

PROBE = "gs_retention_probe"


def _month(now: datetime, back: int) -> datetime:
    """The middle of the month `back` months before `now`'s (UTC)."""
    index = now.year * 12 + now.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 15, tzinfo=timezone.utc)


@pytest.fixture()
def probe(cluster: Cluster) -> Iterator[dict[int, str]]:
    """A time-series table in learning_db with one row in each of several months back; month -> partition."""
    now = datetime.now(timezone.utc)
    backs = (30, 14, 13, 12, 11, 1, 0)
    with cluster.connect("learning_db", autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {PROBE} CASCADE")
        conn.execute("SELECT gs_create_time_series_table(%s, 'at', %s, 0, 0)",
                     (PROBE, f"CREATE TABLE {PROBE} (id int NOT NULL, at timestamptz NOT NULL)"))
        parts = {}
        for back in backs:
            parts[back] = conn.execute("SELECT gs_ensure_time_partition(%s::regclass, %s)::text",
                                       (PROBE, _month(now, back))).fetchone()[0]
            conn.execute(f"INSERT INTO {PROBE} VALUES (%s, %s)", (back, _month(now, back)))
    yield parts
    with cluster.connect("learning_db", autocommit=True) as conn:
        for name in [r[0] for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relname LIKE %s AND relkind IN ('r', 'p')", (PROBE + "%",))]:
            conn.execute(f"DROP TABLE IF EXISTS {name} CASCADE")


def _partitions(cluster: Cluster) -> set[str]:
    with cluster.connect("learning_db") as conn:
        return {r[0] for r in conn.execute("SELECT partition_name FROM gs_time_partitions(%s::regclass)", (PROBE,))}


def _only_probe(months: int, detach: bool = False, dry_run: bool = False) -> MaintainOptions:
    return MaintainOptions(retention=RetentionPolicy(months={f"learning_db.{PROBE}": months}, detach=detach),
                           dry_run=dry_run)


def test_retention_removes_only_expired_partitions(settings: Settings, cluster: Cluster,
                                                   probe: dict[int, str]) -> None:
    dry = run_maintenance(settings, _only_probe(12, dry_run=True))
    expired = {probe[30], probe[14], probe[13]}  # their months ended before the month 12 months back began
    action = next(a for a in dry.retention if a.table == PROBE)
    assert set(action.partitions) == expired and action.action == "would drop"
    assert _partitions(cluster) == set(probe.values())  # a dry run changes nothing
    report = run_maintenance(settings, _only_probe(12))
    assert report.ok, report.errors
    action = next(a for a in report.retention if a.table == PROBE)
    assert set(action.partitions) == expired and action.action == "dropped"
    assert action.cutoff == cutoff(12)
    left = _partitions(cluster)
    assert left.isdisjoint(expired) and set(probe.values()) - expired <= left  # (and the months ahead it made)
    with cluster.connect("learning_db") as conn:
        kept = sorted(r[0] for r in conn.execute(f"SELECT id FROM {PROBE}"))
        assert conn.execute(f"SELECT count(*) FROM {PROBE}_default").fetchone() == (0,)
    assert kept == [0, 1, 11, 12]
    # every other table has its default retention; nothing of theirs had expired
    others = [a for a in report.retention if a.table != PROBE]
    assert others == [] and report.kept_forever  # tables without a retention keep everything


def test_detached_partitions_keep_their_rows(settings: Settings, cluster: Cluster, probe: dict[int, str]) -> None:
    report = run_maintenance(settings, _only_probe(13, detach=True))
    action = next(a for a in report.retention if a.table == PROBE)
    assert sorted(action.partitions) == sorted([f"{probe[30]}_detached", f"{probe[14]}_detached"])
    left = _partitions(cluster)
    assert left.isdisjoint({probe[30], probe[14]}) and set(probe.values()) - {probe[30], probe[14]} <= left
    with cluster.connect("learning_db") as conn:
        assert conn.execute(f"SELECT id FROM {probe[30]}_detached").fetchall() == [(30,)]
        assert conn.execute(f"SELECT count(*) FROM {PROBE} WHERE id IN (14, 30)").fetchone() == (0,)


def test_maintain_creates_partitions_ahead_and_refreshes_aggregates(settings: Settings, cluster: Cluster) -> None:
    from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
    from tests.jobs.conftest import make_repo, unique_name
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        analyze(make_repo(Path(tmp) / "agg"), AnalyzeOptions(name=unique_name("agg"), jobs=1), settings)
    report = run_maintenance(settings, MaintainOptions(months_ahead=5))
    assert report.ok, report.errors
    now = datetime.now(timezone.utc)
    index = now.year * 12 + now.month - 1 + 5
    ahead = f"metrics_p{index // 12}{index % 12 + 1:02d}"
    with cluster.connect("analytics_db") as conn:
        assert conn.execute("SELECT to_regclass(%s) IS NOT NULL", (ahead,)).fetchone() == (True,)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        rows = conn.execute("SELECT aggregation_type, sample_count FROM metric_aggregations WHERE metric_name ="
                            " 'mean_cyclomatic_complexity' AND window_start = %s ORDER BY 1", (day,)).fetchall()
    assert [r[0] for r in rows] == ["avg", "count", "max", "min"] and rows[0][1] >= 1
    with cluster.connect("events_db") as conn:
        total = conn.execute("SELECT sum(event_count) FROM event_aggregations WHERE bucket = 'day' AND source IS NULL"
                             " AND period_start = %s", (day,)).fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events WHERE occurred_at >= %s AND occurred_at < %s",
                              (day, day + timedelta(days=1))).fetchone()[0]
    assert total == events > 0
    assert report.refreshed["analytics_db.gs_refresh_metric_aggregations"] >= 0
    again = run_maintenance(settings, MaintainOptions())  # refreshing twice rewrites nothing
    assert again.refreshed["events_db.gs_refresh_event_aggregations"] == 0
    assert all(b.dead_ratio <= 1 and b.wasted_bytes <= b.size_bytes for b in report.bloat)
    assert report.slow_queries or (report.slow_queries_note or "").startswith("not available")


def test_the_cli_prints_the_reports_and_refuses_bad_retention(gsdb_env: dict[str, str]) -> None:
    result = run_gsdb(gsdb_env, "maintain", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dry_run"] and {"retention", "bloat", "slow_queries", "slow_queries_note"} <= set(data)
    text = run_gsdb(gsdb_env, "maintain", "--dry-run")
    assert text.returncode == 0 and "retention" in text.stdout and "slowest queries" in text.stdout
    bad = run_gsdb(gsdb_env, "maintain", "--retain", "metrics=forever-ish")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "DATABASE.TABLE" in bad.stderr
    with pytest.raises(Exception, match="at least 1"):
        parse_retention(["analytics_db.metrics=0"])
    assert parse_retention(["events_db.events=keep"])["events_db.events"] is None
