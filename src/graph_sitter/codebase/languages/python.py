"""Python: grammar, queries, complexity rules and extraction rules.

Qualified names: ``pkg/mod.py`` is module ``pkg.mod``, ``pkg/__init__.py`` is ``pkg``; members are
dotted below it (``pkg.mod.Class.method``, ``pkg.mod.func.inner``). A ``def`` directly in a class
body (also under an ``if``/``try`` in that body) is a method; a ``def`` anywhere else is a function.
Module-level variables are assignments to plain names at module level, also inside a module-level
``if``/``elif``/``else``/``try``/``except``/``finally`` block; ALL_CAPS names are constants.

Visibility: ``_name`` and ``__name`` are private, ``__dunder__`` and everything else public.
Exported: when the module assigns ``__all__`` a literal list/tuple, exactly the module-level names
in it; otherwise every public module-level definition (imports excluded).

Cyclomatic complexity follows lizard (lizard_languages/python.py): 1 plus one per token ``if``,
``elif``, ``for``, ``while``, ``except``, ``finally``, ``and``, ``or`` and soft-keyword ``case``.
Because lizard counts tokens, comprehension ``for``/``if``, conditional-expression ``if``, ``case``
guards and tokens inside f-string interpolations all count; ``else``, ``with``, ``assert``,
``lambda`` and ``match`` do not. A nested ``def`` is a function of its own: its decisions are not
the outer function's. A lambda is not a function for lizard: its decisions count for the enclosing
function. Decorator arguments count for the scope enclosing the decorated definition.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Iterator, Sequence

import tree_sitter
import tree_sitter_python

from graph_sitter.codebase.languages.support import (
    Definition,
    DefinitionContext,
    ImportSpec,
    LanguageSupport,
    Node,
)
from graph_sitter.codebase.languages.syntax import (
    first_named,
    CalleeGrammar,
    callee_name,
    clean_docstring,
    collapse,
    header,
    node_text,
    string_literal_value,
)

# Module-level variables and __all__ come from ``top_level`` (patterns rooted at the module would
# stay alive over the whole tree and cost more than the Python walk over the top statements).
QUERY = """
(function_definition) @def.function
(class_definition) @def.class
[(import_statement) (import_from_statement) (future_import_statement)] @import
(call function: (_) @call)
(expression_statement . (string) @docstring .)
(binary_operator left: (_) @hs.operand operator: _ @hs.operator right: (_) @hs.operand)
(boolean_operator left: (_) @hs.operand operator: _ @hs.operator right: (_) @hs.operand)
(augmented_assignment left: (_) @hs.operand operator: _ @hs.operator right: (_) @hs.operand)
(unary_operator operator: _ @hs.operator argument: (_) @hs.operand)
(not_operator "not" @hs.operator argument: (_) @hs.operand)
(comparison_operator (_) @hs.operand)
(comparison_operator operators: _ @hs.operator)
"""

DECISION_TYPES = ("if", "elif", "for", "while", "except", "finally", "and", "or", "case")
NESTING_TYPES = (
    "if_statement", "for_statement", "while_statement", "try_statement", "with_statement",
    "match_statement",
)

_CALLEES = CalleeGrammar(
    names=frozenset({"identifier"}),
    members={"attribute": ("object", "attribute", ".")},
    calls={"call": "function"},
    subscripts={"subscript": "value"},
    transparent={"parenthesized_expression": ""},
)
_STATIC_DECORATORS = frozenset({"staticmethod", "classmethod"})
_ABSTRACT_DECORATORS = frozenset({
    "abstractmethod", "abc.abstractmethod", "abstractproperty", "abc.abstractproperty",
    "abstractclassmethod", "abc.abstractclassmethod", "abstractstaticmethod",
    "abc.abstractstaticmethod",
})
_ABSTRACT_BASES = frozenset({"ABC", "abc.ABC", "metaclass=ABCMeta", "metaclass=abc.ABCMeta"})

# Field ids of the fields read for every definition: child_by_field_id skips the lookup of the field's
# name that child_by_field_name makes on each call.
_FIELD_ID = tree_sitter.Language(tree_sitter_python.language()).field_id_for_name
_NAME, _BODY, _PARAMETERS, _RETURN_TYPE, _SUPERCLASSES = (
    _FIELD_ID(name) for name in ("name", "body", "parameters", "return_type", "superclasses")
)


def module_name(path: str, root: Node, src: bytes) -> tuple[str, str]:
    """``pkg/mod.py`` -> ("mod", "pkg.mod"); ``pkg/__init__.py`` -> ("pkg", "pkg")."""
    stem = path.rsplit(".", 1)[0]
    parts = stem.split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return parts[-1], ".".join(parts)


def visibility(name: str) -> str:
    """Python's naming convention: a leading underscore means private, dunder names are public."""
    if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
        return "private"
    return "public"


