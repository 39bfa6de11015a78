"""codebase_db reads behind `gsdb report`: a codebase's completed runs with their metrics and findings, and its
files by language. (Hotspots and module imports come from CodebaseQueries.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg


@dataclass(frozen=True)
class RunSummary:
    """One completed run: when, what kind, how long, and the metrics and findings it stored."""

    id: uuid.UUID
    started_at: datetime
    run_type: str
    duration_ms: int | None
    files_analyzed: int
    commit_hash: str | None
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguageShare:
    """The files and lines of one language."""

    language: str
    files: int
    code_lines: int
    total_lines: int


class ReportQueries:
    """Read-only report queries about one codebase."""

    def __init__(self, conn: psycopg.Connection[Any], codebase_id: uuid.UUID) -> None:
        self.conn = conn
        self.codebase_id = codebase_id

    def codebase_facts(self) -> dict[str, Any]:
        """Root path, branch, commit, last analysis time and totals of the codebase."""
        row = self.conn.execute(
            "SELECT name, root_path, branch, commit_hash, last_analyzed_at, total_files, total_lines,"
            " total_functions, total_classes FROM codebases WHERE id = %s", (self.codebase_id,)).fetchone()
        keys = ("name", "root_path", "branch", "commit_hash", "last_analyzed_at", "total_files", "total_lines",
                "total_functions", "total_classes")
        return dict(zip(keys, row)) if row else {}

    def completed_runs(self, limit: int = 200) -> list[RunSummary]:
        """The last `limit` completed runs, oldest first."""
        rows = self.conn.execute(
            "SELECT id, started_at, run_type, coalesce(duration_ms, (extract(epoch FROM finished_at - started_at)"
            " * 1000)::bigint), files_analyzed, commit_hash, metadata FROM ("
            "  SELECT * FROM analysis_runs WHERE codebase_id = %s AND status = 'completed'"
            "  ORDER BY started_at DESC LIMIT %s) r ORDER BY started_at", (self.codebase_id, limit)).fetchall()
        runs = []
        for run_id, started, run_type, duration, analysed, commit, metadata in rows:
            meta = dict(metadata or {})
            runs.append(RunSummary(run_id, started, run_type, duration, analysed, commit,
                                   dict(meta.get("metrics") or {}), meta))
        return runs

    def languages(self) -> list[LanguageShare]:
        """Analysed files and lines per language, most code first."""
        rows = self.conn.execute(
            "SELECT coalesce(language, 'other'), count(*), coalesce(sum(code_lines), 0), coalesce(sum(total_lines), 0)"
            " FROM file_analysis WHERE codebase_id = %s AND skipped_reason IS NULL GROUP BY 1 ORDER BY 3 DESC, 1",
            (self.codebase_id,)).fetchall()
        return [LanguageShare(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]
