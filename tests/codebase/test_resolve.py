"""Cross-file resolution on the fixture repositories: hand-checked expected edges, asserted exactly.

An edge is written ``(kind, source, target, name)``: source and target are qualified names (target
None when unresolved), or ``(kind, source, "ext:<ecosystem>:<package>", module)`` for an external
import. No database is needed.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from graph_sitter.codebase.model import Element, FileResult, Reference
from graph_sitter.codebase.resolve import Edge, Resolver, interface_key, resolve_all

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "resolution"


def load(language: str) -> dict[str, FileResult]:
    """Extract every source file of fixtures/resolution/<language>/ (paths relative to it)."""
    from graph_sitter.codebase.extract import extract_file
    from graph_sitter.codebase.languages import language_for_path

    root = FIXTURES / language
    paths = sorted(
        os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
        for d, _, names in os.walk(root)
        for f in names
    )
    files = {}
    for path in paths:
        if language_for_path(path) is None:
            continue
        result = extract_file(str(root), path)
        assert result.skipped_reason is None, (path, result.skipped_reason, result.error)
        files[path] = result
    return files


def resolve_checked(files: dict[str, FileResult]) -> list[Edge]:
    """All edges of ``files``; no file may have fallen back to unresolved edges."""
    resolver = Resolver(files)
    edges = resolver.resolve()
    assert resolver.errors == []
    return edges


def describe(edges: list[Edge], files: dict[str, FileResult], kinds=("imports", "calls", "inherits",
                                                                        "implements", "decorates")) -> set:
    out = set()
    for e in edges:
        if e.kind not in kinds:
            continue
        source = files[e.source_file].elements[e.source_index].qualified_name
        if e.target_file is not None:
            assert e.resolved
            target = files[e.target_file].elements[e.target_index].qualified_name
        elif e.external is not None:
            assert e.resolved and e.kind == "imports"
            target = f"ext:{e.ecosystem}:{e.external}"
        else:
            assert not e.resolved
            target = None
        out.add((e.kind, source, target, e.target_name))
    return out


def of_kind(described: set, kind: str) -> set:
    return {edge for edge in described if edge[0] == kind}


# --- Python ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def python_files() -> dict[str, FileResult]:
    return load("python")


@pytest.fixture(scope="module")
def python_edges(python_files) -> set:
    return describe(resolve_checked(python_files), python_files)


def test_python_imports(python_edges):
    assert of_kind(python_edges, "imports") == {
        # re-export with an alias, a class, a subpackage through ``from . import``
        ("imports", "app", "app.util.helper", ".util"),
        ("imports", "app", "app.models.Base", ".models"),
        ("imports", "app", "app.services", "."),
        ("imports", "app.util", "ext:stdlib:os", "os"),
        ("imports", "app.util", "ext:pypi:numpy", "numpy"),
        ("imports", "app.models", "app.util.decorator", ".util"),
        # a star import targets the module
        ("imports", "app.services", "app.services.core", ".core"),
        ("imports", "app.services.core", "app.models.Child", "..models"),
        ("imports", "app.services.core", "app.util.Registry", "app.util"),
        ("imports", "app.main", "app.util", "app.util"),
        # ``from app import helper_alias`` follows the alias in app/__init__.py to the definition
        ("imports", "app.main", "app.util.helper", "app"),
        ("imports", "app.main", "app.services", "app"),
        # ``from app.services import Service`` goes through the star import of services/__init__.py
        ("imports", "app.main", "app.services.core.Service", "app.services"),
        ("imports", "app.main", "app.models.Base", ".models"),
        ("imports", "app.main", "app.util", "."),
        ("imports", "app.main", "ext:stdlib:json", "json"),
        ("imports", "app.main", "ext:pypi:requests", "requests"),
        # src/ layout: lib is importable from its source root; scripts/json.py does not shadow json
        ("imports", "tools.script", "ext:stdlib:json", "json"),
        ("imports", "tools.script", "src.lib.core.thing", "lib.core"),
        ("imports", "tools.script", "src.lib.core", "lib"),
    }


def test_python_calls(python_edges):
    assert of_kind(python_edges, "calls") == {
        ("calls", "app.util.helper", None, "os.path.join"),
        ("calls", "app.util.helper", None, "np.zeros"),
        ("calls", "app.models.Base.__init__", "app.models.Base.setup", "self.setup"),
        ("calls", "app.models.Base.save", "app.models.Base.validate", "self.validate"),
        ("calls", "app.models.Child.validate", None, "super"),
        ("calls", "app.models.Child.validate", "app.models.Base.validate", "super().validate"),
        # cls() in a classmethod: the inherited constructor
        ("calls", "app.models.Child.make", "app.models.Base.__init__", "cls"),
        ("calls", "app.models.Child.checked", None, "self.missing"),
        ("calls", "app.services.core", "app.util.Registry", "Registry"),
        ("calls", "app.services.core.Service.build", "app.models.Base.__init__", "Service"),
        # inherited through Child (aliased as C) from Base
        ("calls", "app.services.core.Service.run", "app.models.Base.save", "self.save"),
        ("calls", "app.services.core.Service.run", None, "self.helper"),
        ("calls", "app.services.core.Service.run", None, "len"),
        ("calls", "app.services.core.Service.run", "app.services.core.Service.run.inner", "inner"),
        # aliases and re-exports
        ("calls", "app.main.run", "app.util.helper", "helper_alias"),
        ("calls", "app.main.run", "app.util.helper", "app.util.helper"),
        ("calls", "app.main.run", "app.util.helper", "u.helper"),
        # a class without __init__ is its own constructor target; a method on the new instance
        ("calls", "app.main.run", "app.util.Registry", "util.Registry"),
        ("calls", "app.main.run", "app.util.Registry.register", "util.Registry().register"),
        ("calls", "app.main.run", "app.services.core.Service.build", "services.Service.build"),
        ("calls", "app.main.run", "app.models.Base.__init__", "Service"),
        ("calls", "app.main.run", "app.services.core.Service.run", "Service().run"),
        ("calls", "app.main.run", "app.models.Base.__init__", "B"),
        # externals, builtins and unknown names stay unresolved
        ("calls", "app.main.run", None, "json.dumps"),
        ("calls", "app.main.run", None, "requests.get"),
        ("calls", "app.main.run", None, "print"),
        ("calls", "app.main.run", None, "undefined_name"),
        ("calls", "app.main.run", None, "app.extra.go"),  # no such module (yet)
        # enclosing function scope
        ("calls", "app.main.outer.middle", "app.main.outer.helper", "helper"),
        ("calls", "app.main.outer", "app.main.outer.middle", "middle"),
        # a parameter shadows the module-level name
        ("calls", "app.main.use", None, "helper_alias"),
        # a method body does not see its class body: m is the module-level function ...
        ("calls", "app.main.K.n", "app.main.m", "m"),
        # ... while a name written directly in the class body does
        ("calls", "app.main.K", "app.main.K.m", "m"),
        ("calls", "app.main.K.setup", None, "super"),
        ("calls", "app.main.K.setup", "app.models.Base.setup", "super().setup"),
        ("calls", "app.main.K.setup", "app.main.run", "run"),
        ("calls", "tools.script.main", "src.lib.core.thing", "thing"),
        ("calls", "tools.script.main", "src.lib.core.thing", "core.thing"),
        ("calls", "tools.script.main", None, "json.loads"),
    }


def test_python_inherits_and_decorates(python_edges):
    assert of_kind(python_edges, "inherits") == {
        ("inherits", "app.models.Child", "app.models.Base", "Base"),
        ("inherits", "app.services.core.Service", "app.models.Child", "C"),
        ("inherits", "app.main.K", "app.models.Base", "B"),
    }
    # decorates: from the decorated definition to the decorator
    assert of_kind(python_edges, "decorates") == {
        ("decorates", "app.main.run", "app.util.decorator", "util.decorator"),
        ("decorates", "app.models.Child.make", None, "classmethod"),
        ("decorates", "app.models.Child.checked", "app.util.decorator", "decorator"),
        ("decorates", "app.services.core.Service.build", None, "staticmethod"),
    }


def test_python_contains_and_edge_fields(python_files):
    edges = Resolver(python_files).resolve(["app/models.py"])
    assert {e.source_file for e in edges} == {"app/models.py"}
    contains = [e for e in edges if e.kind == "contains"]
    elements = python_files["app/models.py"].elements
    assert len(contains) == sum(1 for e in elements if e.parent is not None)
    for edge in contains:
        child = elements[edge.target_index]
        assert edge.source_index == child.parent and edge.target_file == "app/models.py"
        assert edge.target_name == child.qualified_name and edge.line == child.start_line and edge.resolved
    call = next(e for e in edges if e.kind == "calls" and e.target_name == "self.setup")
    assert call == Edge("calls", "app/models.py", call.source_index, "app/models.py", call.target_index,
                        "self.setup", None, None, 6, True)


def test_python_dependents(python_files):
    resolver = Resolver(python_files)
    app = {"app/__init__.py", "app/util.py", "app/models.py", "app/main.py", "app/services/__init__.py",
           "app/services/core.py"}
    assert resolver.dependents(["app/util.py"]) == app
    assert resolver.dependents(["src/lib/core.py"]) == {"src/lib/core.py", "tools/script.py"}
    # nothing imports it: ``import json`` is the standard library's
    assert resolver.dependents(["scripts/json.py"]) == {"scripts/json.py"}
    assert resolver.dependents(["tools/script.py"]) == {"tools/script.py"}
    # a file that does not exist yet: ``import app.util`` in main binds ``app``, and main calls
    # ``app.extra.go()``, which the new file would answer
    assert resolver.dependents(["app/extra.py"]) == {"app/extra.py", "app/main.py"}
    assert resolver.dependents(["app/other.py"]) == {"app/other.py"}


def test_python_dependents_of_deleted_file(python_files):
    remaining = {p: r for p, r in python_files.items() if p != "app/models.py"}
    resolver = Resolver(remaining)
    assert resolver.dependents(["app/models.py"]) == {
        "app/models.py", "app/__init__.py", "app/main.py", "app/services/core.py", "app/services/__init__.py",
    }


def incremental_matches_full(language: str, files: dict[str, FileResult], tmp_path, edits: dict[str, tuple],
                              deleted: tuple[str, ...] = ()) -> None:
    """Apply ``edits`` (path -> (old text, new text); a missing file is created) and ``deleted`` to a
    copy of the fixture; re-resolving only ``dependents()`` of them must give the full run's edges."""
    import shutil

    from graph_sitter.codebase.extract import extract_file

    root = tmp_path / language
    shutil.copytree(FIXTURES / language, root)
    old_edges = resolve_checked(files)
    changed = dict(files)
    for path, (old, new) in edits.items():
        target = root / path
        text = target.read_text() if target.exists() else ""
        assert old in text
        target.write_text(text.replace(old, new, 1) if old else new)
        changed[path] = extract_file(str(root), path)
    for path in deleted:
        (root / path).unlink()
        del changed[path]
    resolver = Resolver(changed)
    redo = resolver.dependents([*edits, *deleted])
    incremental = [e for e in old_edges if e.source_file not in redo] + resolver.resolve(redo)
    full = resolve_checked(changed)
    key = lambda e: (e.source_file, e.kind, e.source_index, e.line, e.target_name, e.target_file or "",
                     -1 if e.target_index is None else e.target_index, e.external or "", e.resolved)
    assert Counter(map(key, incremental)) == Counter(map(key, full))
    assert Counter(map(key, old_edges)) != Counter(map(key, full))


