"""A third-party plugin installed with pip takes part in `gsdb analyze` without any change to graph_sitter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graph_sitter.adapters.database import Cluster
from tests.conftest import REPO, run_gsdb

EXAMPLE = REPO / "examples" / "gsdb-comment-ratio"


@pytest.fixture(scope="module")
def installed_example():
    pip = [sys.executable, "-m", "pip"]
    done = subprocess.run([*pip, "install", "-q", "--no-deps", str(EXAMPLE)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    yield
    subprocess.run([*pip, "uninstall", "-q", "-y", "gsdb-comment-ratio"], capture_output=True)


def test_installed_plugin_is_listed_and_receives_the_hooks(installed_example: None, cluster: Cluster,
                                                           gsdb_env: dict[str, str], tmp_path: Path) -> None:
    listed = json.loads(run_gsdb(gsdb_env, "plugins", "--json").stdout)
    plugin = next(p for p in listed if p["name"] == "comment_ratio")
    assert not plugin["builtin"] and plugin["distribution"].startswith("gsdb-comment-ratio")
    assert {"extra_metrics", "analysis_finished"} <= set(plugin["hooks"])

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.py").write_text("# a comment\n\ndef f():\n    return 1\n")
    log = tmp_path / "ratio.log"
    result = run_gsdb(dict(gsdb_env, COMMENT_RATIO_LOG=str(log)), "analyze", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["metrics"]["comment_ratio"] == pytest.approx(0.25)
    assert log.read_text().split() == [summary["codebase"], summary["run_id"], "0.25"]
    with cluster.connect("codebase_db") as conn:  # stored with the run, not only printed
        stored = conn.execute("SELECT metadata -> 'metrics' ->> 'comment_ratio' FROM analysis_runs WHERE id = %s",
                              (summary["run_id"],)).fetchone()
    assert stored == ("0.25",)


def test_disabled_plugin_takes_no_part(installed_example: None, gsdb_env: dict[str, str], tmp_path: Path) -> None:
    repo = tmp_path / "repo2"
    repo.mkdir()
    (repo / "m.py").write_text("def f():\n    return 1\n")
    env = dict(gsdb_env, GRAPH_SITTER_DISABLE_PLUGINS="comment_ratio")
    listed = json.loads(run_gsdb(env, "plugins", "--json").stdout)
    assert "comment_ratio" not in {p["name"] for p in listed}
    summary = json.loads(run_gsdb(env, "analyze", str(repo), "--json").stdout)
    assert "comment_ratio" not in summary["metrics"]
