"""Rust: grammar, queries, complexity rules and extraction rules.

Qualified names are ``::``-joined. A file's module path comes from its path: the part after a
``src`` directory, with ``lib.rs``/``main.rs``/``mod.rs`` standing for their directory, prefixed by
``crate`` for the root ``src/`` and by the crate directory's name otherwise
(``src/net/tcp.rs`` -> ``crate::net::tcp``, ``src/lib.rs`` -> ``crate``,
``crates/io/src/buf.rs`` -> ``io::buf``; without ``src``, the path itself: ``tests/it.rs`` ->
``tests::it``). Items are qualified below it (``crate::net::tcp::Stream``); a method inside
``impl Type`` or ``impl Trait for Type`` is qualified by the type (``crate::net::tcp::Stream::connect``)
and has that type as parent when it is declared in the same file. An inline ``mod name { ... }`` is
an element of kind ``module``; ``mod name;`` and ``extern crate`` are import references.

Kinds: fn (method inside impl/trait; a trait's bodiless fn is abstract), struct (union too), enum,
trait, type alias, const (constant), static (constant; ``static mut`` is a variable), use
declarations (imports; ``pub use`` re-exports). ``impl Trait for Type`` gives an ``implement``
reference from the type, supertraits give ``inherit`` references. Visibility: ``pub`` is public
(exported), ``pub(crate)``/``pub(super)``/``pub(in ...)`` internal, nothing private; trait items are
public. Attributes (``#[test]``, ``#[derive(Debug)]``) are listed as decorators.

Cyclomatic complexity follows lizard (lizard_languages/rust.py, golike.py): 1 plus one per ``if``,
``for``, ``while``, ``where``, ``&&``, ``||`` and ``?`` token (the ``?`` operator and ``?Sized``),
plus one per ``match`` arm after the first, plus one per ``let ... else``. Tokens inside macro
invocations count too, as lizard reads tokens. ``else``, ``loop`` and closures do not count (a
closure is not a function for lizard, its decisions are the enclosing function's); a nested ``fn``
is a function of its own. Lizard reads ``&&x`` (a double reference) as the ``&&`` operator, and so
does this rule.
"""

from __future__ import annotations

import tree_sitter_rust

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
    clean_comment,
    collapse,
    header,
    node_text,
)

QUERY = """
(function_item) @def.function
(function_signature_item) @def.function
(struct_item) @def.struct
(union_item) @def.struct
(enum_item) @def.enum
(trait_item) @def.trait
(type_item) @def.type_alias
(const_item) @def.constant
(static_item) @def.static
(mod_item body: (_)) @def.module
(impl_item) @def.impl
(use_declaration) @import
(mod_item !body) @import
(extern_crate_declaration) @import
(call_expression function: (_) @call)
(match_arm) @decision
(match_block . (match_arm) @decision.cancel)
(let_declaration "else" @decision)
(reference_expression value: (reference_expression) @decision.check)
(reference_type type: (reference_type) @decision.check)
(else_clause (if_expression) @nest.skip)
"""

DECISION_TYPES = ("if", "for", "while", "where", "&&", "||", "?")
FUNCTION_TYPES = ("function_item",)
NESTING_TYPES = ("if_expression", "for_expression", "while_expression", "loop_expression", "match_expression")
COMMENT_TYPES = ("line_comment", "block_comment")

CALLEES = CalleeGrammar(
    names=frozenset({"identifier", "self", "super", "crate", "field_identifier", "metavariable"}),
    members={"field_expression": ("value", "field", "."), "scoped_identifier": ("path", "name", "::")},
    calls={"call_expression": "function"},
    subscripts={"index_expression": ""},
    transparent={"generic_function": "function", "parenthesized_expression": ""},
)
_ITEM_PREFIXES = ("attribute_item", "line_comment", "block_comment")


def module_name(path: str, root: Node, src: bytes) -> tuple[str, str]:
    """``src/net/tcp.rs`` -> ("tcp", "crate::net::tcp"); ``src/lib.rs`` -> ("crate", "crate")."""
    parts = path[:-3].split("/") if path.endswith(".rs") else path.split("/")
    if "src" in parts:
        index = parts.index("src")
        crate = parts[index - 1] if index > 0 else "crate"
        parts = [crate] + parts[index + 1:]
    if len(parts) > 1 and parts[-1] in ("lib", "main", "mod"):
        parts.pop()
    return parts[-1], "::".join(parts)


def _visibility(node: Node, src: bytes, default: str = "private") -> str:
    for child in node.children:
        if child.type == "visibility_modifier":
            text = node_text(child, src)
            return "public" if text == "pub" else "internal"
        if child.type in ("fn", "struct", "enum", "trait", "type", "const", "static", "mod", "union", "use"):
            break
    return default


