"""codebase_db reads the job runner needs before it calls analyze(): what a codebase's last run was."""

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
