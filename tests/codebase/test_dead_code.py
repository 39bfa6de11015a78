"""Dead-code candidates: what nothing calls or references, without entry points, tests, dunders, handlers,
instantiated classes, overridable methods and, for a library, its public API."""

from __future__ import annotations

import json
from pathlib import Path

from graph_sitter.adapters.codebase_db_queries import CodebaseQueries
from graph_sitter.adapters.database import Cluster
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from tests.conftest import run_gsdb

CORE = '''\
import functools


def used():
    return 1


def unused_helper():
    return 2


def _private_unused():
    return 3


def main():
    return used()


class Widget:
    def __init__(self):
        self.x = 1

    def render(self):
        return 1

    def refresh(self):
        return 2


class Other:
    def refresh(self):
        return 3


class Sub(Widget):
    pass


def make():
    return Widget(), Other(), Sub()


@app.route("/x")
def handler():
    return 4


@functools.lru_cache
def cached():
    return 5


class _Hidden:
    pass
'''

#: Everything above that nothing uses, by the rules: `make` itself is never called.
DEAD = {"app.core.unused_helper", "app.core._private_unused", "app.core.Widget.render", "app.core.make",
        "app.core.cached", "app.core._Hidden"}
#: What is left when the public API counts as used.
DEAD_IN_A_LIBRARY = {"app.core._private_unused", "app.core._Hidden"}


def _repo(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "core.py").write_text(CORE)
    (root / "app" / "__main__.py").write_text("def run_me():\n    return 1\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_core.py").write_text(
        "from app.core import used\n\n\ndef test_used():\n    assert used() == 1\n\n\ndef helper():\n    return 0\n")
    return root


def test_dead_code_follows_its_rules(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    result = analyze(_repo(tmp_path / "dead"), AnalyzeOptions(name="dead-probe"), settings)
    with cluster.connect("codebase_db") as conn:
        queries = CodebaseQueries(conn, result.codebase_id)
        assert {e.qualified_name for e in queries.dead_code()} == DEAD
        assert queries.dead_code_count() == len(DEAD) == result.metrics["dead_code_count"]
        assert {e.qualified_name for e in queries.dead_code(include_public_api=False)} == DEAD_IN_A_LIBRARY
        assert queries.dead_code_count(include_public_api=False) == len(DEAD_IN_A_LIBRARY)
        assert [e.qualified_name for e in queries.dead_code(limit=2)] == ["app.core.unused_helper",
                                                                          "app.core._private_unused"]


def test_a_library_keeps_its_public_api_out_of_dead_code(gsdb_env: dict[str, str], tmp_path: Path) -> None:
    repo = _repo(tmp_path / "lib")

    def dead(*flags: str) -> set[str]:
        out = run_gsdb(gsdb_env, "query", "dead-code", "-c", "lib-probe", "--json", *flags)
        assert out.returncode == 0, out.stderr
        return {row["qualified_name"] for row in json.loads(out.stdout)}

    first = run_gsdb(gsdb_env, "analyze", str(repo), "--name", "lib-probe", "--json")
    assert json.loads(first.stdout)["metrics"]["dead_code_count"] == len(DEAD)
    assert dead() == DEAD and dead("--library") == DEAD_IN_A_LIBRARY
    # nothing changed but the setting: the metric is measured again, and the query follows the last run
    again = run_gsdb(gsdb_env, "analyze", str(repo), "--name", "lib-probe", "--library", "--json")
    summary = json.loads(again.stdout)
    assert summary["files"]["analyzed"] == 0 and summary["metrics"]["dead_code_count"] == len(DEAD_IN_A_LIBRARY)
    assert dead() == DEAD_IN_A_LIBRARY and dead("--application") == DEAD
