"""codebase_db reads for the in-memory `Codebase.from_db`: one codebase's files, elements and edges, in bulk.

Everything is read inside one REPEATABLE READ, READ ONLY transaction, so the snapshot is one completed run even
while another run commits. The rows come back as plain tuples in the column orders below; turning them into
objects is `graph_sitter.codebase.codebase`'s job.

Speed (CPython 3.12 standard library: 1,790 files, 94k elements, 361k edges other than `contains`, 2-core VM):
one client-side, text-format fetch per table is the fastest way psycopg offers here. `COPY ... TO STDOUT` is
slower in Python because psycopg yields one chunk per row, a server-side cursor adds a round trip per batch,
and binary transfer pays for building `uuid.UUID` objects. Ids are sent as text and matched as strings.
`contains` edges are not read: they equal the elements' `parent_id`, which is already loaded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from graph_sitter.adapters.codebase_db_adapter import Codebase, CodebaseNotFound

#: Column order of `StoredCodebase.files` rows.
FILE_COLUMNS = (
    "file_path", "language", "content_hash", "file_size_bytes", "total_lines", "code_lines", "comment_lines",
    "blank_lines", "parse_error_count", "maintainability_index", "skipped_reason",
)
#: Column order of `StoredCodebase.elements` rows (ids as text).
ELEMENT_COLUMNS = (
    "id", "kind", "language", "name", "qualified_name", "file_path", "start_line", "end_line", "start_column",
    "end_column", "start_byte", "end_byte", "signature", "docstring", "parent_id", "visibility", "is_async",
    "is_static", "is_abstract", "is_exported", "decorators", "parameters", "return_type", "cyclomatic_complexity",
    "nloc", "token_count", "parameter_count", "max_nesting_depth",
)
#: Column order of `StoredCodebase.relationships` rows (ids as text; `contains` left out).
RELATIONSHIP_COLUMNS = ("kind", "source_id", "target_id", "target_name", "external_dependency_id", "resolved", "line")

_FILES_SQL = (
    "SELECT file_path, language, content_hash, file_size_bytes, total_lines, code_lines, comment_lines,"
    " blank_lines, parse_error_count, maintainability_index::float8, skipped_reason"
    " FROM file_analysis WHERE codebase_id = %s ORDER BY file_path"
)
# The module element (no parent) first in each file, then document order; the id breaks the last ties so two
# reads of the same snapshot always agree.
_ELEMENTS_SQL = (
    "SELECT id::text, kind, language, name, qualified_name, file_path, start_line, end_line, start_column,"
    " end_column, start_byte, end_byte, signature, docstring, parent_id::text, visibility, is_async, is_static,"
    " is_abstract, is_exported, decorators, parameters, return_type, cyclomatic_complexity, nloc, token_count,"
    " parameter_count, max_nesting_depth"
    " FROM code_elements WHERE codebase_id = %s"
    " ORDER BY file_path, parent_id IS NOT NULL, start_byte, end_byte DESC, id"
)
# Site order: the order the resolver wrote them in is not kept, (file, line) is the natural reading order.
_RELATIONSHIPS_SQL = (
    "SELECT kind, source_id::text, target_id::text, target_name, external_dependency_id::text, resolved, line"
    " FROM relationships WHERE codebase_id = %s AND kind <> 'contains'"
    " ORDER BY file_path, line, kind, target_name"
)
_EXTERNALS_SQL = "SELECT id::text, ecosystem, name FROM external_dependencies WHERE codebase_id = %s"


@dataclass
class StoredCodebase:
    """One analysed codebase as stored: its row and the rows of its current run, in the column orders above."""

    codebase: Codebase
    files: list[tuple[Any, ...]]
    elements: list[tuple[Any, ...]]
    relationships: list[tuple[Any, ...]]
    externals: dict[str, tuple[str, str]]  # external_dependencies.id -> (ecosystem, name)
    run_status: str | None = None


def _find_codebase(conn: psycopg.Connection[Any], ref: str | uuid.UUID) -> Codebase:
    from pathlib import Path

    columns = "SELECT id, name, root_path, last_run_id FROM codebases WHERE deleted_at IS NULL AND "
    if isinstance(ref, uuid.UUID):
        row = conn.execute(columns + "id = %s", (ref,)).fetchone()
    else:
        row = conn.execute(columns + "name = %s", (ref,)).fetchone()
        if row is None:
            path = str(Path(ref).expanduser().resolve())
            row = conn.execute(
                columns + "root_path = %s ORDER BY last_analyzed_at DESC NULLS LAST LIMIT 1", (path,)
            ).fetchone()
    if row is None:
        raise CodebaseNotFound(f"no analysed codebase named or at {str(ref)!r}; run `gsdb analyze PATH` first")
    return Codebase(*row)


def load_codebase(conn: psycopg.Connection[Any], ref: str | uuid.UUID) -> StoredCodebase:
    """Files, elements, non-`contains` relationships and external packages of a codebase (name, path or id)."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.commit()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        codebase = _find_codebase(conn, ref)
        cid = codebase.id
        status = None
        if codebase.last_run_id is not None:
            found = conn.execute("SELECT status FROM analysis_runs WHERE id = %s", (codebase.last_run_id,)).fetchone()
            status = found[0] if found else None
        with conn.cursor() as cur:
            files = cur.execute(_FILES_SQL, (cid,)).fetchall()
            elements = cur.execute(_ELEMENTS_SQL, (cid,)).fetchall()
            relationships = cur.execute(_RELATIONSHIPS_SQL, (cid,)).fetchall()
            externals = {row[0]: (row[1], row[2]) for row in cur.execute(_EXTERNALS_SQL, (cid,))}
    return StoredCodebase(codebase, files, elements, relationships, externals, status)
