"""Go: grammar, queries, complexity rules and extraction rules.

Qualified names: the package's import path relative to the analysis root (the file's directory,
``internal/util``; the package clause's name for files in the root directory) followed by
``.Func``, ``.Type`` or ``.Type.Method``, where a method is qualified by its receiver's type
(pointer and type parameters stripped) and has that type as parent when it is declared in the same
file. Every file of a package has a ``module`` element with the same qualified name.

Kinds: ``type X struct`` is a struct, ``type X interface`` an interface, every other type
declaration (``type X int``, ``type X = Y``) a type_alias; package-level ``const`` names are
constants and ``var`` names variables. Embedded struct fields and embedded interfaces are
``inherit`` references. Exported and visibility follow Go's rule: a capitalised name is exported
and public, any other name is internal (package-private).

Cyclomatic complexity follows lizard (lizard_languages/go.py, golike.py, default conditions of
code_reader.py): 1 plus one per ``if``, ``for``, ``case`` (expression, type and select cases),
``&&`` and ``||``. ``else``, ``default``, ``switch``, ``select``, ``goto`` and ``break`` do not
count. A function literal (closure) is a function of its own for lizard: its decisions are not the
enclosing function's.
"""

from __future__ import annotations

from typing import Iterator

import tree_sitter_go

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
    DocCommentTest,
    callee_name,
    collapse,
    header,
    node_text,
    preceding_doc_comment,
)

QUERY = """
(function_declaration) @def.function
(method_declaration) @def.method
(import_spec) @import
(call_expression function: (_) @call)
(if_statement alternative: (if_statement) @nest.skip)
"""

DECISION_TYPES = ("if", "for", "case", "&&", "||")
FUNCTION_TYPES = ("function_declaration", "method_declaration", "func_literal")
NESTING_TYPES = (
    "if_statement", "for_statement", "expression_switch_statement", "type_switch_statement", "select_statement",
)

CALLEES = CalleeGrammar(
    names=frozenset({"identifier", "field_identifier", "package_identifier"}),
    members={"selector_expression": ("operand", "field", ".")},
    calls={"call_expression": "function"},
    subscripts={"index_expression": "operand"},
    transparent={"parenthesized_expression": ""},
)
GODOC = DocCommentTest(frozenset({"comment"}), ("//", "/*"), line_comments=True)


def _package_name(root: Node, src: bytes) -> str | None:
    for child in root.named_children:
        if child.type == "package_clause":
            ident = first_named(child)
            return node_text(ident, src) if ident is not None else None
        if child.type != "comment":
            break
    return None


def module_name(path: str, root: Node, src: bytes) -> tuple[str, str]:
    """(package name, package path relative to the root); the root package is named by its clause."""
    directory = path.rsplit("/", 1)[0] if "/" in path else ""
    package = _package_name(root, src) or (directory.rsplit("/", 1)[-1] if directory else "main")
    return package, directory or package


def _exported(name: str) -> bool:
    return name[:1].isupper()


def _visibility(name: str) -> str:
    return "public" if _exported(name) else "internal"


def _parameters(params: Node | None, src: bytes) -> tuple[str, ...]:
    if params is None:
        return ()
    names: list[str] = []
    for child in params.named_children:
        if child.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        found = False
        for name_node in child.children_by_field_name("name"):
            prefix = "..." if child.type == "variadic_parameter_declaration" else ""
            names.append(prefix + node_text(name_node, src))
            found = True
        if not found:
            kind = child.child_by_field_name("type")
            names.append(collapse(node_text(kind, src)) if kind is not None else "_")
    return tuple(names)


def _receiver_type(method: Node, src: bytes) -> str | None:
    receiver = method.child_by_field_name("receiver")
    if receiver is None:
        return None
    for child in receiver.named_children:
        if child.type == "parameter_declaration":
            kind = child.child_by_field_name("type")
            while kind is not None and kind.type in ("pointer_type", "generic_type", "parenthesized_type"):
                kind = kind.child_by_field_name("type") or first_named(kind)
            return node_text(kind, src) if kind is not None else None
    return None


