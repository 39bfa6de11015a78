"""Codebase: the in-memory view of one analysed repository, shaped like graph-sitter's (codegen) `Codebase`.

Three ways in, one object out:

* `Codebase.from_path(path)` walks, extracts (on all cores) and resolves the repository; no database.
* `Codebase.from_results(root, files, edges)` wraps FileResults and resolver Edges you already have.
* `Codebase.from_db(ref)` loads the current run of an analysed codebase (a name, or the path that was analysed)
  from codebase_db.

The same repository gives the same view all three ways: the same symbols, the same node ids, the same edges.

Objects
-------
`SourceFile` (one analysed file), `Symbol` and its kinds (`Module`, `Class`, `Interface`, `TypeAlias`,
`Function`, `GlobalVar`, `Import`), `ExternalModule` (a package imported from outside the codebase). They are
thin handles created on demand and cached, so a Codebase of the CPython standard library (94k elements, 453k
relationships) costs little until something is asked for; the reverse indexes behind `.callers`, `.usages`,
`.subclasses` and the networkx `.graph` are each built on first use, in one pass.

Collections (graph-sitter names, with our element kinds):

* `.functions`: every function and method (graph-sitter lists top-level functions only); `.classes`: every
  class-like element (class, interface, struct, enum, trait, type alias), nested ones included;
* `.symbols`: the top-level definitions (classes and other types, functions, module variables and constants);
* `.imports`: every import element; `.global_vars`, `.interfaces`, `.external_modules`.

Lookups: `get_file(path)` takes the path relative to the root (or an absolute path under it).
`get_symbol(name)` tries, in order, the exact qualified name, the tail of one (`Invoice.render`), the simple
name among top-level symbols, the simple name among all definitions, and last a module's qualified name; the
first step with matches decides. No match raises SymbolNotFoundError, several raise AmbiguousSymbolError
listing them; both are KeyError and ValueError (graph-sitter raised ValueError). `optional=True` turns a miss
into None. `get_function` and `get_class` do the same among functions/methods and class-like kinds.

Edges on a symbol: `.callers`/`.call_sites` (calls resolved to it; for a class, also the calls of its
constructor that name the class, `Foo()`), `.function_calls` and `.dependencies` (what its code, nested code
included, calls or uses), `.usages`/`.symbol_usages` (every resolved use; an import's user is the Import
element), `.superclasses`/`.subclasses`. `.source` is read from the file under the root and is None when the
file is gone or its content hash no longer matches the analysis (offsets would be wrong).

`.graph` (networkx MultiDiGraph)
--------------------------------
Node ids are readable and stable across runs and across from_path/from_db: ``"<file>:<kind>:<qualified_name>"``,
with ``"#<n>"`` appended to the n-th (n >= 1) repeat of the same kind and qualified name in one file (an
``@overload``, a conditional redefinition), numbered as `codebase_db_adapter.element_ids` numbers them. Node
attributes: kind, name, qualified_name, language, file, start_line, end_line, for functions and methods also
cyclomatic_complexity and nloc, and element_id (the codebase_db uuid) when the codebase came from the database
or from_results was given its codebase id. Other nodes:

* ``"external:<ecosystem>:<package>"``, kind 'external': an import resolved outside the codebase;
* ``"unresolved:<name as written>"``, kind 'unresolved': the target of every call, base, decorator or import
  that did not resolve (leave them out with `to_graph(unresolved=False)`).

Edges have key = kind ('contains', 'imports', 'calls', 'inherits', 'implements', 'decorates') and attributes
kind, resolved, count (how many sites: the same call written three times is one edge with count 3) and line
(the first site's line). `contains` goes from parent to child; the others from the element where the name is
written (the innermost enclosing function, class or module) to what it names.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
import textwrap
import uuid
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, NamedTuple, Sequence

from graph_sitter.codebase.collector import collector_paused
from graph_sitter.codebase.model import FUNCTION_KINDS, TYPE_KINDS, Element, FileResult
from graph_sitter.errors import GraphSitterError

if TYPE_CHECKING:
    import networkx as nx

    from graph_sitter.codebase.resolve import Edge
    from graph_sitter.config import Settings

__all__ = [
    "AmbiguousSymbolError", "Call", "CallSite", "Class", "Codebase", "CodebaseLookupError", "ExternalModule",
    "Function", "GlobalVar", "Import", "Interface", "Module", "Relationship", "SourceFile", "Symbol",
    "SymbolNotFoundError", "TypeAlias", "Usage",
]

INTERFACE_KINDS = frozenset({"interface", "trait"})
VARIABLE_KINDS = frozenset({"variable", "constant"})
#: Kinds that `Codebase.symbols` (top-level definitions) lists.
SYMBOL_KINDS = TYPE_KINDS | VARIABLE_KINDS | {"function"}
#: Kinds `get_symbol` looks among: every definition (imports are not definitions).
_DEFINITION_KINDS = TYPE_KINDS | VARIABLE_KINDS | FUNCTION_KINDS | {"module"}
_CONSTRUCTOR_NAMES = ("__init__", "constructor")
_SEGMENT = re.compile(r"\.|::")


class CodebaseLookupError(GraphSitterError, KeyError, ValueError):
    """A file or symbol lookup failed; a KeyError and a ValueError (graph-sitter raises ValueError)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SymbolNotFoundError(CodebaseLookupError):
    """No file or symbol has that name."""


class AmbiguousSymbolError(CodebaseLookupError):
    """Several symbols have that name; the message lists them."""


class CallSite(NamedTuple):
    """A place where a symbol is called: the calling symbol, its file and line, and the callee as written."""

    caller: "Symbol"
    file: str
    line: int
    name: str


class Call(NamedTuple):
    """A call made by a symbol (or code nested in it): callee as written, line, target when resolved."""

    caller: "Symbol"
    name: str
    line: int
    target: "Symbol | None"
    resolved: bool


class Usage(NamedTuple):
    """One use of a symbol: the edge kind, who uses it (a Symbol, or the Import that imports it), file and line."""

    kind: str
    user: "Symbol"
    file: str
    line: int
    name: str


class Relationship(NamedTuple):
    """One stored relationship: target is a Symbol, an ExternalModule, or None when unresolved."""

    kind: str
    source: "Symbol"
    target: "Symbol | ExternalModule | None"
    target_name: str
    line: int
    resolved: bool


# Internal edge rows: (kind, source g, target g or -1, target name as written, (ecosystem, package) or None,
# line, resolved). `contains` edges are not stored: they are the elements' parents.
_KIND, _SRC, _TGT, _NAME, _EXT, _LINE, _RESOLVED = range(7)


def _last_segment(name: str) -> str:
    return _SEGMENT.split(name)[-1]


def _is_instantiation(target_name: str) -> bool:
    """A call resolved to a constructor names the class (`Foo()`, `new Foo`, `cls()`), not `super().__init__`."""
    if target_name in ("super", "this") or target_name.startswith(("super(", "super.", "this.", "self.")):
        return False
    return _last_segment(target_name) not in _CONSTRUCTOR_NAMES