def test_python_incremental_equals_full(python_files, tmp_path):
    """Re-resolving only the dependents of a changed file gives the full run's edges."""
    edit = {"app/util.py": ("def helper(x)", "def other():\n    pass\n\n\ndef helper(x)")}
    incremental_matches_full("python", python_files, tmp_path / "a", edit)
    # a new module answering ``app.extra.go()``; a deleted one
    incremental_matches_full("python", python_files, tmp_path / "b", {"app/extra.py": ("", "def go():\n    pass\n")})
    incremental_matches_full("python", python_files, tmp_path / "c", {}, deleted=("app/models.py",))


def test_typescript_incremental_equals_full(ts_files, tmp_path):
    # renamed behind a re-export of the index file
    edit = {"src/util/format.ts": ("export function format", "export function reformat")}
    incremental_matches_full("typescript", ts_files, tmp_path / "a", edit)
    incremental_matches_full("typescript", ts_files, tmp_path / "b", {}, deleted=("src/base.ts",))


def test_go_incremental_equals_full(go_files, tmp_path):
    edit = {"internal/store/total.go": ("func sum(", "func other() {}\n\nfunc sum(")}
    incremental_matches_full("go", go_files, tmp_path / "a", edit)
    incremental_matches_full("go", go_files, tmp_path / "b", {}, deleted=("internal/store/store.go",))


