"""codebase_db for the job runner: what a codebase's last run was, and the advisory lock a job holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg


@dataclass(frozen=True)
class LastRun:
    """A codebase's most recent run: its status, configuration and the tool version that made it."""

    id: uuid.UUID
    status: str
    config: dict[str, Any]
    tool_version: str | None


class JobQueries:
    """Read-only questions about a codebase's runs."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def last_run(self, codebase_id: uuid.UUID) -> LastRun | None:
        """The newest run of the codebase, whatever its status."""
        row = self.conn.execute(
            "SELECT id, status, analysis_config, tool_version FROM analysis_runs WHERE codebase_id = %s"
            " ORDER BY started_at DESC LIMIT 1", (codebase_id,)).fetchone()
        return None if row is None else LastRun(row[0], row[1], dict(row[2] or {}), row[3])


def take_advisory_lock(conn: psycopg.Connection[Any], space: str, key: str, wait: bool) -> bool:
    """Take the session-level advisory lock (hashtext(space), hashtext(key)): wait for it, or try once."""
    if wait:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s), hashtext(%s))", (space, key))
        return True
    row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", (space, key)).fetchone()
    return bool(row and row[0])


def release_advisory_lock(conn: psycopg.Connection[Any], space: str, key: str) -> None:
    """Release a lock taken by take_advisory_lock on this connection."""
    conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", (space, key))
