"""Context sources: named providers of render variables. `codebase` brings a symbol's source text, callers,
callees and metrics from codebase_db into a prompt's context, under the keys `codebase` and `symbol`."""

from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import psycopg

from graph_sitter.prompts.errors import ContextSourceError


@dataclass(frozen=True)
class ContextSourceSpec:
    """How a context source is registered in prompts_db (a row of context_sources)."""

    name: str
    context_type: str
    description: str
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContextResult:
    """What one context source gave a render: values merged into the context, and what to record about it."""

    spec: ContextSourceSpec
    values: dict[str, Any]
    portion: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


CODEBASE_SOURCE = ContextSourceSpec(
    name="codebase",
    context_type="code",
    description="A symbol of an analysed codebase: source text, callers, callees and metrics from codebase_db",
    config={"database": "codebase_db", "parameters": ["codebase", "symbol"], "provides": ["codebase", "symbol"]},
)
#: Every built-in context source, by name.
CONTEXT_SOURCES: dict[str, ContextSourceSpec] = {CODEBASE_SOURCE.name: CODEBASE_SOURCE}
METRIC_NAMES = ("cyclomatic_complexity", "nloc", "token_count", "parameter_count", "max_nesting_depth")


def codebase_context(settings: Any, codebase: str, symbol: str, max_edges: int = 50) -> ContextResult:
    """The `codebase` context for `symbol` (a qualified name or a name) of an analysed codebase (name or path)."""
    from graph_sitter.adapters.setup import ensure_ready

    with ensure_ready(settings).connect("codebase_db", autocommit=True) as conn:
        return codebase_context_from(conn, codebase, symbol, max_edges)


def codebase_context_from(conn: psycopg.Connection[Any], codebase: str, symbol: str, max_edges: int = 50) -> ContextResult:
    """Like codebase_context, over an open codebase_db connection."""
    from graph_sitter.adapters.codebase_db_adapter import CodebaseStore
    from graph_sitter.adapters.codebase_db_queries import CodebaseQueries
    from graph_sitter.adapters.prompts_db import symbol_details

    found = CodebaseStore(conn).get_codebase(codebase)
    queries = CodebaseQueries(conn, found.id)
    candidates = queries.find_elements(symbol)
    if not candidates:
        raise ContextSourceError(f"no symbol {symbol!r} in codebase {found.name!r}")
    names = sorted({c.qualified_name for c in candidates})
    if len(names) > 1:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise ContextSourceError(f"symbol {symbol!r} is ambiguous in codebase {found.name!r}: {shown}; give a qualified name")
    # One qualified name can still have several definitions (conditional or @overload): the first one speaks for it.
    details = symbol_details(conn, found.id, candidates[0].id)
    source, stale, problem = read_source(found.root_path, details.file_path, details.start_byte, details.end_byte,
                                         details.start_line, details.end_line, details.file_content_hash)

    callers = [
        {"qualified_name": e.source, "file": e.file_path, "line": e.line, "location": _location(e.file_path, e.line)}
        for e in queries.callers(details.qualified_name)
    ]
    definitions: dict[str, str | None] = {}

    def definition(target: str) -> str | None:
        if target not in definitions:
            hits = [h for h in queries.find_elements(target) if h.qualified_name == target]
            definitions[target] = _location(hits[0].file_path, hits[0].start_line) if hits else None
        return definitions[target]

    callees = [
        {"qualified_name": e.target, "resolved": e.resolved, "file": e.file_path, "line": e.line,
         "location": _location(e.file_path, e.line), "definition": definition(e.target) if e.resolved else None}
        for e in queries.callees(details.qualified_name)
    ]
    values = {
        "codebase": {"name": found.name, "root_path": found.root_path},
        "symbol": {
            "name": details.name, "qualified_name": details.qualified_name, "kind": details.kind,
            "language": details.language, "file": details.file_path, "start_line": details.start_line,
            "end_line": details.end_line, "location": _location(details.file_path, details.start_line),
            "signature": details.signature, "docstring": details.docstring,
            "source": source, "source_stale": stale, "source_problem": problem,
            "metrics": {k: details.metrics.get(k) for k in METRIC_NAMES},
            "callers": callers[:max_edges], "callers_total": len(callers),
            "callees": callees[:max_edges], "callees_total": len(callees),
        },
    }
    metadata = {"codebase": found.name, "codebase_id": str(found.id), "symbol": details.qualified_name,
                "file": details.file_path, "lines": [details.start_line, details.end_line],
                "callers": len(callers), "callees": len(callees), "source_stale": stale}
    return ContextResult(CODEBASE_SOURCE, values, details.qualified_name, metadata)


def _location(file_path: str | None, line: int | None) -> str | None:
    if file_path is None:
        return None
    return f"{file_path}:{line}" if line is not None else file_path


def read_source(root_path: str | None, file_path: str, start_byte: int | None, end_byte: int | None,
                start_line: int | None, end_line: int | None, content_hash: str | None) -> tuple[str | None, bool, str | None]:
    """An element's text from the file on disk: (source, stale, problem).

    While the file still has the bytes that were analysed (same blake2b-128 hash as file_analysis) the byte
    range is exact; after an edit the stored line range is used instead and `stale` is True.
    """
    if root_path is None:
        return None, False, "the codebase has no root path"
    path = Path(root_path) / file_path
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, False, f"cannot read {path}: {exc.strerror or exc}"
    stale = content_hash is not None and hashlib.blake2b(data, digest_size=16).hexdigest() != content_hash
    if not stale and start_byte is not None and end_byte is not None:
        # start at the beginning of the line, so a method's first line is indented like the rest before dedent
        line_start = data.rfind(b"\n", 0, start_byte) + 1
        prefix = data[line_start:start_byte]
        begin = line_start if not prefix.strip() else start_byte
        text = data[begin:end_byte].decode("utf-8", errors="replace")
    elif start_line is not None and end_line is not None:
        lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
        text = "".join(lines[start_line - 1:end_line])
    else:
        return None, stale, "the element has no position"
    return textwrap.dedent(text).rstrip("\n") + "\n", stale, ("the file changed since the last analysis" if stale else None)