# ---------------------------------------------------------------------------------------------------------------
# Handles
# ---------------------------------------------------------------------------------------------------------------
class ExternalModule:
    """A package imported from outside the codebase (graph-sitter's ExternalModule)."""

    __slots__ = ("codebase", "ecosystem", "name")

    def __init__(self, codebase: "Codebase", ecosystem: str, name: str) -> None:
        self.codebase = codebase
        self.ecosystem = ecosystem
        self.name = name

    @property
    def node_id(self) -> str:
        """Its node in `Codebase.graph`."""
        return f"external:{self.ecosystem}:{self.name}"

    @property
    def usages(self) -> list[Usage]:
        """The import sites that resolve to this package."""
        cb = self.codebase
        out = []
        for i in cb._external_edges().get((self.ecosystem, self.name), ()):
            row = cb._edges[i]
            out.append(Usage(row[_KIND], cb._import_user(i), cb._elements[row[_SRC]].file_path, row[_LINE], row[_NAME]))
        return sorted(out, key=lambda u: (u.file, u.line))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExternalModule) and other.codebase is self.codebase \
            and (other.ecosystem, other.name) == (self.ecosystem, self.name)

    def __hash__(self) -> int:
        return hash((id(self.codebase), self.ecosystem, self.name))

    def __repr__(self) -> str:
        return f"<ExternalModule {self.ecosystem}:{self.name}>"


class Symbol:
    """One element of the codebase (a definition or an import); subclasses say which kind."""

    __slots__ = ("codebase", "_g", "_e")

    def __init__(self, codebase: "Codebase", g: int) -> None:
        self.codebase = codebase
        self._g = g
        self._e: Element = codebase._elements[g]

    # -- identity ----------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The name as defined (for an import: the name it binds)."""
        return self._e.name

    @property
    def qualified_name(self) -> str:
        """The language's natural dotted path from the analysis root (`pkg.mod.Class.method`)."""
        return self._e.qualified_name

    @property
    def kind(self) -> str:
        """The element kind: module, class, interface, struct, enum, trait, type_alias, function, method, ..."""
        return self._e.kind

    @property
    def language(self) -> str:
        """The file's language."""
        return self._e.language

    @property
    def filepath(self) -> str:
        """The file's path relative to the root."""
        return self._e.file_path

    @property
    def file(self) -> "SourceFile":
        """The file it is defined in."""
        return self.codebase.get_file(self._e.file_path)

    @property
    def node_id(self) -> str:
        """Its node in `Codebase.graph` (stable across runs and across from_path/from_db)."""
        return self.codebase._node_id(self._g)

    @property
    def element_id(self) -> str | None:
        """The codebase_db element id (uuid text), when known."""
        ids = self.codebase._element_ids
        return ids[self._g] if ids is not None else None

    @property
    def element(self) -> Element:
        """The underlying model.Element."""
        return self._e

    # -- position and text -------------------------------------------------------------------------------------
    @property
    def start_line(self) -> int:
        """First line, 1-based."""
        return self._e.start_line

    @property
    def end_line(self) -> int:
        """Last line, 1-based, inclusive."""
        return self._e.end_line

    @property
    def line_range(self) -> range:
        """range(start_line, end_line + 1)."""
        return range(self._e.start_line, self._e.end_line + 1)

    @property
    def source(self) -> str | None:
        """Its text, read from the file; None when the file is gone or changed since the analysis."""
        data = self.codebase._file_bytes(self._e.file_path)
        if data is None:
            return None
        return data[self._e.start_byte:self._e.end_byte].decode("utf-8", errors="replace")

    @property
    def signature(self) -> str | None:
        """The declaration line(s) as written, when extracted."""
        return self._e.signature

    @property
    def docstring(self) -> str | None:
        """The documentation string or comment, when extracted."""
        return self._e.docstring

    @property
    def decorators(self) -> tuple[str, ...]:
        """Decorators / annotations / attributes as written."""
        return self._e.decorators

    @property
    def visibility(self) -> str:
        """public, private, protected or internal."""
        return self._e.visibility

    @property
    def is_exported(self) -> bool:
        """Exported from its module by the language's rules."""
        return self._e.is_exported

    @property
    def metrics(self) -> dict[str, Any]:
        """Per-function metrics (None values for other kinds)."""
        e = self._e
        return {
            "cyclomatic_complexity": e.cyclomatic_complexity, "nloc": e.nloc, "token_count": e.token_count,
            "parameter_count": e.parameter_count, "max_nesting_depth": e.max_nesting_depth,
        }

    # -- structure ---------------------------------------------------------------------------------------------
    @property
    def parent(self) -> "Symbol | None":
        """The enclosing definition; None for the module and for module-level symbols."""
        p = self.codebase._parent_g(self._g)
        if p < 0 or self.codebase._elements[p].parent is None:
            return None
        return self.codebase._symbol(p)

    @property
    def module(self) -> "Module | None":
        """The file's module element."""
        file = self.file
        return file.module

    @property
    def is_top_level(self) -> bool:
        """Defined directly in its file's module."""
        e = self._e
        return e.parent == 0 and e.kind != "module"

    @property
    def children(self) -> list["Symbol"]:
        """Elements directly inside it, in document order."""
        cb = self.codebase
        return [cb._symbol(c) for c in cb._children()[self._g]]

    @property
    def descendants(self) -> list["Symbol"]:
        """Every element inside it."""
        cb = self.codebase
        return [cb._symbol(c) for c in cb._subtree(self._g)[1:]]

    # -- edges out ---------------------------------------------------------------------------------------------
    def _outgoing(self, kinds: Iterable[str] | None = None, nested: bool = True) -> list[tuple]:
        cb = self.codebase
        out_index = cb._out_index()
        sources = cb._subtree(self._g) if nested else [self._g]
        wanted = None if kinds is None else frozenset(kinds)
        rows = [cb._edges[i] for s in sources for i in out_index.get(s, ())]
        if wanted is not None:
            rows = [r for r in rows if r[_KIND] in wanted]
        return sorted(rows, key=lambda r: (r[_LINE], r[_KIND], r[_NAME]))

    @property
    def function_calls(self) -> list[Call]:
        """Calls written in it (nested functions included), in line order; target None when unresolved."""
        cb = self.codebase
        return [
            Call(cb._symbol(r[_SRC]), r[_NAME], r[_LINE], cb._symbol(r[_TGT]) if r[_TGT] >= 0 else None, r[_RESOLVED])
            for r in self._outgoing(("calls",))
        ]

    @property
    def dependencies(self) -> list["Symbol | ExternalModule"]:
        """What it uses: distinct resolved targets of its imports, calls, bases and decorators (nested code
        included; targets inside itself left out; `Foo()` counts as using class Foo), in line order."""
        cb = self.codebase
        inside = set(cb._subtree(self._g))
        seen: set = set()
        out: list[Symbol | ExternalModule] = []
        for r in self._outgoing():
            if not r[_RESOLVED]:
                continue
            if r[_TGT] >= 0:
                target = cb._instantiated_class(r[_TGT], r[_NAME]) if r[_KIND] == "calls" else r[_TGT]
                if target in inside or target in seen:
                    continue
                seen.add(target)
                out.append(cb._symbol(target))
            elif r[_EXT] is not None and r[_EXT] not in seen:
                seen.add(r[_EXT])
                out.append(ExternalModule(cb, *r[_EXT]))
        return out

    # -- edges in ----------------------------------------------------------------------------------------------
    def _incoming_indexes(self) -> list[int]:
        return list(self.codebase._in_index().get(self._g, ()))

    @property
    def call_sites(self) -> list[CallSite]:
        """Every call that resolves to it, sorted by file and line."""
        cb = self.codebase
        sites = []
        for i in self._call_edge_indexes():
            r = cb._edges[i]
            sites.append(CallSite(cb._symbol(r[_SRC]), cb._elements[r[_SRC]].file_path, r[_LINE], r[_NAME]))
        return sorted(sites, key=lambda s: (s.file, s.line, s.caller.qualified_name))

    def _call_edge_indexes(self) -> list[int]:
        edges = self.codebase._edges
        return [i for i in self._incoming_indexes() if edges[i][_KIND] == "calls"]

    @property
    def callers(self) -> list["Symbol"]:
        """The distinct symbols that call it, in call-site order."""
        seen: dict[int, Symbol] = {}
        for site in self.call_sites:
            seen.setdefault(site.caller._g, site.caller)
        return list(seen.values())

    def _usage_edge_indexes(self) -> list[int]:
        return self._incoming_indexes()

    @property
    def usages(self) -> list[Usage]:
        """Every resolved use of it: calls, imports, bases, decorators; an import's user is the Import element."""
        cb = self.codebase
        out = []
        for i in self._usage_edge_indexes():
            r = cb._edges[i]
            out.append(Usage(r[_KIND], cb._import_user(i), cb._elements[r[_SRC]].file_path, r[_LINE], r[_NAME]))
        return sorted(out, key=lambda u: (u.file, u.line, u.kind, u.user.qualified_name))

    @property
    def symbol_usages(self) -> list["Symbol"]:
        """The distinct users (Symbols and Imports) of it, in usage order (graph-sitter's symbol_usages)."""
        seen: dict[int, Symbol] = {}
        for u in self.usages:
            seen.setdefault(u.user._g, u.user)
        return list(seen.values())

    # -- python protocol ---------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Symbol) and other.codebase is self.codebase and other._g == self._g

    def __hash__(self) -> int:
        return hash((id(self.codebase), self._g))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._e.qualified_name} ({self._e.file_path}:{self._e.start_line})>"