def _leading(node: Node, src: bytes) -> tuple[str | None, tuple[str, ...]]:
    """The doc comment and attributes written above an item."""
    docs: list[str] = []
    attributes: list[str] = []
    sibling = node.prev_sibling
    expected_row = node.start_point[0]
    while sibling is not None and sibling.type in _ITEM_PREFIXES:
        end_row = sibling.end_point[0] - (1 if sibling.end_point[1] == 0 and sibling.end_point[0] > sibling.start_point[0] else 0)
        if end_row < expected_row - 1:
            break
        raw = node_text(sibling, src)
        if sibling.type == "attribute_item":
            attributes.append(collapse(raw[2:-1] if raw.startswith("#[") else raw))
        elif raw.startswith(("///", "/**")) and not raw.startswith(("////", "/***")):
            docs.append(raw)
        else:
            break
        expected_row = sibling.start_point[0]
        sibling = sibling.prev_sibling
    docs.reverse()
    attributes.reverse()
    return (clean_comment("\n".join(docs)) if docs else None), tuple(attributes)


def _type_name(node: Node | None, src: bytes) -> str | None:
    while node is not None and node.type in ("generic_type", "reference_type", "pointer_type", "scoped_type_identifier"):
        if node.type == "scoped_type_identifier":
            node = node.child_by_field_name("name")
        else:
            node = node.child_by_field_name("type")
    return node_text(node, src) if node is not None else None


def _parameters(node: Node, src: bytes) -> tuple[tuple[str, ...], bool]:
    """Parameter names and whether the function takes ``self``."""
    params = node.child_by_field_name("parameters")
    if params is None:
        return (), False
    names: list[str] = []
    has_self = False
    for child in params.named_children:
        if child.type == "self_parameter":
            names.append(collapse(node_text(child, src)))
            has_self = True
        elif child.type == "parameter":
            pattern = child.child_by_field_name("pattern")
            if pattern is not None:
                names.append(collapse(node_text(pattern, src)))
        elif child.type == "variadic_parameter":
            names.append("...")
    return tuple(names), has_self


def _in_trait_impl(node: Node) -> bool:
    """True for a fn of ``impl Trait for Type``: it is as visible as the trait."""
    body = node.parent
    impl = body.parent if body is not None else None
    return impl is not None and impl.type == "impl_item" and impl.child_by_field_name("trait") is not None


