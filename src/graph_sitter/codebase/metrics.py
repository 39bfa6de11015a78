"""Per-function and per-file metrics from plain positions: complexity, NLOC, nesting, lines, MI.

Nothing here touches tree-sitter. ``extract.py`` turns the query captures into byte offsets, row
spans and counts, and these functions do the arithmetic.

Cyclomatic complexity (CC) follows lizard's counting rules, language by language; the rules are
written down in each language module's docstring (``graph_sitter.codebase.languages.*``). In
general: CC = 1 + the decision points inside the function, where a decision point inside a nested
function belongs to the nested function only (lizard gives every function, anonymous ones included
where lizard sees them as functions, its own count).

NLOC follows lizard: the code lines of the function, where a code line has at least one token that
is not a comment (a documentation string statement counts as a comment). A nested function's lines
belong to it and not to the outer function, except the line where it starts, which lizard counts for
both. Known deviation: a blank line inside a multi-line string is a code line for lizard and a blank
line here.

token_count is the number of syntax nodes of the function (tree-sitter's visible descendant count,
which costs nothing to read), nested functions excluded. On the CPython standard library about 65 %
of those nodes are lexical tokens, so it is a size measure in the same spirit as lizard's token
count, not equal to it.

Maximum nesting depth counts nested control-flow blocks (if, loops, try, with, switch/match) inside
the function, nested functions excluded; an ``else if`` chain counts as one level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate
from typing import Sequence

Range = tuple[int, int]  # (start, end), end exclusive; ranges of one list nest or are disjoint
Span = tuple[int, int, int, int]  # (start_row, start_col, end_row, end_col), rows 0-based


def assign_points(ranges: Sequence[Range], points: Sequence[int]) -> list[int]:
    """For each point (ascending), the index of the innermost range containing it, else -1.

    ``ranges`` are sorted by (start, -end) and properly nested, as syntax nodes are.
    """
    owners: list[int] = []
    stack: list[int] = []
    ends: list[int] = []
    i = 0
    n = len(ranges)
    for point in points:
        while i < n and ranges[i][0] <= point:
            start, end = ranges[i]
            while ends and ends[-1] <= start:
                ends.pop()
                stack.pop()
            stack.append(i)
            ends.append(end)
            i += 1
        while ends and ends[-1] <= point:
            ends.pop()
            stack.pop()
        owners.append(stack[-1] if stack else -1)
    return owners


def range_parents(ranges: Sequence[Range]) -> list[int]:
    """For each range (sorted by (start, -end)), the index of the innermost other range containing it."""
    parents: list[int] = []
    stack: list[int] = []
    for index, (start, end) in enumerate(ranges):
        while stack and ranges[stack[-1]][1] <= start:
            stack.pop()
        parents.append(stack[-1] if stack else -1)
        stack.append(index)
    return parents


def count_owners(owners: Sequence[int], size: int) -> tuple[list[int], int]:
    """How many points each range owns, and how many no range owns."""
    counts = [0] * size
    outside = 0
    for owner in owners:
        if owner >= 0:
            counts[owner] += 1
        else:
            outside += 1
    return counts, outside


@dataclass(slots=True)
class LineCounts:
    """A file's line classification; ``code_prefix[r]`` is the number of code lines in rows [0, r)."""

    total: int
    code: int
    comment: int
    blank: int
    code_prefix: list[int]

    def code_between(self, first_row: int, last_row: int) -> int:
        """Code lines in rows first_row..last_row inclusive (0-based)."""
        if last_row < first_row:
            return 0
        last_row = min(last_row, self.total - 1)
        return self.code_prefix[last_row + 1] - self.code_prefix[max(first_row, 0)]


