"""The language registry: which LanguageSupport handles a path, and its compiled grammar and query.

Adding a language is one module that builds a ``LanguageSupport`` plus ``register_language(...)``;
a plugin's hook may return ``LanguageSupport`` objects for the pipeline to register. Grammar,
parser and query objects are built lazily, once per process, on first use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from graph_sitter.codebase.languages.support import (
    Definition,
    DefinitionContext,
    ImportSpec,
    LanguageSupport,
)

__all__ = [
    "CompiledLanguage",
    "Definition",
    "DefinitionContext",
    "ImportSpec",
    "LanguageSupport",
    "compiled_language",
    "get_language",
    "language_for_path",
    "register_language",
    "registered_languages",
    "unregister_language",
]

_BY_NAME: dict[str, LanguageSupport] = {}
_BY_EXTENSION: dict[str, LanguageSupport] = {}
_COMPILED: dict[tuple[str, str], "CompiledLanguage"] = {}


@dataclass(frozen=True, slots=True)
class CompiledLanguage:
    """A grammar's tree-sitter Language, a reusable Parser and the compiled query."""

    support: LanguageSupport
    language: Any
    parser: Any
    query: Any


def register_language(support: LanguageSupport) -> None:
    """Register (or replace) a language; its extensions then map to it."""
    unregister_language(support.name)
    _BY_NAME[support.name] = support
    for ext in support.extensions:
        _BY_EXTENSION[ext.lower()] = support


def unregister_language(name: str) -> None:
    """Forget a registered language (and its extensions)."""
    previous = _BY_NAME.pop(name, None)
    if previous is None:
        return
    for ext in previous.extensions:
        if _BY_EXTENSION.get(ext.lower()) is previous:
            del _BY_EXTENSION[ext.lower()]
    for key in [k for k in _COMPILED if k[0] == name]:
        del _COMPILED[key]


def registered_languages() -> tuple[LanguageSupport, ...]:
    """All registered languages, in registration order."""
    return tuple(_BY_NAME.values())


def get_language(name: str) -> LanguageSupport | None:
    """The language registered under ``name``, if any."""
    return _BY_NAME.get(name)


def _extension(path: str) -> str:
    base = os.path.basename(path).lower()
    # ".d.ts" must not fall back to ".ts" semantics anywhere, but it is still TypeScript.
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def language_for_path(path: str) -> LanguageSupport | None:
    """The language handling ``path`` by its extension, or None."""
    return _BY_EXTENSION.get(_extension(path))


def compiled_language(support: LanguageSupport, path: str = "") -> CompiledLanguage:
    """The process-wide Language, Parser and Query for ``support`` (the grammar ``path`` needs)."""
    ext = _extension(path)
    loader_key = ext if ext in support.grammar_by_extension else ""
    key = (support.name, loader_key)
    compiled = _COMPILED.get(key)
    if compiled is None:
        import tree_sitter

        loader = support.grammar_by_extension[ext] if loader_key else support.grammar
        language = tree_sitter.Language(loader())
        compiled = CompiledLanguage(
            support=support,
            language=language,
            parser=tree_sitter.Parser(language),
            query=tree_sitter.Query(language, support.full_query()),
        )
        _COMPILED[key] = compiled
    return compiled


def _register_builtins() -> None:
    from graph_sitter.codebase.languages import go, java, javascript, python, rust, typescript

    for module in (python, javascript, typescript, go, java, rust):
        for support in module.SUPPORTS:
            register_language(support)


_register_builtins()
