"""JavaScript (and JSX): grammar, queries, complexity rules and extraction rules.

TypeScript reuses these rules (``typescript.py``) with its own grammar and a few extra patterns.

Qualified names: the module is the path without extension, dotted, with a trailing ``index``
dropped (``src/util/index.js`` -> ``src.util``, ``src/util/fmt.js`` -> ``src.util.fmt``); members
are dotted below it (``src.util.fmt.Formatter.format``). A function or class expression assigned to
a ``const``/``let``/``var`` is named by the variable. Module-level variables are the other
declarators of module-level (or exported) ``const``/``let``/``var``; an ALL_CAPS ``const`` is a
constant.

Exported: declared with ``export`` or listed in a local ``export { ... }``. Visibility: class
members follow their modifier (``private``/``protected``, ``#name`` is private); anything else is
public when exported and private when not.

Cyclomatic complexity follows lizard (lizard_languages/typescript.py, javascript.py, tsx.py): 1 plus
one per ``if``, ``for`` (also ``for...in/of``), ``while`` (also ``do...while``), ``catch``, ``case``,
``&&``, ``||``, ``??`` (also in ``&&=``, ``||=``, ``??=``), ternary ``?``, and one per default value
in a parameter or destructuring pattern (``function f(a = 1)``, ``const {b = 2} = o``), which lizard
counts as an implicit branch. ``else``, ``default``, ``switch`` and optional chaining ``?.`` do not
count. Lizard's tokenizer reads ``name?`` (an identifier immediately followed by ``?``, not by ``?``
or ``.``) as one token in .js/.ts files, so such a ternary ``?`` does not count there; it does count
in .jsx/.tsx, which lizard tokenizes differently. Expressions inside template-literal substitutions
``${...}`` do not count: lizard reads a template literal as one token. Every function-like node
(declaration, expression, arrow function, method, object method) is a function of its own: its
decisions are not the enclosing function's.
"""

from __future__ import annotations

from typing import Iterator

import tree_sitter_javascript

from graph_sitter.codebase.languages.javascript_lizard import function_end, lost_decisions
from graph_sitter.codebase.languages.support import (
    Definition,
    DefinitionContext,
    ImportSpec,
    LanguageSupport,
    Node,
)
from graph_sitter.codebase.languages.syntax import (
    first_named,
    first_child,
    CalleeGrammar,
    DocCommentTest,
    callee_name,
    collapse,
    header,
    node_text,
    preceding_doc_comment,
)

FUNCTION_VALUES = "[(arrow_function) (function_expression) (generator_function)]"

DEFINITION_QUERY = f"""
(function_declaration) @def.function
(generator_function_declaration) @def.function
(class_declaration) @def.class
(method_definition) @def.method
(variable_declarator name: (identifier) value: {FUNCTION_VALUES}) @def.function
(variable_declarator name: (identifier) value: (class)) @def.class
(import_statement) @import
(export_statement source: (_)) @import
((call_expression function: (identifier) @_require arguments: (arguments . (string))) @import
  (#eq? @_require "require"))
(call_expression function: (import) arguments: (arguments . (string))) @import
(call_expression function: (_) @call)
(new_expression constructor: (_) @call)
(export_statement (export_clause) @export !source)
"?" @decision.check
((property_identifier) @decision (#any-of? @decision "catch" "if" "for" "while" "case"))
(assignment_pattern "=" @decision)
(object_assignment_pattern "=" @decision)
(template_substitution) @decision.exclude
(variable_declarator name: (identifier) value: (_) @decision.lost)
(assignment_expression left: (identifier) right: (_) @decision.lost)
(pair key: (_) value: (_) @decision.lost)
(object (spread_element (_) @decision.lost))
(arrow_function) @function.trim
(arrow_function body: (arrow_function) @function.skip)
(else_clause (if_statement) @nest.skip)
"""

JS_QUERY = DEFINITION_QUERY + f"""
(field_definition property: (_) value: {FUNCTION_VALUES}) @def.method
(field_definition value: (_) @decision.lost)
"""

DECISION_TYPES = ("if", "for", "while", "catch", "case", "&&", "||", "??", "&&=", "||=", "??=")
# Arrow functions are captured as @function.trim: lizard may end them early (javascript_lizard.py).
FUNCTION_TYPES = (
    "function_declaration", "generator_function_declaration", "function_expression", "generator_function",
    "method_definition",
)
NESTING_TYPES = (
    "if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement", "try_statement",
    "switch_statement",
)