def test_java_and_rust_incremental_equals_full(java_files, rust_files, tmp_path):
    edit = {JAVA + "model/Shape.java": ("    void init() {}", "    void init() {}\n\n    void extra() {}")}
    incremental_matches_full("java", java_files, tmp_path / "a", edit)
    incremental_matches_full("rust", rust_files, tmp_path / "b", {}, deleted=("src/extra.rs",))


def test_interface_key_ignores_bodies(python_files, tmp_path):
    import shutil

    from graph_sitter.codebase.extract import extract_file

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "python", root)
    util = root / "app" / "util.py"
    util.write_text(util.read_text().replace("return fn", "fn.seen = True\n    return fn"))
    assert interface_key(extract_file(str(root), "app/util.py")) == interface_key(python_files["app/util.py"])


# --- hand-built inputs: no extractor involved ----------------------------------------------------------------

def _file(path: str, qn: str, elements: list[tuple], references: list[Reference]) -> FileResult:
    """A Python FileResult from (kind, name, parent) rows; element 0 (the module) is added."""
    built = [Element("module", qn.rsplit(".", 1)[-1], qn, "python", path, 1, 1, 0, 0, 0, 0)]
    for kind, name, parent in elements:
        parent_qn = built[parent].qualified_name
        built.append(Element(kind, name, f"{parent_qn}.{name}", "python", path, 1, 1, 0, 0, len(built), 0,
                             parent=parent, parameters=("self",) if kind == "method" else ()))
    return FileResult(path=path, language="python", elements=built, references=references)


