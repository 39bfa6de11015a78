"""Shared fixtures: one real PostgreSQL per test session, embedded by default.

Set GRAPH_SITTER_TEST_DATABASE_URL to an admin URL to run the same tests against an external server instead;
they then use a random database/role prefix and drop everything they created at the end.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.setup import SetupReport, drop_everything, run_setup
from graph_sitter.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
GSDB = str(Path(sys.executable).parent / "gsdb")


def _test_environ(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_SITTER_", "POSTGRES_"))}
    env["GRAPH_SITTER_HOME"] = str(home)
    external = os.environ.get("GRAPH_SITTER_TEST_DATABASE_URL")
    if external:
        env["GRAPH_SITTER_DATABASE_URL"] = external
        env["GRAPH_SITTER_DB_PREFIX"] = f"gst{secrets.token_hex(3)}_"
    return env


@pytest.fixture(scope="session")
def gsdb_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment of this test session's install, for library calls and `gsdb` subprocesses alike."""
    home = tmp_path_factory.mktemp("gsdb-home")
    env = _test_environ(home)
    yield env
    settings = load_settings(env)
    cluster = Cluster(settings)
    if cluster.embedded is not None:
        cluster.embedded.stop()
    else:
        drop_everything(settings, cluster)


@pytest.fixture(scope="session")
def settings(gsdb_env: dict[str, str]) -> Settings:
    """Settings of this session's install."""
    return load_settings(gsdb_env)


@pytest.fixture(scope="session")
def setup_report(settings: Settings) -> SetupReport:
    """The first `gsdb setup` of the session: it creates everything."""
    return run_setup(settings)


@pytest.fixture(scope="session")
def cluster(settings: Settings, setup_report: SetupReport) -> Cluster:
    """A ready cluster: server running, setup done."""
    return Cluster(settings)


def run_gsdb(env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the installed `gsdb` console script in this session's environment."""
    return subprocess.run([GSDB, *args], env=env, capture_output=True, text=True, cwd=cwd or REPO, timeout=timeout)
