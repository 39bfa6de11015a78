"""The analysis job queue: procrastinate over task_db (schema `procrastinate`, see task_db/0003_procrastinate.sql).

`enqueue_analysis` puts a job on the queue from anywhere — `gsdb enqueue`, `gsdb nightly --enqueue`, the webhook
plugin — and `gsdb worker` processes run them (graph_sitter.jobs.worker). Each job carries an AnalysisRequest;
its procrastinate `lock` is the codebase, so two jobs of one codebase never run at the same time, and outside a
workflow its `queueing_lock` is the codebase too, so a burst of pushes queues one analysis, not fifty.
"""

from __future__ import annotations

import importlib.resources
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from graph_sitter.config import DEFAULT_MAX_FILE_SIZE, Settings
from graph_sitter.errors import ConfigurationError, GraphSitterError
from graph_sitter.jobs.analysis import COMPLETED, FAILED, SKIPPED, AnalysisRequest, run_analysis_job
from graph_sitter.jobs.workflow import StepRef

log = logging.getLogger("graph_sitter.jobs")

QUEUE = "analysis"
TASK_NAME = "graph_sitter.analyze"
#: The last procrastinate migration that task_db's migrations include (task_db/0003_procrastinate.sql).
SCHEMA_VERSION = "03.04.00_50_post_add_retry_failed_job_procedure"
#: procrastinate's SQL finds its tables through the search_path.
SEARCH_PATH = "procrastinate,public"


class QueueError(GraphSitterError):
    """A job could not be queued."""


class JobFailed(GraphSitterError):
    """The analysis a job ran failed; procrastinate records the job as failed with this message."""


@dataclass(frozen=True)
class EnqueuedJob:
    """A job on the queue: its id, the codebase it is for, and whether an identical one was waiting already."""

    job_id: int
    codebase: str
    already_queued: bool = False


def check_schema_version() -> None:
    """Refuse to run with a procrastinate whose schema is newer than the one task_db's migrations create."""
    folder = importlib.resources.files("procrastinate") / "sql" / "migrations"
    shipped = sorted(p.name.removesuffix(".sql") for p in folder.iterdir() if p.name.endswith(".sql"))
    newer = [name for name in shipped if name > SCHEMA_VERSION]
    if newer:
        raise ConfigurationError(
            f"the installed procrastinate needs schema migrations task_db does not have ({', '.join(newer)});"
            " install the procrastinate version pyproject.toml names, or add them as task_db migrations")


def queue_app(settings: Settings, *, pool_size: int = 2) -> Any:
    """A procrastinate App on task_db, with the analysis task registered."""
    import procrastinate
    from psycopg.conninfo import make_conninfo

    from graph_sitter.adapters.setup import ensure_ready

    check_schema_version()
    conninfo = make_conninfo(ensure_ready(settings).conninfo("task_db"), options=f"-c search_path={SEARCH_PATH}",
                             application_name="gsdb-queue")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo, min_size=1, max_size=max(2, pool_size)))
    app.task(name=TASK_NAME, queue=QUEUE, pass_context=True)(analysis_task)
    return app


def analysis_task(context: Any, request: dict[str, Any], reason: str = "", requested_at: str | None = None,
                  step: dict[str, str] | None = None, skip_unchanged: bool = True) -> dict[str, Any]:
    """The queued job: run the analysis, report a workflow step when it is one; raise when the analysis failed."""
    from graph_sitter.jobs.workflow import begin_step, end_step

    settings: Settings = context.additional_context["settings"]
    parsed = AnalysisRequest.from_json(request)
    ref = StepRef.from_json(step) if step else None
    log.info("job %s: analysing %s (%s)", context.job.id, parsed.name or parsed.path, reason or "no reason given")
    if ref is not None:
        _bookkeeping(begin_step, settings, ref, {"job_id": context.job.id, "attempt": context.job.attempts + 1})
    outcome = run_analysis_job(settings, parsed, skip_unchanged=skip_unchanged)
    outcome.job_id = context.job.id
    if ref is not None:
        _bookkeeping(end_step, settings, ref, outcome)
    log.info("job %s: %s %s in %.1fs%s", context.job.id, outcome.name, outcome.status, outcome.seconds,
             f": {outcome.error}" if outcome.error else "")
    if outcome.status == FAILED:
        raise JobFailed(f"{outcome.name}: {outcome.error}")
    return outcome.as_json() | {"ok": outcome.status in (COMPLETED, SKIPPED)}


def _bookkeeping(record: Any, *args: Any) -> None:
    """Record a workflow step; a failure to record (after its retries) is logged and never fails the analysis."""
    try:
        record(*args)
    except Exception as exc:
        log.warning("could not record the workflow step in task_db: %s", exc)


def enqueue_request(settings: Settings, request: AnalysisRequest, *, reason: str, step: StepRef | None = None,
                    dedupe: bool = True, skip_unchanged: bool = True) -> EnqueuedJob:
    """Queue `request`; with `dedupe`, a job of the same codebase that still waits stands for this one."""
    from procrastinate import exceptions

    key = f"codebase:{request.lock_name}" + (":full" if request.full else "")
    app = queue_app(settings)
    args = {"request": request.as_json(), "reason": reason,
            "requested_at": datetime.now(timezone.utc).isoformat(), "step": step.as_json() if step else None,
            "skip_unchanged": skip_unchanged}
    with app.open():
        task = app.configure_task(TASK_NAME, queue=QUEUE, lock=f"codebase:{request.lock_name}",
                                  queueing_lock=key if dedupe else None)
        try:
            return EnqueuedJob(int(task.defer(**args)), request.lock_name)
        except exceptions.AlreadyEnqueued:
            waiting = app.job_manager.list_jobs(queueing_lock=key, status="todo")
            if not waiting:  # it started in between: queue ours after it
                return EnqueuedJob(int(task.defer(**args)), request.lock_name)
            return EnqueuedJob(int(waiting[0].id or 0), request.lock_name, already_queued=True)
        except exceptions.ConnectorException as exc:
            cause = exc.__cause__ or exc
            raise QueueError(f"cannot queue the analysis of {request.lock_name}: {str(cause).splitlines()[0]}") from None


def enqueue_analysis(settings: Settings, path: str | Path, name: str | None = None, full: bool = False,
                     reason: str = "manual", *, branch: str | None = None, include: tuple[str, ...] = (),
                     exclude: tuple[str, ...] = (), jobs: int | None = None,
                     max_file_size: int = DEFAULT_MAX_FILE_SIZE, library: bool = False,
                     require_local_path: bool = True) -> EnqueuedJob:
    """Queue the analysis of the repository at `path` for the workers.

    The path is resolved here; with `require_local_path` it must be a directory on this machine too (workers on
    other machines need the same path: a shared volume, or the same checkout layout everywhere).
    """
    resolved = Path(path).expanduser().resolve()
    if require_local_path and not resolved.is_dir():
        raise QueueError(f"{path}: no such directory")
    request = AnalysisRequest(path=str(resolved), name=name, branch=branch, full=full, jobs=jobs,
                              include=tuple(include), exclude=tuple(exclude), max_file_size=max_file_size,
                              library=library)
    return enqueue_request(settings, request, reason=reason)