def test_cyclic_reexports_terminate():
    files = {
        "a.py": _file("a.py", "a", [("import", "x", 0), ("function", "f", 0)], [
            Reference("import", 0, "x", 1, module="b", imported_name="x"),
            Reference("call", 2, "x", 3),
        ]),
        "b.py": _file("b.py", "b", [("import", "x", 0)], [
            Reference("import", 0, "x", 1, module="a", imported_name="x"),
        ]),
        "c.py": _file("c.py", "c", [], [Reference("import", 0, "*", 1, module="d", imported_name="*")]),
        "d.py": _file("d.py", "d", [("function", "g", 0)], [
            Reference("import", 0, "*", 1, module="c", imported_name="*"),
            Reference("call", 1, "h", 2),
        ]),
    }
    edges = describe(resolve_all(files), files)
    assert ("calls", "a.f", None, "x") in edges
    assert ("calls", "d.g", None, "h") in edges
    assert ("imports", "a", "b", "b") in edges  # the name is not found: the module is the target


def test_mro_is_c3():
    # class D(B, C); B(A); A and C both define m: the MRO is D B A C, so self.m() in D is A.m
    files = {
        "m.py": _file("m.py", "m", [
            ("class", "A", 0), ("method", "m", 1),
            ("class", "C", 0), ("method", "m", 3),
            ("class", "B", 0),
            ("class", "D", 0), ("method", "run", 6),
        ], [
            Reference("inherit", 5, "A", 1),
            Reference("inherit", 6, "B", 1),
            Reference("inherit", 6, "C", 1),
            Reference("call", 7, "self.m", 2),
        ]),
    }
    assert ("calls", "m.D.run", "m.A.m", "self.m") in describe(resolve_all(files), files)


def test_unknown_language_is_kept_unresolved():
    result = FileResult(path="x.cob", language="cobol", elements=[
        Element("module", "x", "x", "cobol", "x.cob", 1, 1, 0, 0, 0, 0),
        Element("function", "f", "x.f", "cobol", "x.cob", 1, 1, 0, 0, 0, 0, parent=0),
    ], references=[Reference("call", 1, "g", 1), Reference("import", 0, "y", 1, module="y")])
    edges = resolve_all({"x.cob": result})
    assert [(e.kind, e.target_name, e.resolved) for e in edges] == [
        ("contains", "x.f", True), ("calls", "g", False), ("imports", "y", False),
    ]


def test_skipped_files_give_no_edges():
    skipped = FileResult(path="big.py", language="python", skipped_reason="too large")
    assert resolve_all({"big.py": skipped}) == []
    assert Resolver({"big.py": skipped}).dependents(["big.py"]) == {"big.py"}


# --- JavaScript / TypeScript -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ts_files() -> dict[str, FileResult]:
    return load("typescript")


@pytest.fixture(scope="module")
def ts_edges(ts_files) -> set:
    return describe(resolve_checked(ts_files), ts_files)


def test_typescript_imports(ts_edges):
    assert of_kind(ts_edges, "imports") == {
        # require() of a .ts file from .js, destructured require, dynamic import()
        ("imports", "src.app", "src.shapes", "./shapes"),
        ("imports", "src.app", "src.shapes.make", "./shapes"),
        ("imports", "src.app", "src.util.math", "./util/math"),
        ("imports", "src.shapes", "src.base.Shape", "./base"),
        ("imports", "src.shapes", "src.base.Geometry", "./base"),  # a namespace
        ("imports", "src.shapes", "src.base.Drawable", "./base"),
        # a directory import is its index file; a namespace import targets the module
        ("imports", "src.shapes", "src.util", "./util"),
        # named imports through the index's ``export { format as fmt }`` and ``export *``
        ("imports", "src.shapes", "src.util.format.format", "./util"),
        ("imports", "src.shapes", "src.util.math.add", "./util"),
        ("imports", "src.shapes", "src.util.logger.Logger", "./util/logger"),
        # ``export default Counter`` leaves no trace in a FileResult: a default import named like a
        # top-level definition of the module takes it; any other name gets the module only
        ("imports", "src.shapes", "src.util.counter.Counter", "./util/counter"),
        ("imports", "src.shapes", "src.util.counter", "./util/counter"),
        ("imports", "src.shapes", "ext:node:fs", "node:fs"),
        ("imports", "src.shapes", "ext:node:path", "path"),
        ("imports", "src.shapes", "ext:npm:react", "react"),
        ("imports", "src.shapes", "ext:npm:@scope/pkg", "@scope/pkg/sub"),
        # re-exports are imports of the index file
        ("imports", "src.util", "src.util.format.format", "./format"),
        ("imports", "src.util", "src.util.math", "./math"),
        ("imports", "src.util", "src.util.logger.Logger", "./logger"),
    }


