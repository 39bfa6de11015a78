"""Alert rules: the evaluation logic, and firings in analytics_db after a run that made the code worse."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from graph_sitter import plugins
from graph_sitter.adapters.analytics_db import AlertStore, AnalyticsStore
from graph_sitter.adapters.database import Cluster
from graph_sitter.analytics.alerts import DEFAULT_RULES, AlertRule, evaluate, in_cooldown
from graph_sitter.config import Settings
from tests.domains.test_events import Recorder, analysis_env, recorder, two_runs  # noqa: F401 (fixtures)


def _rule(**kwargs: object) -> AlertRule:
    base: dict[str, object] = {"id": uuid.uuid4(), "name": "r", "metric_name": "m", "comparison": ">",
                               "threshold_value": 10.0}
    return AlertRule(**(base | kwargs))  # type: ignore[arg-type]


def test_percent_change_against_previous_run() -> None:
    rule = _rule(threshold_type="percent_change")
    fired = evaluate(rule, [4.0, 5.0], 5.6)
    assert fired is not None and fired.fired and fired.baseline == 5.0 and fired.change == pytest.approx(12.0)
    calm = evaluate(rule, [5.0], 5.4)
    assert calm is not None and not calm.fired


def test_percent_change_needs_a_nonzero_baseline_and_a_previous_run() -> None:
    rule = _rule(threshold_type="percent_change")
    assert evaluate(rule, [], 3.0) is None
    assert evaluate(rule, [0.0], 3.0) is None


def test_absolute_change_and_absolute() -> None:
    up = _rule(threshold_type="absolute_change", threshold_value=0.0)
    assert evaluate(up, [2.0], 3.0).fired  # type: ignore[union-attr]
    assert not evaluate(up, [3.0], 3.0).fired  # type: ignore[union-attr]
    level = _rule(threshold_type="absolute", comparison=">=", threshold_value=20.0)
    assert evaluate(level, [], 20.0).fired  # type: ignore[union-attr]  (no baseline needed)


def test_moving_average_baseline_and_falling_metric() -> None:
    rule = _rule(threshold_type="percent_change", comparison="<", threshold_value=-5.0,
                 baseline="moving_average", baseline_window=3)
    result = evaluate(rule, [100.0, 80.0, 90.0, 100.0], 85.0)  # baseline mean(80, 90, 100) = 90
    assert result is not None and result.baseline == pytest.approx(90.0)
    assert result.change == pytest.approx(-5.5556, abs=1e-3) and result.fired


def test_cooldown() -> None:
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert in_cooldown(_rule(cooldown_minutes=30), now - timedelta(minutes=10), now)
    assert not in_cooldown(_rule(cooldown_minutes=30), now - timedelta(minutes=40), now)
    assert not in_cooldown(_rule(), now, now)


def test_worse_run_fires_complexity_alert_once(recorder: Recorder, settings: Settings, cluster: Cluster,
                                               tmp_path: Path) -> None:
    _, first, second = two_runs(tmp_path, settings, "alerts")
    with cluster.connect("analytics_db") as conn:
        analytics = AnalyticsStore(conn)
        first_run, second_run = analytics.find_run(first.run_id), analytics.find_run(second.run_id)
        assert first_run is not None and second_run is not None
        alerts = AlertStore(conn)
        assert alerts.instances(analysis_run_id=first_run) == []  # a first run has no baseline
        fired = {i.rule_name: i for i in alerts.instances(analysis_run_id=second_run)}
        names = {r.name for r in DEFAULT_RULES}
        assert set(fired) <= names
        complexity = fired["complexity up 10% on previous run"]
        assert complexity.metric_name == "mean_cyclomatic_complexity" and complexity.status == "firing"
        old, new = first.metrics["mean_cyclomatic_complexity"], second.metrics["mean_cyclomatic_complexity"]
        assert complexity.baseline_value == pytest.approx(old) and complexity.triggered_value == pytest.approx(new)
        assert complexity.change_value == pytest.approx(100 * (new - old) / old)
        assert complexity.entity_key == second.codebase
        assert "hotspots up" in fired and "import cycles appeared" not in fired
        count = len(fired)
        # redelivery of the run to every plugin: the rules judge it again and record nothing new
        plugins.call_safely("analysis_finished", run=recorder.runs[-1], result=second)
        assert len(alerts.instances(analysis_run_id=second_run)) == count
        rules = conn.execute("SELECT name, count(*) FROM alert_rules WHERE name = ANY(%s) GROUP BY name",
                             ([r.name for r in DEFAULT_RULES],)).fetchall()
        assert sorted(rules) == sorted((name, 1) for name in names)


def test_acknowledge_then_resolve(recorder: Recorder, settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    _, _, second = two_runs(tmp_path, settings, "ack")
    with cluster.connect("analytics_db", autocommit=True) as conn:
        alerts = AlertStore(conn)
        instance = alerts.instances(codebase_id=second.codebase_id)[0]
        alerts.set_instance_status(instance.id, "acknowledged")
        alerts.set_instance_status(instance.id, "resolved")
        assert alerts.instances(codebase_id=second.codebase_id, status="resolved")[0].id == instance.id
        import psycopg

        with pytest.raises(psycopg.errors.CheckViolation):
            alerts.set_instance_status(instance.id, "firing")
