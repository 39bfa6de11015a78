"""learning_db: the baseline per codebase, adaptations, recurring patterns, the registry and evolution sessions."""

from __future__ import annotations

import json
import statistics
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from graph_sitter import plugins
from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.learning_db import LearningError, LearningStore
from graph_sitter.builtins.learning import (
    baseline_name, fit_baseline, improvement_score, metric_changes, numeric_metrics, recurring_findings,
)
from graph_sitter.cli_learning import learning
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from tests.domains.test_events import Recorder, analysis_env, recorder, two_runs  # noqa: F401 (fixtures)


# -- pure logic ------------------------------------------------------------------------------------------------------

def test_improvement_score_direction_and_bounds() -> None:
    before = {"mean_cyclomatic_complexity": 4.0, "maintainability_index": 60.0, "files": 3.0}
    assert improvement_score(before, before) == 0.0
    better = improvement_score(before, {"mean_cyclomatic_complexity": 2.0, "maintainability_index": 80.0, "files": 9})
    worse = improvement_score(before, {"mean_cyclomatic_complexity": 8.0, "maintainability_index": 30.0, "files": 1})
    assert 0 < better <= 1 and -1 <= worse < 0
    # equal weights: complexity halved (+0.5) and maintainability 60 -> 80 (+0.25) average to +0.375
    assert better == pytest.approx(0.375)
    assert improvement_score({"mean_cyclomatic_complexity": 0.0}, {"mean_cyclomatic_complexity": 5.0}) == -1.0
    assert improvement_score({"files": 1.0}, {"files": 2.0}) == 0.0  # size is not quality


def test_fit_baseline_rolls_over_the_window() -> None:
    history = {"m": [float(v) for v in range(20)]}
    fitted = fit_baseline(history, {"m": 100.0, "n": 1.0}, window=4)
    assert fitted["m"]["n"] == 4 and fitted["m"]["mean"] == pytest.approx(statistics.fmean([17, 18, 19, 100]))
    assert fitted["m"]["std"] == pytest.approx(statistics.stdev([17, 18, 19, 100]))
    assert fitted["n"] == {"mean": 1.0, "std": None, "n": 1, "last": 1.0}


