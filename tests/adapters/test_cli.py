"""The `gsdb` foundation commands as users run them: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.server import binary_dir
from tests.conftest import REPO, run_gsdb

SEED_PASSWORDS = re.compile(
    r"(task|projects|prompts|codebase|analytics|events|learning)_secure_2024|admin_secure_2024|analytics_readonly_2024"
)


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_setup_output_never_shows_a_password(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    result = run_gsdb(gsdb_env, "setup")
    assert result.returncode == 0, result.stderr
    assert "nothing to change" in result.stdout
    for secret in cluster.credentials.all(cluster.server_key).values():
        assert secret not in result.stdout + result.stderr


def test_credentials_are_shown_on_request(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    result = run_gsdb(gsdb_env, "credentials", "--json")
    data = json.loads(result.stdout)
    assert data["roles"][cluster.settings.owner_role("task_db")] == cluster.credentials.get(
        cluster.server_key, cluster.settings.owner_role("task_db")
    )


def test_dsn_works_in_psql(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    uri = run_gsdb(gsdb_env, "dsn", "task_db").stdout.strip()
    assert uri.startswith("postgresql://")
    psql = binary_dir() / "psql"
    out = subprocess.run([str(psql), uri, "-Atc", "SELECT current_user, current_database()"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{cluster.settings.owner_role('task_db')}|{cluster.settings.database_name('task_db')}"
    ro = run_gsdb(gsdb_env, "dsn", "codebase_db", "--role", "readonly").stdout.strip()
    out = subprocess.run([str(psql), ro, "-Atc", "SELECT current_user"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == cluster.settings.readonly_role


def test_status_json_reports_every_database(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    result = run_gsdb(gsdb_env, "status", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["healthy"] and data["running"]
    assert len(data["databases"]) == 7
    assert all(d["exists"] and d["migrations_applied"] > 0 and d["migrations_pending"] == 0 for d in data["databases"])


def test_migrate_status_lists_applied_migrations(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    result = run_gsdb(gsdb_env, "migrate", "--status")
    assert result.returncode == 0, result.stderr
    assert "task_db\tapplied\ttask_db/0001_baseline" in result.stdout
    assert "pending" not in result.stdout


def test_unreachable_server_gives_one_line_error(gsdb_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(gsdb_env, GRAPH_SITTER_HOME=str(tmp_path), GRAPH_SITTER_DATABASE_URL="postgresql://postgres@127.0.0.1:1/postgres")
    line = _one_line_error(run_gsdb(env, "setup"))
    assert "cannot connect" in line and "127.0.0.1:1" in line


def test_wrong_password_gives_one_line_error(cluster: Cluster, gsdb_env: dict[str, str], tmp_path: Path) -> None:
    if cluster.embedded is None:
        pytest.skip("the external test server may trust every login")
    url = f"postgresql://postgres:wrong-password@127.0.0.1:{cluster.endpoint.port}/postgres"
    env = dict(gsdb_env, GRAPH_SITTER_HOME=str(tmp_path), GRAPH_SITTER_DATABASE_URL=url)
    line = _one_line_error(run_gsdb(env, "setup"))
    assert "password authentication failed" in line
    assert "wrong-password" not in line


def test_missing_database_gives_one_line_error(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    from graph_sitter.errors import DatabaseUnavailable

    bad = cluster.conninfo("task_db").replace(
        f"dbname={cluster.settings.database_name('task_db')}", "dbname=gs_no_such_db"
    )
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        cluster._connect(bad, "gs_no_such_db")


def test_invalid_settings_give_one_line_error(gsdb_env: dict[str, str]) -> None:
    line = _one_line_error(run_gsdb(dict(gsdb_env, GRAPH_SITTER_DB_PREFIX="Bad-Prefix!"), "status"))
    assert "GRAPH_SITTER_DB_PREFIX" in line
    line = _one_line_error(run_gsdb(dict(gsdb_env, POSTGRES_SSLMODE="sometimes"), "status"))
    assert "POSTGRES_SSLMODE" in line


def test_sslmode_reaches_the_connection(gsdb_env: dict[str, str]) -> None:
    from graph_sitter.config import load_settings

    env = dict(gsdb_env, GRAPH_SITTER_DATABASE_URL="postgresql://postgres@db.example/postgres", POSTGRES_SSLMODE="require")
    cluster = Cluster(load_settings(env))
    assert "sslmode=require" in cluster.conninfo("task_db")
    assert cluster.uri("task_db").endswith("?sslmode=require")
    env = dict(gsdb_env, GRAPH_SITTER_DATABASE_URL="postgresql://postgres@db.example/postgres?sslmode=verify-full")
    assert "sslmode=verify-full" in Cluster(load_settings(env)).conninfo("events_db")


def test_no_seed_password_in_the_sources() -> None:
    offenders = []
    for folder in ("src", "database"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and not path.is_symlink() and SEED_PASSWORDS.search(path.read_text(errors="ignore")):
                offenders.append(str(path))
    assert offenders == []


def test_setup_script_wraps_gsdb_setup_from_any_directory(cluster: Cluster, gsdb_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(gsdb_env, PATH=f"{Path(os.sys.executable).parent}:{gsdb_env.get('PATH', '')}")
    result = subprocess.run(["bash", str(REPO / "database" / "setup_all_databases.sh")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "setup done" in result.stdout
    failing = dict(env, GRAPH_SITTER_DATABASE_URL="postgresql://postgres@127.0.0.1:1/postgres")
    result = subprocess.run(["bash", str(REPO / "database" / "setup_all_databases.sh")], cwd=tmp_path, env=failing,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode != 0


def test_embedded_server_stops_and_starts_again(cluster: Cluster, gsdb_env: dict[str, str]) -> None:
    if cluster.embedded is None:
        pytest.skip("external server")
    assert run_gsdb(gsdb_env, "server", "stop").stdout.strip() == "stopped"
    result = run_gsdb(gsdb_env, "server", "status")
    assert result.returncode == 3 and result.stdout.startswith("stopped")
    # Commands that need the databases start the server themselves.
    assert run_gsdb(gsdb_env, "dsn", "task_db").returncode == 0
    assert run_gsdb(gsdb_env, "server", "status").stdout.startswith("running")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root to switch to a normal user")
def test_embedded_server_runs_for_a_normal_user(tmp_path: Path) -> None:
    user = "gsdb_test_user"
    runuser = shutil.which("runuser") or "runuser"
    subprocess.run(["useradd", "-m", user], capture_output=True)
    home = Path("/tmp") / f"gsdb-normal-user-{os.getpid()}"
    subprocess.run([runuser, "-u", user, "--", "mkdir", "-p", str(home)], check=True)
    gsdb = str(Path(os.sys.executable).parent / "gsdb")
    # The interpreter may live under /root (pyenv): let the user traverse to it, as the server code does for data.
    for ancestor in Path(os.path.realpath(os.sys.executable)).parents:
        ancestor.chmod(ancestor.stat().st_mode | 0o001)
    env = {"PATH": "/usr/bin:/bin", "GRAPH_SITTER_HOME": str(home), "HOME": f"/home/{user}"}
    try:
        start = subprocess.run([runuser, "-u", user, "--", gsdb, "server", "start"], env=env, capture_output=True,
                               text=True, timeout=300)
        assert start.returncode == 0, start.stderr
        owner = subprocess.run(["stat", "-c", "%U", str(home / "pgdata")], capture_output=True, text=True).stdout.strip()
        assert owner == user
    finally:
        subprocess.run([runuser, "-u", user, "--", gsdb, "server", "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def test_a_deleted_data_dir_leaves_no_orphan_server(gsdb_env: dict[str, str], tmp_path: Path) -> None:
    import psutil

    if "GRAPH_SITTER_DATABASE_URL" in gsdb_env:
        pytest.skip("external server")
    env = dict(gsdb_env, GRAPH_SITTER_HOME=str(tmp_path / "home"))
    assert run_gsdb(env, "server", "start").returncode == 0
    pgdata = str(tmp_path / "home" / "pgdata")

    def servers() -> list[psutil.Process]:
        return [p for p in psutil.process_iter(attrs=["name", "cmdline"])
                if p.info["name"] == "postgres" and pgdata in (p.info["cmdline"] or [])]

    assert len(servers()) == 1
    shutil.rmtree(tmp_path / "home")  # the server keeps running without its files
    try:
        assert run_gsdb(env, "server", "start").returncode == 0  # initialises afresh, ending the orphan first
        assert len(servers()) == 1
    finally:
        run_gsdb(env, "server", "stop")
        for orphan in servers():
            orphan.kill()