def test_typescript_calls(ts_edges):
    assert of_kind(ts_edges, "calls") == {
        ("calls", "src.app", None, "require"),
        ("calls", "src.app", None, "import"),
        ("calls", "src.app.main", "src.shapes.make", "make"),
        ("calls", "src.app.main", "src.shapes.make", "shapes.make"),
        ("calls", "src.app.main", "src.shapes.Square.constructor", "shapes.Square"),
        ("calls", "src.app.main", None, "run"),  # a parameter
        ("calls", "src.app", "src.app.main", "main"),
        ("calls", "src.base.Shape.constructor", "src.base.Shape.init", "this.init"),
        ("calls", "src.base.Shape.describe", None, "String"),
        ("calls", "src.base.Shape.describe", "src.base.Shape.area", "this.area"),
        # super() is the base constructor, this.m / super.m walk the extends chain
        ("calls", "src.shapes.Square.constructor", "src.base.Shape.constructor", "super"),
        ("calls", "src.shapes.Square.area", "src.util.math.add", "plus"),
        ("calls", "src.shapes.Square.draw", "src.util.logger.Logger.constructor", "Logger"),
        ("calls", "src.shapes.Square.draw", None, "log.log"),  # a local of unknown type
        ("calls", "src.shapes.Square.draw", "src.util.format.format", "fmt"),
        ("calls", "src.shapes.Square.draw", "src.base.Shape.describe", "this.describe"),
        ("calls", "src.shapes.Square.draw", "src.base.Shape.describe", "super.describe"),
        ("calls", "src.shapes.Square.draw", "src.util.math.add", "util.add"),
        ("calls", "src.shapes.Square.draw", "src.util.format.format", "util.fmt"),
        ("calls", "src.shapes.Square.draw", None, "fs.readFileSync"),
        ("calls", "src.shapes.Square.draw", "src.shapes.helper", "helper"),
        ("calls", "src.shapes.Square.draw", None, "unknownGlobal"),
        ("calls", "src.shapes.helper", None, "path.join"),
        ("calls", "src.shapes.make", "src.shapes.Square.constructor", "Square"),
        ("calls", "src.shapes.count", "src.util.counter.Counter", "Counter"),  # no constructor: the class
        ("calls", "src.shapes.count", None, "Tally"),
        ("calls", "src.shapes.count", "src.base.Geometry.unit", "Geometry.unit"),
        # inside a namespace its own members are in scope
        ("calls", "src.base.Geometry.two", "src.base.Geometry.unit", "unit"),
        ("calls", "src.util.format.format", None, "x.trim"),
        ("calls", "src.util.logger.Logger.constructor", "src.util.logger.Logger.reset", "this.reset"),
        ("calls", "src.util.logger.Logger.log", None, "console.log"),
        ("calls", "src.util.logger.Logger.log", "src.util.logger.Logger.write", "this.write"),
    }


def test_typescript_inherits_and_implements(ts_edges):
    assert of_kind(ts_edges, "inherits") == {("inherits", "src.shapes.Square", "src.base.Shape", "Shape")}
    assert of_kind(ts_edges, "implements") == {
        ("implements", "src.base.Shape", "src.base.Drawable", "Drawable"),
        ("implements", "src.shapes.Square", "src.base.Drawable", "Drawable"),
    }


def test_typescript_dependents(ts_files):
    resolver = Resolver(ts_files)
    assert resolver.dependents(["src/util/math.ts"]) == {
        "src/util/math.ts", "src/util/index.ts", "src/shapes.ts", "src/app.js",
    }
    assert resolver.dependents(["src/base.ts"]) == {"src/base.ts", "src/shapes.ts", "src/app.js"}
    assert resolver.dependents(["src/app.js"]) == {"src/app.js"}
    # a new file answering an import that did not resolve before
    assert resolver.dependents(["src/util/format.js"]) == {
        "src/util/format.js", "src/util/index.ts", "src/shapes.ts", "src/app.js",
    }


# --- Go ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def go_files() -> dict[str, FileResult]:
    return load("go")


