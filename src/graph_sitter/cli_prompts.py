"""`gsdb prompts`: versioned prompt templates, rendering, execution stats and A/B experiments.

Each command parses its arguments, calls one library function and prints the result. Expected failures are
GraphSitterErrors, which the `gsdb` group prints as one line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from graph_sitter.cli_output import print_json
from graph_sitter.config import Settings, load_settings


def _settings() -> Settings:
    return load_settings()




def _pairs(values: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint=what)
        pairs.append((key, value))
    return pairs


def _version_line(v: Any) -> str:
    labels = f" [{', '.join(v.labels)}]" if v.labels else ""
    return f"{v.template_name} v{v.version_number}{labels} sha256:{v.content_sha256[:12]} {v.created_at:%Y-%m-%d %H:%M}"


@click.group()
def prompts() -> None:
    """Versioned prompt templates: immutable versions, labels, rendering, stats and A/B experiments."""


@prompts.command()
@click.argument("name")
@click.option("--description", help="What the prompt is for.")
@click.option("--type", "prompt_type", default="template", show_default=True,
              type=click.Choice(["system", "user", "assistant", "function", "template", "conditional"]))
def create(name: str, description: str | None, prompt_type: str) -> None:
    """Create the prompt template NAME (add its text with add-version)."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        store.create_template(name, description, prompt_type)
    click.echo(f"created prompt {name}")


@prompts.command("add-version")
@click.argument("name")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), help="Template text (default: stdin).")
@click.option("--label", "labels", multiple=True, help="Also point this label at the version (repeatable).")
@click.option("--description", help="What changed, kept with the version.")
@click.option("--model-config", help="Model settings as a JSON object (part of the immutable version).")
def add_version(name: str, path: Path | None, labels: tuple[str, ...], description: str | None,
                model_config: str | None) -> None:
    """Add an immutable version of NAME from --file or stdin; `latest` moves to it."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    try:
        content = path.read_text(encoding="utf-8") if path else sys.stdin.read()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--file") from None
    try:
        config = json.loads(model_config) if model_config else None
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--model-config") from None
    if config is not None and not isinstance(config, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--model-config")
    with open_prompt_store(_settings()) as store:
        added = store.add_version(name, content, model_config=config, description=description, labels=labels)
    state = "added" if added.created else "unchanged (identical to the latest version)"
    click.echo(f"{_version_line(added.version)} {state}")


@prompts.command()
@click.argument("name")
@click.argument("label")
@click.option("--version", "version", type=int, required=True, help="Version number the label points at.")
def label(name: str, label: str, version: int) -> None:
    """Point LABEL (production, staging, ...) of NAME at a version."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        moved = store.set_label(name, label, version)
    click.echo(f"{name}: {label} -> v{moved.version_number}")


@prompts.command()
@click.argument("name")
@click.option("--label", help="Show the version this label points at (default: latest).")
@click.option("--version", "version", type=int, help="Show this version number.")
@click.option("--json", "as_json", is_flag=True, help="Print the version as JSON.")
def show(name: str, label: str | None, version: int | None, as_json: bool) -> None:
    """Show a version of NAME: by --label (default latest) or --version."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        v = store.get_version(name, label=label, version=version)
    if as_json:
        print_json(v)
        return
    click.echo(_version_line(v))
    if v.variables:
        click.echo("variables: " + ", ".join(v.variables))
    click.echo("---")
    click.echo(v.content, nl=not v.content.endswith("\n"))


@prompts.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def versions(name: str, as_json: bool) -> None:
    """List every version of NAME with its labels."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        rows = store.list_versions(name)
    if as_json:
        print_json(rows)
        return
    for v in rows:
        click.echo(_version_line(v))


@prompts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool) -> None:
    """List the prompt templates with their version counts and labels."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        rows = store.list_templates()
    if as_json:
        print_json(rows)
        return
    for t in rows:
        labels = ", ".join(f"{k}=v{v}" for k, v in t.labels.items()) or "-"
        click.echo(f"{t.name}\t{t.versions} version(s)\t{labels}")


@prompts.command()
@click.argument("name")
@click.option("--label", help="Render the version this label points at (default: latest).")
@click.option("--version", "version", type=int, help="Render this version number.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="A template variable (repeatable).")
@click.option("--codebase", help="Analysed codebase (name or path) for the `codebase` context source.")
@click.option("--symbol", help="Symbol (qualified name or name) whose source, callers, callees and metrics to add.")
def render(name: str, label: str | None, version: int | None, variables: tuple[str, ...], codebase: str | None,
           symbol: str | None) -> None:
    """Render a version of NAME in the sandbox, with --var values and optional codebase context."""
    from graph_sitter.adapters.prompts_db import open_prompt_store
    from graph_sitter.prompts.api import render_prompt
    from graph_sitter.prompts.context import codebase_context

    values = dict(_pairs(variables, "--var"))
    if (codebase is None) != (symbol is None):
        raise click.UsageError("--codebase and --symbol go together")
    settings = _settings()
    contexts = [codebase_context(settings, codebase, symbol)] if codebase and symbol else []
    with open_prompt_store(settings) as store:
        rendered = render_prompt(store, name, label=label, version=version, variables=values, contexts=contexts)
    click.echo(rendered.text, nl=not rendered.text.endswith("\n"))


@prompts.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(name: str, as_json: bool) -> None:
    """Executions of NAME per version: count, success rate, latency, tokens, cost, rating."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        rows = store.execution_stats(name)
    if as_json:
        print_json(rows)
        return
    for s in rows:
        labels = f" [{', '.join(s.labels)}]" if s.labels else ""
        rate = "-" if s.success_rate is None else f"{100 * s.success_rate:.1f}%"
        latency = "-" if s.avg_latency_ms is None else f"{s.avg_latency_ms:.0f}ms (p95 {s.p95_latency_ms:.0f}ms)"
        rating = "-" if s.avg_rating is None else f"{s.avg_rating:.2f} ({s.ratings})"
        click.echo(f"v{s.version_number}{labels}\truns {s.executions}\tok {rate}\tlatency {latency}"
                   f"\ttokens {s.input_tokens}+{s.output_tokens}\tcost ${s.cost_usd}\trating {rating}")