def test_metric_helpers() -> None:
    assert numeric_metrics({"a": 1, "b": True, "c": None, "d": "x", "e": 2.5, "f": float("nan")}) == {"a": 1.0,
                                                                                                       "e": 2.5}
    assert metric_changes({"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 3.0, "c": 1.0}) == {
        "b": {"before": 2.0, "after": 3.0, "change": 1.0}, "c": {"before": None, "after": 1.0, "change": None}}
    previous = {"hotspots": [{"qualified_name": "m.f"}], "import_cycles": [["a", "b"]]}
    current = {"hotspots": [{"qualified_name": "m.f"}, {"qualified_name": "m.g"}], "import_cycles": [["b", "a"]]}
    assert [(r.pattern_type, r.subject) for r in recurring_findings(previous, current)] == [
        ("recurring_hotspot", "m.f"), ("persistent_import_cycle", "a | b")]
    assert recurring_findings({}, current) == []


# -- the plugin against the database -----------------------------------------------------------------------------

def _table_counts(conn: psycopg.Connection[Any], model_id: uuid.UUID) -> tuple[int, ...]:
    return conn.execute(
        "SELECT (SELECT count(*) FROM training_sessions WHERE learning_model_id = %(m)s),"
        " (SELECT count(*) FROM training_metrics t JOIN training_sessions s ON s.id = t.training_session_id"
        "   WHERE s.learning_model_id = %(m)s),"
        " (SELECT count(*) FROM adaptations WHERE learning_model_id = %(m)s),"
        " (SELECT coalesce(sum(occurrences_count), 0) FROM pattern_recognition WHERE learning_model_id = %(m)s)",
        {"m": model_id},
    ).fetchone()


def test_three_runs_train_baseline_adaptations_and_patterns(recorder: Recorder, settings: Settings,
                                                            cluster: Cluster, tmp_path: Path) -> None:
    repo, first, second = two_runs(tmp_path, settings, "learn")
    third = analyze(repo, AnalyzeOptions(name=second.codebase, jobs=1), settings)
    results = [first, second, third]
    with cluster.connect("learning_db") as conn:
        store = LearningStore(conn)
        model = store.model(baseline_name(second.codebase))
        assert model is not None and model.status == "completed" and model.is_active
        assert model.parameters["runs_seen"] == 3 and model.training_data_size == 3
        means = [r.metrics["mean_cyclomatic_complexity"] for r in results]
        fitted = model.parameters["metrics"]["mean_cyclomatic_complexity"]
        assert fitted["mean"] == pytest.approx(statistics.fmean(means))
        assert fitted["std"] == pytest.approx(statistics.stdev(means)) and fitted["n"] == 3

        sessions = store.training_sessions(model_id=model.id)
        assert len(sessions) == 3 and all(s.status == "completed" and s.completed_at for s in sessions)
        newest = sessions[0]
        metrics = {m.metric_name: m for m in store.training_metrics(newest.id)}
        assert set(metrics) == set(numeric_metrics(third.metrics))
        point = metrics["mean_cyclomatic_complexity"]
        assert point.value == pytest.approx(means[2]) and point.metric_type == "observation" and point.step == 3
        assert point.recorded_at == recorder.runs[-1].started_at
        assert point.metadata["z_score"] == pytest.approx(
            (means[2] - statistics.fmean(means[:2])) / statistics.stdev(means[:2]), abs=1e-3)

        adaptations = store.adaptations(learning_model_id=model.id)
        assert len(adaptations) == 2  # one per consecutive pair of runs
        worse, same = adaptations
        assert worse.improvement_score is not None and worse.improvement_score < 0 and worse.is_successful is False
        assert worse.performance_before["mean_cyclomatic_complexity"] == pytest.approx(means[0])
        assert worse.performance_after["mean_cyclomatic_complexity"] == pytest.approx(means[1])
        assert "mean_cyclomatic_complexity" in worse.changes_made
        assert same.improvement_score == 0.0 and same.is_successful is None

        patterns = {p.pattern_type: p for p in store.patterns(codebase_id=second.codebase_id)}
        hot = [p for p in store.patterns(codebase_id=second.codebase_id) if p.pattern_data["subject"] == "pkg.a.hot"]
        assert len(hot) == 1 and hot[0].occurrences_count == 3 and hot[0].metadata["streak"] == 3
        assert hot[0].first_seen_at == recorder.runs[0].started_at
        assert hot[0].last_seen_at == recorder.runs[2].started_at
        assert patterns["persistent_import_cycle"].pattern_data["subject"] == "pkg.a | pkg.b"
        tangled = [p for p in store.patterns(codebase_id=second.codebase_id)
                   if p.pattern_data["subject"] == "pkg.worse.tangled"]
        assert tangled[0].occurrences_count == 2

        counts = _table_counts(conn, model.id)
        conn.commit()
        # redelivering the newest run to every plugin adds nothing here either
        plugins.call_safely("analysis_finished", run=recorder.runs[-1], result=third)
        assert _table_counts(conn, model.id) == counts
        assert len(store.models(name=baseline_name(second.codebase))) == 1


# -- library APIs ----------------------------------------------------------------------------------------------------

def test_model_registry_versions_status_and_production(cluster: Cluster) -> None:
    name = f"predictor-{uuid.uuid4().hex[:6]}"
    with cluster.connect("learning_db") as conn:
        store = LearningStore(conn)
        v1 = store.register_model(name, model_type="bug_probability_classifier", algorithm="random_forest",
                                  parameters={"trees": 10})
        v2 = store.register_model(name, version="1.1.0", parent_model_id=v1.id)
        with pytest.raises(LearningError):
            store.register_model(name)
        assert [m.version for m in store.models(name=name)] == ["1.1.0", "1.0.0"]
        assert store.model(name).id == v2.id and store.model(name, "1.0.0").parameters == {"trees": 10}
        store.set_model_status(v1.id, "deployed", production=True)
        store.set_model_status(v2.id, "deployed", production=True)
        assert [m.is_production for m in (store.get_model(v1.id), store.get_model(v2.id))] == [False, True]
        with pytest.raises(LearningError):
            store.set_model_status(v1.id, "completed", production=True)
        assert store.set_model_status(v2.id, "retired").is_production is False


def test_evolution_sessions(cluster: Cluster) -> None:
    with cluster.connect("learning_db") as conn:
        store = LearningStore(conn)
        session = store.create_evolution_session(f"evolve-{uuid.uuid4().hex[:6]}", population_size=4,
                                                 max_generations=5, config={"mutation": 0.1})
        assert session.status == "running" and session.current_generation == 0
        store.record_generation(session.id, 1, best_fitness=0.4, average_fitness=0.2, evaluations=4,
                                stage="exploration")
        later = store.record_generation(session.id, 2, best_fitness=0.3, average_fitness=0.25, evaluations=4)
        assert later.best_fitness == 0.4 and later.current_generation == 2 and later.total_evaluations == 8
        assert later.current_stage == "exploration"
        done = store.finish_evolution_session(session.id, "completed", convergence_generation=2)
        assert done.status == "completed" and done.completed_at is not None
        assert session.id in {s.id for s in store.evolution_sessions(status="completed")}
        with pytest.raises(LearningError):
            store.record_generation(session.id, 3)
        with pytest.raises(psycopg.errors.CheckViolation):
            store.finish_evolution_session(session.id, "running")


# -- CLI -------------------------------------------------------------------------------------------------------------

def test_learning_cli(recorder: Recorder, settings: Settings, tmp_path: Path) -> None:
    _, _, second = two_runs(tmp_path, settings, "cli")
    runner = CliRunner()
    out = runner.invoke(learning, ["models", "--json"])
    assert out.exit_code == 0, out.output
    assert baseline_name(second.codebase) in {m["name"] for m in json.loads(out.output)}
    out = runner.invoke(learning, ["sessions", "--model", baseline_name(second.codebase), "--json"])
    assert out.exit_code == 0 and len(json.loads(out.output)) == 2
    assert json.loads(out.output)[0]["metrics"]
    out = runner.invoke(learning, ["adaptations", second.codebase])
    assert out.exit_code == 0 and "score -" in out.output
    out = runner.invoke(learning, ["patterns", second.codebase])
    assert out.exit_code == 0 and "2x\trecurring_hotspot\tpkg.a.hot" in out.output
    missing = runner.invoke(learning, ["patterns", "no-such-codebase"])
    assert missing.exit_code != 0 and "no baseline" in str(missing.exception)
