"""graph-sitter-compatible summaries of a Codebase, a file, a class, a function and a symbol.

The texts keep the layout of graph-sitter's `graph_sitter.codebase.codebase_analysis` (codegen-sh/graph-sitter)
line for line; the numbers are ours, and mean:

Codebase summary
    nodes / edges: `codebase.graph`'s node and edge counts (elements, external packages and unresolved names;
    one edge per kind and pair of nodes). files: analysed files. imports: import elements. external_modules:
    packages imported from outside. symbols: top-level definitions, split into classes (every top-level type
    other than interfaces and traits: class, struct, enum, type alias), functions (top-level functions),
    global_vars (module variables and constants) and interfaces (interfaces and traits), so the four add up to
    the symbols. "symbol -> used symbol": graph edges of kind calls, inherits, implements or decorates that reach
    an element; "import -> used symbol": graph edges of kind imports that reach an element (a definition, or a
    module for `import pkg.mod`); "export -> exported symbol": elements the language exports (is_exported:
    JS/TS `export`, Go capitalised names, Rust `pub`, Java `public`, Python public top-level names and
    `__all__` re-exports).
File summary
    "symbol references": the file's top-level symbols, split as above; importers: the other files that import
    it (graph-sitter printed its own import count there).
Class summary
    parent classes: the bases and interfaces as written; methods (Go/Rust methods declared in other files
    included); attributes: fields the extractor records (Java/TS fields; Python class attributes are not
    elements); decorators; dependencies: what the class's code uses (see `Symbol.dependencies`).
Function summary
    return statements: counted from the source for Python (nested functions left out), "?" for other languages
    (the extractor does not record them); parameters as written (`self` included); function calls made (nested
    functions included); call sites that resolve to it; decorators; dependencies.
Symbol summary
    usages: the distinct users (`Symbol.symbol_usages`): functions and methods, classes, variables, interfaces,
    and imports; an import's imported symbol is split by kind, external module or file (module). Module-level
    code that uses a symbol counts in the total only, as graph-sitter's file-level usages did.
"""

from __future__ import annotations

from typing import Any

from graph_sitter.codebase.codebase import (
    Class,
    Codebase,
    ExternalModule,
    Function,
    GlobalVar,
    Import,
    Interface,
    Module,
    SourceFile,
    Symbol,
)

__all__ = [
    "codebase_counts", "get_class_summary", "get_codebase_summary", "get_file_summary", "get_function_summary",
    "get_symbol_summary",
]

_SYMBOL_USE_KINDS = frozenset({"calls", "inherits", "implements", "decorates"})
_ELEMENT_NODE_KINDS_EXCLUDED = frozenset({"external", "unresolved"})


def _split(symbols: list[Any]) -> tuple[int, int, int, int]:
    """(classes, functions, global variables, interfaces) among symbols, graph-sitter's four kinds."""
    classes = sum(1 for s in symbols if isinstance(s, Class) and not isinstance(s, Interface))
    functions = sum(1 for s in symbols if isinstance(s, Function))
    global_vars = sum(1 for s in symbols if isinstance(s, GlobalVar))
    interfaces = sum(1 for s in symbols if isinstance(s, Interface))
    return classes, functions, global_vars, interfaces


def codebase_counts(codebase: Codebase) -> dict[str, int]:
    """The numbers get_codebase_summary prints, by name."""
    graph = codebase.graph
    node_kind = graph.nodes
    symbol_uses = import_uses = 0
    for _, v, kind in graph.edges(keys=True):
        if node_kind[v]["kind"] in _ELEMENT_NODE_KINDS_EXCLUDED:
            continue
        if kind in _SYMBOL_USE_KINDS:
            symbol_uses += 1
        elif kind == "imports":
            import_uses += 1
    symbols = codebase.symbols
    classes, functions, global_vars, interfaces = _split(symbols)
    return {
        "nodes": graph.number_of_nodes(), "files": len(codebase.files), "imports": len(codebase.imports),
        "external_modules": len(codebase.external_modules), "symbols": len(symbols), "classes": classes,
        "functions": functions, "global_vars": global_vars, "interfaces": interfaces,
        "edges": graph.number_of_edges(), "symbol_uses": symbol_uses, "import_uses": import_uses,
        "exports": sum(1 for e in codebase.element_records if e.is_exported and e.kind != "module"),
    }


def get_codebase_summary(codebase: Codebase) -> str:
    """Node and edge counts of the whole codebase."""
    c = codebase_counts(codebase)
    node_summary = f"""Contains {c['nodes']} nodes
- {c['files']} files
- {c['imports']} imports
- {c['external_modules']} external_modules
- {c['symbols']} symbols
\t- {c['classes']} classes
\t- {c['functions']} functions
\t- {c['global_vars']} global_vars
\t- {c['interfaces']} interfaces
"""
    edge_summary = f"""Contains {c['edges']} edges
- {c['symbol_uses']} symbol -> used symbol
- {c['import_uses']} import -> used symbol
- {c['exports']} export -> exported symbol
"""
    return f"{node_summary}\n{edge_summary}"


def get_file_summary(file: SourceFile) -> str:
    """What a file defines and imports, and who imports it."""
    symbols = file.symbols
    classes, functions, global_vars, interfaces = _split(symbols)
    return f"""==== [ `{file.name}` (SourceFile) Dependency Summary ] ====
- {len(file.imports)} imports
- {len(symbols)} symbol references
\t- {classes} classes
\t- {functions} functions
\t- {global_vars} global variables
\t- {interfaces} interfaces

==== [ `{file.name}` Usage Summary ] ====
- {len(file.importers)} importers
"""


def get_class_summary(cls: Class) -> str:
    """A class's bases, members and dependencies, then its usage summary."""
    return f"""==== [ `{cls.name}` ({type(cls).__name__}) Dependency Summary ] ====
- parent classes: {cls.parent_class_names}
- {len(cls.methods)} methods
- {len(cls.attributes)} attributes
- {len(cls.decorators)} decorators
- {len(cls.dependencies)} dependencies

{get_symbol_summary(cls)}"""


def get_function_summary(func: Function) -> str:
    """A function's returns, parameters, calls, call sites and dependencies, then its usage summary."""
    returns = func.return_statement_count
    return f"""==== [ `{func.name}` (Function) Dependency Summary ] ====
- {'?' if returns is None else returns} return statements
- {len(func.parameters)} parameters
- {len(func.function_calls)} function calls
- {len(func.call_sites)} call sites
- {len(func.decorators)} decorators
- {len(func.dependencies)} dependencies

{get_symbol_summary(func)}"""


def get_symbol_summary(symbol: Symbol) -> str:
    """Who uses a symbol, by kind, and what the imports among them import."""
    usages = symbol.symbol_usages
    imported = [u.imported_symbol for u in usages if isinstance(u, Import)]
    users = [u for u in usages if not isinstance(u, Import)]
    classes, functions, global_vars, interfaces = _split(users)
    i_classes, i_functions, i_global_vars, i_interfaces = _split(imported)
    externals = sum(1 for s in imported if isinstance(s, ExternalModule))
    files = sum(1 for s in imported if isinstance(s, Module))
    return f"""==== [ `{symbol.name}` ({type(symbol).__name__}) Usage Summary ] ====
- {len(usages)} usages
\t- {functions} functions
\t- {classes} classes
\t- {global_vars} global variables
\t- {interfaces} interfaces
\t- {len(imported)} imports
\t\t- {i_functions} functions
\t\t- {i_classes} classes
\t\t- {i_global_vars} global variables
\t\t- {i_interfaces} interfaces
\t\t- {externals} external modules
\t\t- {files} files
"""