class Module(Symbol):
    """A file's module element (or an inline module / namespace)."""

    __slots__ = ()


class Function(Symbol):
    """A function or method."""

    __slots__ = ()

    @property
    def is_method(self) -> bool:
        """True for methods."""
        return self._e.kind == "method"

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names as written (`self` included)."""
        return self._e.parameters

    @property
    def return_type(self) -> str | None:
        """The declared return type, when written."""
        return self._e.return_type

    @property
    def is_async(self) -> bool:
        """async function."""
        return self._e.is_async

    @property
    def is_static(self) -> bool:
        """static method."""
        return self._e.is_static

    @property
    def is_abstract(self) -> bool:
        """abstract method."""
        return self._e.is_abstract

    @property
    def cyclomatic_complexity(self) -> int | None:
        """Cyclomatic complexity, lizard's counting rules."""
        return self._e.cyclomatic_complexity

    @property
    def nloc(self) -> int | None:
        """Lines of code without comments and blank lines."""
        return self._e.nloc

    @property
    def return_statement_count(self) -> int | None:
        """How many return statements it has (nested functions excluded); Python only, else None."""
        if self._e.language != "python":
            return None
        return _python_return_count(self)


class Class(Symbol):
    """A class, struct or enum (and, through subclasses, interfaces, traits and type aliases)."""

    __slots__ = ()

    @property
    def methods(self) -> list[Function]:
        """Its methods, including Go/Rust methods declared in another file, in document order."""
        cb = self.codebase
        own = [c for c in cb._children()[self._g] if cb._elements[c].kind == "method"]
        detached = [g for g in cb._detached_methods().get(self._e.qualified_name, ())
                    if cb._elements[g].language == self._e.language]
        return [cb._symbol(g) for g in own + detached]  # type: ignore[misc]

    @property
    def attributes(self) -> list[GlobalVar]:
        """Fields/constants declared directly in it (where the language's extractor records them)."""
        cb = self.codebase
        return [cb._symbol(c) for c in cb._children()[self._g] if cb._elements[c].kind in VARIABLE_KINDS]  # type: ignore[misc]

    @property
    def constructors(self) -> list[Function]:
        """Its constructors: `__init__`, `constructor`, or (Java) methods named like the class."""
        names = (*_CONSTRUCTOR_NAMES, self._e.name)
        return [m for m in self.methods if m.name in names]

    @property
    def parent_class_names(self) -> list[str]:
        """The bases and implemented interfaces as written, resolved or not."""
        return [r[_NAME] for r in self._outgoing(("inherits", "implements"), nested=False)]

    @property
    def superclasses(self) -> list["Class"]:
        """The internal bases and interfaces it inherits from or implements, as resolved."""
        cb = self.codebase
        out: dict[int, Class] = {}
        for r in self._outgoing(("inherits", "implements"), nested=False):
            if r[_TGT] >= 0:
                out.setdefault(r[_TGT], cb._symbol(r[_TGT]))  # type: ignore[arg-type]
        return list(out.values())

    @property
    def subclasses(self) -> list["Class"]:
        """The classes that inherit from or implement it directly."""
        cb = self.codebase
        out: dict[int, Class] = {}
        for i in sorted(self._incoming_indexes(), key=lambda i: (cb._elements[cb._edges[i][_SRC]].file_path, cb._edges[i][_LINE])):
            r = cb._edges[i]
            if r[_KIND] in ("inherits", "implements"):
                out.setdefault(r[_SRC], cb._symbol(r[_SRC]))  # type: ignore[arg-type]
        return list(out.values())

    def _call_edge_indexes(self) -> list[int]:
        # Calls to a class resolve to its constructor; those naming the class (`Foo()`) are calls of the class.
        cb = self.codebase
        in_index = cb._in_index()
        edges = cb._edges
        out = [i for i in self._incoming_indexes() if edges[i][_KIND] == "calls"]
        for ctor in self.constructors:
            out.extend(i for i in in_index.get(ctor._g, ()) if edges[i][_KIND] == "calls"
                       and _is_instantiation(edges[i][_NAME]))
        return out

    def _usage_edge_indexes(self) -> list[int]:
        edges = self.codebase._edges
        return [i for i in self._incoming_indexes() if edges[i][_KIND] != "calls"] + self._call_edge_indexes()


class Interface(Class):
    """An interface or trait."""

    __slots__ = ()


class TypeAlias(Class):
    """A type alias."""

    __slots__ = ()


