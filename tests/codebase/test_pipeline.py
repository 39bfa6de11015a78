"""`gsdb analyze` end to end against a real PostgreSQL: rows stored, incremental equals full, failures lose nothing."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from graph_sitter.adapters.codebase_db_adapter import CodebaseStore, partition_name
from graph_sitter.adapters.database import Cluster
from graph_sitter.codebase.pipeline import AnalysisError, AnalyzeOptions, analyze
from graph_sitter.config import Settings
from tests.conftest import GSDB, REPO, run_gsdb

FIXTURES = REPO / "fixtures"


def _snapshot(cluster: Cluster, codebase_id) -> tuple[set, set, set]:
    """Elements, relationships (by qualified names, so ids do not matter) and files of one codebase."""
    with cluster.connect("codebase_db") as conn:
        elements = set(conn.execute(
            "SELECT e.kind, e.qualified_name, e.file_path, e.start_line, e.end_line, e.cyclomatic_complexity, e.nloc, parent.qualified_name"
            " FROM code_elements e LEFT JOIN code_elements parent ON parent.id = e.parent_id WHERE e.codebase_id = %s",
            (codebase_id,)).fetchall())
        edges = set(conn.execute(
            "SELECT r.kind, s.qualified_name, coalesce(t.qualified_name, ''), coalesce(t.file_path, ''), r.target_name,"
            " coalesce(d.name, ''), r.resolved, r.file_path, r.line"
            " FROM relationships r JOIN code_elements s ON s.id = r.source_id"
            " LEFT JOIN code_elements t ON t.id = r.target_id"
            " LEFT JOIN external_dependencies d ON d.id = r.external_dependency_id WHERE r.codebase_id = %s",
            (codebase_id,)).fetchall())
        files = set(conn.execute(
            "SELECT file_path, content_hash, total_lines, skipped_reason FROM file_analysis WHERE codebase_id = %s",
            (codebase_id,)).fetchall())
    return elements, edges, files


def _stored_counts(cluster: Cluster, codebase_id) -> tuple[dict, dict, dict]:
    """Elements by kind, edges by kind and calls by resolution, counted over the stored rows."""
    with cluster.connect("codebase_db") as conn:
        elements = dict(conn.execute(
            "SELECT kind, count(*) FROM code_elements WHERE codebase_id = %s GROUP BY 1", (codebase_id,)).fetchall())
        edges = dict(conn.execute(
            "SELECT kind, count(*) FROM relationships WHERE codebase_id = %s GROUP BY 1", (codebase_id,)).fetchall())
        calls = dict(conn.execute(
            "SELECT CASE WHEN resolved THEN 'resolved' ELSE 'unresolved' END, count(*) FROM relationships"
            " WHERE codebase_id = %s AND kind = 'calls' GROUP BY 1", (codebase_id,)).fetchall())
    return elements, edges, {"resolved": 0, "unresolved": 0} | calls


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("node_modules", "env1", "__pycache__"))
    return dst


def test_analyze_stores_elements_relationships_and_files(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = _copy(FIXTURES / "python", tmp_path / "shop_repo")
    result = analyze(repo, AnalyzeOptions(), settings)
    assert result.run_type == "full"
    elements, edges, files = _snapshot(cluster, result.codebase_id)
    names = {e[1] for e in elements}
    assert {"shop.models", "shop.models.Order", "shop.models.Order.total", "shop.models.register"} <= names
    assert sum(result.elements.values()) == len(elements)
    assert sum(result.relationships.values()) == len(edges)
    assert result.calls["resolved"] + result.calls["unresolved"] == result.relationships["calls"]
    assert _stored_counts(cluster, result.codebase_id) == (result.elements, result.relationships, result.calls)
    assert any(e[0] == "inherits" and e[1] == "shop.models.Customer" and e[2] == "shop.models.Base" for e in edges)
    assert ("blob.py", None, None, "binary") in files
    assert {"path": "blob.py", "reason": "binary"} in result.skipped
    with cluster.connect("codebase_db") as conn:
        status = conn.execute("SELECT status, files_analyzed FROM analysis_runs WHERE id = %s", (result.run_id,)).fetchone()
    assert status[0] == "completed"
    with cluster.connect("analytics_db") as conn:
        steps = [r[0] for r in conn.execute(
            "SELECT s.step_name FROM analysis_steps s JOIN analysis_runs r ON r.id = s.analysis_run_id"
            " WHERE r.codebase_run_id = %s ORDER BY s.step_order", (result.run_id,))]
        assert {"walk", "parse", "resolve", "store"} <= set(steps)
        points = conn.execute("SELECT count(*) FROM metrics WHERE codebase_id = %s", (result.codebase_id,)).fetchone()[0]
        assert points >= len([v for v in result.metrics.values() if isinstance(v, (int, float))])


def test_incremental_run_equals_a_full_run(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = _copy(FIXTURES / "python", tmp_path / "inc")
    first = analyze(repo, AnalyzeOptions(name="inc-probe"), settings)
    # Change a body, change an interface, delete a file, add a file that imports another.
    billing = repo / "shop" / "services" / "billing.py"
    billing.write_text(billing.read_text() + "\n\ndef refund(invoice):\n    if invoice:\n        return charge(invoice)\n    return None\n")
    (repo / "latin1.py").unlink()
    (repo / "shop" / "extra.py").write_text("from shop.models import Order\n\n\ndef make():\n    return Order()\n")
    time.sleep(0.01)
    incremental = analyze(repo, AnalyzeOptions(name="inc-probe"), settings)
    assert incremental.run_type == "incremental"
    assert incremental.files["analyzed"] == 2 and incremental.files["deleted"] == 1
    twin = shutil.copytree(repo, tmp_path / "twin")  # one codebase per path: the full run needs its own copy
    full = analyze(twin, AnalyzeOptions(name="inc-probe-full", full=True), settings)
    inc_state = _snapshot(cluster, incremental.codebase_id)
    full_state = _snapshot(cluster, full.codebase_id)
    assert inc_state[0] == full_state[0]
    assert inc_state[1] == full_state[1]
    assert {(f[0], f[1]) for f in inc_state[2]} == {(f[0], f[1]) for f in full_state[2]}
    assert incremental.elements == full.elements and incremental.relationships == full.relationships
    assert incremental.calls == full.calls and incremental.metrics == full.metrics
    assert _stored_counts(cluster, full.codebase_id) == (full.elements, full.relationships, full.calls)
    assert first.codebase_id == incremental.codebase_id
    with cluster.connect("codebase_db") as conn:
        def externals(codebase_id: object) -> set:
            return set(conn.execute("SELECT ecosystem, name, usage_count FROM external_dependencies"
                                    " WHERE codebase_id = %s", (codebase_id,)).fetchall())

        assert externals(incremental.codebase_id) == externals(full.codebase_id) != set()


def test_rows_carry_the_codebase_and_the_run_that_wrote_them(settings: Settings, cluster: Cluster,
                                                              tmp_path: Path) -> None:
    """A full run loads its rows without the key columns (the staging tables supply them): they must still be right,
    and the attached partitions must not keep a run's defaults."""
    repo = _copy(FIXTURES / "python", tmp_path / "keys")
    full = analyze(repo, AnalyzeOptions(full=True), settings)
    models = repo / "shop" / "models.py"
    models.write_text(models.read_text() + "\n\ndef added():\n    return register()\n")
    incremental = analyze(repo, AnalyzeOptions(), settings)
    with cluster.connect("codebase_db") as conn:
        def runs(table: str) -> dict[bool, list]:
            return dict(conn.execute(
                f"SELECT file_path = 'shop/models.py', array_agg(DISTINCT run_id ORDER BY run_id) FROM {table}"
                " WHERE codebase_id = %s GROUP BY 1", (full.codebase_id,)).fetchall())

        elements = runs("code_elements")
        assert elements[False] == [full.run_id] and elements[True] == [incremental.run_id]
        edges = runs("relationships")  # the changed file's, and those of files re-resolved against it
        assert edges[True] == [incremental.run_id] and edges[False] == sorted([full.run_id, incremental.run_id])
        assert conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name LIKE ANY (ARRAY['code_elements%%',"
            " 'relationships%%']) AND column_name IN ('codebase_id', 'run_id') AND column_default IS NOT NULL"
        ).fetchone() == (0,)


def test_autovacuum_does_not_take_a_full_runs_load_for_changes(settings: Settings, cluster: Cluster,
                                                                 tmp_path: Path) -> None:
    """The loaded rows were frozen and analysed in the run: the partitions' thresholds discount them."""
    result = analyze(_copy(FIXTURES / "python", tmp_path / "vacuum"), AnalyzeOptions(full=True), settings)
    with cluster.connect("codebase_db") as conn:
        defaults = conn.execute("SELECT current_setting('autovacuum_analyze_threshold')::int,"
                                " current_setting('autovacuum_vacuum_insert_threshold')::int").fetchone()
        for table in ("code_elements", "relationships"):
            rows = conn.execute(f"SELECT count(*) FROM {table} WHERE codebase_id = %s", (result.codebase_id,)).fetchone()[0]
            options = conn.execute("SELECT reloptions FROM pg_class WHERE relname = %s",
                                   (partition_name(table, result.codebase_id),)).fetchone()[0]
            assert rows > 0 and options == [f"autovacuum_analyze_threshold={rows + defaults[0]}",
                                            f"autovacuum_vacuum_insert_threshold={rows + defaults[1]}"]


def test_rerun_without_changes_parses_nothing(settings: Settings, tmp_path: Path) -> None:
    repo = _copy(FIXTURES / "python", tmp_path / "same")
    first = analyze(repo, AnalyzeOptions(), settings)
    again = analyze(repo, AnalyzeOptions(), settings)
    assert again.files["analyzed"] == 0 and again.files["unchanged"] == first.files["analyzed"]
    assert again.elements == first.elements and again.metrics == first.metrics
    (repo / "shop" / "models.py").touch()  # new mtime, same bytes
    touched = analyze(repo, AnalyzeOptions(), settings)
    assert touched.files["analyzed"] == 0 and touched.elements == first.elements


def test_metric_history_follows_a_function_across_runs(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    from graph_sitter.adapters.codebase_db_queries import CodebaseQueries

    repo = tmp_path / "hist"
    repo.mkdir()
    (repo / "m.py").write_text("def f(x):\n    return x\n")
    first = analyze(repo, AnalyzeOptions(), settings)
    (repo / "m.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    analyze(repo, AnalyzeOptions(), settings)
    with cluster.connect("codebase_db") as conn:
        history = CodebaseQueries(conn, first.codebase_id).metric_history("m.f")
    assert [h[3] for h in history] == [1, 2]


def test_a_failing_store_leaves_the_previous_results(settings: Settings, cluster: Cluster, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _copy(FIXTURES / "python", tmp_path / "fail")
    good = analyze(repo, AnalyzeOptions(), settings)
    before = _snapshot(cluster, good.codebase_id)
    (repo / "shop" / "models.py").write_text("def replaced():\n    pass\n")

    original = CodebaseStore.write_changes

    def half_then_crash(self, run, plan):  # type: ignore[no-untyped-def]
        original(self, run, plan)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(CodebaseStore, "write_changes", half_then_crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        analyze(repo, AnalyzeOptions(), settings)
    assert _snapshot(cluster, good.codebase_id) == before
    with cluster.connect("codebase_db") as conn:
        status, message = conn.execute(
            "SELECT status, error_message FROM analysis_runs WHERE codebase_id = %s ORDER BY started_at DESC LIMIT 1",
            (good.codebase_id,)).fetchone()
    assert status == "failed" and "disk on fire" in message


def test_a_killed_run_leaves_the_previous_results_and_is_marked_failed(settings: Settings, cluster: Cluster,
                                                                       gsdb_env: dict[str, str], tmp_path: Path) -> None:
    import sysconfig

    repo = tmp_path / "killed"
    for package in ("email", "json", "asyncio", "xml", "concurrent"):
        shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / package, repo / package)
    first = run_gsdb(gsdb_env, "analyze", str(repo), "--json")
    assert first.returncode == 0, first.stderr
    codebase_id = json.loads(first.stdout)["codebase_id"]
    before = _snapshot(cluster, codebase_id)
    for path in (repo / "email").glob("*.py"):
        path.write_text(path.read_text() + "\n\ndef added_later():\n    return 1\n")
    proc = subprocess.Popen([GSDB, "analyze", str(repo), "--full", "--jobs", "1"], env=gsdb_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    with cluster.connect("codebase_db", autocommit=True) as conn:
        while time.monotonic() < deadline and not conn.execute(
                "SELECT 1 FROM analysis_runs WHERE codebase_id = %s AND status = 'running'", (codebase_id,)).fetchone():
            time.sleep(0.02)
    time.sleep(0.1)  # into the parse phase
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = _snapshot(cluster, codebase_id)
    with cluster.connect("codebase_db") as conn:
        last = conn.execute("SELECT status FROM analysis_runs WHERE codebase_id = %s ORDER BY started_at DESC LIMIT 1",
                            (codebase_id,)).fetchone()[0]
    if last == "completed":
        pytest.skip("the run finished before it could be killed")
    assert state == before  # readers never see half a run
    after = run_gsdb(gsdb_env, "analyze", str(repo), "--json")
    assert after.returncode == 0, after.stderr
    with cluster.connect("codebase_db") as conn:
        statuses = [r[0] for r in conn.execute(
            "SELECT status FROM analysis_runs WHERE codebase_id = %s ORDER BY started_at", (codebase_id,))]
    assert statuses == ["completed", "failed", "completed"]
    assert any("added_later" in e[1] for e in _snapshot(cluster, codebase_id)[0])


def test_bad_input_never_crashes_a_run(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = tmp_path / "bad"
    (repo / "pkg").mkdir(parents=True)
    (repo / "empty_dir").mkdir()
    (repo / "pkg" / "ok.py").write_text("def ok():\n    return 1\n")
    (repo / "pkg" / "syntax.py").write_text("def broken(:\n    pass\n\ndef after():\n    return 2\n")
    (repo / "pkg" / "binary.py").write_bytes(b"\x00\x01\x02" * 100)
    (repo / "pkg" / "latin.py").write_bytes("def caf\xe9():\n    return 'caf\xe9'\n".encode("latin-1"))
    (repo / "pkg" / "huge.py").write_text("x = 1\n" * 200_000)
    (repo / "pkg" / "dangling.py").symlink_to(repo / "nowhere.py")
    result = analyze(repo, AnalyzeOptions(max_file_size=1_000_000), settings)
    reasons = {s["path"]: s["reason"] for s in result.skipped}
    assert reasons["pkg/binary.py"] == "binary"
    assert "too large" in reasons["pkg/huge.py"] or "large" in reasons["pkg/huge.py"]
    assert "pkg/dangling.py" in reasons
    elements, _, files = _snapshot(cluster, result.codebase_id)
    names = {e[1] for e in elements}
    assert "pkg.syntax.after" in names and "pkg.ok.ok" in names
    assert any(e[1].startswith("pkg.latin.caf") for e in elements)
    errors = {f[0]: f for f in files}
    assert "pkg/syntax.py" in errors
    with cluster.connect("codebase_db") as conn:
        parse_errors = conn.execute("SELECT parse_error_count FROM file_analysis WHERE codebase_id = %s AND file_path = %s",
                                    (result.codebase_id, "pkg/syntax.py")).fetchone()[0]
    assert parse_errors > 0


def test_missing_path_is_a_one_line_error(gsdb_env: dict[str, str], tmp_path: Path) -> None:
    result = run_gsdb(gsdb_env, "analyze", str(tmp_path / "does-not-exist"))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "no such file or directory" in result.stderr
    with pytest.raises(AnalysisError):
        analyze(tmp_path / "nope", AnalyzeOptions())


def test_cli_json_summary_and_queries(gsdb_env: dict[str, str], tmp_path: Path) -> None:
    repo = _copy(FIXTURES / "python", tmp_path / "cli_repo")
    out = run_gsdb(gsdb_env, "analyze", str(repo), "--json", "--name", "cli-probe")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("run_id", "codebase_id", "files", "elements", "relationships", "calls", "skipped", "seconds"):
        assert key in data
    assert set(data["calls"]) == {"resolved", "unresolved"}
    assert {"walk", "parse", "resolve", "store", "total"} <= set(data["seconds"])
    callers = run_gsdb(gsdb_env, "query", "callers", "shop.models.Base.total", "-c", "cli-probe", "--json")
    assert callers.returncode == 0, callers.stderr
    assert any(row["source"] == "shop.models.Base.describe" for row in json.loads(callers.stdout))
    hot = run_gsdb(gsdb_env, "query", "hotspots", "-c", str(repo), "--json")
    assert json.loads(hot.stdout)[0]["qualified_name"] == "shop.models.Order.total"
    missing = run_gsdb(gsdb_env, "query", "callers", "no.such.symbol", "-c", "cli-probe")
    assert missing.returncode != 0 and "no symbol" in missing.stderr
