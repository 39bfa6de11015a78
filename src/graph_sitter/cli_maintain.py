"""`gsdb maintain`: a thin wrapper over graph_sitter.maintenance.maintain.run_maintenance."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from graph_sitter.cli_output import json_option, print_json
from graph_sitter.config import load_settings

if TYPE_CHECKING:
    from graph_sitter.maintenance.maintain import MaintenanceReport


@click.command()
@click.option("--months-ahead", type=click.IntRange(0, 36), default=3, show_default=True,
              help="Create monthly partitions this many months ahead.")
@click.option("--retain", "retain", multiple=True, metavar="DB.TABLE=MONTHS|keep",
              help="Months a time-series table keeps (repeatable), e.g. analytics_db.metrics=36 or events_db.events=keep.")
@click.option("--detach", is_flag=True, help="Detach expired partitions (kept as <partition>_detached) instead of dropping them.")
@click.option("--aggregate-days", type=click.IntRange(1, 3650), default=7, show_default=True,
              help="Recompute aggregates over this many past days.")
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Rows in the bloat and slow-query reports.")
@click.option("--dry-run", is_flag=True, help="Only say which partitions have expired; change nothing.")
@json_option
def maintain(months_ahead: int, retain: tuple[str, ...], detach: bool, aggregate_days: int, top: int,
             dry_run: bool, as_json: bool) -> None:
    """Partitions ahead, retention, aggregate refreshes, bloat and slowest queries; exit 1 if a step failed."""
    from graph_sitter.maintenance.maintain import MaintainOptions, run_maintenance
    from graph_sitter.maintenance.retention import RetentionPolicy, parse_retention

    policy = RetentionPolicy(months=parse_retention(retain), detach=detach)
    report = run_maintenance(load_settings(), MaintainOptions(months_ahead=months_ahead, retention=policy,
                                                               aggregate_days=aggregate_days, top=top,
                                                               dry_run=dry_run))
    if as_json:
        print_json(report)
    else:
        _print(report)
    if not report.ok:
        sys.exit(1)


def _print(r: MaintenanceReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # a log file or a pipe gets whole tables
        console = Console(width=160)
    created = sum(r.created_partitions.values())
    console.print(f"partitions created ahead: {created}" + (" (dry run)" if r.dry_run else ""))
    retention = Table("table", "keeps", "cutoff", "expired partitions", title="retention")
    for a in r.retention:
        retention.add_row(f"{a.database}.{a.table}", f"{a.months} months", f"{a.cutoff:%Y-%m-%d}",
                          f"{a.action}: {', '.join(a.partitions)}" if a.partitions else "none")
    for name in r.kept_forever:
        retention.add_row(name, "everything", "", "")
    console.print(retention)
    if r.refreshed:
        console.print("aggregates refreshed: " + ", ".join(
            f"{k} ({'view' if v < 0 else f'{v} rows'})" for k, v in r.refreshed.items()))
    bloat = Table("table", "live rows", "dead rows", "dead %", "size", "≈ wasted", "last vacuum",
                  title="bloat (estimate from pg_stat_user_tables)")
    for b in r.bloat:
        bloat.add_row(f"{b.database}.{b.table.removeprefix('public.')}", str(b.live_rows), str(b.dead_rows), f"{100 * b.dead_ratio:.1f}",
                      f"{b.size_bytes / 1048576:.1f} MB", f"{b.wasted_bytes / 1048576:.1f} MB",
                      f"{b.last_vacuum:%Y-%m-%d %H:%M}" if b.last_vacuum else "never")
    console.print(bloat if r.bloat else "bloat: no table has dead rows")
    if r.slow_queries_note:
        console.print(f"slowest queries: {r.slow_queries_note}")
    else:
        slow = Table("database", "calls", "mean ms", "total ms", "query", title="slowest queries (pg_stat_statements)")
        for q in r.slow_queries:
            slow.add_row(q.database, str(q.calls), f"{q.mean_ms:.1f}", f"{q.total_ms:.0f}", q.query[:120])
        console.print(slow)
    for error in r.errors:
        click.echo(f"gsdb: error: {error}", err=True)
