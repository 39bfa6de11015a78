"""The language registry: lookups by path, and a new language added by one registration."""

from __future__ import annotations

from pathlib import Path

import tree_sitter_python

from graph_sitter.codebase.extract import extract_file
from graph_sitter.codebase.languages import (
    Definition,
    LanguageSupport,
    compiled_language,
    get_language,
    language_for_path,
    register_language,
    registered_languages,
    unregister_language,
)


def test_builtin_languages() -> None:
    names = [support.name for support in registered_languages()]
    assert names == ["python", "javascript", "typescript", "go", "java", "rust"]
    expected = {
        "a/b.py": "python", "x.pyi": "python", "app.js": "javascript", "App.JSX": "javascript",
        "m.mjs": "javascript", "c.cjs": "javascript", "t.ts": "typescript", "types.d.ts": "typescript",
        "W.tsx": "typescript", "main.go": "go", "A.java": "java", "lib.rs": "rust",
    }
    for path, language in expected.items():
        support = language_for_path(path)
        assert support is not None and support.name == language, path
    assert language_for_path("README.md") is None and language_for_path("Makefile") is None


def test_grammars_are_built_once_per_process_and_tsx_has_its_own() -> None:
    typescript = get_language("typescript")
    assert typescript is not None
    first = compiled_language(typescript, "a.ts")
    assert compiled_language(typescript, "b.ts") is first
    tsx = compiled_language(typescript, "c.tsx")
    assert tsx is not first and tsx.language != first.language


def _toy_module_name(path: str, root, src: bytes) -> tuple[str, str]:
    stem = path.rsplit(".", 1)[0]
    return stem, stem.replace("/", ".")


def _toy_describe(node, capture: str, ctx) -> Definition | None:
    if capture != "def.function":
        return None
    name = node.child_by_field_name("name")
    return Definition(kind="function", name=ctx.src[name.start_byte:name.end_byte].decode(), node=node, function=node)


def test_a_new_language_is_one_support_object_and_a_registration(tmp_path: Path) -> None:
    toy = LanguageSupport(
        name="toy",
        extensions=(".toy",),
        grammar=tree_sitter_python.language,
        query="(function_definition) @def.function\n(call function: (identifier) @call)",
        module_name=_toy_module_name,
        describe=_toy_describe,
        imports=lambda node, src: [],
        call_name=lambda node, src: src[node.start_byte:node.end_byte].decode(),
        decision_types=("if",),
        function_types=("function_definition",),
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "demo.toy").write_text("def f(x):\n    if x:\n        g()\n")
    register_language(toy)
    try:
        assert language_for_path("pkg/demo.toy") is toy
        result = extract_file(str(tmp_path), "pkg/demo.toy")
        assert result.language == "toy" and result.error is None
        assert [(e.kind, e.qualified_name, e.cyclomatic_complexity) for e in result.elements] == [
            ("module", "pkg.demo", None),
            ("function", "pkg.demo.f", 2),
        ]
        assert [(r.kind, r.name, r.source, r.line) for r in result.references] == [("call", "g", 1, 3)]
    finally:
        unregister_language("toy")
    assert language_for_path("pkg/demo.toy") is None