# -- experiments --------------------------------------------------------------------------------------------
@prompts.group()
def experiment() -> None:
    """A/B experiments between versions of one prompt."""


def _variant_specs(values: tuple[str, ...], control: str | None) -> list[Any]:
    from graph_sitter.adapters.prompts_db import VariantSpec

    specs = []
    for name, spec in _pairs(values, "--variant"):
        version, _, weight = spec.partition(":")
        try:
            specs.append(VariantSpec(name, int(version), float(weight) if weight else 1.0, name == control))
        except ValueError:
            raise click.BadParameter(f"expected NAME=VERSION[:WEIGHT], got {name}={spec}", param_hint="--variant") from None
    if control is not None and not any(s.control for s in specs):
        raise click.BadParameter(f"no variant named {control!r}", param_hint="--control")
    return specs


@experiment.command("create")
@click.argument("name")
@click.option("--template", required=True, help="The prompt whose versions compete.")
@click.option("--variant", "variants", multiple=True, required=True, metavar="NAME=VERSION[:WEIGHT]",
              help="A variant serving a version, with a traffic weight (default 1); at least two.")
@click.option("--control", help="The control variant (default: the first).")
@click.option("--metric", "metrics", multiple=True, metavar="NAME=rate|mean",
              help="A metric and its kind; the first is primary (default converted=rate).")
@click.option("--confidence", type=click.FloatRange(0, 100, min_open=True, max_open=True), default=95.0,
              show_default=True, help="Confidence level in percent for significance.")
@click.option("--description", help="What the experiment tests.")
def experiment_create(name: str, template: str, variants: tuple[str, ...], control: str | None,
                      metrics: tuple[str, ...], confidence: float, description: str | None) -> None:
    """Create and start the experiment NAME."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    specs = _variant_specs(variants, control)
    kinds = dict(_pairs(metrics, "--metric")) or None
    with open_prompt_store(_settings()) as store:
        exp = store.create_experiment(name, template, specs, metrics=kinds,  # type: ignore[arg-type]
                                      description=description, confidence_level=confidence)
    click.echo(f"experiment {exp.name} on {exp.template_name}: "
               + ", ".join(f"{v.name}=v{v.version_number} (weight {v.weight:g}{', control' if v.is_control else ''})"
                           for v in exp.variants)
               + "; metrics " + ", ".join(f"{m} ({k})" for m, k in exp.metrics.items()))


@experiment.command("assign")
@click.argument("name")
@click.argument("unit")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def experiment_assign(name: str, unit: str, as_json: bool) -> None:
    """Assign UNIT (a user, session, repository...) to a variant of NAME; the same unit always gets the same one."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        a = store.assign(name, unit)
    if as_json:
        print_json({"experiment": a.experiment, "unit": a.unit_id, "variant": a.variant.name,
                     "version": a.variant.version_number, "new": a.new})
        return
    click.echo(f"{a.unit_id}\t{a.variant.name}\tv{a.variant.version_number}")


def _observation(value: str) -> float:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "y"):
        return 1.0
    if lowered in ("false", "no", "n"):
        return 0.0
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(f"expected a number or true/false, got {value!r}", param_hint="VALUE") from None


@experiment.command("record")
@click.argument("name")
@click.argument("unit")
@click.argument("metric")
@click.argument("value")
def experiment_record(name: str, unit: str, metric: str, value: str) -> None:
    """Record VALUE of METRIC for an assigned UNIT (true/false or 1/0 for a rate, a number for a mean)."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    number = _observation(value)
    with open_prompt_store(_settings()) as store:
        store.record_result(name, unit, metric, number)
    click.echo(f"recorded {metric}={number:g} for {unit}")


@experiment.command("report")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def experiment_report(name: str, as_json: bool) -> None:
    """Each variant's rate or mean per metric, and its significance against the control."""
    from graph_sitter.adapters.prompts_db import open_prompt_store

    with open_prompt_store(_settings()) as store:
        report = store.experiment_report(name)
    if as_json:
        print_json(report)
        return
    click.echo(f"experiment {report.experiment} ({report.status}), alpha {report.alpha:g},"
               f" primary metric {report.primary_metric}")
    for metric, groups in report.groups.items():
        click.echo(f"{metric}:")
        for g in groups:
            value = "-" if g.mean is None else (f"{100 * g.mean:.2f}% ({g.successes}/{g.n})" if g.successes is not None
                                                else f"mean {g.mean:.4g} (n={g.n})")
            click.echo(f"  {g.variant}{' (control)' if g.is_control else ''}\tv{g.version_number}"
                       f"\tunits {g.assigned}\t{value}")
    for c in report.comparisons:
        if c.result is None:
            click.echo(f"{c.metric}: {c.variant} vs {c.control}: not tested ({c.note})")
            continue
        lift = "" if c.relative_lift is None else f", lift {100 * c.relative_lift:+.1f}%"
        verdict = "significant" if c.significant else "not significant"
        click.echo(f"{c.metric}: {c.variant} vs {c.control}: {c.result.test} = {c.result.statistic:.3f},"
                   f" p = {c.result.p_value:.4g}{lift} ({verdict})")
