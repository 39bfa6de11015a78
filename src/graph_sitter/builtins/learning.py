"""Built-in plugin: a learned metric baseline, adaptations and recurring patterns go to learning_db; alert rules are
evaluated in analytics_db.

After every completed run (the hook runs last, after the analytics plugin has recorded the run's metric series):

- **Baseline** (`learning_models`, one per codebase, named `baseline:<codebase>`): for each numeric metric of the run,
  the mean and sample standard deviation over the last `WINDOW` runs. Each run refits it in a `training_session`
  whose `training_metrics` hold one row per metric: the run's value (metric_type `observation`), with the fitted
  mean, deviation, sample size and the z-score of the value against the baseline *before* this run.
- **Adaptation** (`adaptations`, one per pair of consecutive runs): the metrics before and after, what changed,
  and an improvement score in [-1, 1]: the weighted mean, over the quality metrics of `SCORED_METRICS` present in
  both runs, of `direction * (after - before) / max(|before|, |after|)`, where direction is +1 when higher is
  better (maintainability) and -1 when lower is better (complexity, hotspots, cycles, dead code, ...). Size metrics
  (files, lines) are recorded but not scored. > 0 is an improvement, < 0 a regression, 0 no change.
- **Patterns** (`pattern_recognition`): a hotspot present in this run and the previous one (`recurring_hotspot`),
  an import cycle present in both (`persistent_import_cycle`), with occurrence counts and first/last seen times.
- **Alerts** (analytics_db `alert_rules` -> `alert_instances`): the default rules of graph_sitter.analytics.alerts
  are created once per organization and every active rule is evaluated on the run's metric series.

Everything is idempotent per run: a redelivered analysis_finished for the same run adds nothing.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from graph_sitter.plugins import hookimpl

#: Runs the rolling baseline looks back over (this run included).
WINDOW = 10
BASELINE_VERSION = "1.0.0"
#: Quality metrics in the improvement score: (direction, weight); direction +1 = higher is better.
SCORED_METRICS: dict[str, tuple[int, float]] = {
    "mean_cyclomatic_complexity": (-1, 2.0),
    "max_cyclomatic_complexity": (-1, 1.0),
    "p90_cyclomatic_complexity": (-1, 1.0),
    "hotspot_count": (-1, 2.0),
    "import_cycle_count": (-1, 2.0),
    "dead_code_count": (-1, 1.0),
    "maintainability_index": (1, 2.0),
    "parse_errors": (-1, 1.0),
    "mean_nloc": (-1, 0.5),
    "resolved_call_ratio": (1, 0.5),
}


def baseline_name(codebase: str) -> str:
    """The registry name of a codebase's baseline model."""
    return f"baseline:{codebase}"


def numeric_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """The finite numeric metrics of a run (booleans, None and text left out)."""
    out: dict[str, float] = {}
    for name, value in (metrics or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = float(value)
    return out


def _stats(values: list[float]) -> dict[str, Any]:
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) >= 2 else None,
            "n": len(values), "last": values[-1]}


def fit_baseline(history: Mapping[str, list[float]], current: Mapping[str, float],
                 window: int = WINDOW) -> dict[str, dict[str, Any]]:
    """Per metric of `current`: mean, sample standard deviation (None below 2 runs), runs used, last value."""
    return {name: _stats((list(history.get(name, [])) + [value])[-window:]) for name, value in sorted(current.items())}


def fit_history(history: Mapping[str, list[float]]) -> dict[str, dict[str, Any]]:
    """The baseline fitted on past runs only (what a new run is compared with)."""
    return {name: _stats(list(values)) for name, values in sorted(history.items()) if values}


def z_score(value: float, baseline: Mapping[str, Any] | None) -> float | None:
    """How many deviations `value` lies from the baseline's mean; None without a usable deviation."""
    if not baseline or not baseline.get("std"):
        return None
    return round((value - baseline["mean"]) / baseline["std"], 4)


