"""Rows to PostgreSQL COPY text format, built as strings in bulk: far faster than one write_row call per row."""

from __future__ import annotations

from typing import Any, Iterable

# Backslash, tab, newline and carriage return are COPY's specials; NUL cannot be stored in text at all.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": ""})
_ARRAY_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\0": ""})
NULL = "\\N"


def has_special(value: str) -> bool:
    """Whether ``value`` holds one of COPY text's special characters (backslash, tab, newline, CR) or a NUL."""
    return "\\" in value or "\t" in value or "\n" in value or "\r" in value or "\0" in value


def escaped(value: str) -> str:
    """A text field that is not None (NULL aside, what text() returns).

    translate() looks every character up in the table, since its replacements are two characters long;
    str.replace scans in C (memchr) and returns the string itself when there is nothing to replace, so a
    docstring with a few newlines costs a few scans. The backslash goes first: the escapes added after it
    hold backslashes that must stay single.
    """
    if has_special(value):
        return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
                .replace("\0", ""))
    return value


def text(value: str | None) -> str:
    """A text field."""
    return NULL if value is None else escaped(value)


def all_plain(values: Iterable[str]) -> bool:
    """Whether text() would return every one of ``values`` unchanged (none holds a special character).

    One scan over all of them joined: for a batch of names this beats a text() call per name, and a batch
    almost never holds a tab, a newline or a backslash. (Each special is one character, so joining the
    values can neither make nor hide one.)
    """
    try:
        joined = "".join(values)
    except TypeError:  # a None (text() makes it NULL) or some other non-string
        return False
    return not has_special(joined)


def number(value: int | float | None) -> str:
    """A numeric field."""
    return NULL if value is None else str(value)



def text_array(values: Iterable[str] | None) -> str:
    """A text[] field: an array literal, then COPY-escaped."""
    if values is None:
        return NULL
    inner = ",".join('"' + v.translate(_ARRAY_ESCAPES) + '"' for v in values)
    return ("{" + inner + "}").translate(_ESCAPES)


def text_array_of(values: tuple[str, ...] | list[str]) -> str:
    """text_array() of a non-empty sequence of strings, without a translate() per value when none holds a
    quote, a backslash or a NUL (names, parameters: almost always). Same result as text_array()."""
    joined = '","'.join(values)
    # The separator's own quotes are ignored by counting: the values hold a quote only if there are more.
    if "\\" in joined or "\0" in joined or joined.count('"') != 2 * (len(values) - 1):
        return text_array(values)
    return escaped('{"' + joined + '"}')


def plain_array_values(values: Iterable[str]) -> bool:
    """Whether none of ``values`` holds a quote, a backslash, a tab, a newline, a carriage return or a NUL:
    then text_array() of a non-empty sequence of them is ``'{"' + '","'.join(values) + '"}'``, with nothing to
    escape (one scan over them all, as in all_plain)."""
    joined = "".join(values)
    return not ('"' in joined or has_special(joined))



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
