"""codebase_db: the typed API over codebases, runs, files, code elements and relationships.

Writes go through COPY inside one transaction per run, so readers never see half a run and a failed run leaves
the previous results as they were. Element ids are derived from (codebase, file, kind, qualified name,
occurrence), so an unchanged element keeps its id across runs and edges into it stay valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import operator
import pickle
import uuid
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

import psycopg
from psycopg import sql

from graph_sitter.adapters import copy_text as ct
from graph_sitter.codebase.model import FUNCTION_KINDS, TYPE_KINDS, Element, FileResult, Reference
from graph_sitter.errors import GraphSitterError

if TYPE_CHECKING:
    from graph_sitter.codebase.resolve import EdgeRow

_ELEMENT_COLUMNS = (
    "id", "codebase_id", "run_id", "kind", "language", "name", "qualified_name", "file_path",
    "start_line", "end_line", "start_column", "end_column", "start_byte", "end_byte", "signature", "docstring",
    "parent_id", "visibility", "is_async", "is_static", "is_abstract", "is_exported", "decorators", "parameters",
    "return_type", "cyclomatic_complexity", "nloc", "token_count", "parameter_count", "max_nesting_depth",
)
_RELATIONSHIP_COLUMNS = (
    "id", "codebase_id", "run_id", "kind", "source_id", "target_id", "target_name", "external_dependency_id",
    "resolved", "file_path", "line",
)
_FILE_COLUMNS = (
    "codebase_id", "file_path", "file_type", "language", "content_hash", "file_size_bytes", "total_lines",
    "code_lines", "comment_lines", "blank_lines", "parse_error_count", "functions_count", "classes_count",
    "cyclomatic_complexity", "maintainability_index", "skipped_reason", "last_run_id", "mtime_ns", "summary",
    "call_references",
)
#: Their types, for a binary COPY: the summary blobs (tens of MB on a large repository) go as they are, where
#: text COPY would write and parse each byte as two hex digits (three times slower on the stdlib).
_FILE_TYPES = (
    "uuid", "text", "text", "text", "text", "int8", "int4", "int4", "int4", "int4", "int4", "int4", "int4", "int4",
    "numeric", "text", "uuid", "int8", "bytea", "bytea",
)


class CodebaseNotFound(GraphSitterError):
    """No analysed codebase has that name or path."""


@dataclass(frozen=True)
class Codebase:
    """A row of codebases."""

    id: uuid.UUID
    name: str
    root_path: str | None
    last_run_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Run:
    """An analysis run as the hooks and the pipeline see it."""

    id: uuid.UUID
    codebase_id: uuid.UUID
    codebase_name: str
    root_path: str
    run_type: str
    started_at: datetime


@dataclass(frozen=True)
class FileState:
    """What the last run stored about one file."""

    content_hash: str | None
    size_bytes: int | None
    mtime_ns: int | None
    skipped_reason: str | None


@dataclass
class StorePlan:
    """Everything one run writes; built by the pipeline, written by store_run in one transaction."""

    analysed: list[FileResult] = field(default_factory=list)        # re-extracted files (and skipped ones)
    deleted: list[str] = field(default_factory=list)                 # files gone since the last run
    touched: dict[str, int] = field(default_factory=dict)            # same content, new mtime: path -> mtime_ns
    mtimes: dict[str, int] = field(default_factory=dict)             # mtime_ns of analysed files
    edge_sites: set[str] = field(default_factory=set)                # files whose relationships are replaced
    edges: Iterable[Any] = field(default_factory=list)               # resolve.Edge, possibly as they are made
    files: Mapping[str, FileResult] = field(default_factory=dict)    # every file, for element ids of targets
    replace_all: bool = False                                        # a full run: every row of the codebase is new
    # Rows made by the workers, by path; like edge_chunks, without the key columns when replace_all (for staging).
    prepared: dict[str, PreparedFile] = field(default_factory=dict)
    edge_chunks: Iterable[EdgeText] | None = None                   # edges formatted by resolver workers
    staging: dict[str, str] | None = None                            # full run: staging tables, elements loaded


@dataclass
class EdgeText:
    """The COPY lines of some edges, how often they name each external dependency, and how many edges of each
    (kind, resolved) they hold."""

    text: str
    externals: Counter[tuple[str, str]]
    kinds: Counter[tuple[str, bool]]


@dataclass
class RowChange:
    """How a run changed the codebase's counts: elements by kind, edges by (kind, resolved). `replaced_all`: a
    full run, whose rows are the codebase's (the counts are the totals)."""

    elements: Counter[str] = field(default_factory=Counter)
    edges: Counter[tuple[str, bool]] = field(default_factory=Counter)
    replaced_all: bool = False


#: Columns every row of a run shares. A full run's staging tables supply them as column defaults, so its COPY
#: lines leave them out: a third less text to make and send, and a quarter less work for the server per row.
_KEY_COLUMNS = ("codebase_id", "run_id")


def _key_fields(codebase_id: Any, run_id: str | None) -> str:
    """The key columns' part of a COPY line, between the row id and the kind: none when `run_id` is None
    (rows bound for a staging table)."""
    return "\t" if run_id is None else f"\t{codebase_id}\t{run_id}\t"


def _copy_columns(columns: tuple[str, ...], table: str) -> sql.Composable:
    """The column list of a COPY into `table`: without the key columns for a staging table."""
    if _is_staging(table):
        columns = tuple(c for c in columns if c not in _KEY_COLUMNS)
    return sql.SQL(", ").join(map(sql.Identifier, columns))


