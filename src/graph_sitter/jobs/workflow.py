"""Jobs as task_db workflows, and their history in analytics_db.

A nightly configuration is a workflow, a nightly run one of its executions, and each repository a step. Steps
report one by one — from `gsdb nightly` itself, or from the workers that run queued steps — and whoever reports
the last step also writes the run's history into analytics_db. Every write here is retried when it fails for a
passing reason, and each is idempotent, so a retry never records anything twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from graph_sitter.config import Settings
from graph_sitter.jobs.analysis import JobOutcome
from graph_sitter.jobs.retry import RetryPolicy, retry_transient


@dataclass(frozen=True)
class StepRef:
    """A step of a running execution: what a queued job carries to report back."""

    execution_id: str
    step: str
    task_id: str

    def as_json(self) -> dict[str, str]:
        """The reference as JSON-ready data."""
        return {"execution_id": self.execution_id, "step": self.step, "task_id": self.task_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StepRef:
        """The reference `as_json` made."""
        return cls(str(data["execution_id"]), str(data["step"]), str(data["task_id"]))


def _jobs(settings: Settings) -> Any:
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.task_db_jobs import JobStore

    return JobStore(Cluster(settings).connect("task_db", autocommit=True))


def start_run(settings: Settings, workflow: str, steps: Sequence[str], *, trigger_source: str,
              input_data: Mapping[str, Any], description: str,
              policy: RetryPolicy = RetryPolicy()) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """Ensure the workflow and start an execution of it: (execution id, task id of each step)."""
    def work() -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
        store = _jobs(settings)
        with store.conn:
            flow = store.ensure_workflow(workflow, steps, description=description,
                                         organization=settings.organization, metadata={"trigger": trigger_source})
            return store.start_execution(flow, trigger_source=trigger_source, input_data=input_data), flow.steps

    return retry_transient(work, policy)


def begin_step(settings: Settings, ref: StepRef, input_data: Mapping[str, Any] | None = None,
               policy: RetryPolicy = RetryPolicy()) -> None:
    """The step is running now (its attempt in task_executions)."""
    def work() -> None:
        store = _jobs(settings)
        with store.conn:
            store.start_step(uuid.UUID(ref.execution_id), uuid.UUID(ref.task_id), input_data=input_data)

    retry_transient(work, policy)


def queue_step(settings: Settings, ref: StepRef, job_id: int, policy: RetryPolicy = RetryPolicy()) -> None:
    """The step waits in the job queue as job `job_id`."""
    def work() -> None:
        store = _jobs(settings)
        with store.conn:
            store.queue_step(uuid.UUID(ref.execution_id), uuid.UUID(ref.task_id), job_id)

    retry_transient(work, policy)


def end_step(settings: Settings, ref: StepRef, outcome: JobOutcome, policy: RetryPolicy = RetryPolicy()) -> bool:
    """Record the step's outcome; after the last step, the run's history goes to analytics_db. True when the
    execution is finished."""
    def work() -> Any:
        store = _jobs(settings)
        with store.conn:
            return store.finish_step(uuid.UUID(ref.execution_id), ref.step, uuid.UUID(ref.task_id),
                                     outcome.status, outcome.as_json(), outcome.error)

    state = retry_transient(work, policy)
    if state.finished:
        retry_transient(lambda: _record_history(settings, state), policy)
    return bool(state.finished)


def _record_history(settings: Settings, state: Any) -> None:
    from graph_sitter.adapters.analytics_db_history import HistoryStore, StepRecord
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.setup import organization_id

    steps = [StepRecord(name=name, status=o.get("status", "failed"), seconds=float(o.get("seconds") or 0),
                        files_analyzed=o.get("files_analyzed"), error=o.get("error"),
                        attempts=int(o.get("attempts") or 1),
                        output={k: o.get(k) for k in ("run_id", "run_type", "commit", "job_id") if o.get(k)})
             for name, o in sorted(state.outcomes.items())]
    with Cluster(settings).connect("analytics_db", autocommit=True) as conn:
        HistoryStore(conn).record_nightly(
            organization_id=organization_id(settings.organization), workflow=state.workflow_name,
            execution_id=state.id, started_at=state.started_at or datetime.now(timezone.utc),
            completed_at=state.completed_at or datetime.now(timezone.utc), steps=steps)
