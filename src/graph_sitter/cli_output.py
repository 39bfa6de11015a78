"""What every `gsdb` command group shares to print: JSON (dataclasses included) and the --json option."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def print_json(data: Any) -> None:
    """Print `data` as indented JSON; dataclasses become objects, anything else unknown its str()."""
    click.echo(json.dumps(data, indent=2, default=_plain))
