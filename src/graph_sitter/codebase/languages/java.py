"""Java: grammar, queries, complexity rules and extraction rules.

Qualified names: the package followed by the type nesting (``com.acme.Outer.Inner.method``); a type
declared inside a method is qualified by the method. The file's ``module`` element is named by the
file (``com.acme.Outer`` for com/acme/Outer.java); a file without a package declaration qualifies
its types by their own names only.

Kinds: class (records too), interface (annotation types too), enum, method (constructors too, named
like the class), and fields as variables, ``static final`` fields and interface constants as
constants. Methods of anonymous classes are measured but are not elements. Annotations are the
decorators. Visibility comes from the modifiers, package-private being ``internal``; interface
members are public. Exported means public.

Cyclomatic complexity follows lizard (lizard_languages/java.py, clike.py, default conditions of
code_reader.py): 1 plus one per ``if``, ``for`` (also enhanced for), ``while`` (also
``do...while``), ``catch``, ``case``, ``&&``, ``||`` and ternary ``?``. ``else``, ``default``,
``finally`` and ``switch`` do not count. A lambda is not a function for lizard, so its decisions
count for the enclosing method; a method of an anonymous class is a function of its own. Lizard's
tokenizer reads a generic argument list such as ``<? extends T>`` as one token, but not when the
bound itself has brackets (``<? extends List<T>>``), where the wildcard ``?`` becomes a separate
token and counts: this rule reproduces that.
"""

from __future__ import annotations

import re

import tree_sitter_java

from graph_sitter.codebase.languages.support import (
    Definition,
    DefinitionContext,
    ImportSpec,
    LanguageSupport,
    Node,
)
from graph_sitter.codebase.languages.syntax import (
    first_named,
    DocCommentTest,
    collapse,
    header,
    node_text,
    preceding_doc_comment,
)

QUERY = """
(class_declaration) @def.class
(record_declaration) @def.class
(interface_declaration) @def.interface
(annotation_type_declaration) @def.interface
(enum_declaration) @def.enum
(method_declaration) @def.method
(constructor_declaration) @def.method
(compact_constructor_declaration) @def.method
(field_declaration declarator: (variable_declarator name: (identifier) @def.field))
(constant_declaration declarator: (variable_declarator name: (identifier) @def.field))
(import_declaration) @import
(method_invocation) @call
(object_creation_expression type: (_) @call)
(explicit_constructor_invocation constructor: (_) @call)
(ternary_expression "?" @decision)
(wildcard "?" @decision.check)
(if_statement alternative: (if_statement) @nest.skip)
"""

DECISION_TYPES = ("if", "for", "while", "catch", "case", "&&", "||")
FUNCTION_TYPES = ("method_declaration", "constructor_declaration", "compact_constructor_declaration")
NESTING_TYPES = (
    "if_statement", "for_statement", "enhanced_for_statement", "while_statement", "do_statement",
    "try_statement", "try_with_resources_statement", "switch_expression", "synchronized_statement",
)
COMMENT_TYPES = ("line_comment", "block_comment")

JAVADOC = DocCommentTest(frozenset(COMMENT_TYPES), ("/**",), line_comments=False)
_NAMES = frozenset({"identifier", "this", "super", "type_identifier"})
_SIMPLE_WILDCARD = re.compile(rb"[\w\s,.?]*")
_TYPE_BODIES = frozenset({"class_body", "interface_body", "enum_body", "annotation_type_body"})


def _package(root: Node, src: bytes) -> str:
    for child in root.named_children:
        if child.type == "package_declaration":
            for part in child.named_children:
                if part.type in ("scoped_identifier", "identifier"):
                    return "".join(node_text(part, src).split())
            return ""
        if child.type not in COMMENT_TYPES:
            break
    return ""


def module_name(path: str, root: Node, src: bytes) -> tuple[str, str, str]:
    """(file stem, package + file stem, package): types are qualified by the package alone."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    package = _package(root, src)
    return stem, f"{package}.{stem}" if package else stem, package


def _modifiers(node: Node, src: bytes) -> tuple[set[str], list[str], list[tuple[str, str, int]]]:
    """(keywords, annotation texts, decorate references) of a declaration's ``modifiers``."""
    keywords: set[str] = set()
    annotations: list[str] = []
    references: list[tuple[str, str, int]] = []
    for child in node.children:
        if child.type != "modifiers":
            continue
        for item in child.children:
            if item.type in ("marker_annotation", "annotation"):
                name_node = item.child_by_field_name("name")
                if name_node is not None:
                    name = "".join(node_text(name_node, src).split())
                    annotations.append(collapse(node_text(item, src))[1:])
                    references.append(("decorate", name, item.start_point[0] + 1))
            elif not item.is_named:
                keywords.add(item.type)
        break
    return keywords, annotations, references


