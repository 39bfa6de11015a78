"""Bad input never raises: unreadable, oversized, binary, broken, truncated, deeply nested, random bytes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from graph_sitter.codebase.extract import ExtractOptions, extract_file, extract_source
from graph_sitter.codebase.languages import language_for_path
from graph_sitter.codebase.model import FileResult
from graph_sitter.codebase.walker import walk_repository
from tests.codebase.fixture_outline import FIXTURES

LANGUAGES = ["python", "javascript", "typescript", "go", "java", "rust"]
SAMPLE_PATH = {"python": "m.py", "javascript": "m.js", "typescript": "m.tsx", "go": "m.go", "java": "M.java", "rust": "m.rs"}


def assert_consistent(result: FileResult) -> None:
    """Indexes point inside the file, lines inside the file, and functions carry metrics."""
    count = len(result.elements)
    if result.skipped_reason is None:
        assert count >= 1 and result.elements[0].kind == "module"
    for element in result.elements[1:]:
        assert element.parent is not None and 0 <= element.parent < count
        assert 1 <= element.start_line <= element.end_line
        assert element.start_byte <= element.end_byte <= result.size_bytes
        if element.kind in ("function", "method"):
            assert element.cyclomatic_complexity is not None and element.cyclomatic_complexity >= 1
            assert element.nloc is not None and element.nloc >= 1
    for reference in result.references:
        assert 0 <= reference.source < count and reference.line >= 1
    assert result.code_lines + result.comment_lines + result.blank_lines == result.total_lines


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    missing = extract_file(str(tmp_path), "nope.py")
    assert missing.skipped_reason.startswith("unreadable") and missing.elements == []
    (tmp_path / "notes.txt").write_text("hello")
    assert extract_file(str(tmp_path), "notes.txt").skipped_reason == "unsupported language"
    (tmp_path / "dir.py").mkdir()
    assert extract_file(str(tmp_path), "dir.py").skipped_reason.startswith("unreadable")


def test_size_limit(tmp_path: Path) -> None:
    (tmp_path / "big.go").write_text("package big\n" + "var x = 1\n" * 50)
    result = extract_file(str(tmp_path), "big.go", ExtractOptions(max_file_size=100))
    assert result.skipped_reason.startswith("too large") and result.size_bytes > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_empty_and_whitespace_files(language: str) -> None:
    support = language_for_path(SAMPLE_PATH[language])
    for data in (b"", b"\n\n   \n", b"\xef\xbb\xbf"):
        result = extract_source(support, SAMPLE_PATH[language], data)
        assert result.skipped_reason is None and result.error is None
        assert_consistent(result)


@pytest.mark.parametrize("language", LANGUAGES)
def test_truncated_fixture_files(language: str) -> None:
    root = FIXTURES / language
    rng = random.Random(7)
    for entry in walk_repository(str(root)).files:
        data = (root / entry.path).read_bytes()
        support = language_for_path(entry.path)
        for _ in range(12):
            cut = rng.randrange(0, len(data) + 1)
            result = extract_source(support, entry.path, data[:cut])
            assert result.error is None, (entry.path, cut, result.error)
            assert_consistent(result)


@pytest.mark.parametrize("language", LANGUAGES)
def test_random_bytes_and_token_soup(language: str) -> None:
    support = language_for_path(SAMPLE_PATH[language])
    rng = random.Random(language)
    tokens = ["def", "class", "fn", "func", "function", "impl", "(", ")", "{", "}", "[", "]", ":", ";", "=>",
              "if", "else", "&&", "||", "?", "import", "from", "x", "y", "\n", "    ", "'", '"', "`", "/*", "#", "@"]
    for _ in range(30):
        soup = "".join(rng.choice(tokens) + rng.choice(["", " "]) for _ in range(rng.randrange(1, 400)))
        result = extract_source(support, SAMPLE_PATH[language], soup.encode())
        assert result.error is None, soup
        assert_consistent(result)
        noise = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 2000)))
        result = extract_source(support, SAMPLE_PATH[language], noise)
        assert result.error is None
        assert_consistent(result)


def test_deep_nesting_does_not_recurse_too_deep() -> None:
    support = language_for_path("deep.py")
    depth = 400
    source = "def f(x):\n" + "".join("    " * (i + 1) + "if x:\n" for i in range(depth)) + "    " * (depth + 1) + "pass\n"
    result = extract_source(support, "deep.py", source.encode())
    assert result.error is None
    f = result.elements[1]
    assert f.cyclomatic_complexity == depth + 1 and f.max_nesting_depth == depth
    chain = "a" + "().b" * 3000
    result = extract_source(support, "chain.py", f"def g():\n    {chain}()\n".encode())
    assert result.error is None and result.references[-1].name.endswith("b")
