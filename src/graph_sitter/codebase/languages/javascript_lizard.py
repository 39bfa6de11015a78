"""Where lizard's JavaScript/TypeScript reader draws function boundaries differently from the tree.

Lizard reads tokens with a state machine, not a syntax tree. Two of its habits change which
function a decision point belongs to, and the complexity rules reproduce them so that our numbers
can be compared with lizard's (lizard_languages/typescript_states.py, javascript_functions.py,
javascript_objects.py):

1. An arrow function with an expression body ends at the first token that starts a new line
   outside brackets, unless that token continues the expression (``.then``, ``(``, ``[``, ``{``,
   ``:`` ...). That token still counts for the arrow; whatever follows counts for the enclosing
   function. ``const f = (x) =>\\n  x && y`` has complexity 1, its ``&&`` belongs to the outer
   scope. ``function_end`` gives the byte where such an arrow stops.

2. A parenthesised group written where lizard expects a function signature is read as the
   parameters of an arrow function that never comes, and that function is then discarded with
   every decision inside the group and the token right after it: ``const x = (a || b) ? 1 : 2``
   counts neither ``||`` nor ``?``. This happens after ``name =`` (a plain identifier on the left),
   after an identifier key in an object literal (``{key: (a || b)}``), for a spread in an object
   literal (``{...(a && b)}``, ``{...f(a || b)}``) and for a class field's first call
   (``x = f(a || b)``). ``lost_decisions`` gives the byte range that lizard loses.
"""

from __future__ import annotations

import re

from graph_sitter.codebase.languages.support import Node
from graph_sitter.codebase.languages.syntax import first_child

# Tokens that may start a line without ending an expression-bodied arrow function in lizard.
_CONTINUATIONS = frozenset({
    "(", "[", "{", ")", "]", "}", ".", "?.", "=>", "=", ":", "function", "if", "switch", "for", "while",
    "catch", "else", "do", "try", "final", "static", "async", "new",
})
_TOKEN = re.compile(
    rb"""(?P<space>\s+)
    |(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)
    |(?P<word>[A-Za-z_$\#][\w$]*|\d[\w.]*)
    |(?P<op>\?\.|=>|&&|\|\||\?\?|[^\s])""",
    re.X | re.S,
)
_REGEX = re.compile(rb"/(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n])+/[a-z]*")
# After these, a "/" starts a regular expression literal rather than a division.
_BEFORE_REGEX = frozenset({b"(", b",", b"=", b":", b"[", b"!", b"&", b"|", b"?", b"{", b"}", b";", b"&&", b"||",
                           b"??", b"=>", b"return"})
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function", "class"})
_DECISION_AFTER = (b"&&", b"||", b"??")


def function_end(node: Node, src: bytes) -> int | None:
    """Where lizard ends an expression-bodied arrow function spanning lines, or None."""
    if node.type != "arrow_function":
        return None
    body = node.child_by_field_name("body")
    if body is None or body.type == "statement_block":
        return None
    arrow = body.prev_sibling
    if arrow is None or body.end_point[0] == arrow.end_point[0]:
        return None  # the whole body is on the line of "=>"
    depth = 0
    newline = False
    previous = b"=>"
    position = arrow.end_byte
    end = body.end_byte
    while position < end:
        if src[position:position + 1] == b"/" and previous in _BEFORE_REGEX:
            regex = _REGEX.match(src, position, end)
            if regex is not None:
                if newline and depth == 0:
                    return regex.end()
                position = regex.end()
                previous = b"/re/"
                newline = False
                continue
        match = _TOKEN.match(src, position, end)
        if match is None:
            return None
        position = match.end()
        kind = match.lastgroup
        token = match.group()
        if kind == "space":
            newline = newline or b"\n" in token
            continue
        if kind == "comment":
            newline = newline or b"\n" in token
            continue
        if newline and depth == 0 and token.decode("latin-1") not in _CONTINUATIONS:
            return position
        newline = False
        previous = token
        if token in (b"(", b"[", b"{"):
            depth += 1
        elif token in (b")", b"]", b"}"):
            depth -= 1
            if depth < 0:
                return None
    return None


def _leftmost(node: Node, start: int, types: tuple[str, ...]) -> Node | None:
    """The outermost node of one of ``types`` that starts where ``node`` starts."""
    current = node
    for _ in range(64):
        if current.type in types:
            return current
        first = first_child(current)
        if first is None or first.start_byte != start:
            return None
        current = first
    return None


def _after_group(src: bytes, end: int) -> int:
    """``end`` extended over the token after a group when that token is a decision point."""
    position = end
    length = len(src)
    while position < length:
        match = _TOKEN.match(src, position)
        if match is None or match.lastgroup not in ("space", "comment"):
            break
        position = match.end()
    ahead = src[position:position + 2]
    if ahead in _DECISION_AFTER:
        return position + 2
    if ahead[:1] == b"?" and ahead != b"?.":
        return position + 1
    return end


def lost_decisions(node: Node, src: bytes) -> tuple[int, int] | None:
    """The byte range whose decisions lizard discards for this value, or None."""
    if node.type in _FUNCTION_VALUES:
        return None
    start = node.start_byte
    parent = node.parent
    context = parent.type if parent is not None else ""
    if context == "pair":
        key = parent.child_by_field_name("key")
        if key is None or key.type not in ("property_identifier", "identifier"):
            return None
    if src[start:start + 1] == b"(":
        group = _leftmost(node, start, ("parenthesized_expression",))
        if group is None:
            return None
        inner = src[group.start_byte + 1:group.start_byte + 80].lstrip()
        if inner[:1] == b"(" or inner.startswith((b"function", b"async")):
            return None  # lizard gives up on the signature at once
        return start, _after_group(src, group.end_byte)
    if context in ("spread_element", "field_definition", "public_field_definition"):
        call = _leftmost(node, start, ("call_expression",))
        if call is None:
            return None
        function = call.child_by_field_name("function")
        arguments = call.child_by_field_name("arguments")
        if function is None or arguments is None or function.type != "identifier":
            return None
        return arguments.start_byte, _after_group(src, arguments.end_byte)
    return None
