"""prompts_db through PromptStore: immutable versions, labels, executions, context sources, experiments."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import scipy.stats

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.prompts_db import LATEST, ContextUse, PromptStore, VariantSpec
from graph_sitter.prompts.api import record_rendered, render_prompt
from graph_sitter.prompts.errors import (
    ExperimentError,
    MissingVariable,
    PromptError,
    PromptNotFound,
    UnsafeTemplate,
    VersionImmutable,
)
from graph_sitter.prompts.experiments import choose_variant


# -- versions and labels ------------------------------------------------------------------------------------
def test_versions_are_numbered_and_latest_follows(store: PromptStore, name: str) -> None:
    store.create_template(name, "greets")
    one = store.add_version(name, "Hello {{ who }}")
    two = store.add_version(name, "Hi {{ who }}, from {{ me }}")
    assert (one.created, one.version.version_number, two.version.version_number) == (True, 1, 2)
    assert two.version.variables == ["me", "who"]
    assert store.get_version(name).version_number == 2
    assert store.get_version(name, label=LATEST).content == "Hi {{ who }}, from {{ me }}"
    assert store.get_version(name, version=1).content == "Hello {{ who }}"
    assert len(one.version.content_sha256) == 64
    assert [v.labels for v in store.list_versions(name)] == [(), ("latest",)]


def test_identical_content_returns_the_latest_version(store: PromptStore, name: str) -> None:
    store.create_template(name)
    first = store.add_version(name, "A {{ x }}")
    again = store.add_version(name, "A {{ x }}", labels=["production"])
    assert (again.created, again.version.id) == (False, first.version.id)
    assert again.version.labels == ("latest", "production")
    store.add_version(name, "B {{ x }}")
    revert = store.add_version(name, "A {{ x }}")  # older content again: a new version, and latest follows
    assert (revert.created, revert.version.version_number) == (True, 3)
    assert store.get_version(name).version_number == 3
    # same text, other model settings: a different version
    assert store.add_version(name, "A {{ x }}", model_config={"temperature": 0.2}).created


def test_labels_move_between_versions(store: PromptStore, name: str) -> None:
    store.create_template(name)
    for text in ("v1", "v2", "v3"):
        store.add_version(name, text)
    store.set_label(name, "production", 1)
    assert store.get_version(name, label="production").content == "v1"
    store.set_label(name, "production", 2)
    assert store.get_version(name, label="production").content == "v2"
    store.set_label(name, "staging", 3)
    assert {t.name: t.labels for t in store.list_templates()}[name] == {"latest": 3, "production": 2, "staging": 3}
    store.add_version(name, "v4")
    assert store.get_version(name, label="production").version_number == 2  # only latest moves by itself
    assert store.get_version(name).version_number == 4
    store.remove_label(name, "staging")
    with pytest.raises(PromptNotFound, match="no label 'staging'"):
        store.get_version(name, label="staging")
    with pytest.raises(PromptError, match="invalid label"):
        store.set_label(name, "Prod Uction", 1)
    with pytest.raises(PromptError, match="cannot be removed"):
        store.remove_label(name, LATEST)
    with pytest.raises(PromptNotFound, match="no version 9"):
        store.set_label(name, "production", 9)


def test_a_version_cannot_be_changed_through_the_api(store: PromptStore, name: str) -> None:
    store.create_template(name)
    store.add_version(name, "Original {{ x }}")
    with pytest.raises(VersionImmutable, match="immutable"):
        store.update_version(name, 1, content="Changed")
    with pytest.raises(VersionImmutable, match="immutable"):
        store.update_version(name, 1, model_config={"temperature": 1})
    with pytest.raises(VersionImmutable, match="cannot be deleted"):
        store.delete_version(name, 1)
    annotated = store.update_version(name, 1, description="first cut")  # annotations may change
    assert (annotated.content, annotated.description) == ("Original {{ x }}", "first cut")
    store.delete_template(name)  # the whole template may go, versions with it
    with pytest.raises(PromptNotFound):
        store.get_template(name)


def test_a_version_cannot_be_changed_in_sql(store: PromptStore, name: str) -> None:
    store.create_template(name)
    version = store.add_version(name, "Fixed text").version
    with pytest.raises(psycopg.errors.RestrictViolation, match="immutable"):
        store.conn.execute("UPDATE prompt_versions SET template_content = 'x' WHERE id = %s", (version.id,))
    with pytest.raises(psycopg.errors.RestrictViolation, match="immutable"):
        store.conn.execute("UPDATE prompt_versions SET content_sha256 = 'x' WHERE id = %s", (version.id,))
    with pytest.raises(psycopg.errors.RestrictViolation, match="cannot be deleted"):
        store.conn.execute("DELETE FROM prompt_versions WHERE id = %s", (version.id,))
    assert store.get_version(name, version=1).content == "Fixed text"


def test_clear_errors_for_missing_and_broken_things(store: PromptStore, name: str) -> None:
    with pytest.raises(PromptNotFound, match="no prompt named"):
        store.get_version(name)
    store.create_template(name)
    with pytest.raises(PromptError, match="already exists"):
        store.create_template(name)
    assert store.create_template(name, exist_ok=True).name == name
    with pytest.raises(PromptNotFound, match="no version yet"):
        store.get_version(name)
    with pytest.raises(PromptError, match="syntax error"):
        store.add_version(name, "{% if %}")
    with pytest.raises(PromptError, match="cannot be blank"):
        store.add_version(name, "   ")
    with pytest.raises(PromptError, match="cannot be blank"):
        store.create_template(" ")


# -- rendering and executions -------------------------------------------------------------------------------
def test_render_a_stored_version(store: PromptStore, name: str) -> None:
    store.create_template(name)
    store.add_version(name, "Summarize {{ topic }} in {{ n }} words.")
    store.add_version(name, "Explain {{ topic }}.", labels=["production"])
    store.set_label(name, "production", 1)
    rendered = render_prompt(store, name, label="production", variables={"topic": "SQL", "n": 10})
    assert (rendered.text, rendered.version.version_number, rendered.label) == ("Summarize SQL in 10 words.", 1,
                                                                                "production")
    assert render_prompt(store, name, variables={"topic": "Go"}).text == "Explain Go."
    with pytest.raises(MissingVariable, match="'topic'"):
        render_prompt(store, name, version=1, variables={"n": 3})
    store.add_version(name, "{{ topic.__class__ }}")
    with pytest.raises(UnsafeTemplate):
        render_prompt(store, name, variables={"topic": "x"})


def test_executions_are_recorded_and_summarized_per_version(store: PromptStore, name: str) -> None:
    store.create_template(name)
    v1 = store.add_version(name, "Q: {{ q }}").version
    v2 = store.add_version(name, "Question: {{ q }}").version
    for latency, rating in ((100, 4), (300, 5), (200, None)):
        store.record_execution(v1, "Q: hi", response="hello", model="m", latency_ms=latency, input_tokens=10,
                               output_tokens=5, cost_usd=0.001, rating=rating)
    failed = store.record_execution(v1, "Q: boom", status="failed", latency_ms=50, error_message="timeout upstream")
    rendered = render_prompt(store, name, variables={"q": "why"})
    execution = record_rendered(store, rendered, latency_ms=80, input_tokens=3, output_tokens=7, cost_usd=0.5)
    store.rate_execution(execution, 2, "too vague")
    stats = {s.version_number: s for s in store.execution_stats(name)}
    one, two = stats[1], stats[2]
    assert (one.executions, one.completed, one.failed, one.success_rate) == (4, 3, 1, 0.75)
    assert one.avg_latency_ms == pytest.approx(162.5)
    assert one.p50_latency_ms == pytest.approx(150.0)
    assert (one.input_tokens, one.output_tokens, one.total_tokens) == (30, 15, 45)
    assert float(one.cost_usd) == pytest.approx(0.003)
    assert (one.avg_rating, one.ratings) == (pytest.approx(4.5), 2)
    assert (two.executions, two.total_tokens, two.avg_rating, two.version_id) == (1, 10, 2.0, v2.id)
    row = store.conn.execute(
        "SELECT total_tokens, label, rendered_prompt, completed_at - started_at FROM executions WHERE id = %s",
        (execution,)).fetchone()
    assert row[:3] == (10, "latest", "Question: why")
    assert row[3].total_seconds() == pytest.approx(0.08, abs=1e-3)
    assert store.conn.execute("SELECT error_message FROM executions WHERE id = %s", (failed,)).fetchone() == (
        "timeout upstream",)
    with pytest.raises(PromptError, match="between 1 and 5"):
        store.rate_execution(execution, 9)
    with pytest.raises(PromptError, match="status must be one of"):
        store.record_execution(v1, "x", status="weird")


def test_context_sources_are_registered_and_linked(store: PromptStore, name: str) -> None:
    source = f"docs-{uuid.uuid4().hex[:8]}"
    store.register_context_source(source, "documentation", "the handbook", {"path": "docs/"})
    again = store.register_context_source(source, "documentation", "the handbook, v2")
    assert again.description == "the handbook, v2"
    assert source in [s.name for s in store.list_context_sources()]
    store.create_template(name)
    version = store.add_version(name, "x").version
    execution = store.record_execution(version, "x", contexts=[ContextUse(source, "chapter 2", {"pages": [3, 4]})])
    assert store.execution_contexts(execution) == [(source, "chapter 2", {"pages": [3, 4]})]


# -- experiments --------------------------------------------------------------------------------------------
def _experiment(store: PromptStore, name: str, weights: tuple[float, float] = (1.0, 1.0), **kwargs):  # type: ignore[no-untyped-def]
    store.create_template(name)
    store.add_version(name, "Short: {{ q }}")
    store.add_version(name, "Long and careful: {{ q }}")
    return store.create_experiment(f"{name}-exp", name, [VariantSpec("control", 1, weights[0]),
                                                         VariantSpec("careful", 2, weights[1])], **kwargs)


def test_assignment_is_sticky_and_stored(store: PromptStore, name: str) -> None:
    exp = _experiment(store, name, (1.0, 3.0))
    assert [v.name for v in exp.variants] == ["careful", "control"]
    assert exp.variant("control").is_control and exp.status == "running"
    first = store.assign(exp.name, "user-1")
    second = store.assign(exp.name, "user-1")
    assert first.new and not second.new
    assert first.variant == second.variant and first.assignment_id == second.assignment_id
    # stored choices are the pure function's (whose proportions test_statistics checks on 10k units)
    weights = [(v.name, v.weight) for v in exp.variants]
    counts = {"careful": 0, "control": 0}
    for i in range(2_000):
        chosen = store.assign(exp, f"unit-{i}").variant.name
        assert chosen == choose_variant(exp.id, f"unit-{i}", weights)
        counts[chosen] += 1
    assert abs(counts["careful"] / 2_000 - 0.75) < 0.04  # sd is 0.0097
    assert store.conn.execute("SELECT count(*) FROM ab_assignments WHERE experiment_id = %s",
                              (exp.id,)).fetchone() == (2_001,)
    # the stored choice wins even if the weights change afterwards
    store.conn.execute("UPDATE ab_variants SET traffic_weight = 0 WHERE id = %s", (first.variant.id,))
    assert store.assign(exp.name, "user-1").variant.name == first.variant.name
    store.set_experiment_status(exp.name, "paused")
    with pytest.raises(ExperimentError, match="paused"):
        store.assign(exp.name, "someone-new")
    assert store.assign(exp.name, "user-1").variant.name == first.variant.name


def test_experiment_validation(store: PromptStore, name: str) -> None:
    store.create_template(name)
    store.add_version(name, "a")
    with pytest.raises(ExperimentError, match="at least two"):
        store.create_experiment(f"{name}-x", name, [VariantSpec("a", 1)])
    with pytest.raises(PromptNotFound, match="no version 7"):
        store.create_experiment(f"{name}-x", name, [VariantSpec("a", 1), VariantSpec("b", 7)])
    with pytest.raises(ExperimentError, match="'rate' or 'mean'"):
        store.create_experiment(f"{name}-x", name, [VariantSpec("a", 1), VariantSpec("b", 1)], metrics={"m": "median"})
    store.create_experiment(f"{name}-x", name, [VariantSpec("a", 1), VariantSpec("b", 1)])
    with pytest.raises(ExperimentError, match="already exists"):
        store.create_experiment(f"{name}-x", name, [VariantSpec("a", 1), VariantSpec("b", 1)])
    with pytest.raises(ExperimentError, match="not assigned"):
        store.record_result(f"{name}-x", "nobody", "converted", 1)
    store.assign(f"{name}-x", "u")
    with pytest.raises(ExperimentError, match="is a rate"):
        store.record_result(f"{name}-x", "u", "converted", 0.5)
    with pytest.raises(ExperimentError, match="not 'clicks'"):
        store.record_result(f"{name}-x", "u", "clicks", 1)


def test_report_matches_scipy(store: PromptStore, name: str) -> None:
    exp = _experiment(store, name, metrics={"converted": "rate", "score": "mean"})
    values: dict[str, list[float]] = {"control": [], "careful": []}
    converted = {"control": 0, "careful": 0}
    units = {"control": 0, "careful": 0}
    for i in range(400):
        unit = f"u{i}"
        variant = store.assign(exp, unit).variant.name
        units[variant] += 1
        # deterministic outcomes that differ by variant
        hit = (i % 5 == 0) if variant == "control" else (i % 3 == 0)
        store.record_result(exp, unit, "converted", hit)
        converted[variant] += hit
        if i % 2 == 0:
            score = (i % 7) + (1.5 if variant == "careful" else 0.0)
            store.record_result(exp, unit, "score", score)
            store.record_result(exp, unit, "score", score + 1)  # two observations: the unit's mean counts once
            values[variant].append(score + 0.5)
    report = store.experiment_report(exp.name)
    assert report.alpha == pytest.approx(0.05)
    rate = next(c for c in report.comparisons if c.metric == "converted")
    p1, p2 = converted["careful"] / units["careful"], converted["control"] / units["control"]
    pooled = (converted["careful"] + converted["control"]) / 400
    z = (p1 - p2) / (pooled * (1 - pooled) * (1 / units["careful"] + 1 / units["control"])) ** 0.5
    assert rate.result is not None and rate.variant == "careful" and rate.control == "control"
    assert rate.result.statistic == pytest.approx(z, abs=1e-6)
    assert rate.result.p_value == pytest.approx(2 * scipy.stats.norm.sf(abs(z)), abs=1e-6)
    mean = next(c for c in report.comparisons if c.metric == "score")
    expected = scipy.stats.ttest_ind(values["careful"], values["control"], equal_var=False)
    assert mean.result is not None
    assert mean.result.statistic == pytest.approx(float(expected.statistic), abs=1e-6)
    assert mean.result.p_value == pytest.approx(float(expected.pvalue), abs=1e-6)
    assert mean.significant == (float(expected.pvalue) < 0.05)
    groups = {g.variant: g for g in report.groups["converted"]}
    assert (groups["control"].assigned, groups["control"].successes) == (units["control"], converted["control"])


def test_a_store_without_organization_keeps_its_own_names(cluster: Cluster, store: PromptStore, name: str) -> None:
    with cluster.connect("prompts_db", "owner", autocommit=True) as conn:
        unscoped = PromptStore(conn)
        unscoped.create_template(name)
        unscoped.add_version(name, "no org {{ x }}")
        assert unscoped.get_version(name).content == "no org {{ x }}"
        assert name in [t.name for t in unscoped.list_templates()]
    with pytest.raises(PromptNotFound):
        store.get_template(name)  # the organization's store does not see it
    store.create_template(name)  # and may use the same name
    with cluster.connect("prompts_db", "owner") as conn, pytest.raises(ValueError, match="autocommit"):
        PromptStore(conn)
