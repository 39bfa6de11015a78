"""On the fixtures, complexity and NLOC equal lizard's for every function both report."""

from __future__ import annotations

import pytest

from graph_sitter.codebase.walker import walk_repository
from tests.codebase.fixture_outline import FIXTURES, extract_fixture

lizard = pytest.importorskip("lizard")


@pytest.mark.parametrize("language", ["python", "javascript", "typescript", "go", "java", "rust"])
def test_fixture_functions_match_lizard(language: str) -> None:
    root = FIXTURES / language
    compared = 0
    for entry in walk_repository(str(root)).files:
        result = extract_fixture(language, entry.path)
        ours = {}
        for element in result.elements:
            if element.cyclomatic_complexity is not None and not element.is_abstract:
                ours.setdefault(element.start_line, element)
        lines = (root / entry.path).read_text(encoding="utf-8", errors="replace").split("\n")
        for element in list(ours.values()):
            # Lizard starts a Java method at its name, after the annotations.
            for offset in range(1, 4):
                row = element.start_line - 1 + offset
                if row < len(lines) and element.name in lines[row] and element.name not in lines[element.start_line - 1]:
                    ours.setdefault(row + 1, element)
        for function in lizard.analyze_file(str(root / entry.path)).function_list:
            element = ours.get(function.start_line)
            if element is None or element.name != function.name.replace("::", ".").split(".")[-1].split(" ")[-1]:
                continue
            compared += 1
            assert (element.cyclomatic_complexity, element.nloc) == (function.cyclomatic_complexity, function.nloc), (
                entry.path, function.name, function.start_line)
    assert compared >= 5
