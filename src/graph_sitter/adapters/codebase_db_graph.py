"""codebase_db reads for the in-memory `Codebase.from_db`: one codebase's files, elements and edges, in bulk.

Everything is read inside one REPEATABLE READ, READ ONLY transaction, so the snapshot is one completed run even
while another run commits. The rows come back as plain tuples in the column orders below; turning them into
objects is `graph_sitter.codebase.codebase`'s job.

Speed (a Python standard library: 1,790 files, 94k elements, 361k edges besides `contains`; 2-core VM): one
client-side, text-format query per table, 1.1-1.8 s for everything, most of it psycopg building row tuples. Measured
and rejected: `COPY ... TO STDOUT` (psycopg hands over one chunk per row: 2-3x slower in Python), a server-side
cursor (a round trip per batch: 2x slower), binary format (no faster; uuids would become `uuid.UUID` objects).
Ids travel as text and are matched as strings. `contains` edges are not read: they are the elements'
`parent_id`. Relationship rows can be consumed one at a time (`relationships=`), so they never all exist as
Python tuples next to the objects built from them.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator

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
_RELATIONSHIPS_SQL = (
    "SELECT kind, source_id::text, target_id::text, target_name, external_dependency_id::text, resolved, line"
    " FROM relationships WHERE codebase_id = %s AND kind NOT IN ('contains', 'imports')"
)
# Imports in the order they were written: the writer's row ids grow within a run and a file's edges are always
# written by one run, so (file, id) is the resolver's order. Several imports on one line pair up with the import
# elements in that order when their names do not tell.
_IMPORTS_SQL = (
    "SELECT kind, source_id::text, target_id::text, target_name, external_dependency_id::text, resolved, line"
    " FROM relationships WHERE codebase_id = %s AND kind = 'imports' ORDER BY file_path, id"
)
# Elements sharing one range (the names of `from m import a, b` all span the statement) keep the extraction
# order, which is the order of their `contains` edges (written in element order, ids growing within a run).
_CONTAINS_ORDER_SQL = (
    "SELECT target_id::text FROM relationships WHERE codebase_id = %s AND kind = 'contains'"
    " AND target_id = ANY(%s::uuid[]) ORDER BY file_path, id"
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


def _order_ties(cur: psycopg.Cursor[Any], codebase_id: uuid.UUID, elements: list[tuple[Any, ...]]) -> None:
    """Put runs of elements with the same file and range back in extraction order, in place."""
    groups: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(elements) + 1):
        if i < len(elements):
            a, b = elements[i - 1], elements[i]
            if a[5] == b[5] and a[10] == b[10] and a[11] == b[11] and (a[14] is None) == (b[14] is None):
                continue
        if i - start > 1:
            groups.append((start, i))
        start = i
    if not groups:
        return
    tied = [elements[k][0] for a, b in groups for k in range(a, b)]
    rank = {row[0]: n for n, row in enumerate(cur.execute(_CONTAINS_ORDER_SQL, (codebase_id, tied)))}
    for a, b in groups:
        elements[a:b] = sorted(elements[a:b], key=lambda row: (rank.get(row[0], len(rank)), row[0]))


def _rows(cur: psycopg.Cursor[Any], query: str, params: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    cur.execute(query, params)
    yield from cur


def load_codebase(
    conn: psycopg.Connection[Any],
    ref: str | uuid.UUID,
    relationships: Callable[[StoredCodebase, Iterator[tuple[Any, ...]]], list[Any]] | None = None,
) -> StoredCodebase:
    """Files, elements, non-`contains` relationships and external packages of a codebase (name, path or id).

    `relationships`, when given, receives the loaded StoredCodebase and an iterator over the relationship rows
    and returns what to keep in `StoredCodebase.relationships`: the rows are then turned into Python objects
    one at a time instead of all at once (the standard library has 361k of them).
    """
    idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if idle:  # inside a caller's transaction, its snapshot is the one to read
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
            _order_ties(cur, cid, elements)
            externals = {row[0]: (row[1], row[2]) for row in cur.execute(_EXTERNALS_SQL, (cid,))}
            stored = StoredCodebase(codebase, files, elements, [], externals, status)
            rows = itertools.chain(_rows(cur, _IMPORTS_SQL, (cid,)), _rows(cur, _RELATIONSHIPS_SQL, (cid,)))
            stored.relationships = list(rows) if relationships is None else relationships(stored, rows)
    return stored