CALLEES = CalleeGrammar(
    names=frozenset({"identifier", "this", "super", "property_identifier", "private_property_identifier"}),
    members={"member_expression": ("object", "property", ".")},
    calls={"call_expression": "function"},
    subscripts={"subscript_expression": "object"},
    transparent={"parenthesized_expression": "", "non_null_expression": "", "await_expression": ""},
)
JSDOC = DocCommentTest(frozenset({"comment"}), ("/**",), line_comments=False)
_FUNCTION_NODES = frozenset({"arrow_function", "function_expression", "generator_function", "function"})
_CLASS_NODES = frozenset({"class", "class_declaration", "abstract_class_declaration"})
_TYPE_ONLY_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")


def module_name(path: str, root: Node, src: bytes) -> tuple[str, str]:
    """``src/util/index.ts`` -> ("util", "src.util"); ``src/a.d.ts`` -> ("a", "src.a")."""
    stem = path
    for suffix in _TYPE_ONLY_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        stem = stem.rsplit(".", 1)[0]
    parts = stem.split("/")
    if parts[-1] == "index" and len(parts) > 1:
        parts.pop()
    return parts[-1], ".".join(parts)


def _string_value(node: Node, src: bytes) -> str:
    text = node_text(node, src)
    if len(text) >= 2 and text[0] in "'\"`" and text[-1] == text[0]:
        return text[1:-1]
    return text


def _statement(node: Node) -> Node:
    """The statement holding a definition: its export statement, or the declaration itself."""
    statement = node
    if node.type == "variable_declarator" and node.parent is not None:
        statement = node.parent
    parent = statement.parent
    if parent is not None and parent.type == "export_statement":
        return parent
    return statement


def _member_name(node: Node | None, src: bytes) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return _string_value(node, src)
    return collapse(node_text(node, src))


def _decorators(node: Node, src: bytes) -> tuple[list[str], list[tuple[str, str, int]]]:
    texts: list[str] = []
    references: list[tuple[str, str, int]] = []
    for child in node.children:
        if child.type != "decorator":
            continue
        expression = first_named(child)
        if expression is None:
            continue
        texts.append(collapse(node_text(expression, src)))
        target = expression.child_by_field_name("function") if expression.type == "call_expression" else expression
        if target is not None:
            name = callee_name(target, src, CALLEES)
            if name != "?":
                references.append(("decorate", name, child.start_point[0] + 1))
    return texts, references


def _parameter_name(node: Node, src: bytes) -> str | None:
    kind = node.type
    if kind in ("identifier", "this"):
        return node_text(node, src)
    if kind in ("required_parameter", "optional_parameter"):
        pattern = node.child_by_field_name("pattern")
        return _parameter_name(pattern, src) if pattern is not None else None
    if kind == "assignment_pattern":
        left = node.child_by_field_name("left")
        return _parameter_name(left, src) if left is not None else None
    if kind == "rest_pattern":
        inner = first_named(node)
        return "..." + (_parameter_name(inner, src) or "") if inner is not None else "..."
    if kind in ("object_pattern", "array_pattern"):
        return collapse(node_text(node, src))
    return None


def _parameters(function: Node, src: bytes) -> tuple[str, ...]:
    single = function.child_by_field_name("parameter")
    if single is not None:
        return (node_text(single, src),)
    params = function.child_by_field_name("parameters")
    if params is None:
        return ()
    names = []
    for child in params.named_children:
        name = _parameter_name(child, src)
        if name:
            names.append(name)
    return tuple(names)


def _return_type(function: Node, src: bytes) -> str | None:
    annotation = function.child_by_field_name("return_type")
    if annotation is None:
        return None
    text = collapse(node_text(annotation, src))
    return text[1:].strip() if text.startswith(":") else text


def _modifiers(node: Node, src: bytes) -> tuple[str | None, bool, bool, bool]:
    """(accessibility, static, async, abstract) from a member's modifier children."""
    accessibility = None
    is_static = is_async = is_abstract = False
    for child in node.children:
        kind = child.type
        if kind == "accessibility_modifier":
            accessibility = node_text(child, src)
        elif kind == "static":
            is_static = True
        elif kind == "async":
            is_async = True
        elif kind == "abstract":
            is_abstract = True
        elif kind in ("formal_parameters", "statement_block", "class_body"):
            break
    return accessibility, is_static, is_async, is_abstract


