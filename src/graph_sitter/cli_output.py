"""What every `gsdb` command group shares to print: JSON (dataclasses included) and the --json option."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
library_option = click.option(
    "--library", is_flag=True,
    help="The codebase is a library: its public API is used from outside, so public names are never dead-code "
         "candidates.")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def print_json(data: Any) -> None:
    """Print `data` as indented JSON; dataclasses become objects, anything else unknown its str()."""
    click.echo(json.dumps(data, indent=2, default=_plain))
