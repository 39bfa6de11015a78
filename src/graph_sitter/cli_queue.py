"""`gsdb enqueue PATH` and `gsdb worker`: thin wrappers over graph_sitter.jobs.queue and graph_sitter.jobs.worker."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from graph_sitter.cli_output import json_option, library_option, print_json
from graph_sitter.config import DEFAULT_MAX_FILE_SIZE, load_settings


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="Codebase name (default: the one PATH was analysed as, else the directory name).")
@click.option("--full", is_flag=True, help="Re-parse every file instead of only the changed ones.")
@click.option("--branch", help="Analyse this branch of the git repository at PATH.")
@click.option("--include", multiple=True, help="Only files matching this glob (repeatable).")
@click.option("--exclude", multiple=True, help="Leave out files or folders matching this glob (repeatable).")
@click.option("--max-file-size", type=click.IntRange(1), default=DEFAULT_MAX_FILE_SIZE, show_default=True)
@library_option
@click.option("--reason", default="gsdb enqueue", show_default=True, help="Why, as the job records it.")
@json_option
def enqueue(path: Path, name: str | None, full: bool, branch: str | None, include: tuple[str, ...],
            exclude: tuple[str, ...], max_file_size: int, library: bool, reason: str, as_json: bool) -> None:
    """Queue the analysis of the repository at PATH for `gsdb worker`."""
    from graph_sitter.jobs.queue import enqueue_analysis

    job = enqueue_analysis(load_settings(), path, name=name, full=full, reason=reason, branch=branch,
                           include=include, exclude=exclude, max_file_size=max_file_size, library=library)
    if as_json:
        print_json(job)
        return
    state = "already queued as" if job.already_queued else "queued as"
    click.echo(f"{job.codebase}: {state} job {job.job_id}")


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Analyses at once in this process (each already uses every core).")
@click.option("--burst", is_flag=True, help="Leave once the queue is empty.")
@click.option("--name", help="Worker name in logs (default: host:pid).")
@click.option("--heartbeat", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds between heartbeats.")
@click.option("--stalled-after", type=click.FloatRange(1), default=60.0, show_default=True,
              help="A worker silent this many seconds is dead: its job goes back on the queue.")
@click.option("--recovery-interval", type=click.FloatRange(0.5), default=15.0, show_default=True,
              help="Seconds between looks for jobs of dead workers.")
@click.option("--verbose", "-v", is_flag=True, help="Log every job (INFO) instead of warnings only.")
def worker(concurrency: int, burst: bool, name: str | None, heartbeat: float, stalled_after: float,
           recovery_interval: float, verbose: bool) -> None:
    """Run queued analysis jobs until stopped (SIGTERM/SIGINT let the running job finish)."""
    from graph_sitter.jobs.worker import WorkerOptions, run_worker

    if stalled_after <= heartbeat * 2:
        raise click.BadParameter("must be more than twice --heartbeat, or live workers look dead",
                                 param_hint="--stalled-after")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker(load_settings(), WorkerOptions(concurrency=concurrency, burst=burst, name=name, heartbeat=heartbeat,
                                              stalled_after=stalled_after, recovery_interval=recovery_interval))
