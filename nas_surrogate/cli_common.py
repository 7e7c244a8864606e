"""What the CLI modules share (cli.py, cli_nas.py, cli_optimizer.py): the ``--format``
choice and the one JSON document ``--format json`` writes, and the one way a command's
options are made from its typed config."""

from __future__ import annotations

import inspect
import json
from enum import Enum
from typing import Annotated, Any

import typer


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def emit_json(obj: Any) -> None:
    from nas_surrogate.io import json_safe

    typer.echo(json.dumps(json_safe(obj), indent=2))


FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json")]


def register_settings(app: typer.Typer, name: str, command, config_cls, extra=()) -> None:
    """Add ``command`` to ``app`` as ``name``: its options are ``config_cls``'s settings
    (flags, defaults, ranges and help written once, in the config), then ``extra``
    parameters, then ``--format``; ``command(**values)`` gets them by name."""
    from nas_surrogate.settings import cli_parameters

    keyword = inspect.Parameter.KEYWORD_ONLY
    fmt = inspect.Parameter("fmt", keyword, default=OutputFormat.table, annotation=FormatOpt)
    command.__signature__ = inspect.Signature([*cli_parameters(config_cls), *extra, fmt])
    app.command(name)(command)
