"""What every command prints its results with: the ``--format`` choice and the one JSON
document ``--format json`` writes (shared by cli.py, cli_nas.py and cli_optimizer.py)."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import typer


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def emit_json(obj: Any) -> None:
    from nas_surrogate.io import json_safe

    typer.echo(json.dumps(json_safe(obj), indent=2))
