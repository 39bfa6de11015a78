"""Retrying what failed for a passing database reason: lost connections, restarts, serialization failures.

Analysis is idempotent per codebase (an interrupted run is rolled back and marked failed by the next one), so a
whole unit of work can simply be run again; what is retried is decided by the error, never by a blanket catch.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import psycopg
from psycopg import errors

from graph_sitter.errors import DatabaseUnavailable

T = TypeVar("T")

#: SQLSTATE classes and codes worth another try: connection exceptions (08), serialization failures and
#: deadlocks (40001, 40P01), server shutting down or starting up (57P01-57P03), too many connections (53300).
_TRANSIENT_CLASSES = ("08",)
_TRANSIENT_CODES = {"40001", "40P01", "57P01", "57P02", "57P03", "53300"}
#: Reasons a connection attempt fails that no retry can fix.
_PERMANENT_CONNECT = ("password authentication failed", "does not exist", "permission denied", "no pg_hba.conf")


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and the exponential backoff between them (with jitter, so that workers spread out)."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.25

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        raw = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return max(0.0, raw * (1 + random.uniform(-self.jitter, self.jitter)))


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_transient(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is a database failure that may well pass on its own."""
    for e in _causes(exc):
        if isinstance(e, DatabaseUnavailable):
            return not any(reason in str(e) for reason in _PERMANENT_CONNECT)
        if isinstance(e, errors.QueryCanceled):
            continue  # a statement timeout or a cancel: running it again would end the same way
        if isinstance(e, psycopg.Error):
            state = e.sqlstate or ""
            if state in _TRANSIENT_CODES or state.startswith(_TRANSIENT_CLASSES):
                return True
            # No SQLSTATE: the connection broke under us ("server closed the connection", "connection is lost").
            if not state and isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError)):
                return True
    return False


def retry_transient(work: Callable[[], T], policy: RetryPolicy = RetryPolicy(),
                    on_retry: Callable[[int, BaseException, float], None] | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `work`; on a transient database error wait and run it again, up to `policy.attempts` times in all.

    `on_retry(attempt, error, delay)` hears of every failed attempt that is retried. The last error is raised.
    """
    attempt = 1
    while True:
        try:
            return work()
        except Exception as exc:
            if attempt >= policy.attempts or not is_transient(exc):
                raise
            delay = policy.delay(attempt)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
            attempt += 1
