"""Built-in plugin: analysis lifecycle events and findings go to events_db.

Every run records `analysis.started` and then `analysis.completed` or `analysis.failed` (source `graph_sitter`,
event_type `analysis`, action started/completed/failed). A completed run is compared with the previous completed
run of its codebase, and each difference worth knowing becomes a `finding.*` event:

- `finding.new_hotspot`: a function or method among this run's hotspots (cyclomatic complexity >= 10, the top 20)
  whose qualified name was not among the previous run's hotspots;
- `finding.new_import_cycle`: an import cycle whose set of modules was not a cycle in the previous run;
- `finding.complexity_regression`: the mean cyclomatic complexity rose by more than 5 %, or a hotspot of both runs
  got a higher cyclomatic complexity.

The first run of a codebase is its baseline and yields no findings. A plugin that raises in another hook becomes a
`plugin.failed` event. Delivery is idempotent: each event's delivery id is derived from (run, kind, subject) and its
occurred_at is the run's started_at, so a redelivered hook adds no row. Each newly stored event is passed to the
`event_received` hook.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterable, Mapping

from graph_sitter.plugins import hookimpl

SOURCE = "graph_sitter"
#: Relative rise of the mean cyclomatic complexity that counts as a regression.
MEAN_COMPLEXITY_REGRESSION = 0.05

# Set while event_received runs: events stored by its listeners are kept but not dispatched again, so a listener
# that stores an event can never start an endless chain.
_dispatching: contextvars.ContextVar[bool] = contextvars.ContextVar("graph_sitter_events_dispatching", default=False)


@dataclass(frozen=True)
class Finding:
    """A difference between a run and the previous one, about one subject (a function, a cycle, the codebase)."""

    kind: str
    subject: str
    title: str
    target_type: str
    payload: dict[str, Any] = field(default_factory=dict)


def cycle_key(cycle: Iterable[str]) -> str:
    """The identity of an import cycle: its modules, sorted, whatever module the cycle was reported from."""
    return " | ".join(sorted(set(cycle)))


def _hotspots(findings: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {h["qualified_name"]: h for h in findings.get("hotspots") or [] if h.get("qualified_name")}


def compare_findings(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[Finding]:
    """The findings of `current` measured against `previous` (empty when there is no previous run)."""
    if not previous:
        return []
    found: list[Finding] = []
    before, now = _hotspots(previous), _hotspots(current)
    for name, spot in now.items():
        cc = spot.get("cyclomatic_complexity")
        if name not in before:
            found.append(Finding("new_hotspot", name, f"New hotspot {name} (cyclomatic complexity {cc})",
                                 "function", dict(spot)))
        elif cc is not None and before[name].get("cyclomatic_complexity") is not None \
                and cc > before[name]["cyclomatic_complexity"]:
            old = before[name]["cyclomatic_complexity"]
            found.append(Finding("complexity_regression", name, f"Complexity of {name} rose from {old} to {cc}",
                                 "function", dict(spot) | {"before": old, "after": cc}))
    known = {cycle_key(c) for c in previous.get("import_cycles") or []}
    for cycle in current.get("import_cycles") or []:
        key = cycle_key(cycle)
        if key not in known:
            known.add(key)
            found.append(Finding("new_import_cycle", key, f"New import cycle: {' -> '.join(cycle)}", "import_cycle",
                                 {"modules": list(cycle)}))
    old_mean = (previous.get("metrics") or {}).get("mean_cyclomatic_complexity")
    new_mean = (current.get("metrics") or {}).get("mean_cyclomatic_complexity")
    if old_mean and new_mean is not None and (new_mean - old_mean) / old_mean > MEAN_COMPLEXITY_REGRESSION:
        change = 100 * (new_mean - old_mean) / old_mean
        found.append(Finding("complexity_regression", "mean_cyclomatic_complexity",
                             f"Mean cyclomatic complexity rose {change:.1f} % ({old_mean} -> {new_mean})",
                             "codebase", {"metric": "mean_cyclomatic_complexity", "before": old_mean,
                                          "after": new_mean, "percent_change": round(change, 2)}))
    return found


def delivery_id(run_id: Any, kind: str, subject: str = "") -> str:
    """The delivery id of one event of a run: the same (run, kind, subject) always gives the same id."""
    digest = hashlib.sha256(subject.encode()).hexdigest()[:24] if subject else "-"
    return f"run:{run_id}:{kind}:{digest}"


def _record(run: Any, events: list[dict[str, Any]], settings: Any = None) -> list[Any]:
    """Store the events of one run once each, then tell the `event_received` listeners about the new ones."""
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.events_db import EventStore, NewEvent
    from graph_sitter.adapters.setup import organization_id
    from graph_sitter.config import load_settings

    settings = settings or load_settings()
    stored = []
    with Cluster(settings).connect("events_db") as conn:
        store = EventStore(conn)
        org = organization_id(settings.organization)
        source_id = store.ensure_source(org, SOURCE, SOURCE, "graph_sitter's own analysis events")
        store.ensure_partition(run.started_at)
        for spec in events:
            # codebase_id in metadata is what analytics' cross_domain_summary counts events by
            metadata = {"codebase_id": str(run.codebase_id), "codebase": run.codebase_name, "run_id": str(run.id)}
            event = NewEvent(source=SOURCE, organization_id=org, event_source_id=source_id, occurred_at=run.started_at,
                             status="processed", thread_id=str(run.id), metadata=metadata, **spec)
            new = store.ingest(event)
            if new is not None:
                stored.append(new)
    _dispatch(stored)
    return stored


def _dispatch(events: list[Any]) -> None:
    from graph_sitter.plugins import call_safely

    if _dispatching.get():
        return
    token = _dispatching.set(True)
    try:
        for event in events:
            # A listener's failure is logged by call_safely; it is not turned into a plugin.failed event, which
            # would itself be dispatched to the same listener.
            call_safely("event_received", event=event)
    finally:
        _dispatching.reset(token)


def _lifecycle(run: Any, action: str, title: str, payload: dict[str, Any]) -> dict[str, Any]:
    key = delivery_id(run.id, f"analysis.{action}")
    return {
        "event_type": "analysis", "action": action, "delivery_id": key, "external_id": key, "title": title,
        "target_type": "codebase", "target_id": str(run.codebase_id), "target_name": run.codebase_name,
        "tags": ["analysis"],
        "payload": {"run_id": str(run.id), "codebase": run.codebase_name, "codebase_id": str(run.codebase_id),
                    "root_path": run.root_path, "run_type": run.run_type} | payload,
    }


def _finding(run: Any, finding: Finding) -> dict[str, Any]:
    from graph_sitter.adapters.events_db import event_id_for

    key = delivery_id(run.id, f"finding.{finding.kind}", finding.subject)
    parent = delivery_id(run.id, "analysis.completed")
    # target_id is indexed: a long subject (a cycle through many modules) is stored by its hash
    target = finding.subject if len(finding.subject) <= 200 else "sha256:" + hashlib.sha256(
        finding.subject.encode()).hexdigest()
    return {
        "event_type": "finding", "action": finding.kind, "delivery_id": key, "external_id": key,
        "title": finding.title[:500], "target_type": finding.target_type, "target_id": target,
        "target_name": finding.subject[:200], "tags": ["finding", finding.kind],
        "parent_event_id": event_id_for(SOURCE, parent),
        # the same finding in another run has the same fingerprint
        "event_fingerprint": hashlib.sha256(
            json.dumps([str(run.codebase_id), finding.kind, finding.subject]).encode()).hexdigest(),
        "payload": {"run_id": str(run.id), "codebase": run.codebase_name, "kind": finding.kind,
                    "subject": finding.subject} | finding.payload,
    }


@hookimpl
def analysis_started(run: Any) -> None:
    """Record analysis.started."""
    _record(run, [_lifecycle(run, "started", f"Analysis of {run.codebase_name} started", {})])


@hookimpl
def analysis_finished(run: Any, result: Any) -> None:
    """Record analysis.completed and the findings of this run against the previous one."""
    completed = _lifecycle(run, "completed", f"Analysis of {run.codebase_name} completed", {
        "files": result.files, "elements": result.elements, "relationships": result.relationships,
        "metrics": result.metrics, "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        "finished_at": (run.started_at + timedelta(seconds=result.seconds.get("total", 0.0))).isoformat(),
    })
    findings = compare_findings(result.previous_findings or {}, result.findings or {})
    _record(run, [completed] + [_finding(run, f) for f in findings], result.settings)


@hookimpl
def analysis_failed(run: Any, error: BaseException) -> None:
    """Record analysis.failed with the error."""
    message = f"{type(error).__name__}: {error}"
    _record(run, [_lifecycle(run, "failed", f"Analysis of {run.codebase_name} failed", {"error": message[:2000]})])


@hookimpl
def plugin_failed(run: Any, plugin: str, hook: str, error: BaseException) -> None:
    """Record plugin.failed: which plugin, in which hook, with which error."""
    message = f"{type(error).__name__}: {error}"
    key = delivery_id(run.id, "plugin.failed", f"{plugin}\x00{hook}")
    _record(run, [{
        "event_type": "plugin", "action": "failed", "delivery_id": key, "external_id": key,
        "title": f"Plugin {plugin} failed in {hook}", "target_type": "plugin", "target_id": plugin,
        "target_name": plugin, "tags": ["plugin", "failure"],
        "payload": {"run_id": str(run.id), "codebase": run.codebase_name, "plugin": plugin, "hook": hook,
                    "error": message[:2000]},
    }])