def _docstring(body: Node | None, src: bytes, lone_strings: Sequence[int] | None = None) -> str | None:
    """The documentation string of a block (or module), cleaned. ``lone_strings``: the start bytes of the
    file's @docstring captures, ascending (DefinitionContext.docstring_starts), if known."""
    if body is None:
        return None
    if lone_strings is not None:
        # A docstring is a lone string statement, which the query captures, and it starts within the body:
        # when no capture does, there is none, and the body's statements need not be looked at (most bodies
        # have none: this saves about a third of the time spent here).
        i = bisect_left(lone_strings, body.start_byte)
        if i == len(lone_strings) or lone_strings[i] > body.end_byte:
            return None
    # Runs for every function and class: first_named() is written out (one call less per level).
    if not body.named_child_count:
        return None
    first = body.named_child(0)
    if first.type != "expression_statement" or first.named_child_count != 1:
        return None
    string = first.named_child(0)
    if string.type != "string":
        return None
    return clean_docstring(string_literal_value(src[string.start_byte:string.end_byte].decode("utf-8", "replace")))


def _decorators(node: Node, src: bytes) -> tuple[list[str], list[tuple[str, int]]]:
    """Decorator texts (without '@') and their callee names with lines."""
    parent = node.parent
    if parent is None or parent.type != "decorated_definition":
        return [], []
    return _decorator_list(parent, src)


def _decorator_list(decorated: Node, src: bytes) -> tuple[list[str], list[tuple[str, int]]]:
    """_decorators() given the decorated_definition (the caller has it already: Node.parent is not cheap)."""
    texts: list[str] = []
    names: list[tuple[str, int]] = []
    for child in decorated.named_children:
        if child.type != "decorator":
            continue
        expression = first_named(child)
        if expression is None:
            continue
        texts.append(collapse(node_text(expression, src)))
        target = expression.child_by_field_name("function") if expression.type == "call" else expression
        if target is not None:
            name = callee_name(target, src, _CALLEES)
            if name != "?":
                names.append((name, child.start_point[0] + 1))
    return texts, names


def _parameters(params: Node | None, src: bytes) -> tuple[str, ...]:
    if params is None:
        return ()
    names: list[str] = []
    for child in params.named_children:
        kind = child.type
        if kind == "identifier":  # most parameters: node_text() written out
            names.append(src[child.start_byte:child.end_byte].decode("utf-8", "replace"))
        elif kind in ("default_parameter", "typed_default_parameter"):
            name = child.child_by_field_id(_NAME)
            if name is not None:
                names.append(node_text(name, src))
        elif kind == "typed_parameter":
            inner = first_named(child)
            if inner is not None:
                names.append(_splat_name(inner, src))
        elif kind in ("list_splat_pattern", "dictionary_splat_pattern"):
            names.append(_splat_name(child, src))
    return tuple(names)


def _splat_name(node: Node, src: bytes) -> str:
    if node.type == "list_splat_pattern":
        inner = first_named(node)
        return "*" + (node_text(inner, src) if inner is not None else "")
    if node.type == "dictionary_splat_pattern":
        inner = first_named(node)
        return "**" + (node_text(inner, src) if inner is not None else "")
    return node_text(node, src)