def _heritage(node: Node, src: bytes) -> list[tuple[str, str, int]]:
    """inherit/implement references of a class or interface declaration."""
    references: list[tuple[str, str, int]] = []
    for child in node.named_children:
        kind = child.type
        if kind == "class_heritage":
            for clause in child.named_children:
                if clause.type == "extends_clause":
                    value = clause.child_by_field_name("value")
                    if value is not None:
                        references.append(("inherit", callee_name(value, src, CALLEES), value.start_point[0] + 1))
                elif clause.type == "implements_clause":
                    for item in clause.named_children:
                        references.append(("implement", _type_name(item, src), item.start_point[0] + 1))
                else:
                    references.append(("inherit", callee_name(clause, src, CALLEES), clause.start_point[0] + 1))
        elif kind == "extends_type_clause":
            for item in child.named_children:
                references.append(("inherit", _type_name(item, src), item.start_point[0] + 1))
    return [r for r in references if r[1] != "?"]


def _type_name(node: Node, src: bytes) -> str:
    """A type reference without its type arguments: ``Base<T>`` -> ``Base``."""
    if node.type == "generic_type":
        inner = node.child_by_field_name("name") or first_named(node)
        if inner is not None:
            node = inner
    return "".join(node_text(node, src).split())


def _visibility(accessibility: str | None, name: str, exported: bool, member: bool) -> str:
    if accessibility in ("private", "protected", "public"):
        return accessibility
    if name.startswith("#"):
        return "private"
    if member:
        return "public"
    return "public" if exported else "private"


