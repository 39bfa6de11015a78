"""One analysis job: lock the codebase, bring its checkout to the branch, analyse incrementally, retry what is
transient, and say how it went. `gsdb nightly` runs these one repository after another; `gsdb worker` runs them
from the queue. A job never raises for its repository's failure: the outcome carries it, so the caller decides.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import psycopg

from graph_sitter.config import DEFAULT_MAX_FILE_SIZE, Settings
from graph_sitter.errors import GraphSitterError
from graph_sitter.jobs.retry import RetryPolicy, retry_transient

#: Outcome statuses of a job.
COMPLETED, FAILED, SKIPPED, QUEUED = "completed", "failed", "skipped", "queued"
#: Run type of an outcome whose repository had not changed since its last run (nothing was analysed).
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse and how; plain data, so that it travels through the job queue as JSON."""

    path: str
    name: str | None = None
    branch: str | None = None
    full: bool = False
    jobs: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    library: bool = False

    @property
    def lock_name(self) -> str:
        """What the job lock is keyed on: the codebase name, else the resolved path (analyze() names it then)."""
        return self.name or f"path:{Path(self.path).expanduser().resolve()}"

    def as_json(self) -> dict[str, Any]:
        """The request as JSON-ready data."""
        data = asdict(self)
        data["include"], data["exclude"] = list(self.include), list(self.exclude)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnalysisRequest:
        """The request `as_json` made (unknown keys are ignored, so older workers read newer jobs)."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["include"] = tuple(known.get("include") or ())
        known["exclude"] = tuple(known.get("exclude") or ())
        return cls(**known)

    @classmethod
    def from_repository(cls, repo: Any) -> AnalysisRequest:
        """The request for one `[[repositories]]` entry of a nightly configuration."""
        return cls(path=str(repo.path), name=repo.name, branch=repo.branch, full=repo.options.full,
                   jobs=repo.options.jobs, include=tuple(repo.includes), exclude=tuple(repo.excludes),
                   max_file_size=repo.options.max_file_size, library=repo.options.library)


@dataclass
class JobOutcome:
    """How one job went."""

    name: str
    path: str
    status: str
    run_id: str | None = None
    run_type: str | None = None
    files_analyzed: int | None = None
    files_total: int | None = None
    seconds: float = 0.0
    attempts: int = 1
    error: str | None = None
    commit: str | None = None
    job_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The outcome as JSON-ready data (what task_db and `--json` keep)."""
        return {k: v for k, v in asdict(self).items() if k != "details"} | self.details


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, GraphSitterError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    prefix = "database error" if isinstance(exc, psycopg.Error) else type(exc).__name__
    return f"{prefix}: {text}" if text else prefix


def run_analysis_job(settings: Settings, request: AnalysisRequest, *, wait: bool = True,
                     skip_unchanged: bool = True, policy: RetryPolicy = RetryPolicy(),
                     on_retry: Callable[[int, BaseException, float], None] | None = None) -> JobOutcome:
    """Analyse one repository under its codebase lock; failures come back in the outcome, never as exceptions.

    With `skip_unchanged`, a repository exactly as its last completed run left it is not analysed again
    (graph_sitter.jobs.unchanged): the outcome is `completed` with run type `unchanged` and that run's id.
    """
    from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
    from graph_sitter.jobs.checkout import prepare_checkout
    from graph_sitter.jobs.locks import CodebaseBusy, codebase_lock
    from graph_sitter.jobs.unchanged import unchanged_run

    started = time.perf_counter()
    attempts = 1
    display = request.name or Path(request.path).name

    def note_retry(attempt: int, exc: BaseException, delay: float) -> None:
        nonlocal attempts
        attempts = attempt + 1
        if on_retry is not None:
            on_retry(attempt, exc, delay)

    def attempt() -> Any:
        with codebase_lock(settings, request.lock_name, wait=wait):
            checkout = prepare_checkout(settings, display, Path(request.path), request.branch)
            if skip_unchanged:
                last = unchanged_run(settings, request, checkout.root)
                if last is not None:
                    return last, checkout
            options = AnalyzeOptions(name=request.name, full=request.full, jobs=request.jobs,
                                     include=request.include, exclude=request.exclude,
                                     max_file_size=request.max_file_size, library=request.library)
            return analyze(checkout.root, options, settings), checkout

    outcome = JobOutcome(name=display, path=request.path, status=FAILED)
    try:
        result, checkout = retry_transient(attempt, policy, note_retry)
    except CodebaseBusy as exc:
        outcome.status, outcome.error = SKIPPED, str(exc)
    except Exception as exc:  # one repository's failure is its outcome; the caller goes on with the others
        outcome.error = _one_line(exc)
    else:
        outcome.status, outcome.commit = COMPLETED, checkout.commit
        if isinstance(result, uuid.UUID):  # unchanged since that run
            outcome.run_id, outcome.run_type, outcome.name = str(result), UNCHANGED, request.name or display
        else:
            outcome.name = result.codebase
            outcome.run_id, outcome.run_type = str(result.run_id), result.run_type
            outcome.files_analyzed = result.files.get("analyzed")
            outcome.files_total = result.files.get("total")
            if result.plugin_failures:
                outcome.details["plugin_failures"] = result.plugin_failures
    outcome.seconds = round(time.perf_counter() - started, 3)
    outcome.attempts = attempts
    return outcome