def test_go_edges(go_files):
    edges = describe(resolve_checked(go_files), go_files)
    assert of_kind(edges, "imports") == {
        ("imports", "main", "ext:stdlib:embed", "embed"),
        ("imports", "main", "ext:stdlib:fmt", "fmt"),
        # module path example.com/shop inferred from the imports: a package is its directory
        ("imports", "main", "internal/store", "example.com/shop/internal/store"),
        ("imports", "main", "pkg/money", "example.com/shop/pkg/money"),
        ("imports", "main", "ext:go:github.com/spf13/cobra", "github.com/spf13/cobra"),
        ("imports", "internal/store", "pkg/money", "example.com/shop/pkg/money"),
        ("imports", "pkg/money", "ext:stdlib:fmt", "fmt"),
    }
    assert of_kind(edges, "calls") == {
        ("calls", "main.main", "internal/store.New", "store.New"),
        ("calls", "main.main", None, "s.Add"),  # a local variable
        # the declared result type of New is *Store
        ("calls", "main.main", "internal/store.Store.Add", "store.New().Add"),
        # same package, another file
        ("calls", "main.main", "main.run", "run"),
        ("calls", "main.main", None, "fmt.Println"),
        ("calls", "main.main", "pkg/money.Format", "money.Format"),
        ("calls", "main.main", None, "cobra.OnInitialize"),
        ("calls", "main.run", "main.helper", "helper"),
        ("calls", "internal/store.Store.Add", None, "append"),
        # a method on the receiver, declared in another file of the package
        ("calls", "internal/store.Store.Add", "internal/store.Store.total", "s.total"),
        # promoted from the embedded Base
        ("calls", "internal/store.Store.Add", "internal/store.Base.Reset", "s.Reset"),
        ("calls", "internal/store.Store.Add", "pkg/money.Format", "money.Format"),
        ("calls", "internal/store.Store.total", "internal/store.sum", "sum"),
        ("calls", "internal/store.sum", None, "len"),
        ("calls", "pkg/money.Format", None, "fmt.Sprint"),
    }
    assert of_kind(edges, "inherits") == {("inherits", "internal/store.Store", "internal/store.Base", "Base")}
    # the package is represented by its first file's module element
    store_import = next(e for e in resolve_all(go_files) if e.target_name == "example.com/shop/internal/store")
    assert (store_import.target_file, store_import.target_index) == ("internal/store/store.go", 0)


def test_go_dependents(go_files):
    resolver = Resolver(go_files)
    everything = set(go_files)
    assert resolver.dependents(["pkg/money/money.go"]) == everything
    assert resolver.dependents(["run.go"]) == {"run.go", "main.go"}
    assert resolver.dependents(["internal/store/total.go"]) == {
        "internal/store/total.go", "internal/store/store.go", "main.go", "run.go",
    }


# --- Java -------------------------------------------------------------------------------------------------

JAVA = "src/main/java/com/acme/"


@pytest.fixture(scope="module")
def java_files() -> dict[str, FileResult]:
    return load("java")


def test_java_edges(java_files):
    resolved = resolve_checked(java_files)
    edges = describe(resolved, java_files)
    assert of_kind(edges, "imports") == {
        ("imports", "com.acme.app.App", "com.acme.model.Shape", "com.acme.model"),
        ("imports", "com.acme.app.App", "com.acme.model.Square", "com.acme.model"),
        # an on-demand import of an internal package: the module element of its first file
        ("imports", "com.acme.app.App", "com.acme.util.Strings", "com.acme.util"),
        # import static: the member itself
        ("imports", "com.acme.app.App", "com.acme.util.Strings.shout", "com.acme.util.Strings"),
        ("imports", "com.acme.app.App", "ext:stdlib:java.util", "java.util"),
        ("imports", "com.acme.app.App", "ext:maven:org.slf4j", "org.slf4j"),
    }
    assert of_kind(edges, "calls") == {
        # a field initialiser: new Square(2) is Square's constructor
        ("calls", "com.acme.app.App", "com.acme.model.Square.Square", "Square"),
        # App declares no constructor: the class itself
        ("calls", "com.acme.app.App.main", "com.acme.app.App", "App"),
        ("calls", "com.acme.app.App.main", None, "app.run"),
        ("calls", "com.acme.app.App.main", "com.acme.util.Strings.trim", "Strings.trim"),
        ("calls", "com.acme.app.App.main", "com.acme.util.Strings.shout", "shout"),
        ("calls", "com.acme.app.App.main", None, "List.of"),
        ("calls", "com.acme.app.App.main", "com.acme.util.Strings.trim", "com.acme.util.Strings.trim"),
        # fields of a declared type
        ("calls", "com.acme.app.App.run", "com.acme.model.Square.area", "square.area"),
        ("calls", "com.acme.app.App.run", "com.acme.model.Shape.describe", "this.shape.describe"),
        ("calls", "com.acme.app.App.run", "com.acme.app.App.helper", "helper"),
        ("calls", "com.acme.model.Shape.Shape", "com.acme.model.Shape.init", "init"),
        ("calls", "com.acme.model.Shape.describe", "com.acme.model.Shape.area", "area"),
        ("calls", "com.acme.model.Square.Square", "com.acme.model.Shape.Shape", "super"),
        ("calls", "com.acme.model.Square.describe", "com.acme.model.Shape.describe", "super.describe"),
        # a package-private class of the same package
        ("calls", "com.acme.model.Square.describe", "com.acme.model.Helper.name", "Helper.name"),
        ("calls", "com.acme.util.Strings.trim", None, "s.trim"),
        ("calls", "com.acme.util.Strings.shout", "com.acme.util.Strings.trim", "trim"),
        ("calls", "com.acme.util.Strings.shout", None, "trim().toUpperCase"),
    }
    assert of_kind(edges, "inherits") == {("inherits", "com.acme.model.Square", "com.acme.model.Shape", "Shape")}
    assert of_kind(edges, "implements") == {
        ("implements", "com.acme.model.Shape", "com.acme.model.Describable", "Describable"),
    }
    assert of_kind(edges, "decorates") == {
        ("decorates", "com.acme.model.Square.area", None, "Override"),
        ("decorates", "com.acme.model.Square.describe", None, "Override"),
    }
    star = next(e for e in resolved if e.kind == "imports" and e.target_name == "com.acme.util")
    assert (star.target_file, star.target_index) == (JAVA + "util/Strings.java", 0)


