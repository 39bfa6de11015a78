"""Built-in plugin: a GitHub `push` or `pull_request` event about a repository registered in projects_db queues
an analysis of its checkout for `gsdb worker`.

Matching is by the payload's `repository.full_name` ("owner/repo") or any of its clone URLs against the registered
repositories that have a local checkout. A push queues an analysis when it moves the repository's default branch
(a branch deletion does not); a pull request when it is opened, reopened, updated (`synchronize`) or marked ready
for review. The checkout is analysed as it is: keeping it up to date (a `git pull` hook, a sync job) belongs to
the deployment. A burst of events queues one job per codebase: one still waiting stands for the newer ones.

The registered repositories are read at most every REGISTRY_SECONDS (10 s) per process, not per event: `gsdb serve`
stores thousands of events a second, and a connection (SCRAM) per event would cost more than storing it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Mapping, Sequence

from graph_sitter.plugins import hookimpl

log = logging.getLogger("graph_sitter.builtins.analysis_jobs")

PULL_REQUEST_ACTIONS = ("opened", "reopened", "synchronize", "ready_for_review")

#: How long a process trusts its copy of the registered repositories (a new registration is seen within this);
#: GRAPH_SITTER_REGISTRY_TTL overrides it.
REGISTRY_SECONDS = 10.0


def _registry_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("GRAPH_SITTER_REGISTRY_TTL", REGISTRY_SECONDS)))
    except ValueError:
        return REGISTRY_SECONDS

_registry_lock = threading.Lock()
_registry: tuple[float, Any, Sequence[Any]] | None = None  # (read at, settings, remotes)


def forget_registrations() -> None:
    """Drop this process's copy of the registered repositories: the next event reads them again."""
    global _registry
    with _registry_lock:
        _registry = None


def _registered() -> tuple[Any, Sequence[Any]]:
    """The settings and registered remotes, read again when older than REGISTRY_SECONDS."""
    global _registry
    with _registry_lock:
        if _registry is None or time.monotonic() - _registry[0] >= _registry_seconds():
            from graph_sitter.adapters.projects_db_remotes import RemoteLookup
            from graph_sitter.adapters.setup import ensure_ready
            from graph_sitter.config import load_settings

            settings = load_settings()
            # read-only: this plugin only looks repositories up
            with ensure_ready(settings).connect("projects_db", "readonly") as conn:
                _registry = (time.monotonic(), settings, RemoteLookup(conn).remotes())
        return _registry[1], _registry[2]


def _reason(event_type: str, action: str | None, payload: Mapping[str, Any], repository: Mapping[str, Any]) -> str | None:
    """Why this event asks for an analysis, or None when it does not."""
    if event_type == "push":
        if payload.get("deleted"):
            return None
        branch = str(payload.get("ref") or "").removeprefix("refs/heads/")
        default = repository.get("default_branch") or repository.get("master_branch")
        if default and branch != default:
            return None
        return f"github push to {branch or '?'} ({str(payload.get('after') or '')[:12]})"
    if event_type == "pull_request":
        if (action or payload.get("action")) not in PULL_REQUEST_ACTIONS:
            return None
        number = payload.get("number") or (payload.get("pull_request") or {}).get("number")
        return f"github pull_request #{number} {action or payload.get('action')}"
    return None


@hookimpl
def event_received(event: Any) -> None:
    """Queue an analysis for a GitHub push or pull request on a registered repository."""
    if str(getattr(event, "source", "")).lower() != "github":
        return
    event_type = str(getattr(event, "event_type", "")).lower()
    payload: Mapping[str, Any] = getattr(event, "payload", None) or {}
    repository = payload.get("repository") or {}
    if not isinstance(repository, Mapping):
        return
    reason = _reason(event_type, getattr(event, "action", None), payload, repository)
    if reason is None:
        return
    full_name = repository.get("full_name") or getattr(event, "target_name", None)
    urls = [str(repository[k]) for k in ("clone_url", "ssh_url", "git_url", "html_url", "url") if repository.get(k)]
    if not full_name and not urls:
        return
    from graph_sitter.adapters.projects_db_remotes import match_remotes
    from graph_sitter.jobs.queue import enqueue_analysis

    settings, remotes = _registered()
    checkouts = match_remotes(remotes, full_name, urls)
    for checkout in checkouts:
        job = enqueue_analysis(settings, checkout.local_path, reason=reason, require_local_path=False)
        log.info("%s: analysis %s job %s (%s)", checkout.name,
                 "already queued as" if job.already_queued else "queued as", job.job_id, reason)
