"""Reading names, signatures and doc comments from tree-sitter nodes, shared by the language rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from graph_sitter.codebase.languages.support import Node

# A callee written as a plain dotted path needs no tree walk: most calls take this path.
_SIMPLE_CALLEE = re.compile(rb"[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*\Z")


def node_text(node: Node, src: bytes) -> str:
    """The node's source text, decoded leniently."""
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


def collapse(text: str) -> str:
    """Whitespace runs (newlines included) become single spaces."""
    return " ".join(text.split())


def header(src: bytes, start: int, end: int, strip: str = "") -> str:
    """A one-line signature: the source between ``start`` and ``end``, collapsed, ``strip`` removed."""
    text = " ".join(src[start:end].decode("utf-8", "replace").split())  # collapse(), one call less
    return text.rstrip(strip + " ") if strip else text


@dataclass(frozen=True, slots=True)
class CalleeGrammar:
    """How a language spells callee expressions, for ``callee_name``."""

    names: frozenset[str]  # node types whose text is a name: identifier, this, self, super ...
    members: Mapping[str, tuple[str, str, str]]  # type -> (object field, member field, joiner)
    calls: Mapping[str, str] = field(default_factory=dict)  # type -> function field
    subscripts: Mapping[str, str] = field(default_factory=dict)  # type -> indexed-value field
    transparent: Mapping[str, str] = field(default_factory=dict)  # type -> field naming the real callee


def callee_name(node: Node, src: bytes, grammar: CalleeGrammar, depth: int = 0) -> str:
    """The dotted name of a callee expression; see ``Reference.name`` for the notation."""
    raw = src[node.start_byte:node.end_byte]
    if _SIMPLE_CALLEE.match(raw):
        return raw.decode("utf-8", "replace")
    if depth > 32:
        return "?"
    kind = node.type
    if kind in grammar.names:
        return raw.decode("utf-8", "replace")
    member = grammar.members.get(kind)
    if member is not None:
        obj = node.child_by_field_name(member[0])
        prop = node.child_by_field_name(member[1])
        base = callee_name(obj, src, grammar, depth + 1) if obj is not None else "?"
        name = node_text(prop, src) if prop is not None else "?"
        return f"{base}{member[2]}{name}"
    function_field = grammar.calls.get(kind)
    if function_field is not None:
        function = node.child_by_field_name(function_field)
        return (callee_name(function, src, grammar, depth + 1) if function is not None else "?") + "()"
    value_field = grammar.subscripts.get(kind)
    if value_field is not None:
        value = _field_or_first(node, value_field)
        return (callee_name(value, src, grammar, depth + 1) if value is not None else "?") + "[]"
    inner_field = grammar.transparent.get(kind)
    if inner_field is not None:
        inner = _field_or_first(node, inner_field)
        if inner is not None:
            return callee_name(inner, src, grammar, depth + 1)
    return "?"


def first_named(node: Node) -> Node | None:
    """The first named child, or None (tree-sitter raises instead)."""
    return node.named_child(0) if node.named_child_count else None


def first_child(node: Node) -> Node | None:
    """The first child, or None (tree-sitter raises instead)."""
    return node.child(0) if node.child_count else None


def _field_or_first(node: Node, field_name: str) -> Node | None:
    # An empty field name means "the first named child" (grammars without a field there).
    if field_name:
        return node.child_by_field_name(field_name)
    return first_named(node)


def preceding_doc_comment(node: Node, src: bytes, is_doc: "DocCommentTest") -> str | None:
    """The doc comment block written directly above ``node`` (no blank line between), cleaned."""
    parts: list[str] = []
    expected_row = node.start_point[0]
    sibling = node.prev_sibling
    while sibling is not None and sibling.type in is_doc.comment_types:
        end_row = sibling.end_point[0]
        # A line comment's node may end at column 0 of the next line (tree-sitter-rust).
        if sibling.end_point[1] == 0 and end_row > sibling.start_point[0]:
            end_row -= 1
        if end_row != expected_row - 1 and end_row != expected_row:
            break
        raw = src[sibling.start_byte:sibling.end_byte].decode("utf-8", "replace")
        if not is_doc.accepts(raw):
            break
        parts.append(raw)
        expected_row = sibling.start_point[0]
        if not is_doc.line_comments:
            break
        sibling = sibling.prev_sibling
    if not parts:
        return None
    parts.reverse()
    return clean_comment("\n".join(parts))


@dataclass(frozen=True, slots=True)
class DocCommentTest:
    """Which preceding comments document a definition."""

    comment_types: frozenset[str]
    prefixes: tuple[str, ...]  # "/**", "///", "//"
    line_comments: bool  # consecutive line comments form one block

    def accepts(self, raw: str) -> bool:
        """True when ``raw`` is a documentation comment for this language."""
        return raw.startswith(self.prefixes)


_COMMENT_MARKERS = re.compile(r"^\s*(?:/\*\*+|/\*!?|\*+/|\*(?!\*)|//[/!]?|#)?", re.M)


def clean_comment(raw: str) -> str:
    """Comment text without its markers and common indentation."""
    text = raw.strip()
    if text.endswith("*/"):
        text = text[:-2]
    lines = [_COMMENT_MARKERS.sub("", line, count=1).rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[indent:] for l in lines)


def string_literal_value(raw: str) -> str:
    """A Python-style string literal's content, prefix and quotes removed (escapes kept)."""
    i = 0
    while i < len(raw) and raw[i] not in "'\"":
        i += 1
    body = raw[i:]
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            return body[len(quote):-len(quote)]
    return body.strip("'\"")


def clean_docstring(text: str) -> str:
    """PEP 257 indentation cleanup, like ``inspect.cleandoc``."""
    text = text.expandtabs()
    if "\n" not in text:  # one line (many docstrings): what the general case makes of it
        return text.strip()
    lines = text.split("\n")
    rest = lines[1:]
    # A line is blank when its lstrip() is empty, as its strip() would be: one strip per line, not two.
    indent = min((len(l) - len(s) for l, s in zip(rest, map(str.lstrip, rest)) if s), default=0)
    trimmed = [lines[0].strip()] + [l[indent:].rstrip() for l in rest]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    while trimmed and not trimmed[0]:
        trimmed.pop(0)
    return "\n".join(trimmed)
