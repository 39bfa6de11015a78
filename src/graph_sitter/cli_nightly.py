"""`gsdb nightly --config FILE`: a thin wrapper over graph_sitter.jobs.nightly.run_nightly."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from graph_sitter.cli_output import json_option, print_json
from graph_sitter.config import load_settings

if TYPE_CHECKING:
    from graph_sitter.jobs.nightly import NightlyReport

_STYLE = {"completed": "green", "failed": "red", "skipped": "yellow", "queued": "cyan"}


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path),
              help="TOML file listing [[repositories]] (path, name, branch, excludes, options).")
@click.option("--skip-locked", is_flag=True,
              help="Skip a repository another job is analysing instead of waiting for it.")
@click.option("--enqueue", is_flag=True, help="Queue the analyses for `gsdb worker` instead of running them here.")
@click.option("--analyse-unchanged", is_flag=True,
              help="Analyse a repository even when nothing in it changed since its last run.")
@click.option("--retries", type=click.IntRange(1, 20), default=4, show_default=True,
              help="Attempts per repository when the database fails for a passing reason.")
@json_option
def nightly(config_path: Path, skip_locked: bool, enqueue: bool, analyse_unchanged: bool, retries: int,
            as_json: bool) -> None:
    """Analyse every repository of a nightly configuration incrementally; exit 1 if any failed."""
    from graph_sitter.jobs.config import load_config
    from graph_sitter.jobs.nightly import run_nightly
    from graph_sitter.jobs.retry import RetryPolicy

    config = load_config(config_path)
    report = run_nightly(load_settings(), config, skip_locked=skip_locked, enqueue=enqueue,
                         analyse_unchanged=analyse_unchanged, policy=RetryPolicy(attempts=retries))
    if as_json:
        print_json(report.as_json())
    else:
        _print_table(report)
    sys.stdout.flush()
    sys.stderr.flush()
    # leave without tearing down the analyses' heap object by object (as `gsdb analyze` does)
    os._exit(0 if report.ok else 1)


def _print_table(report: NightlyReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report.workflow} — execution {str(report.execution_id)[:8]}")
    for column in ("repository", "status", "run", "files parsed", "seconds", "attempts", "detail"):
        table.add_column(column, justify="right" if column in ("files parsed", "seconds", "attempts") else "left",
                         no_wrap=column != "detail", overflow="fold")
    for o in report.outcomes:
        parsed = "" if o.files_analyzed is None else f"{o.files_analyzed}/{o.files_total}"
        run = f"{o.run_type} {o.run_id[:8]}" if o.run_id else (f"job {o.job_id}" if o.job_id else "")
        table.add_row(o.name, f"[{_STYLE.get(o.status, 'white')}]{o.status}[/]", run, parsed, f"{o.seconds:.1f}",
                      str(o.attempts), o.error or o.details.get("bookkeeping_error", ""))
    failed = len(report.failed)
    console = Console()
    if not console.is_terminal:  # a log file or a pipe gets the whole table, not one cut to 80 columns
        console = Console(width=200)
    console.print(table)
    click.echo(f"{len(report.outcomes) - failed} of {len(report.outcomes)} repositories ok"
               f" in {report.seconds:.1f}s" + (f"; {failed} failed" if failed else ""))
