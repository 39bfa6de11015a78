"""One PostgreSQL advisory lock per codebase, held for a whole analysis job.

The lock lives in codebase_db and is keyed on (organization, codebase name), so every machine that runs jobs
against the same PostgreSQL agrees on it. It spans the whole job — updating a branch checkout, the analysis and
recording the outcome — and lets a second job wait for the first or skip. The analysis pipeline also takes its
own lock on the codebase's id inside `analyze()`; that one protects the data against any writer (a plain
`gsdb analyze` too). The two keys live in different key spaces: holding this one never blocks the pipeline's.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from graph_sitter.config import Settings
from graph_sitter.errors import GraphSitterError

#: First half of the two-integer advisory key: hashtext of this names the key space of job locks.
LOCK_SPACE = "graph_sitter.job"


class CodebaseBusy(GraphSitterError):
    """Another job holds the codebase's lock and this one was told not to wait."""


def lock_key(settings: Settings, codebase: str) -> str:
    """The text whose hash keys a codebase's job lock."""
    return f"{settings.organization}:{codebase}"


@contextlib.contextmanager
def codebase_lock(settings: Settings, codebase: str, wait: bool = True, cluster: Any = None) -> Iterator[None]:
    """Hold the codebase's job lock for the block: wait for it, or raise CodebaseBusy when `wait` is False.

    The lock belongs to a connection of its own, so it ends with that connection: a process that is killed
    releases it at once, and nothing a job does on its other connections can release it early.
    """
    from graph_sitter.adapters.codebase_db_jobs import release_advisory_lock, take_advisory_lock
    from graph_sitter.adapters.database import Cluster

    conn = (cluster or Cluster(settings)).connect("codebase_db", autocommit=True, application_name="gsdb-job-lock")
    try:
        key = lock_key(settings, codebase)
        if not take_advisory_lock(conn, LOCK_SPACE, key, wait):
            raise CodebaseBusy(f"{codebase}: another job is analysing it; skipped")
        try:
            yield
        finally:
            if not conn.closed:
                with contextlib.suppress(Exception):  # a lost connection has released the lock already
                    release_advisory_lock(conn, LOCK_SPACE, key)
    finally:
        conn.close()