def element_id_strings(codebase_id: uuid.UUID, result: FileResult) -> list[str]:
    """Stable ids of a file's elements, as uuid text: same codebase, file, kind, qualified name and occurrence,
    same id, so an unchanged element keeps its id across runs and edges into it stay valid."""
    # A plain dict: Counter's __missing__ is a Python call for every first occurrence (nearly every element).
    seen: dict[str, int] = {}
    # The hashed text starts with the same prefix for every element of the file: its state is hashed once and
    # copied, which also spares a constructor call per element.
    prefixed = hashlib.blake2b(f"{codebase_id}\0{result.path}\0".encode(), digest_size=16)
    ids = []
    append = ids.append
    for e in result.elements:
        key = f"{e.kind}\0{e.qualified_name}"  # also the hashed text's middle part
        n = seen.get(key, 0)
        seen[key] = n + 1
        state = prefixed.copy()
        state.update(f"{key}\0{n}".encode())
        h = state.hexdigest()
        append("-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:])))
    return ids


def element_ids(codebase_id: uuid.UUID, result: FileResult) -> list[uuid.UUID]:
    """The stable ids of a file's elements (see element_id_strings)."""
    return [uuid.UUID(i) for i in element_id_strings(codebase_id, result)]


def external_id(codebase_id: uuid.UUID, ecosystem: str, name: str) -> uuid.UUID:
    """The id of an external dependency of a codebase: derived, so edges can name it before its row exists."""
    return uuid.uuid5(codebase_id, f"external:{ecosystem}:{name}")


def partition_name(table: str, codebase_id: uuid.UUID) -> str:
    """The partition of code_elements or relationships that holds one codebase's rows."""
    return f"{table}_{codebase_id.hex}"


_REFERENCE_ROW = operator.attrgetter(*(f.name for f in fields(Reference)))
_ELEMENT_ROW = operator.attrgetter(*(f.name for f in fields(Element)))
_SLIM = tuple(i for i, f in enumerate(fields(Element)) if f.name in ("signature", "docstring"))
# An element's row without signature and docstring, as the fields before and after them: two getters build it
# with less tuple copying than slicing the full row would.
_ELEMENT_HEAD = operator.attrgetter(*(f.name for f in fields(Element)[:_SLIM[0]]))
_ELEMENT_TAIL = operator.attrgetter(*(f.name for f in fields(Element)[_SLIM[-1] + 1:]))
_SLIM_BLANK = (None,) * (_SLIM[-1] + 1 - _SLIM[0])
_FILE_STATE = tuple(f.name for f in fields(FileResult) if f.name not in ("elements", "references"))


#: Bumped whenever the summary layout or the extractor's output changes: older summaries are then ignored and
#: their files re-parsed.
SUMMARY_VERSION = 2


def _pack(payload: Any) -> bytes:
    # Not compressed: the bytes are written once and read back whole, and zlib cost more CPU than the disk
    # and loopback time it saved (the column is STORAGE EXTERNAL, so PostgreSQL does not compress it either).
    return pickle.dumps((SUMMARY_VERSION, payload), protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(blob: bytes) -> Any:
    """The payload of a blob, or None when it is from another version or unreadable."""
    try:
        version, payload = pickle.loads(blob)
    except Exception:  # any damage or older layout: the caller re-parses the file
        return None
    return payload if version == SUMMARY_VERSION else None


def summary_blobs(result: FileResult) -> tuple[bytes, bytes]:
    """The file's result without docstrings and signatures (all re-resolution needs), as plain rows in two
    blobs: everything but the calls, and the calls."""
    head, blank, tail = _ELEMENT_HEAD, _SLIM_BLANK, _ELEMENT_TAIL
    return _summary_blobs(result, [head(e) + blank + tail(e) for e in result.elements])


def _summary_blobs(result: FileResult, element_rows: list[tuple[Any, ...]],
                   first_call: int | None = None) -> tuple[bytes, bytes]:
    """summary_blobs() given the element rows (signature and docstring already None in them) and, if known,
    where the calls start when they all come after the other references (see _first_call)."""
    rows = list(map(_REFERENCE_ROW, result.references))
    state = tuple(getattr(result, name) for name in _FILE_STATE)
    if first_call is not None:
        others, calls = rows[:first_call], rows[first_call:]
    else:
        others, calls = [r for r in rows if r[0] != "call"], [r for r in rows if r[0] == "call"]
    return _pack((state, element_rows, others)), _pack(calls)


_KIND = operator.attrgetter("kind")


def _first_call(references: list[Reference]) -> int | None:
    """The index of the first call when every call comes after every other reference (as extract_file makes
    them: the calls last), else None. Found by C-level scans: the calls and the other references are then
    slices, where filtering by kind costs a Python-level step per reference (three filters per file)."""
    kinds = list(map(_KIND, references))
    first = len(kinds) - kinds.count("call")
    if first == len(kinds) or kinds.index("call") == first:
        return first
    return None


def summary_result(summary: bytes, calls: bytes | None = None) -> FileResult | None:
    """The FileResult stored by summary_blobs (calls included when given), or None when unusable."""
    payload = _unpack(summary)
    call_rows = [] if calls is None else _unpack(calls)
    if payload is None or call_rows is None:
        return None
    state, elements, references = payload
    result = FileResult(**dict(zip(_FILE_STATE, state)))
    result.elements = [Element(*row) for row in elements]
    result.references = [Reference(*row) for row in references] + [Reference(*row) for row in call_rows]
    return result


def call_references(blob: bytes | None) -> list[Reference]:
    """The call references kept apart in a calls blob (empty when there is none or it is unreadable)."""
    rows = None if blob is None else _unpack(blob)
    return [Reference(*row) for row in rows or ()]


@dataclass(frozen=True)
class PreparedFile:
    """What a worker process makes of one file for the store: the COPY lines of its elements, its
    file_analysis values and its summary blobs, so the main process only streams them."""

    element_lines: str
    file_row: tuple[Any, ...]
    summary: bytes | None
    calls: bytes | None
    element_ids: list[str] = field(default_factory=list)  # made once here, reused by the edges into the file


def element_lines(codebase_id: str, run_id: str | None, result: FileResult, ids: list[str] | None = None) -> str:
    """The COPY text lines (code_elements columns) of a file's elements; `run_id` None: for a staging table."""
    elements = result.elements
    if not elements:
        return ""
    ids = ids or element_id_strings(uuid.UUID(codebase_id), result)
    null, escaped, array = ct.NULL, ct.escaped, ct.text_array_of
    # Run once per element of every file: the columns shared by the file's rows are formatted once, and the
    # names and signatures, which almost never hold a COPY special, are checked in one scan for the whole file
    # (ct.all_plain) instead of one ct.text call per value.
    shared = _key_fields(codebase_id, run_id)
    path = f"\t{ct.text(result.path)}\t"
    plain_names = ct.all_plain([e.name for e in elements]) and ct.all_plain([e.qualified_name for e in elements])
    plain_signatures = ct.all_plain([e.signature for e in elements if e.signature is not None])
    plain_parameters = ct.plain_array_values([p for e in elements for p in e.parameters])
    out = []
    append = out.append
    for e, eid in zip(elements, ids):
        name, qualified_name, signature, docstring = e.name, e.qualified_name, e.signature, e.docstring
        if not plain_names:
            name, qualified_name = escaped(name), escaped(qualified_name)
        if signature is None:
            signature = null
        elif not plain_signatures:
            signature = escaped(signature)
        parameters = e.parameters
        if not parameters:
            parameters = null
        elif plain_parameters:
            parameters = '{"' + '","'.join(parameters) + '"}'
        else:
            parameters = array(parameters)
        # Metrics are ints or None; an f-string formats an int as str() does (ct.number).
        cc, nloc, tokens, params, depth = (e.cyclomatic_complexity, e.nloc, e.token_count, e.parameter_count,
                                          e.max_nesting_depth)
        append(
            f"{eid}{shared}{e.kind}\t{e.language}\t{name}\t{qualified_name}{path}"
            f"{e.start_line}\t{e.end_line}\t{e.start_col}\t{e.end_col}\t{e.start_byte}\t{e.end_byte}"
            f"\t{signature}\t{null if docstring is None else escaped(docstring)}"
            f"\t{null if e.parent is None else ids[e.parent]}\t{e.visibility}"
            f"\t{'t' if e.is_async else 'f'}\t{'t' if e.is_static else 'f'}\t{'t' if e.is_abstract else 'f'}"
            f"\t{'t' if e.is_exported else 'f'}\t{array(e.decorators) if e.decorators else null}"
            f"\t{parameters}"
            f"\t{null if e.return_type is None else escaped(e.return_type)}"
            f"\t{null if cc is None else cc}\t{null if nloc is None else nloc}\t{null if tokens is None else tokens}"
            f"\t{null if params is None else params}\t{null if depth is None else depth}\n"
        )
    return "".join(out)


def file_row(r: FileResult) -> tuple[Any, ...]:
    """file_analysis values of one file, from file_path to skipped_reason."""
    functions = [e for e in r.elements if e.kind in FUNCTION_KINDS]
    classes = sum(1 for e in r.elements if e.kind in TYPE_KINDS)
    mi = r.maintainability_index
    counted = r.skipped_reason is None  # a skipped file's lines were never counted: NULL, not 0
    return (
        r.path, _file_type(r.path), r.language, r.content_hash, None if r.skipped_reason and not r.size_bytes else r.size_bytes,
        *((r.total_lines, r.code_lines, r.comment_lines, r.blank_lines) if counted else (None,) * 4),
        r.parse_error_count, len(functions), classes, sum(e.cyclomatic_complexity or 0 for e in functions),
        None if mi is None else Decimal(f"{max(0.0, min(100.0, mi)):.2f}"), r.skipped_reason,
    )


def row_blobs(prepared: PreparedFile | None, r: FileResult) -> tuple[bytes | None, bytes | None]:
    """The summary blobs of a file: made by the worker when it prepared the file, else here."""
    if prepared is not None:
        return prepared.summary, prepared.calls
    return (None, None) if r.skipped_reason else summary_blobs(r)


def prepare_file(codebase_id: str, run_id: str | None, result: FileResult) -> tuple[FileResult, PreparedFile]:
    """Everything the store needs from one file, made where the file was parsed (element lines for a staging
    table when `run_id` is None); returns the result stripped of docstrings and signatures (resolution does not
    need them) and of its calls (in `PreparedFile.calls`).

    The result is changed in place: it belongs to the worker that made it and is not used after this.
    """
    ids = element_id_strings(uuid.UUID(codebase_id), result) if result.elements else []
    lines = element_lines(codebase_id, run_id, result, ids)
    row = file_row(result)
    for e in result.elements:
        e.docstring = e.signature = None
    first_call = _first_call(result.references)
    # The elements are slim now: each one's full row is its summary row (summary_blobs' rows, one getter fewer).
    blobs = (None, None) if result.skipped_reason else _summary_blobs(
        result, list(map(_ELEMENT_ROW, result.elements)), first_call
    )
    prepared = PreparedFile(lines, row, *blobs, element_ids=ids)
    # The calls travel once, as the blob already made for the store; the parent rebuilds them only where it
    # needs them (resolving the file's own edges), which spares it most of the unpickling.
    if first_call is not None:
        result.references = result.references[:first_call]
    else:
        result.references = [r for r in result.references if r.kind != "call"]
    return result, prepared


#: An Edge's fields in EdgeRow order.
_EDGE_ROW = operator.attrgetter("kind", "source_file", "source_index", "target_file", "target_index", "target_name",
                                "external", "ecosystem", "line", "resolved")
#: The largest value of an integer storage parameter.
_INT_MAX = 2**31 - 1
#: The last three hex digits of a relationship row id, by value (see relationship_row_lines).
_HEX3 = tuple(f"{i:03x}" for i in range(0x1000))


def new_id_prefix() -> str:
    """The first 24 characters of a random uuid (version 4): a prefix for ids made by counting."""
    return str(uuid.uuid4())[:24]


def relationship_lines(codebase_id: uuid.UUID, run_id: str | None, edges: Iterable[Any],
                       ids_of: Callable[[str], list[str]]) -> EdgeText:
    """The COPY text lines (relationships columns) of some edges (resolve.Edge), with their counts."""
    # Edges may come as they are made: each becomes a row only while it is formatted.
    return relationship_row_lines(codebase_id, run_id, map(_EDGE_ROW, edges), ids_of)


def relationship_row_lines(codebase_id: uuid.UUID, run_id: str | None, rows: Iterable[EdgeRow],
                           ids_of: Callable[[str], list[str]], batch: tuple[str, int] | None = None) -> EdgeText:
    """relationship_lines of edges given as resolve.EdgeRow tuples (``Resolver.resolve_rows``); `run_id` None:
    lines for a staging table. `batch`: (a prefix from new_id_prefix(), the batch's number), for rows formatted
    in numbered batches: their ids then ascend from batch to batch, in the order the batches are loaded, and
    the primary key is built from presorted rows. Without it the batch's ids ascend from a prefix of their own.

    Half a million rows per run: the loop does per row only what differs between rows. The columns shared
    by every row, and those of a site (its file's element ids, its path), are made once.
    """
    cid = str(codebase_id)
    null = ct.NULL
    text = ct.text
    shared = _key_fields(cid, run_id)
    # Row ids are cheap and unique: a random uuid prefix, the batch number and a counter.
    prefix = f"{batch[0]}{batch[1]:04x}" if batch is not None and batch[1] <= 0xFFFF else f"{new_id_prefix()}0000"
    ids_by_path: dict[str, list[str]] = {}
    externals: dict[tuple[str, str], str] = {}
    uses: Counter[tuple[str, str]] = Counter()
    resolved_kinds: dict[str, int] = {}
    unresolved_kinds: dict[str, int] = {}
    out: list[str] = []
    append = out.append
    site_file = None
    site_ids: list[str] = []
    site_resolved = site_unresolved = ""
    n = 0
    block = f"{prefix}{0:05x}"
    for kind, source_file, source_index, target_file, target_index, target_name, external, ecosystem, line, \
            resolved in rows:
        if source_file != site_file:
            # The edges of a site come one after the other (resolve() makes them file by file).
            site_file = source_file
            site_ids = ids_by_path.get(source_file)
            if site_ids is None:
                site_ids = ids_by_path[source_file] = ids_of(source_file)
            site = text(source_file)
            site_resolved = f"\tt\t{site}\t"  # resolved, file_path: then only the line follows
            site_unresolved = f"\tf\t{site}\t"
        if target_index is None or target_file is None:
            target = null
        elif target_file == site_file:  # every contains edge, and the calls within the file
            target = site_ids[target_index]
        else:
            ids = ids_by_path.get(target_file)
            if ids is None:
                ids = ids_by_path[target_file] = ids_of(target_file)
            target = ids[target_index]
        if external:
            key = (ecosystem or "unknown", external)
            ext = externals.get(key) or externals.setdefault(key, str(external_id(codebase_id, *key)))
            uses[key] += 1
            tail = site_resolved if resolved else site_unresolved
        else:
            ext = null
            tail = site_resolved if resolved and target is not null else site_unresolved
        counted = resolved_kinds if tail is site_resolved else unresolved_kinds
        counted[kind] = counted.get(kind, 0) + 1
        # The row id, f"{prefix}{n:08x}", without formatting a number per row: its last three hex digits
        # come from a table, the five before them change every 4096 rows.
        n += 1
        low = n & 0xFFF
        if not low:
            block = f"{prefix}{n >> 12:05x}"
        # ct.text(target_name), but a name needs no escaping when it is printable (tab, newline, CR and NUL
        # are control characters) and holds no backslash: two checks in C instead of a call per row.
        if target_name is None or not target_name.isprintable() or "\\" in target_name:
            target_name = text(target_name)
        append(f"{block}{_HEX3[low]}{shared}{kind}\t{site_ids[source_index]}\t{target}"
               f"\t{target_name}\t{ext}{tail}{line}\n")
    kinds = Counter({(k, True): n for k, n in resolved_kinds.items()})
    kinds.update({(k, False): n for k, n in unresolved_kinds.items()})
    return EdgeText("".join(out), uses, kinds)


def _is_staging(table: str) -> bool:
    """Whether `table` is a full run's staging table (see CodebaseStore._staging_table)."""
    return table.endswith("_new")


def _freeze(table: str) -> sql.Composable:
    """FREEZE for a staging table (created in this very transaction): its rows arrive frozen and all-visible, so
    their first readers need not set hint bits on half a million fresh rows, nor autovacuum revisit them."""
    return sql.SQL("WITH (FREEZE)" if _is_staging(table) else "")


def _file_type(path: str) -> str:
    parts = path.split("/")
    name = parts[-1]
    if any(p in ("test", "tests", "__tests__", "testing") for p in parts[:-1]) or name.startswith("test_") \
            or name.endswith(("_test.py", "_test.go", ".test.ts", ".test.js", ".spec.ts", ".spec.js", "Test.java")):
        return "test"
    return "source"


class CodebaseStore:
    """Reads and writes codebase_db over one connection (not autocommit: store_run owns its transaction)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._in_run_transaction = False

    def _end_read(self) -> None:
        """Close the implicit transaction a read opened, unless it is part of the run's transaction."""
        if not self._in_run_transaction:
            self.conn.commit()

    # -- codebases ----------------------------------------------------------------------------------------
    def find_codebase(self, ref: str) -> Codebase | None:
        """A codebase by name, or by the path that was analysed."""
        rows = self.conn.execute(
            "SELECT id, name, root_path, last_run_id FROM codebases WHERE deleted_at IS NULL AND name = %s",
            (ref,),
        ).fetchall()
        if not rows:
            path = str(Path(ref).expanduser().resolve())
            rows = self.conn.execute(
                "SELECT id, name, root_path, last_run_id FROM codebases WHERE deleted_at IS NULL AND root_path = %s"
                " ORDER BY last_analyzed_at DESC NULLS LAST",
                (path,),
            ).fetchall()
        self._end_read()
        return Codebase(*rows[0]) if rows else None

    def get_codebase(self, ref: str) -> Codebase:
        """Like find_codebase, but a one-line error when there is none."""
        found = self.find_codebase(ref)
        if found is None:
            raise CodebaseNotFound(f"no analysed codebase named or at {ref!r}; run `gsdb analyze PATH` first")
        return found

    def ensure_codebase(self, root: Path, name: str | None, organization_id: uuid.UUID) -> Codebase:
        """The codebase for `root` (created if new, with its partitions); `name` defaults to the directory name."""
        codebase = self._find_or_create_codebase(root, name, organization_id)
        with self.conn.transaction():
            for table in ("code_elements", "relationships"):
                self.conn.execute(
                    sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES IN ({})").format(
                        sql.Identifier(partition_name(table, codebase.id)), sql.Identifier(table),
                        sql.Literal(str(codebase.id)),
                    )
                )
        return codebase

    def _find_or_create_codebase(self, root: Path, name: str | None, organization_id: uuid.UUID) -> Codebase:
        root_s = str(root)
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('graph_sitter.codebases'))")
            if name:
                row = self.conn.execute(
                    "SELECT id, name, root_path, last_run_id FROM codebases WHERE organization_id = %s AND name = %s",
                    (organization_id, name),
                ).fetchone()
                other = self.conn.execute(
                    "SELECT name FROM codebases WHERE organization_id = %s AND root_path = %s AND name <> %s",
                    (organization_id, root_s, name),
                ).fetchone()
                if other:
                    raise GraphSitterError(f"{root_s} is already analysed as codebase {other[0]!r}; use --name {other[0]}")
                if row:
                    if row[2] != root_s:
                        self.conn.execute("UPDATE codebases SET root_path = %s WHERE id = %s", (root_s, row[0]))
                    return Codebase(row[0], row[1], root_s, row[3])
            else:
                row = self.conn.execute(
                    "SELECT id, name, root_path, last_run_id FROM codebases WHERE organization_id = %s AND root_path = %s"
                    " AND deleted_at IS NULL ORDER BY created_at LIMIT 1",
                    (organization_id, root_s),
                ).fetchone()
                if row:
                    return Codebase(*row)
                name = root.name or "root"
                taken = self.conn.execute(
                    "SELECT 1 FROM codebases WHERE organization_id = %s AND name = %s", (organization_id, name)
                ).fetchone()
                if taken:
                    name = f"{name}-{hashlib.sha1(root_s.encode()).hexdigest()[:6]}"
            row = self.conn.execute(
                "INSERT INTO codebases (organization_id, name, root_path) VALUES (%s, %s, %s)"
                " RETURNING id, name, root_path, last_run_id",
                (organization_id, name, root_s),
            ).fetchone()
            assert row is not None
            return Codebase(*row)

    # -- runs ---------------------------------------------------------------------------------------------
    def lock(self, codebase_id: uuid.UUID, wait: bool = True) -> bool:
        """Take this codebase's session advisory lock: one run per codebase at a time, across machines."""
        fn = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        row = self.conn.execute(
            sql.SQL("SELECT {}(hashtext('graph_sitter.codebase'), hashtext(%s))").format(sql.Identifier(fn)),
            (str(codebase_id),),
        ).fetchone()
        self.conn.commit()
        return wait or bool(row and row[0])

    def unlock(self, codebase_id: uuid.UUID) -> None:
        """Release the lock taken by `lock`."""
        self.conn.execute("SELECT pg_advisory_unlock(hashtext('graph_sitter.codebase'), hashtext(%s))", (str(codebase_id),))
        self.conn.commit()

    def fail_interrupted_runs(self, codebase_id: uuid.UUID) -> int:
        """Runs still 'running' while we hold the lock were killed: mark them failed."""
        cur = self.conn.execute(
            "UPDATE analysis_runs SET status = 'failed', error_message = 'interrupted: the process running it stopped'"
            " WHERE codebase_id = %s AND status = 'running'",
            (codebase_id,),
        )
        self.conn.commit()
        return cur.rowcount

    def start_run(self, codebase: Codebase, run_type: str, config: Mapping[str, Any], organization_id: uuid.UUID) -> Run:
        """Record a new run as 'running' (committed at once, so a crash leaves a visible trace)."""
        row = self.conn.execute(
            "INSERT INTO analysis_runs (codebase_id, organization_id, run_type, status, analysis_config, tool_version)"
            " VALUES (%s, %s, %s, 'running', %s, %s) RETURNING id, started_at",
            (codebase.id, organization_id, run_type, json.dumps(dict(config)), _tool_version()),
        ).fetchone()
        self.conn.execute("UPDATE codebases SET analysis_status = 'running' WHERE id = %s", (codebase.id,))
        self.conn.commit()
        assert row is not None
        return Run(row[0], codebase.id, codebase.name, codebase.root_path or "", run_type, row[1])

    def fail_run(self, run: Run, message: str) -> None:
        """Mark a run failed; its data was rolled back, so the previous results stay current."""
        self.conn.rollback()
        self.conn.execute(
            "UPDATE analysis_runs SET status = 'failed', error_message = %s WHERE id = %s AND status = 'running'",
            (message[:2000] or "failed", run.id),
        )
        self.conn.execute(
            "UPDATE codebases SET analysis_status = 'failed' WHERE id = %s", (run.codebase_id,)
        )
        self.conn.commit()

    # -- incremental state --------------------------------------------------------------------------------
    def file_states(self, codebase_id: uuid.UUID) -> dict[str, FileState]:
        """Per file: hash, size, mtime and skip reason from the last run."""
        rows = self.conn.execute(
            "SELECT file_path, content_hash, file_size_bytes, mtime_ns, skipped_reason FROM file_analysis"
            " WHERE codebase_id = %s",
            (codebase_id,),
        ).fetchall()
        self._end_read()
        return {r[0]: FileState(r[1], r[2], r[3], r[4]) for r in rows}

    def load_summaries(self, codebase_id: uuid.UUID, paths: Iterable[str], with_calls: bool = False
                       ) -> dict[str, FileResult]:
        """Stored extraction results of files (their calls too when asked); unreadable ones are left out."""
        wanted = list(paths)
        if not wanted:
            return {}
        out: dict[str, FileResult] = {}
        columns = "summary, call_references" if with_calls else "summary, NULL::bytea"
        with self.conn.cursor(binary=True) as cur:
            cur.execute(
                f"SELECT file_path, {columns} FROM file_analysis WHERE codebase_id = %s AND file_path = ANY(%s)"
                " AND summary IS NOT NULL",
                (codebase_id, wanted),
            )
            for path, summary, calls in cur:
                if with_calls and calls is None:
                    continue
                result = summary_result(summary, calls)
                if result is not None:
                    out[path] = result
        self._end_read()
        return out

    # -- writing a run ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The one transaction a run's writes share: all of them become visible together, or none."""
        self.conn.commit()  # end any implicit read transaction, so this one is a real transaction, not a savepoint
        self._in_run_transaction = True
        try:
            with self.conn.transaction():
                yield
        finally:
            self._in_run_transaction = False

    def create_staging(self, codebase_id: uuid.UUID, run_id: uuid.UUID) -> dict[str, str]:
        """Empty staging tables for a full run's code_elements and relationships (inside `transaction()`).

        Their rows are COPYed without codebase_id and run_id (see element_lines): the tables supply both.
        """
        return {t: self._staging_table(t, codebase_id, run_id) for t in ("code_elements", "relationships")}

    @contextlib.contextmanager
    def element_sink(self, table: str) -> Iterator[Callable[[str], None]]:
        """A COPY into `table` kept open while the workers parse: each file's element lines go in as they come."""
        with self.conn.cursor() as cur, cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN {}").format(
                sql.Identifier(table), _copy_columns(_ELEMENT_COLUMNS, table), _freeze(table)
            )
        ) as copy:
            def write(lines: str) -> None:
                if lines:
                    copy.write(lines)

            yield write

    def write_changes(self, run: Run, plan: StorePlan) -> RowChange:
        """Replace the rows of changed, deleted and re-resolved files (call inside `transaction()`).

        Returns how the codebase's counts changed (see codebase_totals), counted as the rows go.
        """
        cid = run.codebase_id
        replaced = [f.path for f in plan.analysed] + plan.deleted
        ids_cache: dict[str, list[str]] = {}

        def ids_of(path: str) -> list[str]:
            ids = ids_cache.get(path)
            if ids is None:
                ids = ids_cache[path] = element_id_strings(cid, plan.files[path])
            return ids

        if replaced:
            self.conn.execute("DELETE FROM file_analysis WHERE codebase_id = %s AND file_path = ANY(%s)", (cid, replaced))
        if plan.touched:
            self.conn.execute(
                "UPDATE file_analysis f SET mtime_ns = t.mtime FROM unnest(%s::text[], %s::bigint[]) AS t(path, mtime)"
                " WHERE f.codebase_id = %s AND f.file_path = t.path",
                (list(plan.touched), list(plan.touched.values()), cid),
            )
        self._copy_files(run, plan)
        removed: dict[uuid.UUID, int] = {}  # uses of each external by the edges an incremental run replaces
        change = RowChange(replaced_all=plan.replace_all)
        change.elements.update(e.kind for r in plan.analysed for e in r.elements)  # the rows about to be copied
        if plan.replace_all:
            staging = plan.staging or self.create_staging(cid, run.id)
            if not plan.staging:  # else the elements were streamed in while the files were parsed
                self._copy_elements(run, plan, ids_of, staging["code_elements"])
            # The elements are complete: archive, index and analyse them while the resolver workers still
            # make the edges, which then load into their own partition.
            self._archive_changed_metrics(cid, staging["code_elements"])
            self._publish_staging("code_elements", cid, staging["code_elements"], change.elements.total())
            externals, added = self._copy_relationships(run, plan, ids_of, staging["relationships"])
            self._publish_staging("relationships", cid, staging["relationships"], added.total())
        else:
            if replaced:
                self._archive_metrics(cid, replaced)
                for kind, n in self.conn.execute(
                        "WITH gone AS (DELETE FROM code_elements WHERE codebase_id = %s AND file_path = ANY(%s)"
                        "  RETURNING kind) SELECT kind, count(*) FROM gone GROUP BY 1", (cid, replaced)):
                    change.elements[kind] -= n
            sites = list(plan.edge_sites | set(plan.deleted))
            if sites:
                for external, kind, resolved, n in self.conn.execute(
                        "WITH gone AS (DELETE FROM relationships WHERE codebase_id = %s AND file_path = ANY(%s)"
                        "  RETURNING external_dependency_id, kind, resolved)"
                        " SELECT external_dependency_id, kind, resolved, count(*) FROM gone GROUP BY 1, 2, 3",
                        (cid, sites)):
                    change.edges[kind, resolved] -= n
                    if external is not None:
                        removed[external] = removed.get(external, 0) + n
            self._copy_elements(run, plan, ids_of, "code_elements")
            externals, added = self._copy_relationships(run, plan, ids_of, "relationships")
        change.edges.update(added)
        self._ensure_externals(cid, externals, exact=plan.replace_all)
        if removed:
            self._release_externals(cid, removed)
        return change

    def _staging_table(self, table: str, codebase_id: uuid.UUID, run_id: uuid.UUID) -> str:
        """An empty table shaped like `table`, with no index yet: rows load fast, indexes are built once, sorted."""
        name = f"{partition_name(table, codebase_id)}_new"
        self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        self.conn.execute(
            sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(
                sql.Identifier(name), sql.Identifier(table)
            )
        )
        # The partition bound as a CHECK: ATTACH then trusts it instead of scanning every row.
        self.conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK (codebase_id = {}),"
                    " ALTER codebase_id SET DEFAULT {}, ALTER run_id SET DEFAULT {}").format(
                sql.Identifier(name), sql.Identifier(f"{name}_bound"), sql.Literal(str(codebase_id)),
                sql.Literal(str(codebase_id)), sql.Literal(str(run_id)),
            )
        )
        return name

    def _publish_staging(self, table: str, codebase_id: uuid.UUID, staging: str, rows: int) -> None:
        """Swap a loaded staging table (of `rows` rows) in as the codebase's partition of `table` and give it
        statistics.

        Fresh partitions have no statistics: without them the measuring queries that follow, and the next
        runs' until autovacuum comes by, get nested loops over hundreds of thousands of rows. Those plans need
        row counts and the spread of a few keys, not fine histograms: a small sample (20 x 300 rows instead
        of the default 100 x 300) gives them in a third of the time.
        """
        self._swap_partition(table, codebase_id, staging)
        part = sql.Identifier(partition_name(table, codebase_id))
        self.conn.execute("SET LOCAL default_statistics_target = 20")
        self.conn.execute(sql.SQL("ANALYZE {}").format(part))
        self.conn.execute("RESET default_statistics_target")
        self._discount_load(part, rows)

    def _discount_load(self, part: sql.Identifier, rows: int) -> None:
        """Keep autovacuum from taking a fresh partition's load (`rows` rows) for changes to it.

        After the commit the statistics count every loaded row as inserted and modified since the last vacuum
        and analyze, though the rows were loaded frozen and analysed just now: autovacuum would vacuum and
        analyse the partition again, or the previous one while the next full run replaces it (0.6 CPU-seconds
        on the stdlib, taken from that run). Raising the partition's thresholds by its row count discounts the
        load: autovacuum comes by once later changes reach the usual share of the table.
        """
        analyze, insert = self.conn.execute(
            "SELECT current_setting('autovacuum_analyze_threshold')::bigint,"
            " current_setting('autovacuum_vacuum_insert_threshold')::bigint"
        ).fetchone() or (50, 1000)
        self.conn.execute(
            sql.SQL("ALTER TABLE {} SET (autovacuum_analyze_threshold = {}, autovacuum_vacuum_insert_threshold = {})")
            .format(part, sql.Literal(min(rows + analyze, _INT_MAX)), sql.Literal(min(rows + insert, _INT_MAX)))
        )

    def _swap_partition(self, table: str, codebase_id: uuid.UUID, staging: str) -> None:
        part = partition_name(table, codebase_id)
        self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(part)))
        self.conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(staging), sql.Identifier(part)))
        self.conn.execute(
            sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES IN ({})").format(
                sql.Identifier(table), sql.Identifier(part), sql.Literal(str(codebase_id))
            )
        )
        self.conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}, ALTER codebase_id DROP DEFAULT, ALTER run_id DROP DEFAULT").format(
                sql.Identifier(part), sql.Identifier(f"{staging}_bound")
            )
        )

    _ARCHIVE = (
        "INSERT INTO element_metrics_history (codebase_id, run_id, qualified_name, kind, language, file_path,"
        " start_line, end_line, cyclomatic_complexity, nloc, token_count, parameter_count, max_nesting_depth,"
        " recorded_at)"
        " SELECT o.codebase_id, o.run_id, o.qualified_name, o.kind, o.language, o.file_path, o.start_line,"
        " o.end_line, o.cyclomatic_complexity, o.nloc, o.token_count, o.parameter_count, o.max_nesting_depth,"
        " coalesce(r.started_at, o.created_at) FROM code_elements o LEFT JOIN analysis_runs r ON r.id = o.run_id"
    )

    def _archive_metrics(self, codebase_id: uuid.UUID, paths: list[str]) -> None:
        """Keep the metrics of functions about to be replaced: they are the history of those symbols."""
        self.conn.execute(
            self._ARCHIVE + " WHERE o.codebase_id = %s AND o.kind IN ('function', 'method') AND o.file_path = ANY(%s)",
            (codebase_id, paths),
        )

    def _archive_changed_metrics(self, codebase_id: uuid.UUID, staging: str) -> None:
        """Before a full run's swap: keep the old metrics of functions that changed or disappeared."""
        self.conn.execute(
            sql.SQL(self._ARCHIVE + " LEFT JOIN {} n ON n.id = o.id"
                    " WHERE o.codebase_id = %s AND o.kind IN ('function', 'method')"
                    " AND (n.id IS NULL OR (n.cyclomatic_complexity, n.nloc, n.token_count, n.parameter_count,"
                    " n.max_nesting_depth) IS DISTINCT FROM (o.cyclomatic_complexity, o.nloc, o.token_count,"
                    " o.parameter_count, o.max_nesting_depth))").format(sql.Identifier(staging)),
            (codebase_id,),
        )

    def previous_findings(self, codebase_id: uuid.UUID, before: uuid.UUID | None = None) -> dict[str, Any] | None:
        """Metrics and findings of the last completed run (other than `before`)."""
        row = self.conn.execute(
            "SELECT metadata FROM analysis_runs WHERE codebase_id = %s AND status = 'completed' AND id IS DISTINCT FROM %s"
            " ORDER BY started_at DESC LIMIT 1",
            (codebase_id, before),
        ).fetchone()
        return None if row is None else dict(row[0])

    def _copy_elements(self, run: Run, plan: StorePlan, ids_of: Any, table: str) -> None:
        """COPY the elements: lines the workers made (for this kind of table: see StorePlan.prepared), or made here."""
        cid, rid = str(run.codebase_id), None if _is_staging(table) else str(run.id)

        def chunks() -> Iterator[str]:
            for result in plan.analysed:
                prepared = plan.prepared.get(result.path)
                if prepared is not None:
                    yield prepared.element_lines
                elif result.elements:
                    yield element_lines(cid, rid, result, ids_of(result.path))

        with self.conn.cursor() as cur, cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN {}").format(
                sql.Identifier(table), _copy_columns(_ELEMENT_COLUMNS, table), _freeze(table)
            )
        ) as copy:
            ct.write_lines(copy, chunks())

    def _copy_files(self, run: Run, plan: StorePlan) -> None:
        with self.conn.cursor() as cur, cur.copy(
            sql.SQL("COPY file_analysis ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.SQL(", ").join(map(sql.Identifier, _FILE_COLUMNS))
            )
        ) as copy:
            copy.set_types(_FILE_TYPES)
            for r in plan.analysed:
                prepared = plan.prepared.get(r.path)
                row = prepared.file_row if prepared is not None else file_row(r)
                copy.write_row((run.codebase_id, *row, run.id, plan.mtimes.get(r.path), *row_blobs(prepared, r)))

    def _ensure_externals(self, codebase_id: uuid.UUID, used: Counter[tuple[str, str]], exact: bool) -> None:
        """The external dependencies the run's edges point at (their ids are derived, so edges come first).

        `exact`: the edges are all of the codebase's (a full run), so their counts are the usage counts and an
        external none of them names is gone. Otherwise they are new edges, added to the counts.
        """
        wanted = sorted(used)
        if exact:
            self.conn.execute(
                "DELETE FROM external_dependencies WHERE codebase_id = %s AND id <> ALL(%s::uuid[])",
                (codebase_id, [external_id(codebase_id, eco, name) for eco, name in wanted]),
            )
        if not wanted:
            return
        self.conn.execute(
            "INSERT INTO external_dependencies (id, codebase_id, ecosystem, name, usage_count)"
            " SELECT id, %s, eco, name, n FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::int[]) AS t(id, eco, name, n)"
            " ON CONFLICT (codebase_id, ecosystem, name) DO UPDATE SET usage_count = "
            + ("EXCLUDED.usage_count WHERE external_dependencies.usage_count IS DISTINCT FROM EXCLUDED.usage_count"
               if exact else "external_dependencies.usage_count + EXCLUDED.usage_count"),
            (codebase_id, [external_id(codebase_id, eco, name) for eco, name in wanted],
             [w[0] for w in wanted], [w[1] for w in wanted], [used[w] for w in wanted]),
        )

    def _copy_relationships(self, run: Run, plan: StorePlan, ids_of: Any, table: str
                            ) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, bool]]]:
        """COPY the edges: chunks already formatted (by resolver workers), or edges as they are resolved.

        Returns how often they name each external dependency, and how many there are of each (kind, resolved).
        """
        externals: Counter[tuple[str, str]] = Counter()
        kinds: Counter[tuple[str, bool]] = Counter()

        def chunks() -> Iterator[str]:
            made = plan.edge_chunks if plan.edge_chunks is not None else [relationship_lines(
                run.codebase_id, None if _is_staging(table) else str(run.id), plan.edges, ids_of)]
            for chunk in made:
                externals.update(chunk.externals)
                kinds.update(chunk.kinds)
                yield chunk.text

        with self.conn.cursor() as cur, cur.copy(
            sql.SQL("COPY {} ({}) FROM STDIN {}").format(
                sql.Identifier(table), _copy_columns(_RELATIONSHIP_COLUMNS, table), _freeze(table)
            )
        ) as copy:
            for text in chunks():
                if text:
                    copy.write(text)
        return externals, kinds

    def _release_externals(self, codebase_id: uuid.UUID, removed: Mapping[uuid.UUID, int]) -> None:
        """Take the removed edges out of the usage counts; an external no edge names any more is gone."""
        ids = list(removed)
        self.conn.execute(
            "UPDATE external_dependencies d SET usage_count = d.usage_count - gone.n"
            " FROM unnest(%s::uuid[], %s::int[]) AS gone(id, n) WHERE d.codebase_id = %s AND d.id = gone.id",
            (ids, list(removed.values()), codebase_id),
        )
        self.conn.execute(
            "DELETE FROM external_dependencies WHERE codebase_id = %s AND id = ANY(%s::uuid[]) AND usage_count <= 0",
            (codebase_id, ids),
        )

    def codebase_totals(self, codebase_id: uuid.UUID, base: Mapping[str, Any] | None = None,
                        change: RowChange | None = None) -> dict[str, Any]:
        """Current counts of the codebase: files, lines, elements and relationships by kind.

        With the `change` this run made (see write_changes) and, unless it replaced every row, `base` (the totals
        of the last completed run), the elements and edges are counted from those instead of over every row; the
        files are always counted (few rows).
        """
        files = self.conn.execute(
            "SELECT count(*) FILTER (WHERE skipped_reason IS NULL), count(*) FILTER (WHERE skipped_reason IS NOT NULL),"
            " coalesce(sum(total_lines), 0), coalesce(sum(code_lines), 0), coalesce(sum(comment_lines), 0),"
            " coalesce(sum(blank_lines), 0), coalesce(sum(parse_error_count), 0), avg(maintainability_index)"
            " FROM file_analysis WHERE codebase_id = %s",
            (codebase_id,),
        ).fetchone()
        assert files is not None
        edge_counts: Iterable[tuple[str, bool, int]]
        if change is not None and change.replaced_all:
            base = {"elements": {}, "relationships": {}, "calls": {"resolved": 0, "unresolved": 0}}
        if base is not None and change is not None:
            counted = Counter(base["elements"])
            counted.update(change.elements)
            elements = {kind: n for kind, n in sorted(counted.items()) if n > 0}
            relationships, calls = dict(base["relationships"]), dict(base["calls"])
            edge_counts = [(kind, resolved, n) for (kind, resolved), n in change.edges.items()]
        else:
            elements = dict(self.conn.execute(
                "SELECT kind, count(*) FROM code_elements WHERE codebase_id = %s GROUP BY kind ORDER BY kind",
                (codebase_id,)).fetchall())
            relationships, calls = {}, {"resolved": 0, "unresolved": 0}
            edge_counts = self.conn.execute(
                "SELECT kind, resolved, count(*) FROM relationships WHERE codebase_id = %s GROUP BY 1, 2", (codebase_id,)
            ).fetchall()
        for kind, resolved, n in edge_counts:
            relationships[kind] = relationships.get(kind, 0) + n
            if kind == "calls":
                calls["resolved" if resolved else "unresolved"] += n
        relationships = {kind: n for kind, n in relationships.items() if n > 0}
        languages = dict(self.conn.execute(
            "SELECT language, count(*) FROM file_analysis WHERE codebase_id = %s AND skipped_reason IS NULL"
            " GROUP BY 1 ORDER BY 2 DESC",
            (codebase_id,),
        ).fetchall())
        return {
            "files": files[0], "skipped_files": files[1], "total_lines": files[2], "code_lines": files[3],
            "comment_lines": files[4], "blank_lines": files[5], "parse_errors": files[6],
            "maintainability_index": None if files[7] is None else round(float(files[7]), 2),
            "elements": elements, "relationships": relationships, "calls": calls, "languages": languages,
        }

    def complete_run(self, run: Run, summary: Mapping[str, Any], totals: Mapping[str, Any],
                     findings: Mapping[str, Any]) -> None:
        """Mark the run completed with its counts, timings, metrics and findings (inside `transaction()`)."""
        elements = sum(totals["elements"].values())
        relationships = sum(totals["relationships"].values())
        metrics = findings.get("metrics", {})
        self.conn.execute(
            "UPDATE analysis_runs SET status = 'completed', phase_timings = %s, files_discovered = %s,"
            " files_analyzed = %s, files_skipped = %s, elements_found = %s, relationships_found = %s,"
            " external_dependencies_found = (SELECT count(*) FROM external_dependencies WHERE codebase_id = %s),"
            " total_lines = %s, overall_complexity = %s, overall_maintainability = %s, commit_hash = %s, branch = %s,"
            " metadata = %s WHERE id = %s",
            (
                json.dumps({k: round(v * 1000, 1) for k, v in summary.get("seconds", {}).items()}),
                summary.get("files_discovered", 0), summary.get("files_analyzed", 0), totals["skipped_files"],
                elements, relationships, run.codebase_id, totals["total_lines"],
                metrics.get("mean_cyclomatic_complexity"), totals["maintainability_index"],
                summary.get("commit"), summary.get("branch"),
                json.dumps(dict(findings) | {"changes": summary.get("changes", {}), "totals": totals}, default=str),
                run.id,
            ),
        )
        self.conn.execute(
            "UPDATE codebases SET last_run_id = %s, last_analyzed_at = now(), analysis_status = 'completed',"
            " total_files = %s, total_lines = %s, total_functions = %s, total_classes = %s,"
            " complexity_score = %s, maintainability_index = %s, languages = %s, commit_hash = %s, branch = %s"
            " WHERE id = %s",
            (
                run.id, totals["files"], totals["total_lines"],
                totals["elements"].get("function", 0) + totals["elements"].get("method", 0),
                sum(totals["elements"].get(k, 0) for k in TYPE_KINDS), metrics.get("mean_cyclomatic_complexity"),
                totals["maintainability_index"], json.dumps(totals["languages"]), summary.get("commit"),
                summary.get("branch"), run.codebase_id,
            ),
        )


def _tool_version() -> str:
    from graph_sitter import __version__

    return __version__