def improvement_score(before: Mapping[str, float], after: Mapping[str, float]) -> float:
    """Weighted mean of each scored metric's relative move in its good direction, in [-1, 1]."""
    total = weight_sum = 0.0
    for name, (direction, weight) in SCORED_METRICS.items():
        if name not in before or name not in after:
            continue
        b, a = before[name], after[name]
        scale = max(abs(b), abs(a))
        total += weight * (direction * (a - b) / scale if scale else 0.0)
        weight_sum += weight
    return round(total / weight_sum, 5) if weight_sum else 0.0


def metric_changes(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, dict[str, float | None]]:
    """The metrics whose value differs between two runs: before, after, change."""
    changes: dict[str, dict[str, float | None]] = {}
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b != a:
            changes[name] = {"before": b, "after": a, "change": None if a is None or b is None else a - b}
    return changes


@dataclass(frozen=True)
class Recurrence:
    """A finding present in this run and in the previous one."""

    pattern_type: str
    subject: str
    name: str
    data: dict[str, Any] = field(default_factory=dict)


def recurring_findings(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[Recurrence]:
    """Hotspots and import cycles found in both runs."""
    from graph_sitter.builtins.events import cycle_key

    if not previous:
        return []
    found = []
    before = {h["qualified_name"]: h for h in previous.get("hotspots") or [] if h.get("qualified_name")}
    for spot in current.get("hotspots") or []:
        name = spot.get("qualified_name")
        if name in before:
            found.append(Recurrence("recurring_hotspot", name, f"Recurring hotspot {name}",
                                    dict(spot) | {"previous_cyclomatic_complexity":
                                                  before[name].get("cyclomatic_complexity")}))
    cycles_before = {cycle_key(c) for c in previous.get("import_cycles") or []}
    for cycle in current.get("import_cycles") or []:
        key = cycle_key(cycle)
        if key in cycles_before:
            cycles_before.discard(key)
            found.append(Recurrence("persistent_import_cycle", key, f"Persistent import cycle {' -> '.join(cycle)}",
                                    {"modules": list(cycle)}))
    return found


def pattern_key(codebase_id: Any, recurrence: Recurrence) -> str:
    """The stable identity of a recurring finding of one codebase (long subjects are hashed to fit an index)."""
    subject = recurrence.subject
    if len(subject) > 300:
        subject = "sha256:" + hashlib.sha256(subject.encode()).hexdigest()
    return f"{recurrence.pattern_type}:{codebase_id}:{subject}"


def learn_from_run(store: Any, run: Any, result: Any, organization_id: Any) -> bool:
    """Refit the codebase's baseline on this run and record adaptation and patterns; False if already done."""
    from graph_sitter.adapters.learning_db import MetricPoint

    model = store.ensure_model(
        baseline_name(run.codebase_name), organization_id=organization_id, version=BASELINE_VERSION,
        model_type="code_quality_predictor", algorithm="custom",
        description=f"Rolling mean and deviation of {run.codebase_name}'s metrics over the last {WINDOW} runs",
        hyperparameters={"method": "rolling mean and sample standard deviation", "window": WINDOW},
        metadata={"codebase_id": str(run.codebase_id), "codebase": run.codebase_name},
    )
    if store.session_for_run(model.id, run.id) is not None:
        return False
    started = datetime.now(timezone.utc)
    current = numeric_metrics(result.metrics)
    history = store.observations(model.id, run.started_at, WINDOW - 1)
    before_fit = fit_history(history)
    fitted = fit_baseline(history, current)
    previous_session = store.last_session(model.id, before=run.started_at)
    newest = store.last_session(model.id)
    step = store.count_sessions(model.id, run.started_at) + 1
    points = [MetricPoint(name, value, "observation", step,
                          fitted[name] | {"z_score": z_score(value, before_fit.get(name))})
              for name, value in current.items()]
    run_meta = {"codebase_id": str(run.codebase_id), "codebase": run.codebase_name, "codebase_run_id": str(run.id),
                "run_started_at": run.started_at.isoformat(), "run_type": run.run_type}
    store.record_training_session(
        model.id, organization_id=organization_id, session_name=f"refit {run.codebase_name} on run {run.id}",
        started_at=started, completed_at=datetime.now(timezone.utc), recorded_at=run.started_at, metrics=points,
        training_config={"window": WINDOW}, data_config={"runs": min(step, WINDOW), "metrics": len(current)},
        training_summary=fitted, trigger_source="gsdb analyze", metadata=run_meta,
    )
    parameters = {"window": WINDOW, "runs_seen": step, "codebase_run_id": str(run.id), "metrics": fitted}
    newest_at = None if newest is None else newest.metadata.get("run_started_at")
    if newest_at is None or datetime.fromisoformat(newest_at) < run.started_at:
        # a late redelivery of an older run must not replace the fit of a newer one
        store.update_fit(model.id, parameters, min(step, WINDOW))
    previous_metrics = numeric_metrics((result.previous_findings or {}).get("metrics"))
    previous_run = None if previous_session is None else previous_session.metadata.get("codebase_run_id")
    if previous_metrics:
        score = improvement_score(previous_metrics, current)
        store.record_adaptation(
            organization_id=organization_id, learning_model_id=model.id, target_type="codebase",
            target_id=run.codebase_id, adaptation_name=f"{run.codebase_name}: run {run.id}",
            adaptation_type="training_data", description="What changed between two consecutive runs",
            trigger_reason="analysis run", trigger_data={"codebase_run_id": str(run.id),
                                                         "previous_codebase_run_id": previous_run},
            changes_made=metric_changes(previous_metrics, current),
            parameters_before=before_fit, parameters_after=fitted,
            performance_before=previous_metrics, performance_after=current, improvement_score=score,
            generation_number=step, metadata=run_meta,
        )
    first_seen = run.started_at
    if previous_session is not None and previous_session.metadata.get("run_started_at"):
        first_seen = datetime.fromisoformat(previous_session.metadata["run_started_at"])
    for rec in recurring_findings(result.previous_findings or {}, result.findings or {}):
        store.record_recurrence(
            organization_id=organization_id, learning_model_id=model.id, pattern_key=pattern_key(run.codebase_id, rec),
            pattern_name=rec.name[:500], pattern_type=rec.pattern_type, seen_at=run.started_at,
            first_seen_at=first_seen, run_id=run.id, previous_run_id=previous_run,
            description=f"{rec.name} in {run.codebase_name}", pattern_data=rec.data | {"subject": rec.subject},
            context_data={"codebase_id": str(run.codebase_id), "codebase": run.codebase_name},
        )
    return True


def _learn(run: Any, result: Any, settings: Any) -> None:
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.learning_db import LearningStore
    from graph_sitter.adapters.setup import organization_id

    with Cluster(settings).connect("learning_db") as conn:
        store = LearningStore(conn)
        store.ensure_partition(run.started_at)
        with store.locked(str(run.codebase_id)):
            learn_from_run(store, run, result, organization_id(settings.organization))


def _alerts(run: Any, settings: Any) -> None:
    from graph_sitter.adapters.analytics_db import AlertStore, AnalyticsStore
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.setup import organization_id
    from graph_sitter.analytics.alerts import evaluate_run

    with Cluster(settings).connect("analytics_db") as conn:
        analytics_run = AnalyticsStore(conn).find_run(run.id)
        conn.commit()
        if analytics_run is None:
            return  # the analytics plugin is disabled or failed: no metric series to judge
        alerts = AlertStore(conn)
        with alerts.evaluating(analytics_run):
            evaluate_run(alerts, organization_id=organization_id(settings.organization), analysis_run_id=analytics_run,
                         codebase_id=run.codebase_id, codebase_name=run.codebase_name, measured_at=run.started_at)


@hookimpl(trylast=True)
def analysis_finished(run: Any, result: Any) -> None:
    """Evaluate alert rules on the run's metric series, then refit the baseline and record adaptation and patterns."""
    from graph_sitter.config import load_settings

    settings = result.settings or load_settings()
    errors: list[Exception] = []
    for step in (lambda: _alerts(run, settings), lambda: _learn(run, result, settings)):
        try:
            step()
        except Exception as exc:  # one part failing must not cost the other its rows
            errors.append(exc)
    if errors:
        raise errors[0]
