"""`gsdb nightly --config FILE`: analyse every configured repository incrementally, each under its codebase lock,
as one execution of the configuration's workflow in task_db; or, with `enqueue`, hand them to the workers.

A repository that fails (missing path, unknown branch, a database error that outlived its retries) fails its
step only: the run goes on with the next one, and the report says which failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from graph_sitter.config import Settings
from graph_sitter.jobs.analysis import COMPLETED, FAILED, QUEUED, SKIPPED, AnalysisRequest, JobOutcome
from graph_sitter.jobs.config import NightlyConfig
from graph_sitter.jobs.retry import RetryPolicy
from graph_sitter.jobs.workflow import StepRef, begin_step, end_step, queue_step, start_run

TRIGGER = "gsdb nightly"


@dataclass
class NightlyReport:
    """What one nightly run did, repository by repository."""

    workflow: str
    execution_id: str
    enqueued: bool
    outcomes: list[JobOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True unless a repository failed (skipped and queued ones are fine)."""
        return all(o.status in (COMPLETED, SKIPPED, QUEUED) for o in self.outcomes)

    @property
    def failed(self) -> list[JobOutcome]:
        """The repositories that failed."""
        return [o for o in self.outcomes if o.status == FAILED]

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"workflow": self.workflow, "execution_id": self.execution_id, "enqueued": self.enqueued,
                "ok": self.ok, "seconds": round(self.seconds, 3),
                "repositories": [o.as_json() for o in self.outcomes]}


def run_nightly(settings: Settings, config: NightlyConfig, *, skip_locked: bool = False, enqueue: bool = False,
                analyse_unchanged: bool = False, policy: RetryPolicy = RetryPolicy(),
                on_outcome: Callable[[JobOutcome], None] | None = None) -> NightlyReport:
    """Run (or queue) the analysis of every repository in `config`; see the module doc.

    A repository unchanged since its last completed run is not analysed again unless `analyse_unchanged`
    (graph_sitter.jobs.unchanged); its outcome says `unchanged`.
    """
    from graph_sitter.adapters.setup import ensure_ready

    started = time.perf_counter()
    ensure_ready(settings)
    names = [r.name for r in config.repositories]
    execution_id, tasks = start_run(
        settings, config.name, names, trigger_source=TRIGGER + (" --enqueue" if enqueue else ""),
        input_data={"config": str(config.source) if config.source else None, "repositories": names,
                    "skip_locked": skip_locked},
        description=f"gsdb nightly over {config.source or 'a configuration'}", policy=policy)
    report = NightlyReport(workflow=config.name, execution_id=str(execution_id), enqueued=enqueue)
    for repo in config.repositories:
        ref = StepRef(str(execution_id), repo.name, str(tasks[repo.name]))
        request = AnalysisRequest.from_repository(repo)
        if enqueue:
            outcome = _enqueue_step(settings, request, ref, not analyse_unchanged, policy)
        else:
            outcome = _run_step(settings, request, ref, skip_locked, not analyse_unchanged, policy)
        report.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    report.seconds = time.perf_counter() - started
    return report


def _run_step(settings: Settings, request: AnalysisRequest, ref: StepRef, skip_locked: bool, skip_unchanged: bool,
              policy: RetryPolicy) -> JobOutcome:
    from graph_sitter.jobs.analysis import run_analysis_job

    try:
        begin_step(settings, ref, {"request": request.as_json()}, policy)
    except Exception as exc:  # the step's bookkeeping failed: the repository still gets its analysis
        bookkeeping: str | None = f"task_db: {exc}"
    else:
        bookkeeping = None
    outcome = run_analysis_job(settings, request, wait=not skip_locked, skip_unchanged=skip_unchanged, policy=policy)
    if bookkeeping:
        outcome.details["bookkeeping_error"] = bookkeeping
    try:
        end_step(settings, ref, outcome, policy)
    except Exception as exc:
        outcome.details["bookkeeping_error"] = f"task_db/analytics_db: {exc}"
    return outcome


def _enqueue_step(settings: Settings, request: AnalysisRequest, ref: StepRef, skip_unchanged: bool,
                  policy: RetryPolicy) -> JobOutcome:
    from graph_sitter.jobs.queue import enqueue_request

    outcome = JobOutcome(name=ref.step, path=request.path, status=QUEUED)
    try:
        job = enqueue_request(settings, request, reason=TRIGGER, step=ref, dedupe=False, skip_unchanged=skip_unchanged)
        outcome.job_id = job.job_id
        queue_step(settings, ref, job.job_id, policy)
    except Exception as exc:  # the repository could not be queued: its step fails, the others are queued
        outcome.status, outcome.error = FAILED, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        try:
            end_step(settings, ref, outcome, policy)
        except Exception:
            pass  # the failure is in the report; task_db will show the step as never started
    return outcome