class GlobalVar(Symbol):
    """A module-level variable or constant (or a class field where the extractor records one)."""

    __slots__ = ()


class Import(Symbol):
    """An import element: `name` is what it binds."""

    __slots__ = ()

    def _edge(self) -> tuple | None:
        i = self.codebase._import_matches()[1].get(self._g)
        return None if i is None else self.codebase._edges[i]

    @property
    def module(self) -> str | None:
        """The module as written (`..models`, `./util`, `os.path`)."""
        r = self._edge()
        return None if r is None else r[_NAME]

    @property
    def imported_symbol(self) -> "Symbol | ExternalModule | None":
        """What it resolves to: an internal element (a module for `import pkg.mod`), an external package, or None."""
        r = self._edge()
        if r is None or not r[_RESOLVED]:
            return None
        if r[_TGT] >= 0:
            return self.codebase._symbol(r[_TGT])
        return ExternalModule(self.codebase, *r[_EXT]) if r[_EXT] is not None else None

    @property
    def is_external(self) -> bool:
        """Resolved to a package outside the codebase."""
        r = self._edge()
        return r is not None and r[_TGT] < 0 and r[_EXT] is not None


_HANDLE_BY_KIND: dict[str, type[Symbol]] = {
    "module": Module, "function": Function, "method": Function, "class": Class, "struct": Class, "enum": Class,
    "interface": Interface, "trait": Interface, "type_alias": TypeAlias, "variable": GlobalVar,
    "constant": GlobalVar, "import": Import,
}


def _multidigraph(name: str, nodes: dict[str, dict[str, Any]],
                  pairs: dict[tuple[str, str], dict[str, dict[str, Any]]]) -> "nx.MultiDiGraph":
    """A MultiDiGraph from node attributes and per-pair {key: attributes}.

    networkx's add_edges_from costs ~10 us an edge (3 s for the standard library); filling the adjacency dicts
    directly, as networkx itself lays them out (`_succ[u][v]` and `_pred[v][u]` share one key dict), takes a
    fraction of that. Other graph classes, or a networkx that lays them out differently, take the public path.
    """
    import networkx as nx

    graph = nx.MultiDiGraph(name=name)
    fast = all(isinstance(getattr(graph, attr, None), dict) for attr in ("_node", "_succ", "_pred", "_adj")) \
        and graph._adj is graph._succ and not graph._node
    if not fast:  # pragma: no cover - depends on the networkx version
        graph.add_nodes_from(nodes.items())
        graph.add_edges_from((u, v, k, d) for (u, v), by_kind in pairs.items() for k, d in by_kind.items())
        return graph
    succ: dict[str, dict[str, dict]] = {}
    pred: dict[str, dict[str, dict]] = {}
    for n in nodes:
        succ[n] = {}
        pred[n] = {}
    for (u, v), by_kind in pairs.items():
        succ[u][v] = by_kind
        pred[v][u] = by_kind
    graph._node.update(nodes)
    graph._succ.update(succ)
    graph._pred.update(pred)
    return graph