def line_counts(data: bytes, comment_spans: Sequence[Span], doc_spans: Sequence[Span] = ()) -> LineCounts:
    """Classify each line as code, comment or blank.

    A line is blank when it holds only whitespace (also inside a block comment or docstring), a
    comment line when every non-blank character on it belongs to comments or documentation strings,
    and a code line otherwise.
    """
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines.pop()
    total = len(lines)
    # 1 = code for now; rows found to hold only comments are turned to 0 below (the comment lines are then
    # the non-blank rows that no longer count as code).
    flags = [0 if not line or line.isspace() else 1 for line in lines]
    nonblank = sum(flags)
    for start_row, start_col, end_row, end_col in (*comment_spans, *doc_spans):
        if end_col == 0 and end_row > start_row:
            # A line comment that owns its newline ends at column 0 of the next row.
            end_row -= 1
            end_col = len(lines[end_row]) if end_row < total else 0
        if start_row >= total:
            continue
        if end_row >= total:
            end_row = total - 1
            end_col = len(lines[end_row])
        first = start_row if not lines[start_row][:start_col].strip() else start_row + 1
        last = end_row if not lines[end_row][end_col:].strip() else end_row - 1
        if first == last:  # most comments: one row
            flags[first] = 0
        elif first < last:
            flags[first:last + 1] = [0] * (last + 1 - first)
    code = sum(flags)
    return LineCounts(
        total=total,
        code=code,
        comment=nonblank - code,
        blank=total - nonblank,
        code_prefix=list(accumulate(flags, initial=0)),
    )


def function_nloc(lines: LineCounts, rows: Sequence[tuple[int, int]], parents: Sequence[int]) -> list[int]:
    """Lizard's NLOC for each function given its (start_row, end_row) and its parent function index."""
    between = lines.code_between
    nloc = [between(first, last) for first, last in rows]
    for (first, last), parent in zip(rows, parents):
        if parent >= 0:
            # The nested function's first line stays with the parent too (lizard counts it twice).
            nloc[parent] -= between(first + 1, last)
    return [value if value > 1 else 1 for value in nloc]


def exclusive_sizes(sizes: Sequence[int], parents: Sequence[int]) -> list[int]:
    """Each function's size without the sizes of the functions nested in it."""
    result = list(sizes)
    for index, parent in enumerate(parents):
        if parent >= 0:
            result[parent] -= sizes[index]
    return [max(value, 1) for value in result]


def max_nesting(boundaries: Sequence[Range], nests: Sequence[Range]) -> list[int]:
    """The deepest nesting of ``nests`` ranges inside each boundary, nested boundaries excluded."""
    depth = [0] * len(boundaries)
    events = [(start, -end, 0, index) for index, (start, end) in enumerate(boundaries)]
    events.extend((start, -end, 1, index) for index, (start, end) in enumerate(nests))
    events.sort()
    # Stack entries: (end, owner boundary index, depth within that boundary).
    stack: list[tuple[int, int, int]] = []
    for start, neg_end, is_nest, index in events:
        while stack and stack[-1][0] <= start:
            stack.pop()
        if not is_nest:
            stack.append((-neg_end, index, 0))
            continue
        if not stack:
            continue
        _, owner, level = stack[-1]
        if owner < 0:
            continue
        level += 1
        if level > depth[owner]:
            depth[owner] = level
        stack.append((-neg_end, owner, level))
    return depth


def halstead_volume(operators: int, operands: int, distinct_operators: int, distinct_operands: int) -> float:
    """Halstead volume V = N log2(n), N = N1 + N2, n = n1 + n2 (radon's h_visit)."""
    vocabulary = distinct_operators + distinct_operands
    length = operators + operands
    return length * math.log2(vocabulary) if vocabulary > 0 else 0.0


def maintainability_index(volume: float, complexity: int, sloc: int, comment_percent: float) -> float:
    """Radon's ``mi_compute``: 0..100, with the comment term ``50 sin(sqrt(2.46 * radians(C)))``.

    MI = max(0, (171 - 5.2 ln V - 0.23 G - 16.2 ln L + 50 sin(sqrt(2.46 C_rad))) * 100 / 171),
    100 when V or L is 0. Radon passes LLOC as L; we pass SLOC (code lines), which is cheaper and
    differs by the lines holding more than one statement.
    """
    if volume <= 0 or sloc <= 0:
        return 100.0
    comments_scale = math.sqrt(2.46 * math.radians(comment_percent))
    raw = 171 - 5.2 * math.log(volume) - 0.23 * complexity - 16.2 * math.log(sloc) + 50 * math.sin(comments_scale)
    return min(max(0.0, raw * 100 / 171.0), 100.0)
