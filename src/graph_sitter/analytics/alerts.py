"""Alert rules over a codebase's metric series: the default rules, and how one rule judges one run.

A rule compares a metric's value in a run with a baseline (analytics_db/0001_baseline.sql documents the columns):

- threshold_type `absolute`:        value <comparison> threshold
- threshold_type `absolute_change`: (value - baseline) <comparison> threshold
- threshold_type `percent_change`:  100 * (value - baseline) / |baseline| <comparison> threshold

The baseline is the value in the previous run (`previous_run`) or the mean of the last `baseline_window` runs
(`moving_average`). A change rule cannot judge a codebase's first run (no baseline), and a percent rule cannot
judge a change from 0; both simply do not fire.
"""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Protocol, Sequence

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True)
class RuleSpec:
    """A rule as defined in code; `ensure_rules` stores it once per organization, by name."""

    name: str
    description: str
    metric_name: str
    comparison: str
    threshold_value: float
    threshold_type: str = "absolute"
    baseline: str = "previous_run"
    baseline_window: int = 1
    severity: str = "warning"


#: The rules every organization gets on its first analysed run; users may deactivate or retune them in alert_rules.
DEFAULT_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("complexity up 10% on previous run", "Mean cyclomatic complexity rose more than 10 % since the previous run.",
             "mean_cyclomatic_complexity", ">", 10.0, "percent_change", severity="warning"),
    RuleSpec("dead code up", "More dead-code candidates than in the previous run.",
             "dead_code_count", ">", 0.0, "absolute_change", severity="info"),
    RuleSpec("maintainability down 5% on previous run", "Maintainability index fell more than 5 % since the previous run.",
             "maintainability_index", "<", -5.0, "percent_change", severity="warning"),
    RuleSpec("import cycles appeared", "More import cycles between modules than in the previous run.",
             "import_cycle_count", ">", 0.0, "absolute_change", severity="error"),
    RuleSpec("hotspots up", "More complexity hotspots (cyclomatic complexity >= 10) than in the previous run.",
             "hotspot_count", ">", 0.0, "absolute_change", severity="info"),
)


@dataclass(frozen=True)
class AlertRule:
    """A row of alert_rules."""

    id: uuid.UUID
    name: str
    metric_name: str
    comparison: str
    threshold_value: float
    threshold_type: str = "absolute"
    baseline: str = "previous_run"
    baseline_window: int = 1
    severity: str = "warning"
    cooldown_minutes: int = 0
    dimension_filter: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """One rule applied to one run: the value, its baseline, the compared quantity, and whether the rule fired."""

    rule: AlertRule
    value: float
    baseline: float | None
    change: float | None
    fired: bool


def baseline_of(rule: AlertRule, history: Sequence[float]) -> float | None:
    """The baseline a rule compares with, from the values of the runs before this one (oldest first)."""
    if not history:
        return None
    if rule.baseline == "moving_average":
        window = history[-max(1, rule.baseline_window):]
        return sum(window) / len(window)
    return history[-1]


def compared_quantity(rule: AlertRule, value: float, baseline: float | None) -> float | None:
    """What the rule puts on the left of its comparison; None when it cannot be computed."""
    if rule.threshold_type == "absolute":
        return value
    if baseline is None:
        return None
    if rule.threshold_type == "absolute_change":
        return value - baseline
    if baseline == 0:
        return None
    return 100.0 * (value - baseline) / abs(baseline)


def evaluate(rule: AlertRule, history: Sequence[float], value: float) -> Evaluation | None:
    """Judge one run's value against the runs before it; None when the rule cannot judge it."""
    baseline = baseline_of(rule, history)
    quantity = compared_quantity(rule, value, baseline)
    if quantity is None:
        return None
    fired = _COMPARISONS[rule.comparison](quantity, rule.threshold_value)
    change = None if baseline is None else value - baseline
    if rule.threshold_type == "percent_change":
        change = quantity
    return Evaluation(rule, value, baseline, change, fired)


def in_cooldown(rule: AlertRule, last_fired: datetime | None, now: datetime) -> bool:
    """Whether the rule fired for this entity too recently to fire again."""
    return bool(rule.cooldown_minutes and last_fired is not None
                and now - last_fired < timedelta(minutes=rule.cooldown_minutes))


class AlertBackend(Protocol):
    """What `evaluate_run` needs from analytics_db (implemented by adapters.analytics_db.AlertStore)."""

    def ensure_rules(self, organization_id: uuid.UUID | None, specs: Sequence[RuleSpec]) -> int: ...
    def active_rules(self, organization_id: uuid.UUID | None) -> list[AlertRule]: ...
    def series(self, codebase_id: uuid.UUID, metric_name: str, dimension_filter: Mapping[str, Any],
               until: datetime) -> list[tuple[datetime, float]]: ...
    def has_firing(self, rule_id: uuid.UUID, analysis_run_id: uuid.UUID, codebase_id: uuid.UUID) -> bool: ...
    def last_firing(self, rule_id: uuid.UUID, codebase_id: uuid.UUID) -> datetime | None: ...
    def record_firing(self, evaluation: Evaluation, *, organization_id: uuid.UUID | None,
                      analysis_run_id: uuid.UUID, codebase_id: uuid.UUID, codebase_name: str,
                      measured_at: datetime) -> uuid.UUID: ...
    def mark_evaluated(self, rule_ids: Sequence[uuid.UUID], fired_ids: Sequence[uuid.UUID]) -> None: ...


def evaluate_run(backend: AlertBackend, *, organization_id: uuid.UUID | None, analysis_run_id: uuid.UUID,
                 codebase_id: uuid.UUID, codebase_name: str, measured_at: datetime,
                 rules: Sequence[RuleSpec] = DEFAULT_RULES) -> list[Evaluation]:
    """Evaluate every active rule on one analytics run and record the firings; returns the new firings.

    Idempotent: a rule that already fired for this run is not evaluated again.
    """
    backend.ensure_rules(organization_id, rules)
    evaluated: list[uuid.UUID] = []
    fired: list[Evaluation] = []
    for rule in backend.active_rules(organization_id):
        if backend.has_firing(rule.id, analysis_run_id, codebase_id):
            continue
        points = backend.series(codebase_id, rule.metric_name, rule.dimension_filter, measured_at)
        # the run's own point must be the last one, or this run did not measure the metric
        if not points or points[-1][0] != measured_at:
            continue
        evaluated.append(rule.id)
        result = evaluate(rule, [v for _, v in points[:-1]], points[-1][1])
        if result is None or not result.fired:
            continue
        if in_cooldown(rule, backend.last_firing(rule.id, codebase_id), measured_at):
            continue
        backend.record_firing(result, organization_id=organization_id, analysis_run_id=analysis_run_id,
                              codebase_id=codebase_id, codebase_name=codebase_name, measured_at=measured_at)
        fired.append(result)
    backend.mark_evaluated(evaluated, [e.rule.id for e in fired])
    return fired
