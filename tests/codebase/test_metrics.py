"""Metric arithmetic: innermost ranges, line classes, NLOC, nesting and the maintainability index."""

from __future__ import annotations

import math

import pytest

from graph_sitter.codebase import metrics


def test_assign_points_innermost_range() -> None:
    ranges = [(0, 100), (10, 40), (20, 30), (50, 60)]
    points = [5, 10, 25, 30, 39, 40, 55, 99, 100, 150]
    assert metrics.assign_points(ranges, points) == [0, 1, 2, 1, 1, 0, 3, 0, -1, -1]
    assert metrics.assign_points([], [1, 2]) == [-1, -1]


def test_range_parents() -> None:
    assert metrics.range_parents([(0, 100), (10, 40), (20, 30), (50, 60), (200, 300)]) == [-1, 0, 1, 0, -1]


def test_line_counts_python_comments_and_docstrings() -> None:
    source = b'"""doc\nmore"""\n\nx = 1  # trailing\n# alone\n\ny = 2\n'
    # comment spans: row 3 col 7 (trailing), row 4 col 0; docstring rows 0-1
    lines = metrics.line_counts(source, [(3, 7, 3, 17), (4, 0, 4, 7)], [(0, 0, 1, 7)])
    assert (lines.total, lines.code, lines.comment, lines.blank) == (7, 2, 3, 2)
    assert lines.code_between(0, 6) == 2 and lines.code_between(3, 3) == 1 and lines.code_between(4, 5) == 0


def test_line_counts_block_comments() -> None:
    source = b"a();\n/* one\n   two */ b();\n/*\n\n*/\nc(); /* tail */\n"
    spans = [(1, 0, 2, 9), (3, 0, 5, 2), (6, 5, 6, 15)]
    lines = metrics.line_counts(source, spans)
    # row 2 has code after the comment; the blank row inside a comment stays blank
    assert (lines.total, lines.code, lines.comment, lines.blank) == (7, 3, 3, 1)


def test_line_comment_owning_its_newline() -> None:
    # tree-sitter-rust ends a line comment at column 0 of the next row
    lines = metrics.line_counts(b"// c\nfn f() {}\n", [(0, 0, 1, 0)])
    assert (lines.code, lines.comment) == (1, 1)


def test_function_nloc_shares_the_nested_first_line() -> None:
    source = b"def outer():\n    x = 1\n    def inner():\n        return 2\n    return x\n"
    lines = metrics.line_counts(source, [])
    nloc = metrics.function_nloc(lines, [(0, 4), (2, 3)], [-1, 0])
    assert nloc == [4, 2]  # outer: rows 0, 1, 2, 4; inner: rows 2, 3


def test_max_nesting_excludes_nested_functions() -> None:
    boundaries = [(0, 100), (30, 60)]
    nests = [(10, 90), (20, 80), (35, 55), (40, 50)]
    assert metrics.max_nesting(boundaries, nests) == [2, 2]
    assert metrics.max_nesting([(0, 10)], []) == [0]


def test_exclusive_sizes() -> None:
    assert metrics.exclusive_sizes([100, 30, 10], [-1, 0, 1]) == [70, 20, 10]


def test_halstead_volume() -> None:
    # N = 10, n = 8: V = 10 * log2(8) = 30
    assert metrics.halstead_volume(4, 6, 3, 5) == pytest.approx(30.0)
    assert metrics.halstead_volume(0, 0, 0, 0) == 0.0


def test_maintainability_index_is_radons_formula() -> None:
    volume, complexity, sloc, comments = 250.0, 7, 40, 12.5
    expected = (171 - 5.2 * math.log(volume) - 0.23 * complexity - 16.2 * math.log(sloc)
                + 50 * math.sin(math.sqrt(2.46 * math.radians(comments)))) * 100 / 171
    assert metrics.maintainability_index(volume, complexity, sloc, comments) == pytest.approx(expected)
    assert metrics.maintainability_index(0, 3, 10, 0) == 100.0
    assert metrics.maintainability_index(1e12, 500, 100000, 0) == 0.0