def test_java_dependents(java_files):
    resolver = Resolver(java_files)
    assert resolver.dependents([JAVA + "util/Strings.java"]) == {JAVA + "util/Strings.java", JAVA + "app/App.java"}
    assert resolver.dependents([JAVA + "app/App.java"]) == {JAVA + "app/App.java"}
    model = {JAVA + f"model/{name}.java" for name in ("Describable", "Shape", "Square", "Helper")}
    assert resolver.dependents([JAVA + "model/Helper.java"]) == model | {JAVA + "app/App.java"}


# --- Rust -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rust_files() -> dict[str, FileResult]:
    return load("rust")


def test_rust_edges(rust_files):
    edges = describe(resolve_checked(rust_files), rust_files)
    assert of_kind(edges, "imports") == {
        # ``mod x;`` declarations import the module's file
        ("imports", "crate", "crate::shapes", "shapes"),
        ("imports", "crate", "crate::extra", "extra"),
        ("imports", "crate", "crate::util", "util"),
        ("imports", "crate::util", "crate::util::helpers", "helpers"),
        ("imports", "crate::util", "crate::util::format", "format"),
        # ``mod format`` and ``fn format`` share the name: a path segment is the module
        ("imports", "crate::util", "crate::util::format::format", "self::format"),
        # ``pub use shapes::Square`` resolves through the module declared above
        ("imports", "crate", "crate::shapes::Square", "shapes"),
        ("imports", "crate", "ext:cargo:serde", "serde"),
        ("imports", "crate", "ext:stdlib:std", "std"),
        ("imports", "crate::shapes", "crate::util::log", "crate::util"),
        ("imports", "crate::extra", "crate::shapes::Square", "crate::shapes"),
        # an integration test names the crate by its package name: unknown without Cargo.toml
        ("imports", "tests::it", "ext:cargo:geometry", "geometry::shapes"),
    }
    assert of_kind(edges, "calls") == {
        # through the ``pub use`` re-export, to the associated function in the impl
        ("calls", "crate::area_of", "crate::shapes::Square::new", "Square::new"),
        ("calls", "crate::area_of", None, "sq.area"),
        ("calls", "crate::area_of", "crate::util::log", "util::log"),
        ("calls", "crate::area_of", "crate::shapes::describe", "shapes::describe"),
        ("calls", "crate::area_of", "crate::util::helpers::clamp", "crate::util::helpers::clamp"),
        # an impl block in another file
        ("calls", "crate::area_of", "crate::extra::Square::perimeter", "Square::perimeter"),
        ("calls", "crate::area_of", None, "Square::default"),
        ("calls", "crate::shapes::Shape::name", None, "String::from"),
        ("calls", "crate::shapes::Square::new", "crate::util::log", "log"),
        ("calls", "crate::shapes::Square::double", "crate::shapes::Square::new", "Self::new"),
        # a default method of an implemented trait
        ("calls", "crate::shapes::Square::label", "crate::shapes::Shape::name", "self.name"),
        ("calls", "crate::shapes::describe", None, "s.double"),
        # self in an impl written away from the type
        ("calls", "crate::extra::Square::perimeter", "crate::shapes::Square::area", "self.area"),
        ("calls", "crate::util::log", "crate::util::helpers::clamp", "helpers::clamp"),
        # ... while a call is the function
        ("calls", "crate::util::log", "crate::util::format::format", "format"),
        ("calls", "crate::util::format::format", None, "text.to_string"),
        ("calls", "crate::util::helpers::clamp", "crate::util::log", "super::log"),
        ("calls", "crate::util::helpers::clamp", None, "x.max"),
        ("calls", "tests::it::square_area", None, "Square::new"),
        ("calls", "tests::it::square_area", None, "geometry::area_of"),
    }
    assert of_kind(edges, "implements") == {
        ("implements", "crate::shapes::Square", "crate::shapes::Shape", "Shape"),
    }