def _visibility(keywords: set[str], in_interface: bool) -> str:
    for word in ("public", "private", "protected"):
        if word in keywords:
            return word
    return "public" if in_interface else "internal"


def _type_name(node: Node, src: bytes) -> str:
    if node.type == "generic_type":
        inner = first_named(node)
        if inner is not None:
            node = inner
    return "".join(node_text(node, src).split())


def _type_list(node: Node | None, src: bytes, kind: str) -> list[tuple[str, str, int]]:
    references: list[tuple[str, str, int]] = []
    if node is None:
        return references
    for child in node.named_children:
        if child.type == "type_list":
            references.extend(_type_list(child, src, kind))
        else:
            references.append((kind, _type_name(child, src), child.start_point[0] + 1))
    return references


def _in_interface(node: Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type in ("interface_body", "annotation_type_body")


def _describe_type(node: Node, kind: str, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    name = node_text(name_node, src)
    keywords, annotations, references = _modifiers(node, src)
    references.extend(_type_list(node.child_by_field_name("superclass"), src, "inherit"))
    references.extend(_type_list(node.child_by_field_name("interfaces"), src, "implement"))
    for child in node.named_children:
        if child.type == "extends_interfaces":
            references.extend(_type_list(child, src, "inherit"))
    body = node.child_by_field_name("body")
    visibility = _visibility(keywords, _in_interface(node))
    return Definition(
        kind=kind,
        name=name,
        node=node,
        signature=header(src, node.start_byte, body.start_byte if body is not None else node.end_byte)[:300],
        docstring=preceding_doc_comment(node, src, JAVADOC),
        visibility=visibility,
        is_static="static" in keywords,
        is_abstract="abstract" in keywords or kind == "interface",
        is_exported=visibility == "public",
        decorators=tuple(annotations),
        references=references,
    )


def _parameters(node: Node, src: bytes) -> tuple[str, ...]:
    params = node.child_by_field_name("parameters")
    if params is None:
        return ()
    names: list[str] = []
    for child in params.named_children:
        if child.type == "formal_parameter":
            name_node = child.child_by_field_name("name")
            if name_node is not None:
                names.append(node_text(name_node, src))
        elif child.type == "spread_parameter":
            for part in child.named_children:
                if part.type == "variable_declarator":
                    name_node = part.child_by_field_name("name")
                    if name_node is not None:
                        names.append("..." + node_text(name_node, src))
    return tuple(names)


def _describe_method(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    body_owner = node.parent
    if body_owner is not None and body_owner.type == "class_body":
        owner = body_owner.parent
        if owner is not None and owner.type in ("object_creation_expression", "enum_constant"):
            return None  # a method of an anonymous class: measured, not an element
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    name = node_text(name_node, src)
    keywords, annotations, references = _modifiers(node, src)
    body = node.child_by_field_name("body")
    returns = node.child_by_field_name("type")
    in_interface = _in_interface(node)
    visibility = _visibility(keywords, in_interface)
    abstract = "abstract" in keywords or (in_interface and body is None and "static" not in keywords)
    return Definition(
        kind="method",
        name=name,
        node=node,
        function=node,
        signature=header(src, node.start_byte, body.start_byte if body is not None else node.end_byte, ";"),
        docstring=preceding_doc_comment(node, src, JAVADOC),
        visibility=visibility,
        is_static="static" in keywords,
        is_abstract=abstract,
        is_exported=visibility == "public",
        decorators=tuple(annotations),
        parameters=_parameters(node, src),
        return_type=collapse(node_text(returns, src)) if returns is not None else None,
        references=references,
    )


def _describe_field(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    declaration = node.parent.parent if node.parent is not None else None
    if declaration is None:
        return None
    keywords, annotations, _ = _modifiers(declaration, src)
    in_interface = _in_interface(declaration)
    constant = declaration.type == "constant_declaration" or {"static", "final"} <= keywords
    visibility = _visibility(keywords, in_interface)
    kind_node = declaration.child_by_field_name("type")
    name = node_text(node, src)
    declared = " ".join(word for word in ("public", "private", "protected", "static", "final") if word in keywords)
    type_text = collapse(node_text(kind_node, src)) if kind_node is not None else ""
    return Definition(
        kind="constant" if constant else "variable",
        name=name,
        node=declaration,
        signature=" ".join(part for part in (declared, type_text, name) if part)[:200],
        docstring=preceding_doc_comment(declaration, src, JAVADOC),
        visibility=visibility,
        is_static="static" in keywords or in_interface,
        is_exported=visibility == "public",
        decorators=tuple(annotations),
        return_type=collapse(node_text(kind_node, src)) if kind_node is not None else None,
    )


def describe(node: Node, capture: str, ctx: DefinitionContext) -> Definition | None:
    """A captured definition as a ``Definition``."""
    if capture == "def.method":
        return _describe_method(node, ctx)
    if capture == "def.class":
        return _describe_type(node, "class", ctx)
    if capture == "def.interface":
        return _describe_type(node, "interface", ctx)
    if capture == "def.enum":
        return _describe_type(node, "enum", ctx)
    if capture == "def.field":
        return _describe_field(node, ctx)
    return None


def imports(node: Node, src: bytes) -> list[ImportSpec]:
    """``import a.b.C;``, ``import a.b.*;``, ``import static a.B.m;``."""
    line = node.start_point[0] + 1
    path = None
    star = False
    for child in node.named_children:
        if child.type in ("scoped_identifier", "identifier"):
            path = "".join(node_text(child, src).split())
        elif child.type == "asterisk":
            star = True
    if path is None:
        return []
    if star:
        return [ImportSpec(line, path, "*", None, 0, None, node=node)]
    module, _, name = path.rpartition(".")
    return [ImportSpec(line, module or None, name, None, 0, name, node=node)]


def _callee(node: Node, src: bytes, depth: int = 0) -> str:
    kind = node.type
    if kind in _NAMES:
        return node_text(node, src)
    if depth > 32:
        return "?"
    if kind == "method_invocation":
        obj = node.child_by_field_name("object")
        name_node = node.child_by_field_name("name")
        name = node_text(name_node, src) if name_node is not None else "?"
        if obj is None:
            return name
        base = _callee(obj, src, depth + 1)
        # A call result in the chain is written as a call: a.b().c
        return f"{base}().{name}" if obj.type == "method_invocation" else f"{base}.{name}"
    if kind == "field_access":
        obj = node.child_by_field_name("object")
        field = node.child_by_field_name("field")
        base = _callee(obj, src, depth + 1) if obj is not None else "?"
        return f"{base}.{node_text(field, src) if field is not None else '?'}"
    if kind in ("generic_type", "scoped_type_identifier", "scoped_identifier"):
        return _type_name(node, src)
    if kind == "parenthesized_expression" and node.named_child_count:
        return _callee(first_named(node), src, depth + 1)
    if kind == "array_access":
        array = node.child_by_field_name("array")
        return (_callee(array, src, depth + 1) if array is not None else "?") + "[]"
    return "?"


def call_name(node: Node, src: bytes) -> str | None:
    """``obj.method``, ``this.m``, ``super.m``, ``Type`` (constructor), ``super``/``this``."""
    name = _callee(node, src)
    if node.type == "method_invocation":
        return name
    return None if name == "?" else name


def check_decision(node: Node, src: bytes, path: str) -> bool:
    """A wildcard ``?`` counts when its bound has brackets, as lizard's tokenizer then splits it."""
    wildcard = node.parent
    if wildcard is None:
        return False
    return _SIMPLE_WILDCARD.fullmatch(src, wildcard.start_byte, wildcard.end_byte) is None


SUPPORTS = (
    LanguageSupport(
        name="java",
        extensions=(".java",),
        grammar=tree_sitter_java.language,
        query=QUERY,
        module_name=module_name,
        describe=describe,
        imports=imports,
        call_name=call_name,
        decision_types=DECISION_TYPES,
        function_types=FUNCTION_TYPES,
        nesting_types=NESTING_TYPES,
        comment_types=COMMENT_TYPES,
        check_decision=check_decision,
    ),
)