def _describe_function(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    name = node_text(name_node, src)
    in_type = ctx.enclosing_kind in ("scope", "trait")
    body = node.child_by_field_name("body")
    returns = node.child_by_field_name("return_type")
    docstring, attributes = _leading(node, src)
    parameters, has_self = _parameters(node, src)
    is_async = False
    for child in node.children:
        if child.type == "function_modifiers":
            is_async = "async" in node_text(child, src).split()
            break
        if child.type == "fn":
            break
    visibility = _visibility(node, src, "public" if ctx.enclosing_kind == "trait" or _in_trait_impl(node) else "private")
    return Definition(
        kind="method" if in_type else "function",
        name=name,
        node=node,
        function=node if body is not None else None,
        signature=header(src, node.start_byte, body.start_byte if body is not None else node.end_byte, ";"),
        docstring=docstring,
        visibility=visibility,
        is_async=is_async,
        is_static=in_type and not has_self,
        is_abstract=body is None,
        is_exported=visibility == "public",
        decorators=attributes,
        parameters=parameters,
        return_type=collapse(node_text(returns, src)) if returns is not None else None,
    )


def _describe_item(node: Node, kind: str, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    name = node_text(name_node, src)
    docstring, attributes = _leading(node, src)
    body = node.child_by_field_name("body")
    references: list[tuple[str, str, int]] = []
    if kind == "trait":
        bounds = node.child_by_field_name("bounds")
        for bound in bounds.named_children if bounds is not None else ():
            bound_name = _type_name(bound, src)
            if bound_name and not bound_name.startswith("'"):
                references.append(("inherit", bound_name, bound.start_point[0] + 1))
    if kind == "static":
        mutable = any(child.type == "mutable_specifier" for child in node.children)
        kind = "variable" if mutable else "constant"
    visibility = _visibility(node, src)
    end = body.start_byte if body is not None and kind != "type_alias" else node.end_byte
    return Definition(
        kind=kind,
        name=name,
        node=node,
        signature=header(src, node.start_byte, end, ";")[:300],
        docstring=docstring,
        visibility=visibility,
        is_exported=visibility == "public",
        decorators=attributes,
        references=references,
    )


def _describe_impl(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    type_name = _type_name(node.child_by_field_name("type"), src)
    if not type_name:
        return None
    references = []
    trait = node.child_by_field_name("trait")
    if trait is not None:
        trait_name = _type_name(trait, src) or collapse(node_text(trait, src))
        references.append(("implement", trait_name, trait.start_point[0] + 1))
    return Definition(kind="impl", name=type_name, node=node, scope_only=True, references=references)


def _describe_crate_docs(root: Node, ctx: DefinitionContext) -> Definition | None:
    """The ``//!`` comments opening a file document its module."""
    lines = []
    for child in root.children:
        if child.type != "line_comment":
            break
        text = node_text(child, ctx.src)
        if not text.startswith("//!"):
            break
        lines.append(text)
    if not lines:
        return None
    return Definition(kind="module", name=ctx.enclosing_name, node=root, docstring=clean_comment("\n".join(lines)))


def describe(node: Node, capture: str, ctx: DefinitionContext) -> Definition | None:
    """A captured definition as a ``Definition``."""
    if capture == "def.function":
        return _describe_function(node, ctx)
    if capture == "def.impl":
        return _describe_impl(node, ctx)
    if capture == "module":
        return _describe_crate_docs(node, ctx)
    kind = capture[4:]
    return _describe_item(node, kind, ctx)


def _flatten_use(node: Node, prefix: str, src: bytes, out: list[tuple[str, str | None, bool]]) -> None:
    """Collect (path, alias, glob) for every leaf of a use tree."""
    kind = node.type
    if kind in ("identifier", "self", "super", "crate", "scoped_identifier", "metavariable"):
        text = "".join(node_text(node, src).split())
        out.append((f"{prefix}::{text}" if prefix else text, None, False))
    elif kind == "use_as_clause":
        path = node.child_by_field_name("path")
        alias = node.child_by_field_name("alias")
        if path is not None:
            text = "".join(node_text(path, src).split())
            out.append((f"{prefix}::{text}" if prefix else text, node_text(alias, src) if alias else None, False))
    elif kind == "use_list":
        for child in node.named_children:
            _flatten_use(child, prefix, src, out)
    elif kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        inner = node.child_by_field_name("list")
        base = "".join(node_text(path, src).split()) if path is not None else ""
        if prefix and base:
            base = f"{prefix}::{base}"
        elif prefix:
            base = prefix
        if inner is not None:
            _flatten_use(inner, base, src, out)
    elif kind == "use_wildcard":
        path = first_named(node)
        text = "".join(node_text(path, src).split()) if path is not None else ""
        out.append((f"{prefix}::{text}" if prefix and text else (text or prefix), None, True))


def imports(node: Node, src: bytes) -> list[ImportSpec]:
    """``use`` trees flattened to one ImportSpec per leaf; ``mod x;`` and ``extern crate x``."""
    line = node.start_point[0] + 1
    if node.type == "mod_item":
        name_node = node.child_by_field_name("name")
        return [ImportSpec(line, node_text(name_node, src), node=node)] if name_node is not None else []
    if node.type == "extern_crate_declaration":
        name_node = node.child_by_field_name("name")
        alias_node = node.child_by_field_name("alias")
        if name_node is None:
            return []
        name = node_text(name_node, src)
        alias = node_text(alias_node, src) if alias_node is not None else None
        return [ImportSpec(line, name, None, alias, 0, alias or name, node=node)]
    argument = node.child_by_field_name("argument")
    if argument is None:
        return []
    leaves: list[tuple[str, str | None, bool]] = []
    _flatten_use(argument, "", src, leaves)
    reexport = _visibility(node, src) != "private"
    specs = []
    for path, alias, glob in leaves:
        if glob:
            specs.append(ImportSpec(line, path, "*", None, 0, None, reexport, node=node))
            continue
        module, _, name = path.rpartition("::")
        if name == "self":
            module, _, name = module.rpartition("::")
            specs.append(ImportSpec(line, module + ("::" if module else "") + name, None, alias, 0,
                                    alias or name, reexport, node=node))
            continue
        specs.append(ImportSpec(line, module or None, name, alias, 0, alias or name, reexport, node=node))
    return specs


def call_name(node: Node, src: bytes) -> str | None:
    """The callee's path: ``foo``, ``S::new``, ``self.save``; None for closures called in place."""
    name = callee_name(node, src, CALLEES)
    return None if name == "?" else name


def check_decision(node: Node, src: bytes, path: str) -> bool:
    """``&&x``/``&&T`` written without a space is one ``&&`` token for lizard."""
    start = node.start_byte
    return start > 0 and src[start - 1:start] == b"&"


SUPPORTS = (
    LanguageSupport(
        name="rust",
        extensions=(".rs",),
        grammar=tree_sitter_rust.language,
        query=QUERY,
        module_name=module_name,
        describe=describe,
        imports=imports,
        call_name=call_name,
        separator="::",
        decision_types=DECISION_TYPES,
        function_types=FUNCTION_TYPES,
        nesting_types=NESTING_TYPES,
        comment_types=COMMENT_TYPES,
        check_decision=check_decision,
    ),
)
