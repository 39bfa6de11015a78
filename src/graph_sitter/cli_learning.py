"""`gsdb learning …`: the model registry, training sessions, adaptations and recurring patterns of learning_db."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, Iterator

import click

from graph_sitter.cli_output import print_json


@contextmanager
def _store() -> Iterator[Any]:
    from graph_sitter.adapters.learning_db import LearningStore
    from graph_sitter.adapters.setup import ensure_ready
    from graph_sitter.config import load_settings

    settings = load_settings()
    with ensure_ready(settings).connect("learning_db") as conn:
        yield LearningStore(conn)


def _baseline(store: Any, codebase: str) -> Any:
    from graph_sitter.adapters.learning_db import LearningError
    from graph_sitter.builtins.learning import baseline_name

    model = store.model(baseline_name(codebase))
    if model is None:
        raise LearningError(f"no baseline for codebase {codebase}: run `gsdb analyze` on it first")
    return model


def _when(value: Any) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3f}"


@click.group()
def learning() -> None:
    """The learned baselines, training sessions, adaptations and recurring patterns (learning_db)."""


@learning.command()
@click.option("--name", help="Only versions of this model.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models(name: str | None, as_json: bool) -> None:
    """List the registered models: name, version, type, status, training data size."""
    with _store() as store:
        found = store.models(name=name)
    if as_json:
        print_json([asdict(m) for m in found])
        return
    for m in found:
        flags = ("production " if m.is_production else "") + ("active" if m.is_active else "inactive")
        click.echo(f"{m.name}\t{m.version}\t{m.model_type}\t{m.status}\t{flags}\truns={m.training_data_size or 0}")


@learning.command()
@click.option("--model", "model_name", help="Only sessions of this model (e.g. baseline:CODEBASE).")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sessions(model_name: str | None, limit: int, as_json: bool) -> None:
    """List training sessions, newest first."""
    with _store() as store:
        found = store.training_sessions(model_name=model_name, limit=limit)
        if as_json:
            print_json([asdict(s) | {"metrics": [asdict(t) for t in store.training_metrics(s.id)]} for s in found])
            return
    for s in found:
        click.echo(f"{_when(s.started_at)}\t{s.model_name}\t{s.status}\t"
                   f"{len(s.training_summary)} metrics\t{s.session_name}")


@learning.command()
@click.argument("codebase")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def adaptations(codebase: str, limit: int, as_json: bool) -> None:
    """What changed between consecutive runs of CODEBASE, with an improvement score in [-1, 1]."""
    with _store() as store:
        found = store.adaptations(learning_model_id=_baseline(store, codebase).id, limit=limit)
    if as_json:
        print_json([asdict(a) for a in found])
        return
    for a in found:
        changed = ", ".join(f"{k} {v['before']}->{v['after']}" for k, v in list(a.changes_made.items())[:4])
        click.echo(f"{_when(a.created_at)}\tscore {_score(a.improvement_score)}\t{changed or 'no change'}")


@learning.command()
@click.argument("codebase")
@click.option("--min", "min_occurrences", type=click.IntRange(1), default=2, show_default=True,
              help="Only patterns seen at least this many times.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def patterns(codebase: str, min_occurrences: int, limit: int, as_json: bool) -> None:
    """Findings of CODEBASE that recur across runs (hotspots, import cycles), most frequent first."""
    with _store() as store:
        found = store.patterns(learning_model_id=_baseline(store, codebase).id, min_occurrences=min_occurrences,
                               limit=limit)
    if as_json:
        print_json([asdict(p) for p in found])
        return
    for p in found:
        click.echo(f"{p.occurrences_count}x\t{p.pattern_type}\t{p.pattern_data.get('subject', p.pattern_key)}\t"
                   f"first {_when(p.first_seen_at)}\tlast {_when(p.last_seen_at)}")


@learning.command()
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def evolution(limit: int, as_json: bool) -> None:
    """List evolution sessions, newest first."""
    with _store() as store:
        found = store.evolution_sessions(limit=limit)
    if as_json:
        print_json([asdict(e) for e in found])
        return
    for e in found:
        click.echo(f"{_when(e.started_at)}\t{e.session_name}\t{e.status}\t"
                   f"generation {e.current_generation}/{e.max_generations}\tbest {e.best_fitness}")
