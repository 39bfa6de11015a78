"""`gsdb report CODEBASE --html FILE`: a thin wrapper over graph_sitter.report.html.write_report."""

from __future__ import annotations

from pathlib import Path

import click

from graph_sitter.config import load_settings
from graph_sitter.errors import GraphSitterError


@click.command()
@click.argument("ref", metavar="CODEBASE")
@click.option("--html", "output", required=True, type=click.Path(path_type=Path),
              help="The HTML file to write (self-contained: open it anywhere, offline).")
def report(ref: str, output: Path) -> None:
    """Write an HTML report of an analysed CODEBASE (name or path): trends, complexity, hotspots, cycles, languages."""
    from graph_sitter.report.html import write_report

    try:
        path = write_report(load_settings(), ref, output)
    except OSError as exc:
        raise GraphSitterError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"report of {ref} written to {path}")
