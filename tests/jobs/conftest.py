"""Fixtures of the jobs tests: nightly configurations over small repositories, and a way to read a job's rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_sitter.adapters.database import Cluster
from tests.domains.test_events import analysis_env, make_repo, unique_name  # noqa: F401 (fixtures, helpers)


def write_config(path: Path, repos: list[dict[str, Any]], name: str | None = None) -> Path:
    """A nightly TOML file listing `repos` (dicts of name, path and optional branch/options)."""
    lines = [f'[nightly]\nname = "{name}"\n'] if name else []
    for repo in repos:
        lines.append("[[repositories]]")
        for key, value in repo.items():
            if isinstance(value, dict):
                inner = ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}" for k, v in value.items())
                lines.append(f"{key} = {{ {inner} }}")
            elif isinstance(value, list):
                lines.append(f"{key} = [{', '.join(repr(v) for v in value)}]")
            else:
                lines.append(f'{key} = "{value}"')
        lines.append("")
    path.write_text("\n".join(lines).replace("'", '"'))
    return path


def codebase_id(cluster: Cluster, name: str) -> Any:
    """The id of the codebase named `name` (None when there is none)."""
    with cluster.connect("codebase_db") as conn:
        row = conn.execute("SELECT id FROM codebases WHERE name = %s", (name,)).fetchone()
    return None if row is None else row[0]


def run_statuses(cluster: Cluster, name: str) -> list[tuple[str, str]]:
    """(run_type, status) of every run of the codebase, oldest first."""
    with cluster.connect("codebase_db") as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT r.run_type, r.status FROM analysis_runs r JOIN codebases c ON c.id = r.codebase_id"
            " WHERE c.name = %s ORDER BY r.started_at", (name,)).fetchall()]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A small Python repository with a hotspot and an import cycle."""
    return make_repo(tmp_path / "repo")