def _describe_function(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    name_node = node.child_by_field_id(_NAME)
    if name_node is None:
        return None
    name = src[name_node.start_byte:name_node.end_byte].decode("utf-8", "replace")
    body = node.child_by_field_id(_BODY)
    parent = node.parent
    if parent is not None and parent.type == "decorated_definition":
        decorators, decorator_refs = _decorator_list(parent, src)
        bare = {d.split("(", 1)[0] for d in decorators}
        references = [("decorate", n, line) for n, line in decorator_refs]
        is_static = ctx.enclosing_kind == "class" and not bare.isdisjoint(_STATIC_DECORATORS)
        is_abstract = bool(bare) and not bare.isdisjoint(_ABSTRACT_DECORATORS)
    else:
        decorators, references, is_static, is_abstract = [], [], False, False
    returns = node.child_by_field_id(_RETURN_TYPE)
    is_method = ctx.enclosing_kind == "class"
    public = visibility(name)
    start = node.start_byte
    return Definition(
        "method" if is_method else "function",
        name,
        node,
        node,
        None,
        False,
        header(src, start, body.start_byte if body is not None else node.end_byte, ":"),
        _docstring(body, src, ctx.docstring_starts),
        public,
        src.startswith(b"async", start),
        is_static,
        is_abstract,
        ctx.enclosing_kind == "module" and public == "public",
        tuple(decorators),
        _parameters(node.child_by_field_id(_PARAMETERS), src),
        collapse(src[returns.start_byte:returns.end_byte].decode("utf-8", "replace")) if returns is not None else None,
        references,
    )


def _describe_class(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    name_node = node.child_by_field_id(_NAME)
    if name_node is None:
        return None
    name = node_text(name_node, src)
    body = node.child_by_field_id(_BODY)
    decorators, decorator_refs = _decorators(node, src)
    references = [("decorate", n, line) for n, line in decorator_refs]
    bases: list[str] = []
    superclasses = node.child_by_field_id(_SUPERCLASSES)
    if superclasses is not None:
        for base in superclasses.named_children:
            if base.type == "keyword_argument":
                bases.append(collapse(node_text(base, src)))
                continue
            if base.type in ("list_splat", "dictionary_splat"):
                continue
            base_name = callee_name(base, src, _CALLEES)
            if base_name != "?":
                bases.append(base_name)
                references.append(("inherit", base_name, base.start_point[0] + 1))
    public = visibility(name)
    return Definition(  # positional: cheaper than keywords, as in _describe_function
        "class",
        name,
        node,
        None,
        None,
        False,
        header(src, node.start_byte, body.start_byte if body is not None else node.end_byte, ":"),
        _docstring(body, src, ctx.docstring_starts),
        public,
        False,
        False,
        not _ABSTRACT_BASES.isdisjoint(bases),
        ctx.enclosing_kind == "module" and public == "public",
        tuple(decorators),
        (),
        None,
        references,
    )


def _describe_variable(node: Node, ctx: DefinitionContext) -> Definition | None:
    statement = node.parent
    while statement is not None and statement.type != "expression_statement":
        statement = statement.parent
    if statement is None:
        return None
    name = node_text(node, ctx.src)
    first_line = ctx.src[statement.start_byte:statement.end_byte].split(b"\n", 1)[0]
    letters = [c for c in name if c.isalpha()]
    is_constant = bool(letters) and name.upper() == name
    return Definition(
        kind="constant" if is_constant else "variable",
        name=name,
        node=statement,
        signature=collapse(first_line.decode("utf-8", "replace"))[:200],
        visibility=visibility(name),
        is_exported=visibility(name) == "public",
    )


def describe(node: Node, capture: str, ctx: DefinitionContext) -> Definition | None:
    """A captured definition as a ``Definition``."""
    if capture == "module":
        return Definition(
            kind="module", name=ctx.enclosing_name, node=node, docstring=_docstring(node, ctx.src, ctx.docstring_starts)
        )
    if capture == "def.function":
        return _describe_function(node, ctx)
    if capture == "def.class":
        return _describe_class(node, ctx)
    if capture == "def.variable":
        return _describe_variable(node, ctx)
    return None


def _dotted(node: Node, src: bytes) -> str:
    return "".join(node_text(node, src).split())


def imports(node: Node, src: bytes) -> list[ImportSpec]:
    """``import a.b as c`` / ``from ..a import b as c`` / ``from x import *`` as ImportSpecs."""
    line = node.start_point[0] + 1
    specs: list[ImportSpec] = []
    if node.type == "import_statement":
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                module_node = child.child_by_field_name("name")
                alias_node = child.child_by_field_name("alias")
                module = _dotted(module_node, src) if module_node is not None else ""
                alias = node_text(alias_node, src) if alias_node is not None else None
                specs.append(ImportSpec(line, module, None, alias, 0, alias, node=node))
            else:
                module = _dotted(child, src)
                specs.append(ImportSpec(line, module, None, None, 0, module.split(".", 1)[0], node=node))
        return specs
    module: str | None
    level = 0
    if node.type == "future_import_statement":
        module = "__future__"
    else:
        module_node = node.child_by_field_name("module_name")
        if module_node is None:
            return specs
        if module_node.type == "relative_import":
            module = None
            for part in module_node.named_children:
                if part.type == "import_prefix":
                    level = part.end_byte - part.start_byte
                elif part.type == "dotted_name":
                    module = _dotted(part, src)
        else:
            module = _dotted(module_node, src)
    names = node.children_by_field_name("name")
    if not names:
        for child in node.named_children:
            if child.type == "wildcard_import":
                specs.append(ImportSpec(line, module, "*", None, level, None, node=node))
        return specs
    for child in names:
        if child.type == "aliased_import":
            name_node = child.child_by_field_name("name")
            alias_node = child.child_by_field_name("alias")
            name = _dotted(name_node, src) if name_node is not None else ""
            alias = node_text(alias_node, src) if alias_node is not None else None
            specs.append(ImportSpec(line, module, name, alias, level, alias or name, node=node))
        else:
            name = _dotted(child, src)
            specs.append(ImportSpec(line, module, name, None, level, name, node=node))
    return specs


def call_name(node: Node, src: bytes) -> str | None:
    """The callee's dotted name, or None when it is no name at all (``(lambda: 1)()``)."""
    name = callee_name(node, src, _CALLEES)
    return None if name == "?" else name


def _assignment_targets(statement: Node, src: bytes) -> Iterator[tuple[str, Node]]:
    """(capture, node) for the names a module-level assignment statement binds, and ``__all__``."""
    assignment = first_named(statement)
    if assignment is None:
        return
    kind = assignment.type
    if kind not in ("assignment", "augmented_assignment"):
        return
    left = assignment.child_by_field_name("left")
    if left is None:
        return
    if left.type == "identifier":
        if src[left.start_byte:left.end_byte] == b"__all__":
            right = assignment.child_by_field_name("right")
            if right is not None and right.type in ("list", "tuple"):
                yield "export", right
        if kind == "assignment":
            yield "def.variable", left
    elif left.type == "pattern_list" and kind == "assignment":
        for target in left.named_children:
            if target.type == "identifier":
                yield "def.variable", target


def _blocks(statement: Node) -> Iterator[Node]:
    """The blocks of a module-level if/try statement."""
    kind = statement.type
    if kind == "if_statement":
        consequence = statement.child_by_field_name("consequence")
        if consequence is not None:
            yield consequence
        for clause in statement.children_by_field_name("alternative"):
            body = clause.child_by_field_name("consequence") or clause.child_by_field_name("body")
            if body is not None:
                yield body
    elif kind == "try_statement":
        body = statement.child_by_field_name("body")
        if body is not None:
            yield body
        for clause in statement.named_children:
            if clause.type in ("except_clause", "except_group_clause", "else_clause", "finally_clause"):
                for part in clause.named_children:
                    if part.type == "block":
                        yield part


def top_level(root: Node, src: bytes) -> Iterator[tuple[str, Node]]:
    """Module-level variables (also in module-level if/try blocks) and the ``__all__`` list."""
    for statement in root.named_children:
        kind = statement.type
        if kind == "expression_statement":
            yield from _assignment_targets(statement, src)
        elif kind in ("if_statement", "try_statement"):
            for block in _blocks(statement):
                for inner in block.named_children:
                    if inner.type == "expression_statement":
                        yield from _assignment_targets(inner, src)


def exported_names(node: Node, src: bytes) -> list[str]:
    """The string literals of an ``__all__`` list or tuple."""
    names = []
    for child in node.named_children:
        if child.type == "string":
            names.append(string_literal_value(node_text(child, src)))
    return names


SUPPORTS = (
    LanguageSupport(
        name="python",
        extensions=(".py", ".pyi"),
        grammar=tree_sitter_python.language,
        query=QUERY,
        module_name=module_name,
        describe=describe,
        imports=imports,
        call_name=call_name,
        decision_types=DECISION_TYPES,
        boundary_captures=("def.function",),
        nesting_types=NESTING_TYPES,
        comment_types=("comment",),
        top_level=top_level,
        exported_names=exported_names,
        export_list_overrides=True,
        maintainability=True,
    ),
)
