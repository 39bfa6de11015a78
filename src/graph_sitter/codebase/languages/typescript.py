"""TypeScript (and TSX): the JavaScript rules plus interfaces, type aliases, enums and namespaces.

``.ts``/``.mts``/``.cts`` (and ``.d.ts``) use tree-sitter-typescript's ``language_typescript``;
``.tsx`` uses its ``language_tsx``; one query serves both.

Qualified names, exports and visibility are JavaScript's (see ``javascript.py``); a ``namespace``
(or ``declare module``) is an element of kind ``module`` whose members are qualified below it.
Abstract methods and interface members have no body: an abstract method is an element with
``is_abstract`` and complexity 1, an interface member is not an element.

Cyclomatic complexity follows lizard's TypeScript reader exactly as for JavaScript, plus: a default
value of a typed parameter counts (lizard counts every parameter default), and the ``?`` of a
conditional type (``T extends U ? X : Y``) counts, since lizard counts every ``?`` token.
"""

from __future__ import annotations

import tree_sitter_typescript

from graph_sitter.codebase.languages import javascript
from graph_sitter.codebase.languages.support import LanguageSupport

TS_QUERY = javascript.DEFINITION_QUERY + f"""
(abstract_class_declaration) @def.class
(public_field_definition name: (_) value: {javascript.FUNCTION_VALUES}) @def.method
(abstract_method_signature) @def.method
(interface_declaration) @def.interface
(type_alias_declaration) @def.type_alias
(enum_declaration) @def.enum
(internal_module) @def.module
(module) @def.module
(required_parameter "=" @decision)
(optional_parameter "=" @decision)
(public_field_definition value: (_) @decision.lost)
"""

SUPPORTS = (
    LanguageSupport(
        name="typescript",
        extensions=(".ts", ".mts", ".cts", ".tsx"),
        grammar=tree_sitter_typescript.language_typescript,
        grammar_by_extension={".tsx": tree_sitter_typescript.language_tsx},
        query=TS_QUERY,
        module_name=javascript.module_name,
        describe=javascript.describe,
        imports=javascript.imports,
        call_name=javascript.call_name,
        decision_types=javascript.DECISION_TYPES,
        function_types=javascript.FUNCTION_TYPES,
        nesting_types=javascript.NESTING_TYPES,
        comment_types=("comment",),
        check_decision=javascript.check_decision,
        function_end=javascript.function_end,
        lost_decisions=javascript.lost_decisions,
        top_level=javascript.top_level,
        exported_names=javascript.exported_names,
    ),
)
