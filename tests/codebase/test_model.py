"""The shared data model is plain and picklable."""

from __future__ import annotations

import pickle

from graph_sitter.codebase.model import Element, FileResult, Reference
from tests.codebase.fixture_outline import extract_fixture


def test_file_result_round_trips_through_pickle() -> None:
    result = extract_fixture("python", "shop/models.py")
    copy = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy == result
    assert isinstance(copy.elements[1], Element) and isinstance(copy.references[0], Reference)


def test_skipped_result_round_trips() -> None:
    result = FileResult(path="a.py", language="python", skipped_reason="binary", error=None)
    assert pickle.loads(pickle.dumps(result)) == result


def test_slots() -> None:
    element = Element("function", "f", "m.f", "python", "m.py", 1, 2, 0, 0, 0, 10)
    assert not hasattr(element, "__dict__")
    assert element.decorators == () and element.cyclomatic_complexity is None
