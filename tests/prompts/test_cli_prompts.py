"""`gsdb prompts ...` end to end in subprocesses: versions, labels, rendering with codebase context, stats,
experiments, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path


from graph_sitter.adapters.prompts_db import PromptStore
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from tests.conftest import GSDB, REPO, run_gsdb
from tests.prompts.test_codebase_context import write_repo

def gsdb(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `gsdb prompts ARGS` in this session's environment."""
    if stdin is None:
        return run_gsdb(env, "prompts", *args)
    return subprocess.run([GSDB, "prompts", *args], env=env, input=stdin, capture_output=True, text=True,
                          cwd=REPO, timeout=600)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The output of a command that must succeed."""
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    """The command failed with one `gsdb: error:` line containing `text`, and no traceback."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gsdb: error:") and text in lines[0], result.stderr


def test_versions_labels_show_and_list(gsdb_env: dict[str, str], cluster: object, tmp_path: Path) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert f"created prompt {name}" in ok(gsdb(gsdb_env, "create", name, "--description", "a test prompt"))
    one = tmp_path / "one.j2"
    one.write_text("Hello {{ who }}!\n")
    assert f"{name} v1 [latest]" in ok(gsdb(gsdb_env, "add-version", name, "--file", str(one)))
    assert "unchanged" in ok(gsdb(gsdb_env, "add-version", name, "--file", str(one)))
    out = ok(gsdb(gsdb_env, "add-version", name, "--label", "staging", stdin="Goodbye {{ who }}.\n"))
    assert f"{name} v2 [latest, staging] sha256:" in out
    assert f"{name}: production -> v1" in ok(gsdb(gsdb_env, "label", name, "production", "--version", "1"))
    shown = ok(gsdb(gsdb_env, "show", name, "--label", "production"))
    assert shown.startswith(f"{name} v1 [production]") and shown.endswith("---\nHello {{ who }}!\n")
    assert "variables: who" in shown
    latest = json.loads(ok(gsdb(gsdb_env, "show", name, "--json")))
    assert (latest["version_number"], latest["content"], latest["labels"]) == (2, "Goodbye {{ who }}.\n",
                                                                              ["latest", "staging"])
    assert ok(gsdb(gsdb_env, "show", name, "--version", "1")).endswith("Hello {{ who }}!\n")
    assert len(ok(gsdb(gsdb_env, "versions", name)).splitlines()) == 2
    listed = [line for line in ok(gsdb(gsdb_env, "list")).splitlines() if line.startswith(name + "\t")]
    assert listed == [f"{name}\t2 version(s)\tlatest=v2, production=v1, staging=v2"]
    assert ok(gsdb(gsdb_env, "render", name, "--var", "who=Ada")) == "Goodbye Ada.\n"
    assert ok(gsdb(gsdb_env, "render", name, "--label", "production", "--var", "who=Bob")) == "Hello Bob!\n"


def test_errors_are_one_line(gsdb_env: dict[str, str], cluster: object) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    one_line_error(gsdb(gsdb_env, "show", name), "no prompt named")
    ok(gsdb(gsdb_env, "create", name))
    one_line_error(gsdb(gsdb_env, "create", name), "already exists")
    ok(gsdb(gsdb_env, "add-version", name, stdin="Hi {{ who }} {{ ''.__class__ }}"))
    one_line_error(gsdb(gsdb_env, "render", name, "--var", "who=x"), "refused by the sandbox")
    ok(gsdb(gsdb_env, "add-version", name, stdin="Hi {{ who }}"))
    one_line_error(gsdb(gsdb_env, "render", name), "'who' is undefined")
    one_line_error(gsdb(gsdb_env, "add-version", name, stdin="{% for %}"), "syntax error")
    one_line_error(gsdb(gsdb_env, "label", name, "production", "--version", "5"), "has no version 5")
    one_line_error(gsdb(gsdb_env, "label", name, "Not OK", "--version", "1"), "invalid label")


