"""Rows to PostgreSQL COPY text format, built as strings in bulk: far faster than one write_row call per row."""

from __future__ import annotations

from typing import Any, Iterable

# Backslash, tab, newline and carriage return are COPY's specials; NUL cannot be stored in text at all.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": ""})
_ARRAY_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\0": ""})
NULL = "\\N"


def text(value: str | None) -> str:
    """A text field."""
    if value is None:
        return NULL
    # Most values (names, paths) hold none of the special characters: a few scans beat translate().
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value or "\0" in value:
        return value.translate(_ESCAPES)
    return value


def number(value: int | float | None) -> str:
    """A numeric field."""
    return NULL if value is None else str(value)



def text_array(values: Iterable[str] | None) -> str:
    """A text[] field: an array literal, then COPY-escaped."""
    if values is None:
        return NULL
    inner = ",".join('"' + v.translate(_ARRAY_ESCAPES) + '"' for v in values)
    return ("{" + inner + "}").translate(_ESCAPES)



def write_lines(copy: Any, lines: Iterable[str], chunk_chars: int = 1 << 20) -> int:
    """Send lines to a psycopg Copy object in large chunks; returns how many were written."""
    buffer: list[str] = []
    size = 0
    count = 0
    for ln in lines:
        buffer.append(ln)
        size += len(ln)
        count += 1
        if size >= chunk_chars:
            copy.write("".join(buffer))
            buffer.clear()
            size = 0
    if buffer:
        copy.write("".join(buffer))
    return count