def _python_return_count(fn: Function) -> int | None:
    data = fn.codebase._file_bytes(fn.filepath)
    e = fn._e
    if data is None:
        return None
    line_start = data.rfind(b"\n", 0, e.start_byte) + 1
    text = (b" " * (e.start_byte - line_start) + data[e.start_byte:e.end_byte]).decode("utf-8", errors="replace")
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError:
        return None
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(defs) != 1:
        return None
    count = 0
    stack: list[ast.AST] = list(defs[0].body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            count += 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return count


class _SymbolCollections:
    """graph-sitter's collections, for a whole codebase or one file: each class supplies `_select`."""

    def _select(self, kinds: frozenset[str] | set[str], top_level: bool = False) -> list[Any]:
        raise NotImplementedError

    @property
    def symbols(self) -> list[Symbol]:
        """Top-level definitions: types, functions, module variables and constants (graph-sitter's symbols)."""
        return self._select(SYMBOL_KINDS, top_level=True)

    @property
    def functions(self) -> list[Function]:
        """Functions and methods, nested ones included."""
        return self._select(FUNCTION_KINDS)

    @property
    def classes(self) -> list[Class]:
        """Class-like elements (class, interface, struct, enum, trait, type alias), nested ones included."""
        return self._select(TYPE_KINDS)

    @property
    def interfaces(self) -> list[Interface]:
        """Interfaces and traits."""
        return self._select(INTERFACE_KINDS)

    @property
    def global_vars(self) -> list[GlobalVar]:
        """Module-level variables and constants."""
        return self._select(VARIABLE_KINDS, top_level=True)

    @property
    def imports(self) -> list[Import]:
        """Import elements."""
        return self._select({"import"})


class SourceFile(_SymbolCollections):
    """One analysed file (graph-sitter's SourceFile): `path` is relative to the root, `name` its stem."""

    __slots__ = ("codebase", "_r", "_start", "_stop")

    def __init__(self, codebase: "Codebase", result: FileResult, start: int) -> None:
        self.codebase = codebase
        self._r = result
        self._start = start
        self._stop = start + len(result.elements)

    @property
    def path(self) -> str:
        """Path relative to the analysis root, '/'-separated."""
        return self._r.path

    filepath = path
    file_path = path

    @property
    def name(self) -> str:
        """The file name without its extension (graph-sitter's File.name)."""
        return Path(self._r.path).stem

    @property
    def absolute_path(self) -> Path | None:
        """Where it is on disk, when the codebase root is known."""
        root = self.codebase.root
        return None if root is None else root / self._r.path

    @property
    def language(self) -> str | None:
        """Its language."""
        return self._r.language

    @property
    def lines(self) -> int:
        """Total lines."""
        return self._r.total_lines

    @property
    def content_hash(self) -> str | None:
        """blake2b-128 of its bytes at analysis time."""
        return self._r.content_hash

    @property
    def metrics(self) -> dict[str, Any]:
        """Size, line counts, parse errors and maintainability index."""
        r = self._r
        return {
            "size_bytes": r.size_bytes, "total_lines": r.total_lines, "code_lines": r.code_lines,
            "comment_lines": r.comment_lines, "blank_lines": r.blank_lines, "parse_error_count": r.parse_error_count,
            "maintainability_index": r.maintainability_index,
        }

    @property
    def source(self) -> str | None:
        """Its text; None when it is gone or changed since the analysis."""
        data = self.codebase._file_bytes(self._r.path)
        return None if data is None else data.decode("utf-8", errors="replace")

    content = source

    def _select(self, kinds: frozenset[str] | set[str], top_level: bool = False) -> list[Any]:
        cb = self.codebase
        elements = cb._elements
        return [cb._symbol(g) for g in range(self._start, self._stop)
                if elements[g].kind in kinds and (not top_level or elements[g].parent == 0)]

    @property
    def module(self) -> Module | None:
        """Its module element."""
        if self._stop == self._start:
            return None
        return self.codebase._symbol(self._start)  # type: ignore[return-value]

    @property
    def importers(self) -> list["SourceFile"]:
        """The other files that import this one or something defined in it."""
        cb = self.codebase
        return [cb.get_file(p) for p in sorted(cb._importers().get(self._r.path, ()))]

    @property
    def dependencies(self) -> list[Symbol | ExternalModule]:
        """What the file's code uses (its module's dependencies)."""
        module = self.module
        return [] if module is None else module.dependencies

    def get_symbol(self, name: str) -> Symbol:
        """A definition of this file by name or qualified name."""
        return self.codebase._lookup(name, _DEFINITION_KINDS, "symbol", only_file=self._r.path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SourceFile) and other.codebase is self.codebase and other._r.path == self._r.path

    def __hash__(self) -> int:
        return hash((id(self.codebase), self._r.path))

    def __repr__(self) -> str:
        return f"<SourceFile {self._r.path} ({self._r.language})>"


# ---------------------------------------------------------------------------------------------------------------
# Codebase
# ---------------------------------------------------------------------------------------------------------------
class Codebase(_SymbolCollections):
    """The in-memory view of one analysed codebase; see the module documentation."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None,
        files: Mapping[str, FileResult],
        edge_rows: list[tuple],
        *,
        name: str | None = None,
        codebase_id: uuid.UUID | None = None,
        element_ids: list[str] | None = None,
        origin: str = "results",
    ) -> None:
        """Internal: use from_path, from_results or from_db."""
        self.root = Path(root) if root is not None else None
        self.name = name or (self.root.name if self.root is not None else "codebase")
        self.codebase_id = codebase_id
        self.origin = origin
        self._results: dict[str, FileResult] = dict(files)
        self._paths = sorted(p for p, r in self._results.items() if r.skipped_reason is None)
        self._offsets: dict[str, int] = {}
        elements: list[Element] = []
        for p in self._paths:
            self._offsets[p] = len(elements)
            elements.extend(self._results[p].elements)
        self._elements = elements
        self._edges = edge_rows
        self._element_ids = element_ids
        self._handles: dict[int, Symbol] = {}
        self._file_handles: dict[str, SourceFile] = {}
        self._cache: dict[str, Any] = {}
        self._bytes_cache: dict[str, bytes | None] = {}

    # -- construction ------------------------------------------------------------------------------------------
    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str],
        jobs: int | None = None,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        max_file_size: int | None = None,
    ) -> "Codebase":
        """Walk, extract (on `jobs` worker processes, default all cores) and resolve a repository; no database."""
        from graph_sitter.codebase.extract import DEFAULT_MAX_FILE_SIZE, ExtractOptions
        from graph_sitter.codebase.pipeline import AnalysisError, extract_files
        from graph_sitter.codebase.resolve import Resolver
        from graph_sitter.codebase.walker import WalkOptions, walk_repository

        root = Path(path).expanduser()
        if not root.is_dir():
            raise AnalysisError(f"{path}: no such directory")
        root = root.resolve()
        size = max_file_size or DEFAULT_MAX_FILE_SIZE
        walked = walk_repository(str(root), WalkOptions(include=tuple(include), exclude=tuple(exclude), max_file_size=size))
        files: dict[str, FileResult] = {
            s.path: FileResult(path=s.path, language=s.language, skipped_reason=s.reason) for s in walked.skipped
        }
        paths = [f.path for f in walked.files]
        for result in extract_files(root, paths, ExtractOptions(max_file_size=size), jobs or os.cpu_count() or 1):
            files[result.path] = result
        analysed = {p: r for p, r in files.items() if r.skipped_reason is None}
        edges = Resolver(analysed).resolve()
        return cls.from_results(root, files, edges)

    @classmethod
    def from_results(
        cls,
        root: str | os.PathLike[str] | None,
        files: Mapping[str, FileResult],
        edges: Iterable["Edge"],
        *,
        name: str | None = None,
        codebase_id: uuid.UUID | None = None,
    ) -> "Codebase":
        """Wrap extraction results and resolver edges; with `codebase_id`, nodes also carry codebase_db element ids."""
        with collector_paused():
            return cls._build_from_results(root, files, edges, name, codebase_id)

    @classmethod
    def _build_from_results(cls, root: Any, files: Mapping[str, FileResult], edges: Iterable["Edge"],
                            name: str | None, codebase_id: uuid.UUID | None) -> "Codebase":
        self = cls(root, files, [], name=name, codebase_id=codebase_id, origin="results")
        offsets = self._offsets
        rows = []
        for e in edges:
            if e.kind == "contains":
                continue
            base = offsets.get(e.source_file)
            if base is None:
                continue
            target = -1
            if e.target_file is not None and e.target_index is not None:
                target_base = offsets.get(e.target_file)
                if target_base is not None:
                    target = target_base + e.target_index
            ext = (e.ecosystem or "unknown", e.external) if e.external else None
            # As codebase_db stores it: resolved means a target was found, inside or outside.
            rows.append((e.kind, base + e.source_index, target, e.target_name, ext, e.line,
                         bool(e.resolved and (target >= 0 or ext is not None))))
        self._edges = rows
        if codebase_id is not None:
            from graph_sitter.adapters.codebase_db_adapter import element_id_strings

            ids: list[str] = []
            for p in self._paths:
                ids.extend(element_id_strings(codebase_id, self._results[p]))
            self._element_ids = ids
        return self

    @classmethod
    def from_db(cls, ref: str | os.PathLike[str] | uuid.UUID, settings: "Settings | None" = None, *,
                conn: Any = None) -> "Codebase":
        """Load the current run of an analysed codebase (a name, the analysed path, or its id) from codebase_db."""
        from graph_sitter.adapters.codebase_db_graph import load_codebase

        key = ref if isinstance(ref, uuid.UUID) else os.fspath(ref)
        built: list[Codebase] = []

        def build(stored: Any, rows: Iterator[tuple]) -> list[tuple]:
            codebase = cls._from_stored_elements(stored)
            built.append(codebase)
            return codebase._edge_rows_from_db(stored, rows)

        with collector_paused():
            if conn is None:
                from graph_sitter.adapters.setup import ensure_ready
                from graph_sitter.config import load_settings

                cluster = ensure_ready(settings or load_settings())
                with cluster.connect("codebase_db") as own:
                    stored = load_codebase(own, key, build)
            else:
                stored = load_codebase(conn, key, build)
        self = built[0]
        self._edges = stored.relationships
        self.run_status = stored.run_status
        return self

    @classmethod
    def _from_stored_elements(cls, stored: Any) -> "Codebase":
        """A Codebase of the stored files and elements (its edges come next, from _edge_rows_from_db)."""
        files: dict[str, FileResult] = {}
        for row in stored.files:
            files[row[0]] = FileResult(
                path=row[0], language=row[1], content_hash=row[2], size_bytes=row[3] or 0, total_lines=row[4] or 0,
                code_lines=row[5] or 0, comment_lines=row[6] or 0, blank_lines=row[7] or 0,
                parse_error_count=row[8] or 0, maintainability_index=row[9], skipped_reason=row[10],
            )
        # Rows come ordered by file path (byte order, which is how Python sorts str), module element first, so
        # the row number is the element's global number in the constructor (checked below).
        rows = stored.elements
        ids = [row[0] for row in rows]
        g_of = {element_id: g for g, element_id in enumerate(ids)}
        starts: dict[str, int] = {}
        current: FileResult | None = None
        intern = sys.intern
        for g, row in enumerate(rows):
            path = row[5]
            if current is None or current.path != path:
                current = files.get(path)
                if current is None or current.skipped_reason is not None or path in starts:
                    raise ValueError(f"codebase_db rows out of order or without their file: {path}")
                starts[path] = g
                path = current.path
            current.elements.append(Element(
                intern(row[1]), row[3], row[4] or row[3], row[2] and intern(row[2]), path, row[6], row[7], row[8], row[9],
                row[10], row[11], None, row[12], row[13], intern(row[15] or "public"), row[16], row[17], row[18],
                row[19], tuple(row[20] or ()), tuple(row[21] or ()), row[22], row[23], row[24], row[25], row[26],
                row[27],
            ))
        for g, row in enumerate(rows):
            if row[14] is not None:
                start = starts[row[5]]
                elements = files[row[5]].elements
                parent = g_of.get(row[14], -1) - start
                if 0 <= parent < len(elements):
                    elements[g - start].parent = parent
        codebase = stored.codebase
        self = cls(codebase.root_path, files, [], name=codebase.name, codebase_id=codebase.id, element_ids=ids,
                   origin="db")
        if any(self._offsets[p] != g for p, g in starts.items()):
            raise ValueError("codebase_db element order does not match the file order")
        self._g_of = g_of
        return self

    def _edge_rows_from_db(self, stored: Any, rows: Iterable[tuple]) -> list[tuple]:
        """Internal edge rows from relationship rows, one at a time (names interned: most repeat)."""
        g_of = self.__dict__.pop("_g_of")
        externals = stored.externals
        names: dict[str, str] = {}
        kinds: dict[str, str] = {}
        edges = []
        append = edges.append
        for kind, source, target, target_name, ext_id, resolved, line in rows:
            src = g_of.get(source)
            if src is None:
                continue
            tgt = g_of.get(target, -1) if target is not None else -1
            ext = externals.get(ext_id) if ext_id is not None else None
            name = target_name or ""
            append((kinds.setdefault(kind, kind), src, tgt, names.setdefault(name, name), ext, line or 0,
                    bool(resolved and (tgt >= 0 or ext is not None))))
        return edges

    # -- files -------------------------------------------------------------------------------------------------
    @property
    def files(self) -> list[SourceFile]:
        """The analysed files, sorted by path."""
        return [self._file(p) for p in self._paths]

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """(path, reason) of the files that were not analysed."""
        return sorted((p, r.skipped_reason) for p, r in self._results.items() if r.skipped_reason is not None)

    def _file(self, path: str) -> SourceFile:
        handle = self._file_handles.get(path)
        if handle is None:
            handle = self._file_handles[path] = SourceFile(self, self._results[path], self._offsets[path])
        return handle

    def has_file(self, path: str | os.PathLike[str]) -> bool:
        """Whether an analysed file has this path."""
        return self._normalise(path) in self._offsets

    def get_file(self, path: str | os.PathLike[str], optional: bool = False) -> SourceFile | None:
        """The analysed file at `path` (relative to the root, or absolute under it)."""
        rel = self._normalise(path)
        if rel in self._offsets:
            return self._file(rel)
        if optional:
            return None
        why = f" (not analysed: {self._results[rel].skipped_reason})" if rel in self._results else ""
        raise SymbolNotFoundError(f"file {os.fspath(path)!r} is not in codebase {self.name}{why}")

    def _normalise(self, path: str | os.PathLike[str]) -> str:
        text = os.fspath(path)
        if os.path.isabs(text) and self.root is not None:
            try:
                return Path(text).resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                return text
        return Path(text).as_posix() if text else text

    # -- symbols -----------------------------------------------------------------------------------------------
    def _symbol(self, g: int) -> Any:
        handle = self._handles.get(g)
        if handle is None:
            handle = self._handles[g] = _HANDLE_BY_KIND.get(self._elements[g].kind, Symbol)(self, g)
        return handle

    def _select(self, kinds: frozenset[str] | set[str], top_level: bool = False) -> list[Any]:
        key = f"select:{sorted(kinds)}:{top_level}"
        found = self._cache.get(key)
        if found is None:
            elements = self._elements
            found = self._cache[key] = [
                self._symbol(g) for g in range(len(elements))
                if elements[g].kind in kinds and (not top_level or elements[g].parent == 0)
            ]
        return list(found)

    @property
    def modules(self) -> list[Module]:
        """Every module element (one per file, plus inline modules and namespaces)."""
        return self._select({"module"})

    @property
    def external_modules(self) -> list[ExternalModule]:
        """The packages imported from outside the codebase, sorted."""
        return [ExternalModule(self, eco, name) for eco, name in sorted(self._external_edges())]

    @property
    def element_records(self) -> list[Element]:
        """The raw model.Element of every element, in file and document order (no handles created)."""
        return list(self._elements)

    @property
    def elements(self) -> list[Symbol]:
        """Every element, modules and imports included, in file and document order."""
        return [self._symbol(g) for g in range(len(self._elements))]

    def has_symbol(self, name: str) -> bool:
        """Whether any definition has this qualified or simple name."""
        return bool(self.get_symbols(name))

    def get_symbol(self, name: str, optional: bool = False) -> Symbol | None:
        """A definition by qualified name, by the tail of one (`Class.method`), or by simple name (top-level
        symbols first, then any definition); a module by its qualified name when nothing else matches.

        Raises SymbolNotFoundError when nothing matches and AmbiguousSymbolError (both KeyError and ValueError)
        when several do; with optional=True a miss returns None (ambiguity still raises).
        """
        return self._lookup(name, _DEFINITION_KINDS, "symbol", optional=optional)

    def get_symbols(self, name: str) -> list[Symbol]:
        """Every definition whose qualified name or simple name is `name`."""
        index = self._name_index()
        gs = sorted(set(index[0].get(name, ())) | set(index[1].get(name, ())))
        return [self._symbol(g) for g in gs if self._elements[g].kind in _DEFINITION_KINDS]

    def get_function(self, name: str, optional: bool = False) -> Function | None:
        """A function or method by qualified or simple name (see get_symbol)."""
        return self._lookup(name, FUNCTION_KINDS, "function", optional=optional)

    def get_class(self, name: str, optional: bool = False) -> Class | None:
        """A class-like element by qualified or simple name (see get_symbol)."""
        return self._lookup(name, TYPE_KINDS, "class", optional=optional)

    def _name_index(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        index = self._cache.get("names")
        if index is None:
            by_qn: dict[str, list[int]] = defaultdict(list)
            by_name: dict[str, list[int]] = defaultdict(list)
            for g, e in enumerate(self._elements):
                if e.kind == "import":
                    continue
                by_qn[e.qualified_name].append(g)
                by_name[e.name].append(g)
            index = self._cache["names"] = (dict(by_qn), dict(by_name))
        return index

    def _lookup(self, name: str, kinds: frozenset[str] | set[str], what: str, optional: bool = False,
                only_file: str | None = None) -> Any:
        by_qn, by_name = self._name_index()
        elements = self._elements

        def pick(gs: Iterable[int]) -> list[int]:
            return [g for g in gs if elements[g].kind in kinds
                    and (only_file is None or elements[g].file_path == only_file)]

        # Modules come last, by qualified name only: graph-sitter users expect `get_symbol("foo")` to find the
        # function foo, not the file foo.py.
        qualified = pick(by_qn.get(name, ()))
        modules = [g for g in qualified if elements[g].kind == "module"]
        stages = [[g for g in qualified if elements[g].kind != "module"]]
        if "." in name or "::" in name:  # a qualified name's tail: `Invoice.render`
            stages.append(pick(g for g in by_name.get(_last_segment(name), ())
                               if elements[g].kind != "module"
                               and elements[g].qualified_name.endswith(("." + name, "::" + name, "/" + name))))
        simple = [g for g in pick(by_name.get(name, ())) if elements[g].kind != "module"]
        stages.append([g for g in simple if elements[g].parent == 0 and elements[g].kind in SYMBOL_KINDS])
        stages.append(simple)
        stages.append(modules)
        for found in stages:
            if len(found) == 1:
                return self._symbol(found[0])
            if len(found) > 1:
                listed = ", ".join(f"{elements[g].kind} {elements[g].qualified_name} "
                                   f"({elements[g].file_path}:{elements[g].start_line})" for g in found[:10])
                more = f" and {len(found) - 10} more" if len(found) > 10 else ""
                raise AmbiguousSymbolError(
                    f"{what} {name!r} is ambiguous in codebase {self.name}: {len(found)} matches: {listed}{more};"
                    " use a qualified name (or get_symbols)"
                )
        if optional:
            return None
        raise SymbolNotFoundError(f"{what} {name!r} not found in codebase {self.name}")

    # -- relationships -----------------------------------------------------------------------------------------
    def edges(self, include_contains: bool = False) -> Iterator[Relationship]:
        """Every relationship, one per site (contains edges too when asked)."""
        if include_contains:
            for g, e in enumerate(self._elements):
                p = self._parent_g(g)
                if p >= 0:
                    yield Relationship("contains", self._symbol(p), self._symbol(g), e.qualified_name, e.start_line, True)
        for r in self._edges:
            target: Symbol | ExternalModule | None = None
            if r[_TGT] >= 0:
                target = self._symbol(r[_TGT])
            elif r[_EXT] is not None and r[_RESOLVED]:
                target = ExternalModule(self, *r[_EXT])
            yield Relationship(r[_KIND], self._symbol(r[_SRC]), target, r[_NAME], r[_LINE], r[_RESOLVED])

    @property
    def relationship_counts(self) -> dict[str, int]:
        """Relationships (sites) by kind, `contains` included, like `gsdb analyze --json`."""
        counts: dict[str, int] = defaultdict(int)
        counts["contains"] = sum(1 for e in self._elements if e.parent is not None)
        for r in self._edges:
            counts[r[_KIND]] += 1
        return dict(counts)

    # -- graph -------------------------------------------------------------------------------------------------
    @property
    def graph(self) -> "nx.MultiDiGraph":
        """The networkx MultiDiGraph of elements and relationships (built once; see the module documentation)."""
        found = self._cache.get("graph")
        if found is None:
            found = self._cache["graph"] = self.to_graph()
        return found

    def to_graph(self, unresolved: bool = True, nulls: bool = True) -> "nx.MultiDiGraph":
        """A new MultiDiGraph; unresolved=False leaves out unresolved edges and their nodes, nulls=False leaves
        out attributes whose value is None (GraphML and GEXF have no null)."""
        with collector_paused():
            graph = self._to_graph(unresolved)
        if not nulls:
            for _, attrs in graph.nodes(data=True):
                for key in [k for k, v in attrs.items() if v is None]:
                    del attrs[key]
        return graph

    def _to_graph(self, unresolved: bool) -> "nx.MultiDiGraph":

        elements = self._elements
        ids = self._element_ids
        node_ids = self._node_ids()
        nodes: dict[str, dict[str, Any]] = {}
        for g, e in enumerate(elements):
            attrs: dict[str, Any] = {
                "kind": e.kind, "name": e.name, "qualified_name": e.qualified_name, "language": e.language,
                "file": e.file_path, "start_line": e.start_line, "end_line": e.end_line,
            }
            if e.kind in FUNCTION_KINDS:
                attrs["cyclomatic_complexity"] = e.cyclomatic_complexity
                attrs["nloc"] = e.nloc
            if ids is not None:
                attrs["element_id"] = ids[g]
            nodes[node_ids[g]] = attrs
        # (source, target) -> {kind: edge attributes}: one edge per kind and pair, counting its sites.
        pairs: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for path in self._paths:
            start = self._offsets[path]
            for local, e in enumerate(self._results[path].elements):
                if e.parent is not None:
                    pairs[(node_ids[start + e.parent], node_ids[start + local])] = {
                        "contains": {"kind": "contains", "resolved": True, "count": 1, "line": e.start_line}}
        for kind, src, tgt, name, ext, line, resolved in self._edges:
            if tgt >= 0:
                target = node_ids[tgt]
            elif ext is not None and resolved:
                target = f"external:{ext[0]}:{ext[1]}"
                if target not in nodes:
                    nodes[target] = {"kind": "external", "name": ext[1], "qualified_name": ext[1], "language": None,
                                     "file": None, "start_line": None, "end_line": None, "ecosystem": ext[0]}
            else:
                if not unresolved:
                    continue
                target = f"unresolved:{name}"
                if target not in nodes:
                    nodes[target] = {"kind": "unresolved", "name": name, "qualified_name": name, "language": None,
                                     "file": None, "start_line": None, "end_line": None}
            key = (node_ids[src], target)
            by_kind = pairs.get(key)
            if by_kind is None:
                by_kind = pairs[key] = {}
            data = by_kind.get(kind)
            if data is None:
                by_kind[kind] = {"kind": kind, "resolved": resolved, "count": 1, "line": line}
            else:
                data["count"] += 1
                if not resolved:
                    data["resolved"] = False
                if line < data["line"]:
                    data["line"] = line
        return _multidigraph(self.name, nodes, pairs)

    def symbol_for_node(self, node_id: str) -> Symbol | ExternalModule | None:
        """The Symbol (or ExternalModule) behind a graph node id; None for unresolved nodes."""
        if node_id.startswith("external:"):
            _, eco, package = node_id.split(":", 2)
            return ExternalModule(self, eco, package)
        index = self._cache.get("node_index")
        if index is None:
            index = self._cache["node_index"] = {n: g for g, n in enumerate(self._node_ids())}
        g = index.get(node_id)
        return None if g is None else self._symbol(g)

    # -- internals: ids and indexes ----------------------------------------------------------------------------
    def _node_id(self, g: int) -> str:
        return self._node_ids()[g]

    def _node_ids(self) -> list[str]:
        found = self._cache.get("node_ids")
        if found is not None:
            return found
        with collector_paused():
            return self._build_node_ids()

    def _build_node_ids(self) -> list[str]:
        elements = self._elements
        seen: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for g, e in enumerate(elements):
            seen[(e.file_path, e.kind, e.qualified_name)].append(g)
        # Repeats are numbered in extraction order, as element_ids numbers them (from_db reads that order back).
        occurrence = [0] * len(elements)
        for gs in seen.values():
            for n, g in enumerate(gs):
                occurrence[g] = n
        found = [
            f"{e.file_path}:{e.kind}:{e.qualified_name}" + (f"#{occurrence[g]}" if occurrence[g] else "")
            for g, e in enumerate(elements)
        ]
        self._cache["node_ids"] = found
        return found

    def _instantiated_class(self, g: int, target_name: str) -> int:
        """The class a constructor call instantiates (`Foo()` resolved to `Foo.__init__`), else g itself."""
        e = self._elements[g]
        if e.kind == "method" and _is_instantiation(target_name):
            p = self._parent_g(g)
            if p >= 0 and self._elements[p].kind in TYPE_KINDS and e.name in (*_CONSTRUCTOR_NAMES, self._elements[p].name):
                return p
        return g

    def _parent_g(self, g: int) -> int:
        e = self._elements[g]
        return -1 if e.parent is None else self._offsets[e.file_path] + e.parent

    def _children(self) -> list[list[int]]:
        found = self._cache.get("children")
        if found is None:
            found = [[] for _ in self._elements]
            for g in range(len(self._elements)):
                p = self._parent_g(g)
                if p >= 0:
                    found[p].append(g)
            self._cache["children"] = found
        return found

    def _subtree(self, g: int) -> list[int]:
        children = self._children()
        out = [g]
        stack = list(reversed(children[g]))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(reversed(children[c]))
        return out

    def _out_index(self) -> dict[int, list[int]]:
        found = self._cache.get("out")
        if found is None:
            self._in_index()
            found = self._cache["out"]
        return found

    def _in_index(self) -> dict[int, list[int]]:
        found = self._cache.get("in")
        if found is None:
            with collector_paused():
                out: dict[int, list[int]] = defaultdict(list)
                into: dict[int, list[int]] = defaultdict(list)
                for i, r in enumerate(self._edges):
                    out[r[_SRC]].append(i)
                    if r[_TGT] >= 0:
                        into[r[_TGT]].append(i)
                self._cache["out"] = dict(out)
                found = self._cache["in"] = dict(into)
        return found

    def _external_edges(self) -> dict[tuple[str, str], list[int]]:
        found = self._cache.get("externals")
        if found is None:
            found = defaultdict(list)
            for i, r in enumerate(self._edges):
                if r[_EXT] is not None and r[_TGT] < 0 and r[_RESOLVED]:
                    found[r[_EXT]].append(i)
            found = self._cache["externals"] = dict(found)
        return found

    def _detached_methods(self) -> dict[str, list[int]]:
        """Methods whose parent is a module (a Go/Rust receiver type declared elsewhere), by their type's name."""
        found = self._cache.get("detached")
        if found is None:
            found = defaultdict(list)
            elements = self._elements
            for g, e in enumerate(elements):
                if e.kind == "method":
                    p = self._parent_g(g)
                    if p >= 0 and elements[p].kind == "module":
                        owner = e.qualified_name[: len(e.qualified_name) - len(e.name)].rstrip(".:")
                        found[owner].append(g)
            found = self._cache["detached"] = dict(found)
        return found

    def _importers(self) -> dict[str, set[str]]:
        found = self._cache.get("importers")
        if found is None:
            found = defaultdict(set)
            elements = self._elements
            for r in self._edges:
                if r[_KIND] == "imports" and r[_TGT] >= 0:
                    source, target = elements[r[_SRC]].file_path, elements[r[_TGT]].file_path
                    if source != target:
                        found[target].add(source)
            found = self._cache["importers"] = dict(found)
        return found

    def _import_matches(self) -> tuple[dict[int, int], dict[int, int]]:
        """Import edges matched to import elements (edge index -> element, element -> edge index).

        Both sit on the same line of the same file; several on one line pair up by name (the bound name equals
        the imported definition's name or the module's last segment), the rest in order.
        """
        found = self._cache.get("import_matches")
        if found is not None:
            return found
        elements = self._elements
        imports_at: dict[tuple[str, int], list[int]] = defaultdict(list)
        for g, e in enumerate(elements):
            if e.kind == "import":
                imports_at[(e.file_path, e.start_line)].append(g)
        edges_at: dict[tuple[str, int], list[int]] = defaultdict(list)
        for i, r in enumerate(self._edges):
            if r[_KIND] == "imports":
                edges_at[(elements[r[_SRC]].file_path, r[_LINE])].append(i)
        edge_to: dict[int, int] = {}
        for key, edge_list in edges_at.items():
            candidates = imports_at.get(key)
            if not candidates:
                continue
            free = list(candidates)
            rest = []
            for i in edge_list:
                r = self._edges[i]
                names = {_last_segment(r[_NAME].lstrip("./"))}
                if r[_TGT] >= 0:
                    names.add(elements[r[_TGT]].name)
                if r[_EXT] is not None:
                    names.add(r[_EXT][1])
                match = next((g for g in free if elements[g].name in names), None)
                if match is None:
                    rest.append(i)
                else:
                    free.remove(match)
                    edge_to[i] = match
            for i, g in zip(rest, free):
                edge_to[i] = g
        found = (edge_to, {g: i for i, g in edge_to.items()})
        self._cache["import_matches"] = found
        return found

    def _import_user(self, edge_index: int) -> Symbol:
        """Who uses a target through this edge: the Import element for an imports edge, else the source."""
        r = self._edges[edge_index]
        if r[_KIND] == "imports":
            g = self._import_matches()[0].get(edge_index)
            if g is not None:
                return self._symbol(g)
        return self._symbol(r[_SRC])

    def _file_bytes(self, path: str) -> bytes | None:
        if path in self._bytes_cache:
            return self._bytes_cache[path]
        data: bytes | None = None
        result = self._results.get(path)
        if self.root is not None and result is not None:
            try:
                data = (self.root / path).read_bytes()
            except OSError:
                data = None
            if data is not None and result.content_hash is not None \
                    and hashlib.blake2b(data, digest_size=16).hexdigest() != result.content_hash:
                data = None  # changed since the analysis: offsets would point at the wrong text
        if len(self._bytes_cache) >= 64:
            self._bytes_cache.pop(next(iter(self._bytes_cache)))
        self._bytes_cache[path] = data
        return data

    # -- python protocol ---------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (f"<Codebase {self.name} ({self.origin}): {len(self._paths)} files, {len(self._elements)} elements, "
                f"{len(self._edges)} relationships besides contains>")