def _describe_function(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    if node.type == "variable_declarator":
        function = node.child_by_field_name("value")
        name_node = node.child_by_field_name("name")
    else:
        function = node
        name_node = node.child_by_field_name("name")
    if function is None or name_node is None:
        return None
    name = node_text(name_node, src)
    statement = _statement(node)
    exported = statement.type == "export_statement"
    body = function.child_by_field_name("body")
    head_end = body.start_byte if body is not None else function.end_byte
    _, _, is_async, _ = _modifiers(function, src)
    return Definition(
        kind="function",
        name=name,
        node=node,
        function=function,
        signature=header(src, node.start_byte, head_end, "{"),
        docstring=preceding_doc_comment(statement, src, JSDOC),
        visibility="public" if exported else "private",
        is_async=is_async,
        is_exported=exported,
        parameters=_parameters(function, src),
        return_type=_return_type(function, src),
    )


def _describe_method(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    parent = node.parent
    if parent is None or parent.type != "class_body":
        return None  # object-literal methods are not elements (still functions for the metrics)
    if node.type in ("field_definition", "public_field_definition"):
        name_node = node.child_by_field_name("property") or node.child_by_field_name("name")
        function = node.child_by_field_name("value")
    else:
        name_node = node.child_by_field_name("name")
        function = node if node.type == "method_definition" else None
    name = _member_name(name_node, src)
    if not name:
        return None
    accessibility, is_static, is_async, is_abstract = _modifiers(node, src)
    if function is not None and function is not node:
        is_async = is_async or _modifiers(function, src)[2]
    target = function if function is not None else node
    body = target.child_by_field_name("body") if function is not None else None
    decorators, references = _decorators(node, src)
    return Definition(
        kind="method",
        name=name,
        node=node,
        function=function,
        signature=header(src, node.start_byte, body.start_byte if body is not None else node.end_byte, "{;"),
        docstring=preceding_doc_comment(node, src, JSDOC),
        visibility=_visibility(accessibility, name, False, True),
        is_async=is_async,
        is_static=is_static,
        is_abstract=is_abstract or node.type == "abstract_method_signature",
        decorators=tuple(decorators),
        parameters=_parameters(target, src),
        return_type=_return_type(target, src),
        references=references,
    )


def _describe_type(node: Node, kind: str, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    if node.type == "variable_declarator":
        declaration = node.child_by_field_name("value")
        name_node = node.child_by_field_name("name")
    else:
        declaration = node
        name_node = node.child_by_field_name("name")
    if declaration is None or name_node is None:
        return None
    name = _member_name(name_node, src) or ""
    statement = _statement(node)
    exported = statement.type == "export_statement"
    body = declaration.child_by_field_name("body")
    head_end = body.start_byte if body is not None else declaration.end_byte
    decorators, references = _decorators(declaration, src)
    if statement is not node:
        # `@dec export class X` attaches the decorator to the export statement.
        outer_texts, outer_references = _decorators(statement, src)
        decorators = outer_texts + decorators
        references = outer_references + references
    references.extend(_heritage(declaration, src))
    _, _, _, is_abstract = _modifiers(declaration, src)
    return Definition(
        kind=kind,
        name=name,
        node=node,
        signature=header(src, node.start_byte, head_end, "{")[:300],
        docstring=preceding_doc_comment(statement, src, JSDOC),
        visibility="public" if exported else "private",
        is_abstract=is_abstract or declaration.type == "abstract_class_declaration",
        is_exported=exported,
        decorators=tuple(decorators),
        references=references,
    )


def _describe_variable(node: Node, ctx: DefinitionContext) -> Definition | None:
    src = ctx.src
    value = node.child_by_field_name("value")
    if value is not None and (value.type in _FUNCTION_NODES or value.type in _CLASS_NODES):
        return None  # described as a function or class
    if value is not None and value.type == "call_expression":
        function = value.child_by_field_name("function")
        if function is not None and function.type == "identifier" and node_text(function, ctx.src) == "require":
            return None  # an import
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    name = node_text(name_node, src)
    declaration = node.parent
    statement = _statement(node)
    exported = statement.type == "export_statement"
    keyword = first_child(declaration) if declaration is not None else None
    is_const = keyword is not None and keyword.type == "const"
    letters = [c for c in name if c.isalpha()]
    constant = is_const and bool(letters) and name.upper() == name
    first_line = src[node.start_byte:node.end_byte].split(b"\n", 1)[0]
    return Definition(
        kind="constant" if constant else "variable",
        name=name,
        node=node,
        signature=collapse(first_line.decode("utf-8", "replace"))[:200],
        docstring=preceding_doc_comment(statement, src, JSDOC),
        visibility="public" if exported else "private",
        is_exported=exported,
    )


def describe(node: Node, capture: str, ctx: DefinitionContext) -> Definition | None:
    """A captured definition as a ``Definition``."""
    if capture == "def.function":
        return _describe_function(node, ctx)
    if capture == "def.method":
        return _describe_method(node, ctx)
    if capture == "def.class":
        return _describe_type(node, "class", ctx)
    if capture == "def.interface":
        return _describe_type(node, "interface", ctx)
    if capture == "def.type_alias":
        return _describe_type(node, "type_alias", ctx)
    if capture == "def.enum":
        return _describe_type(node, "enum", ctx)
    if capture == "def.module":
        return _describe_type(node, "module", ctx)
    if capture == "def.variable":
        return _describe_variable(node, ctx)
    return None


def _source(node: Node, src: bytes) -> str | None:
    source = node.child_by_field_name("source")
    return _string_value(source, src) if source is not None else None


def _named_import_specs(clause: Node, module: str, line: int, statement: Node, src: bytes) -> list[ImportSpec]:
    specs: list[ImportSpec] = []
    for child in clause.named_children:
        kind = child.type
        if kind == "identifier":
            local = node_text(child, src)
            specs.append(ImportSpec(line, module, "default", local, 0, local, node=statement))
        elif kind == "namespace_import":
            inner = first_named(child)
            local = node_text(inner, src) if inner is not None else None
            specs.append(ImportSpec(line, module, "*", local, 0, local, node=statement))
        elif kind == "named_imports":
            for spec in child.named_children:
                if spec.type != "import_specifier":
                    continue
                name_node = spec.child_by_field_name("name")
                alias_node = spec.child_by_field_name("alias")
                if name_node is None:
                    continue
                name = _member_name(name_node, src) or ""
                alias = node_text(alias_node, src) if alias_node is not None else None
                specs.append(ImportSpec(line, module, name, alias, 0, alias or name, node=statement))
        elif kind == "import_require_clause":
            inner = first_named(child)
            local = node_text(inner, src) if inner is not None else None
            specs.append(ImportSpec(line, module, None, local, 0, local, node=statement))
    return specs


def _require_specs(node: Node, module: str, line: int, src: bytes) -> list[ImportSpec]:
    parent = node.parent
    if parent is None or parent.type != "variable_declarator":
        return [ImportSpec(line, module, node=node)]
    statement = parent.parent or parent
    target = parent.child_by_field_name("name")
    if target is None:
        return [ImportSpec(line, module, node=node)]
    if target.type == "identifier":
        local = node_text(target, src)
        return [ImportSpec(line, module, None, local, 0, local, node=statement)]
    specs = []
    if target.type == "object_pattern":
        for child in target.named_children:
            if child.type == "shorthand_property_identifier_pattern":
                name = node_text(child, src)
                specs.append(ImportSpec(line, module, name, None, 0, name, node=statement))
            elif child.type == "object_assignment_pattern":
                left = child.child_by_field_name("left")
                if left is not None:
                    name = node_text(left, src)
                    specs.append(ImportSpec(line, module, name, None, 0, name, node=statement))
            elif child.type == "pair_pattern":
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if key is not None and value is not None and value.type == "identifier":
                    alias = node_text(value, src)
                    specs.append(ImportSpec(line, module, _member_name(key, src), alias, 0, alias, node=statement))
    return specs or [ImportSpec(line, module, node=node)]


def imports(node: Node, src: bytes) -> list[ImportSpec]:
    """ES imports, ``export ... from`` re-exports, ``require()`` and ``import()`` as ImportSpecs."""
    line = node.start_point[0] + 1
    kind = node.type
    if kind == "call_expression":
        arguments = node.child_by_field_name("arguments")
        first = first_named(arguments) if arguments is not None else None
        if first is None or first.type != "string":
            return []
        module = _string_value(first, src)
        function = node.child_by_field_name("function")
        if function is not None and function.type == "import":
            return [ImportSpec(line, module, node=node)]
        return _require_specs(node, module, line, src)
    module = _source(node, src)
    if kind == "import_statement":
        if module is None:
            for child in node.named_children:
                if child.type == "import_require_clause":
                    source = child.child_by_field_name("source")
                    inner = first_named(child)
                    if source is not None and inner is not None:
                        local = node_text(inner, src)
                        return [ImportSpec(line, _string_value(source, src), None, local, 0, local, node=node)]
            return []
        for child in node.named_children:
            if child.type == "import_clause":
                return _named_import_specs(child, module, line, node, src) or [ImportSpec(line, module, node=node)]
        return [ImportSpec(line, module, node=node)]
    if module is None:
        return []
    specs = []
    for child in node.named_children:
        if child.type == "export_clause":
            for spec in child.named_children:
                if spec.type != "export_specifier":
                    continue
                name_node = spec.child_by_field_name("name")
                alias_node = spec.child_by_field_name("alias")
                if name_node is None:
                    continue
                alias = _member_name(alias_node, src) if alias_node is not None else None
                specs.append(ImportSpec(line, module, _member_name(name_node, src), alias, reexport=True, node=node))
        elif child.type == "namespace_export":
            inner = first_named(child)
            alias = _member_name(inner, src) if inner is not None else None
            specs.append(ImportSpec(line, module, "*", alias, reexport=True, node=node))
    return specs or [ImportSpec(line, module, "*", reexport=True, node=node)]


def call_name(node: Node, src: bytes) -> str | None:
    """The callee's dotted name; None for callees that are no name at all."""
    name = callee_name(node, src, CALLEES)
    return None if name == "?" else name


def top_level(root: Node, src: bytes) -> Iterator[tuple[str, Node]]:
    """Module-level (and exported) ``const``/``let``/``var`` declarators as ``def.variable``."""
    for statement in root.named_children:
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration")
            if declaration is None:
                continue
        if declaration.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in declaration.named_children:
            if declarator.type == "variable_declarator":
                name = declarator.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    yield "def.variable", declarator


def exported_names(node: Node, src: bytes) -> list[str]:
    """Local names listed in ``export { a, b as c }``."""
    names = []
    for spec in node.named_children:
        if spec.type == "export_specifier":
            name_node = spec.child_by_field_name("name")
            if name_node is not None:
                names.append(_member_name(name_node, src) or "")
    return names


def check_decision(node: Node, src: bytes, path: str) -> bool:
    """A ``?`` token counts unless lizard's .js/.ts tokenizer swallows it into ``name?``."""
    if path.endswith(("x", "X")):  # .jsx / .tsx are tokenized by lizard's TSX reader
        return True
    start = node.start_byte
    if start == 0:
        return True
    before = src[start - 1:start]
    if before.isalnum() or before in (b"_", b"$"):
        after = src[start + 1:start + 2]
        return after in (b"?", b".")
    return True


SUPPORTS = (
    LanguageSupport(
        name="javascript",
        extensions=(".js", ".mjs", ".cjs", ".jsx"),
        grammar=tree_sitter_javascript.language,
        query=JS_QUERY,
        module_name=module_name,
        describe=describe,
        imports=imports,
        call_name=call_name,
        decision_types=DECISION_TYPES,
        function_types=FUNCTION_TYPES,
        nesting_types=NESTING_TYPES,
        comment_types=("comment",),
        check_decision=check_decision,
        function_end=function_end,
        lost_decisions=lost_decisions,
        top_level=top_level,
        exported_names=exported_names,
    ),
)
