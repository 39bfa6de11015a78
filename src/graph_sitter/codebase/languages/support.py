"""What a language module provides: the LanguageSupport record and the plain data its rules return.

A language is one module that builds a ``LanguageSupport``: the grammar loader, tree-sitter query
text with the capture names below, node-type lists for the metrics, and a few small functions
("rules") that turn a captured node into plain data. ``extract.py`` runs the query once per file and
drives everything else.

Capture names understood by the extractor
-----------------------------------------
``@def.<kind>``      a definition; ``describe`` turns it into a ``Definition`` (or None to drop it).
``@import``          an import statement; ``imports`` turns it into ``ImportSpec``s.
``@call``            the callee of a call; ``call_name`` gives its dotted name (None drops it).
``@export``          a node listing exported names (Python ``__all__``, JS ``export {a, b}``).
``@decision``        +1 cyclomatic complexity for the innermost enclosing function.
``@decision.check``  +1 when ``check_decision`` says so (lizard's tokenizer quirks).
``@decision.cancel`` -1 (e.g. the first arm of a Rust ``match``: lizard counts arms - 1).
``@decision.exclude`` a range inside which decisions do not count (JS template substitutions,
                     which lizard reads as one opaque token).
``@decision.lost``   a node for which ``lost_decisions`` may return such a range.
``@function.trim``   a complexity boundary that ``function_end`` may end early.
``@function.skip``   a function-like node that is not a boundary of its own (lizard merges a
                     curried arrow ``a => b => ...`` into the outer one).
``@nest.skip``       a nesting node that does not deepen nesting (``else if``).
``@docstring``       a documentation string statement: its lines count as comment lines.
``@hs.operator`` / ``@hs.operand``  Halstead operators and operands (maintainability index).

The extractor adds, from the node-type lists: ``@decision`` for ``decision_types`` (anonymous
tokens), ``@function`` for ``function_types`` (complexity boundaries, anonymous functions
included), ``@nest`` for ``nesting_types`` and ``@comment`` for ``comment_types``. A
``top_level`` rule may add captures found by walking the root's statements in Python, and
``boundary_captures`` names definition captures that are complexity boundaries as well.

Cost: one query visits every node in C, whatever its patterns; each capture costs a Python object,
and a pattern rooted at the root node (``(module (...))``) stays in progress over the whole walk,
so top-level rules belong in ``top_level``. Predicates (``#eq?``) are evaluated per candidate.
A ``describe`` is called once per captured definition, the other rules once per captured node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

Node = Any  # tree_sitter.Node; kept opaque so this module imports without tree-sitter


@dataclass(slots=True)
class DefinitionContext:
    """Where a definition sits: the enclosing definition's kind and name, and the file bytes."""

    src: bytes
    path: str
    enclosing_kind: str
    enclosing_name: str
    # The start bytes of the file's @docstring captures, ascending, when the extractor provides them: a rule
    # can then see that a body holds no documentation string without looking into it.
    docstring_starts: Sequence[int] | None = None


@dataclass(slots=True)
class Definition:
    """A definition as a language rule sees it, before the extractor adds lines, parents and names.

    ``node`` gives the element's range; ``function`` is the node whose body the complexity metrics
    measure (for ``const f = () => ...`` the arrow function, not the declarator). ``scope`` names an
    enclosing type that is not lexically enclosing (a Go receiver type): the extractor qualifies the
    name with it and makes that type the parent. A ``scope_only`` definition (a Rust ``impl`` block)
    is not an element: it only qualifies the definitions inside it, and ``name`` is the type it
    belongs to.
    """

    kind: str
    name: str
    node: Node
    function: Node | None = None
    scope: str | None = None
    scope_only: bool = False
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
    # (kind, name, line) references whose source is this definition: inherit, implement, decorate.
    references: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(slots=True)
class ImportSpec:
    """One imported binding (or one import site without a binding), as written."""

    line: int
    module: str | None
    imported_name: str | None = None
    alias: str | None = None
    level: int = 0
    local: str | None = None  # the name bound in the importing scope; None binds nothing
    reexport: bool = False
    node: Node | None = None  # the statement, for the import element's range and signature


@dataclass(frozen=True, slots=True)
class LanguageSupport:
    """Everything the extractor needs to know about one language."""

    name: str
    extensions: tuple[str, ...]
    grammar: Callable[[], object]
    query: str
    # (name, qualified name[, prefix for the members when it is not the qualified name]).
    module_name: Callable[[str, Node, bytes], tuple[str, ...]]
    describe: Callable[[Node, str, DefinitionContext], Definition | None]
    imports: Callable[[Node, bytes], list[ImportSpec]]
    call_name: Callable[[Node, bytes], str | None]
    decision_types: tuple[str, ...] = ()
    function_types: tuple[str, ...] = ()
    # Capture names whose nodes are complexity boundaries too (saves capturing a node twice when
    # every definition of a kind is a function, as Python's function_definition).
    boundary_captures: tuple[str, ...] = ()
    nesting_types: tuple[str, ...] = ()
    comment_types: tuple[str, ...] = ("comment",)
    separator: str = "."
    check_decision: Callable[[Node, bytes, str], bool] | None = None
    # For @function.trim captures: where lizard ends the function, when earlier than the node.
    function_end: Callable[[Node, bytes], int | None] | None = None
    # For @decision.lost captures: a byte range whose decisions lizard discards.
    lost_decisions: Callable[[Node, bytes], tuple[int, int] | None] | None = None
    # (capture name, node) pairs found by walking the root's top statements in Python, added to
    # the query's captures: cheaper than query patterns rooted at the root node.
    top_level: Callable[[Node, bytes], Iterable[tuple[str, Node]]] | None = None
    exported_names: Callable[[Node, bytes], Iterable[str]] | None = None
    # True when an explicit export list decides alone (Python ``__all__``); False when it adds to
    # the exports declared on the definitions themselves (JS ``export { a }``).
    export_list_overrides: bool = False
    maintainability: bool = False
    # Extension (".tsx") -> another grammar of the same language, compiled with the same query.
    grammar_by_extension: Mapping[str, Callable[[], object]] = field(default_factory=dict)

    def full_query(self) -> str:
        """The language's query plus the patterns generated from its node-type lists."""
        parts = [self.query]
        if self.decision_types:
            parts.append("[" + " ".join(_quote(t) for t in self.decision_types) + "] @decision")
        if self.function_types:
            parts.append("[" + " ".join(f"({t})" for t in self.function_types) + "] @function")
        if self.nesting_types:
            parts.append("[" + " ".join(f"({t})" for t in self.nesting_types) + "] @nest")
        if self.comment_types:
            parts.append("[" + " ".join(f"({t})" for t in self.comment_types) + "] @comment")
        return "\n".join(parts)


def _quote(token: str) -> str:
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'