def test_render_with_codebase_context(gsdb_env: dict[str, str], settings: Settings, cluster: object,
                                      tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo")
    codebase = f"clictx-{uuid.uuid4().hex[:8]}"
    analyze(root, AnalyzeOptions(name=codebase, jobs=1), settings)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    ok(gsdb(gsdb_env, "create", name))
    ok(gsdb(gsdb_env, "add-version", name, stdin=(
        "{{ task }} {{ symbol.qualified_name }} (cc {{ symbol.metrics.cyclomatic_complexity }})\n"
        "{{ symbol.source }}callers:{% for c in symbol.callers %} {{ c.qualified_name }}@{{ c.location }}{% endfor %}\n"
        "callees:{% for c in symbol.callees %} {{ c.qualified_name }}{% endfor %}\n")))
    out = ok(gsdb(gsdb_env, "render", name, "--codebase", codebase, "--symbol", "compute", "--var", "task=Refactor"))
    assert out.startswith("Refactor pkg.core.compute (cc 3)\ndef compute(values):\n")
    assert "pkg.main.main@pkg/main.py:5" in out and "callees: pkg.core.helper" in out
    one_line_error(gsdb(gsdb_env, "render", name, "--codebase", codebase, "--symbol", "stop"), "ambiguous")
    one_line_error(gsdb(gsdb_env, "render", name, "--codebase", "no-such-codebase-here", "--symbol", "x"),
                   "no analysed codebase")


def test_stats_and_experiments(gsdb_env: dict[str, str], cluster: object, store: PromptStore) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    ok(gsdb(gsdb_env, "create", name))
    ok(gsdb(gsdb_env, "add-version", name, stdin="A {{ q }}"))
    ok(gsdb(gsdb_env, "add-version", name, stdin="B {{ q }}"))
    version = store.get_version(name, version=1)
    store.record_execution(version, "A x", latency_ms=100, input_tokens=5, output_tokens=6, cost_usd=0.25, rating=4)
    stats = ok(gsdb(gsdb_env, "stats", name)).splitlines()
    assert stats[0].startswith("v1\truns 1\tok 100.0%\tlatency 100ms") and "tokens 5+6" in stats[0]
    assert stats[1].startswith("v2 [latest]\truns 0")

    exp = f"{name}-exp"
    created = ok(gsdb(gsdb_env, "experiment", "create", exp, "--template", name, "--variant", "a=1",
                      "--variant", "b=2:3", "--metric", "converted=rate", "--metric", "seconds=mean"))
    assert "a=v1 (weight 1, control)" in created and "b=v2 (weight 3)" in created
    first = json.loads(ok(gsdb(gsdb_env, "experiment", "assign", exp, "user-7", "--json")))
    again = json.loads(ok(gsdb(gsdb_env, "experiment", "assign", exp, "user-7", "--json")))
    assert first["new"] and not again["new"] and first["variant"] == again["variant"]
    assert "recorded converted=1 for user-7" in ok(gsdb(gsdb_env, "experiment", "record", exp, "user-7",
                                                        "converted", "true"))
    ok(gsdb(gsdb_env, "experiment", "record", exp, "user-7", "seconds", "2.5"))
    one_line_error(gsdb(gsdb_env, "experiment", "record", exp, "stranger", "converted", "1"), "not assigned")
    one_line_error(gsdb(gsdb_env, "experiment", "record", exp, "user-7", "converted", "0.3"), "is a rate")
    report = ok(gsdb(gsdb_env, "experiment", "report", exp))
    assert f"experiment {exp} (running), alpha 0.05, primary metric converted" in report
    assert "converted: b vs a:" in report
    data = json.loads(ok(gsdb(gsdb_env, "experiment", "report", exp, "--json")))
    assert [m for m in data["groups"]] == ["converted", "seconds"]
    assert sum(g["assigned"] for g in data["groups"]["converted"]) == 1
