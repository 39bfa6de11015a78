"""Reading the fixture repositories for the extraction tests."""

from __future__ import annotations

from pathlib import Path

from graph_sitter.codebase.extract import extract_file
from graph_sitter.codebase.model import FileResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def extract_fixture(language: str, path: str) -> FileResult:
    """Extract fixtures/<language>/<path>."""
    return extract_file(str(FIXTURES / language), path)


def outline(result: FileResult) -> list[tuple]:
    """(kind, qualified name, start line, end line, parent's qualified name) of every element."""
    elements = result.elements
    return [
        (e.kind, e.qualified_name, e.start_line, e.end_line,
         elements[e.parent].qualified_name if e.parent is not None else None)
        for e in elements
    ]


def element(result: FileResult, qualified_name: str, kind: str | None = None):
    """The one element with this qualified name (and kind)."""
    found = [e for e in result.elements if e.qualified_name == qualified_name and (kind is None or e.kind == kind)]
    assert len(found) == 1, (qualified_name, kind, [(e.kind, e.qualified_name) for e in found])
    return found[0]


def references(result: FileResult, kind: str) -> list[tuple]:
    """(source qualified name, name, line) of the references of one kind, in order."""
    return [
        (result.elements[r.source].qualified_name, r.name, r.line)
        for r in result.references
        if r.kind == kind
    ]


def imports(result: FileResult) -> list[tuple]:
    """(source qualified name, module, imported name, alias, level, reexport, line) of every import."""
    return [
        (result.elements[r.source].qualified_name, r.module, r.imported_name, r.alias, r.level, r.reexport, r.line)
        for r in result.references
        if r.kind == "import"
    ]


def metrics(result: FileResult, qualified_name: str) -> tuple:
    """(cyclomatic complexity, nloc, parameter count, max nesting depth) of one function."""
    e = element(result, qualified_name)
    return (e.cyclomatic_complexity, e.nloc, e.parameter_count, e.max_nesting_depth)