def test_rust_dependents(rust_files):
    # paths name modules anywhere in a crate: a change re-resolves the whole crate
    crate = {path for path in rust_files if path.startswith("src/")}
    assert Resolver(rust_files).dependents(["src/util/helpers.rs"]) == crate
    manifests = {"Cargo.toml": (FIXTURES / "rust" / "Cargo.toml").read_text()}
    assert Resolver(rust_files, manifests).dependents(["src/util/helpers.rs"]) == crate | {"tests/it.rs"}


def test_manifests_name_the_rust_crate_and_the_go_module(rust_files, tmp_path):
    from graph_sitter.codebase.extract import extract_file

    manifests = {"Cargo.toml": (FIXTURES / "rust" / "Cargo.toml").read_text()}
    resolver = Resolver(rust_files, manifests)
    edges = {e for e in describe(resolver.resolve(["tests/it.rs"]), rust_files) if e[0] != "contains"}
    assert edges == {
        ("imports", "tests::it", "crate::shapes::Square", "geometry::shapes"),
        ("calls", "tests::it::square_area", "crate::shapes::Square::new", "Square::new"),
        ("calls", "tests::it::square_area", "crate::area_of", "geometry::area_of"),
    }
    # a Go package importing the root package of its module: nothing to infer the module path from
    (tmp_path / "doc").mkdir()
    (tmp_path / "lib.go").write_text("package lib\n\nfunc Run() {}\n")
    (tmp_path / "doc" / "doc.go").write_text(
        'package doc\n\nimport "example.com/lib"\n\nfunc Gen() {\n\tlib.Run()\n}\n'
    )
    files = {path: extract_file(str(tmp_path), path) for path in ("lib.go", "doc/doc.go")}
    without = describe(resolve_checked(files), files)
    assert ("imports", "doc", "ext:go:example.com/lib", "example.com/lib") in without
    assert ("calls", "doc.Gen", None, "lib.Run") in without
    with_module = describe(resolve_all(files, {"go.mod": "module example.com/lib\n\ngo 1.21\n"}), files)
    assert ("imports", "doc", "lib", "example.com/lib") in with_module
    assert ("calls", "doc.Gen", "lib.Run", "lib.Run") in with_module


def test_a_failing_file_keeps_its_references_unresolved(python_files, monkeypatch):
    from graph_sitter.codebase import resolve

    def broken(self, fid, scope, name, direct):
        raise RuntimeError("boom")

    monkeypatch.setattr(resolve._Python, "lookup", broken)
    resolver = Resolver(python_files)
    edges = resolver.resolve(["app/models.py"])
    assert ("app/models.py", "RuntimeError: boom") in resolver.errors
    calls = [e for e in edges if e.kind == "calls"]
    assert calls and not any(e.resolved for e in calls)
    assert len(calls) == sum(1 for r in python_files["app/models.py"].references if r.kind == "call")


def test_every_language_at_once():
    """One codebase holding every fixture: the families do not see each other's files."""
    files: dict[str, FileResult] = {}
    expected: list[tuple] = []
    key = lambda e: (e.kind, e.source_file, e.source_index, e.target_file, e.target_index, e.target_name,
                     e.external, e.line, e.resolved)
    for language in ("python", "typescript", "go", "java", "rust"):
        part = load(language)
        assert not set(part) & set(files)
        expected += map(key, resolve_checked(part))
        files.update(part)
    assert Counter(map(key, resolve_checked(files))) == Counter(expected)


def test_python_star_import_honours_all_and_os_path_style_imports():
    files = {
        "pkg/__init__.py": _file("pkg/__init__.py", "pkg", [("import", "path", 0)], [
            Reference("import", 0, "path", 1, module="posixpath", alias="path"),
        ]),
        "posixpath.py": _file("posixpath.py", "posixpath", [("function", "join", 0)], []),
        "lib.py": _file("lib.py", "lib", [("variable", "__all__", 0), ("function", "listed", 0),
                                          ("function", "hidden", 0)], []),
        "use.py": _file("use.py", "use", [("function", "f", 0)], [
            Reference("import", 0, "*", 1, module="lib", imported_name="*"),
            Reference("import", 0, "pkg.path", 2, module="pkg.path"),
            Reference("call", 1, "listed", 3),
            Reference("call", 1, "hidden", 4),
            Reference("call", 1, "pkg.path.join", 5),
        ]),
    }
    files["lib.py"].elements[2].is_exported = True  # __all__ = ["listed"]
    edges = describe(resolve_checked(files), files)
    assert ("calls", "use.f", "lib.listed", "listed") in edges
    assert ("calls", "use.f", None, "hidden") in edges
    # ``import pkg.path`` where pkg binds path to another module (os.path is posixpath)
    assert ("imports", "use", "posixpath", "pkg.path") in edges
    assert ("calls", "use.f", "posixpath.join", "pkg.path.join") in edges