def _describe_function(node: Node, kind: str, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    name = node_text(name_node, src)
    body = node.child_by_field_name("body")
    result = node.child_by_field_name("result")
    scope = _receiver_type(node, src) if kind == "method" else None
    if kind == "method" and scope is None:
        return None
    return Definition(
        kind=kind,
        name=name,
        node=node,
        function=node,
        scope=scope,
        signature=header(src, node.start_byte, body.start_byte if body is not None else node.end_byte),
        docstring=preceding_doc_comment(node, src, GODOC),
        visibility=_visibility(name),
        is_exported=_exported(name),
        parameters=_parameters(node.child_by_field_name("parameters"), src),
        return_type=collapse(node_text(result, src)) if result is not None else None,
    )


def _embedded(type_node: Node, src: bytes) -> list[tuple[str, str, int]]:
    references = []
    if type_node.type == "struct_type":
        fields = first_named(type_node)
        for field in fields.named_children if fields is not None else ():
            if field.type == "field_declaration" and field.child_by_field_name("name") is None:
                embedded = field.child_by_field_name("type")
                if embedded is not None:
                    text = node_text(embedded, src).lstrip("*")
                    references.append(("inherit", text.split("[", 1)[0], embedded.start_point[0] + 1))
    elif type_node.type == "interface_type":
        for child in type_node.named_children:
            if child.type == "type_elem" and child.named_child_count == 1:
                text = node_text(child, src)
                references.append(("inherit", text.split("[", 1)[0], child.start_point[0] + 1))
    return references


def _describe_type(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    name_node = node.child_by_field_name("name")
    type_node = node.child_by_field_name("type")
    if name_node is None or type_node is None:
        return None
    name = node_text(name_node, src)
    kind = {"struct_type": "struct", "interface_type": "interface"}.get(type_node.type, "type_alias")
    declaration = node.parent
    # A lone spec is documented above its `type` keyword; a grouped one above itself.
    documented = declaration if declaration is not None and declaration.named_child_count == 1 else node
    brace = src.find(b"{", type_node.start_byte, type_node.end_byte) if kind != "type_alias" else -1
    head_end = brace if brace >= 0 else node.end_byte
    return Definition(
        kind=kind,
        name=name,
        node=documented,
        signature=header(src, documented.start_byte, head_end)[:300],
        docstring=preceding_doc_comment(documented, src, GODOC),
        visibility=_visibility(name),
        is_exported=_exported(name),
        references=_embedded(type_node, src) if kind != "type_alias" else [],
    )


def _describe_value(node: Node, kind: str, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    spec = node.parent
    if spec is None:
        return None
    name = node_text(node, src)
    first_line = src[spec.start_byte:spec.end_byte].split(b"\n", 1)[0]
    return Definition(
        kind=kind,
        name=name,
        node=spec,
        signature=collapse(first_line.decode("utf-8", "replace"))[:200],
        docstring=preceding_doc_comment(spec, src, GODOC),
        visibility=_visibility(name),
        is_exported=_exported(name),
    )


def describe(node: Node, capture: str, ctx: DefinitionContext) -> Definition | None:
    """A captured definition as a ``Definition``."""
    if capture == "def.function":
        return _describe_function(node, "function", ctx)
    if capture == "def.method":
        return _describe_function(node, "method", ctx)
    if capture == "def.type":
        return _describe_type(node, ctx)
    if capture == "def.constant":
        return _describe_value(node, "constant", ctx)
    if capture == "def.variable":
        return _describe_value(node, "variable", ctx)
    if capture == "module":
        for child in node.named_children:
            if child.type == "package_clause":
                return Definition(kind="module", name=ctx.enclosing_name, node=node,
                                  docstring=preceding_doc_comment(child, ctx.src, GODOC))
    return None


def _spec_names(spec: Node, capture: str) -> Iterator[tuple[str, Node]]:
    # Names are the spec's direct identifier children (the grammar does not field them all).
    for child in spec.named_children:
        if child.type == "identifier":
            yield capture, child


def top_level(root: Node, src: bytes) -> Iterator[tuple[str, Node]]:
    """Package-level types, constants and variables."""
    for declaration in root.named_children:
        kind = declaration.type
        if kind == "type_declaration":
            for spec in declaration.named_children:
                if spec.type in ("type_spec", "type_alias"):
                    yield "def.type", spec
        elif kind == "const_declaration":
            for spec in declaration.named_children:
                if spec.type == "const_spec":
                    yield from _spec_names(spec, "def.constant")
        elif kind == "var_declaration":
            for spec in declaration.named_children:
                if spec.type == "var_spec":
                    yield from _spec_names(spec, "def.variable")
                elif spec.type == "var_spec_list":
                    for inner in spec.named_children:
                        if inner.type == "var_spec":
                            yield from _spec_names(inner, "def.variable")


def imports(node: Node, src: bytes) -> list[ImportSpec]:
    """One ``import_spec``: path, optional package name, ``.`` or ``_``."""
    path_node = node.child_by_field_name("path")
    if path_node is None:
        return []
    path = node_text(path_node, src).strip('"`')
    line = node.start_point[0] + 1
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return [ImportSpec(line, path, None, None, 0, path.rsplit("/", 1)[-1], node=node)]
    alias = node_text(name_node, src)
    if alias == ".":
        return [ImportSpec(line, path, "*", None, 0, None, node=node)]
    if alias == "_":
        return [ImportSpec(line, path, None, "_", 0, None, node=node)]
    return [ImportSpec(line, path, None, alias, 0, alias, node=node)]


def call_name(node: Node, src: bytes) -> str | None:
    """The callee's dotted name; None for a called function literal."""
    name = callee_name(node, src, CALLEES)
    return None if name == "?" else name


SUPPORTS = (
    LanguageSupport(
        name="go",
        extensions=(".go",),
        grammar=tree_sitter_go.language,
        query=QUERY,
        module_name=module_name,
        describe=describe,
        imports=imports,
        call_name=call_name,
        decision_types=DECISION_TYPES,
        function_types=FUNCTION_TYPES,
        nesting_types=NESTING_TYPES,
        comment_types=("comment",),
        top_level=top_level,
    ),
)
