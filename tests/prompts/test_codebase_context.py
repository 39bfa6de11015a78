"""The `codebase` context source: a symbol's source, callers, callees and metrics from a repository analysed
into codebase_db, rendered into a prompt and recorded with its execution."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from graph_sitter.adapters.codebase_db_adapter import CodebaseNotFound
from graph_sitter.adapters.prompts_db import PromptStore
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from graph_sitter.prompts.api import record_rendered, render_prompt
from graph_sitter.prompts.context import codebase_context
from graph_sitter.prompts.errors import ContextSourceError

CORE = '''\
def helper(x):
    return x * 2


def compute(values):
    """Sum the doubled positive values."""
    total = 0
    for v in values:
        if v > 0:
            total += helper(v)
    return total


class Runner:
    def run(self):
        return compute([1, 2, 3])

    def stop(self):
        return None
'''

MAIN = '''\
from pkg.core import compute


def main():
    print(compute([4]))
'''


def write_repo(root: Path) -> Path:
    """A tiny Python repository: pkg/core.py and pkg/main.py."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "core.py").write_text(CORE)
    (root / "pkg" / "main.py").write_text(MAIN)
    (root / "other.py").write_text("def stop():\n    return 1\n")
    return root


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, settings: Settings, cluster: object) -> tuple[str, Path]:
    """The tiny repository, analysed into codebase_db under a unique name."""
    root = write_repo(tmp_path_factory.mktemp("ctxrepo") / "repo")
    name = f"ctx-{uuid.uuid4().hex[:8]}"
    analyze(root, AnalyzeOptions(name=name, jobs=1), settings)
    return name, root


def test_source_callers_callees_and_metrics(repo: tuple[str, Path], settings: Settings) -> None:
    name, root = repo
    result = codebase_context(settings, name, "pkg.core.compute")
    symbol = result.values["symbol"]
    assert result.values["codebase"] == {"name": name, "root_path": str(root.resolve())}
    assert symbol["qualified_name"] == "pkg.core.compute" and symbol["kind"] == "function"
    assert symbol["source"].startswith("def compute(values):\n")
    assert "total += helper(v)" in symbol["source"] and symbol["source"].rstrip().endswith("return total")
    assert (symbol["file"], symbol["start_line"], symbol["end_line"]) == ("pkg/core.py", 5, 11)
    assert symbol["docstring"] and "doubled positive" in symbol["docstring"]
    assert symbol["source_stale"] is False
    callers = {(c["qualified_name"], c["location"]) for c in symbol["callers"]}
    assert callers == {("pkg.core.Runner.run", "pkg/core.py:16"), ("pkg.main.main", "pkg/main.py:5")}
    callees = {c["qualified_name"]: c for c in symbol["callees"]}
    assert callees["pkg.core.helper"]["resolved"] is True
    assert callees["pkg.core.helper"]["definition"] == "pkg/core.py:1"
    assert callees["pkg.core.helper"]["location"] == "pkg/core.py:10"
    metrics = symbol["metrics"]
    assert metrics["cyclomatic_complexity"] == 3  # for + if
    assert metrics["nloc"] == 6 and metrics["parameter_count"] == 1  # as lizard counts: the docstring is not code
    assert result.portion == "pkg.core.compute" and result.metadata["callers"] == 2


def test_a_method_by_suffix_is_dedented(repo: tuple[str, Path], settings: Settings) -> None:
    name, root = repo
    symbol = codebase_context(settings, str(root), "Runner.run").values["symbol"]  # the codebase by its path
    assert symbol["qualified_name"] == "pkg.core.Runner.run"
    assert symbol["source"] == "def run(self):\n    return compute([1, 2, 3])\n"
    assert [c["qualified_name"] for c in symbol["callees"]] == ["pkg.core.compute"]
    assert symbol["callers"] == []


def test_unknown_and_ambiguous_symbols_are_clear_errors(repo: tuple[str, Path], settings: Settings) -> None:
    name, _ = repo
    with pytest.raises(ContextSourceError, match="no symbol 'nothing_here'"):
        codebase_context(settings, name, "nothing_here")
    with pytest.raises(ContextSourceError, match="ambiguous.*other.stop.*pkg.core.Runner.stop"):
        codebase_context(settings, name, "stop")
    with pytest.raises(CodebaseNotFound):
        codebase_context(settings, f"missing-{uuid.uuid4().hex[:6]}", "compute")


def test_rendered_into_a_prompt_and_recorded(repo: tuple[str, Path], settings: Settings, store: PromptStore,
                                             name: str) -> None:
    codebase, _ = repo
    store.create_template(name)
    store.add_version(name, textwrap.dedent("""\
        Review {{ symbol.qualified_name }} ({{ symbol.location }}, complexity {{ symbol.metrics.cyclomatic_complexity }}):
        {{ symbol.source }}
        Called by:{% for c in symbol.callers %} {{ c.qualified_name }} ({{ c.location }}){% endfor %}
        Focus: {{ focus }}
        """))
    context = codebase_context(settings, codebase, "compute")
    rendered = render_prompt(store, name, variables={"focus": "naming"}, contexts=[context])
    assert "Review pkg.core.compute (pkg/core.py:5, complexity 3):\ndef compute(values):" in rendered.text
    assert "pkg.main.main (pkg/main.py:5)" in rendered.text and "Focus: naming" in rendered.text
    source = store.get_context_source("codebase")
    assert source.context_type == "code" and source.last_accessed_at is not None
    execution = record_rendered(store, rendered, latency_ms=120, input_tokens=200, output_tokens=40)
    [(used, portion, meta)] = store.execution_contexts(execution)
    assert (used, portion, meta["codebase"], meta["file"]) == ("codebase", "pkg.core.compute", codebase, "pkg/core.py")


def test_an_edited_file_is_read_by_lines_and_marked_stale(tmp_path: Path, settings: Settings) -> None:
    root = write_repo(tmp_path / "repo")
    name = f"ctx-{uuid.uuid4().hex[:8]}"
    analyze(root, AnalyzeOptions(name=name, jobs=1), settings)
    core = root / "pkg" / "core.py"
    core.write_text(CORE.replace("return x * 2", "return x * 2  # doubled, with a longer line"))
    symbol = codebase_context(settings, name, "pkg.core.helper").values["symbol"]
    assert symbol["source_stale"] is True and "changed since" in symbol["source_problem"]
    assert symbol["source"] == "def helper(x):\n    return x * 2  # doubled, with a longer line\n"
    core.unlink()
    symbol = codebase_context(settings, name, "pkg.core.helper").values["symbol"]
    assert symbol["source"] is None and "cannot read" in symbol["source_problem"]
