"""Plain, picklable data shared by the walker, the extractor, the resolver and the stores.

Nothing here touches tree-sitter: worker processes return these objects to the main process.

Conventions
-----------
* Lines are 1-based and inclusive; columns are 0-based **byte** columns; ``start_byte``/``end_byte``
  are offsets into the file's bytes as read from disk (tree-sitter works on bytes, and a UTF-8 BOM is
  kept in the offsets).
* ``Element.parent`` and ``Reference.source`` are indexes into the same ``FileResult.elements``
  list. Index 0 is always the file's ``module`` element when the file was analysed.
* ``qualified_name`` is not unique: a conditional redefinition (``if PY2: def f()`` / ``else:
  def f()``) or an ``@overload`` gives two elements with one name. ``(file_path, start_byte, kind)``
  is unique.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields

# Element kinds. "module" is the file itself (or an inline Rust ``mod``/TypeScript ``namespace``).
ELEMENT_KINDS = (
    "module", "class", "interface", "struct", "enum", "trait", "type_alias",
    "function", "method", "variable", "constant", "import",
)
FUNCTION_KINDS = frozenset({"function", "method"})
TYPE_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "type_alias"})
# A call or import found inside one of these is attributed to it; elsewhere to the module.
SOURCE_KINDS = frozenset({"module", "class", "interface", "struct", "enum", "trait", "function", "method"})

REFERENCE_KINDS = ("call", "import", "inherit", "implement", "decorate")
VISIBILITIES = ("public", "private", "protected", "internal")


@dataclass(slots=True)
class Element:
    """One named definition in a file: module, type, function, variable or import."""

    kind: str
    name: str
    qualified_name: str
    language: str
    file_path: str
    start_line: int
    end_line: int
    start_col: int
    end_col: int
    start_byte: int
    end_byte: int
    parent: int | None = None
    signature: str | None = None
    docstring: str | None = None
    visibility: str = "public"
    is_async: bool = False
    is_static: bool = False
    is_abstract: bool = False
    is_exported: bool = False
    decorators: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    return_type: str | None = None
    # Metrics, set for functions and methods only (None for every other kind).
    cyclomatic_complexity: int | None = None
    nloc: int | None = None
    token_count: int | None = None
    parameter_count: int | None = None
    max_nesting_depth: int | None = None


@dataclass(slots=True)
class Reference:
    """A name used at a site, unresolved; the resolver turns it into a relationship.

    ``name`` is the callee/base/decorator as written, dotted, with whitespace removed:
    ``self.save``, ``os.path.join``, ``Foo``, ``super().run``, ``this.render``, ``S::new`` (Rust keeps
    ``::``). A call result in the chain is written ``f()`` and a subscript ``x[]`` (``a[0].b()`` ->
    ``a[].b``); any other expression base is written ``?`` (``"".join(x)`` -> ``?.join``).
    A JavaScript ``new Foo()`` and a Java ``new Foo()`` are calls named ``Foo``; an explicit
    ``super(...)``/``this(...)`` constructor call is named ``super``/``this``.

    Imports (``kind == "import"``): ``name`` is what the import binds or names last (the alias, else the
    imported member, else the module: ``z`` for ``from x import y as z``, ``os.path`` for
    ``import os.path``, ``*`` for a star import). ``module`` is the module as written without the leading dots of a
    Python relative import (``level`` counts them), or the JS/TS specifier (``./util``), the Go import
    path, the Java package or type path, the Rust path before the last segment. ``imported_name`` is
    the imported member (None for ``import x`` / a side-effect import / a Go import; ``"*"`` for star
    imports; ``"default"`` for a JS default import), ``alias`` the local ``as`` name, ``reexport`` is
    True for JS/TS ``export ... from`` and Rust ``pub use``.
    """

    kind: str
    source: int  # the innermost enclosing function, method, class or other type; else 0 (the module)
    name: str
    line: int
    module: str | None = None
    imported_name: str | None = None
    alias: str | None = None
    level: int = 0
    reexport: bool = False


_ELEMENT_FIELDS = tuple(f.name for f in fields(Element))
_REFERENCE_FIELDS = tuple(f.name for f in fields(Reference))
_element_row = operator.attrgetter(*_ELEMENT_FIELDS)
_reference_row = operator.attrgetter(*_REFERENCE_FIELDS)


def _rebuild_file_result(state: tuple, element_rows: list[tuple], reference_rows: list[tuple]) -> "FileResult":
    result = FileResult(*state)
    result.elements = [Element(*row) for row in element_rows]
    result.references = [Reference(*row) for row in reference_rows]
    return result


@dataclass(slots=True)
class FileResult:
    """Everything extracted from one file; ``skipped_reason``/``error`` explain a file without results.

    ``content_hash`` is ``hashlib.blake2b(data, digest_size=16).hexdigest()`` of the raw bytes.
    ``code_lines + comment_lines + blank_lines == total_lines``; a documentation string standing alone
    as a statement (a Python docstring) counts as comment lines.
    """

    path: str
    language: str | None
    content_hash: str | None = None
    size_bytes: int = 0
    total_lines: int = 0
    code_lines: int = 0
    comment_lines: int = 0
    blank_lines: int = 0
    parse_error_count: int = 0
    maintainability_index: float | None = None
    elements: list[Element] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    skipped_reason: str | None = None
    error: str | None = None

    def __reduce__(self) -> tuple:
        # Rows of plain tuples pickle several times faster than per-object dataclass state, and a
        # worker returns thousands of elements per file.
        state = (
            self.path, self.language, self.content_hash, self.size_bytes, self.total_lines,
            self.code_lines, self.comment_lines, self.blank_lines, self.parse_error_count,
            self.maintainability_index, [], [], self.skipped_reason, self.error,
        )
        return (
            _rebuild_file_result,
            (state, [_element_row(e) for e in self.elements], [_reference_row(r) for r in self.references]),
        )
