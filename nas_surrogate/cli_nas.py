"""``nas-surrogate nas``: its options are generated from ``NasConfig``'s fields, so the
defaults, ranges and help exist once (the dataclass), shared by CLI, YAML and API."""

import inspect
from dataclasses import MISSING, fields
from typing import Optional

import typer

from nas_surrogate.experiments.nas import NasConfig


def _parameters() -> list[inspect.Parameter]:
    params = []
    for f in fields(NasConfig):
        meta = f.metadata
        default = f.default if f.default is not MISSING else None
        kind = int if meta["min"] is not None else (Optional[str] if default is None else str)  # noqa: UP045
        names = [f"--{f.name.replace('_', '-')}"] + (["-o"] if f.name == "out" else [])
        if f.name == "n_jobs":
            names.append("-j")
        option = typer.Option(
            ... if f.name == "out" else default, *names, help=meta["help"],
            min=meta["min"], max=meta["max"], show_default=default not in (None, ""),
        )  # fmt: skip
        params.append(
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind
            )
        )
    return params


def register(app: typer.Typer, format_opt) -> None:
    from nas_surrogate.cli import OutputFormat

    def nas_cmd(**settings) -> None:
        """Run NAS for real: train every proposed NB201 network on a small dataset (CPU),
        ZC proxies computed live; report the best network's validation and test accuracy."""
        fmt = settings.pop("fmt")
        run_nas_command(NasConfig(**settings), fmt)

    fmt = inspect.Parameter(
        "fmt", inspect.Parameter.KEYWORD_ONLY, default=OutputFormat.table, annotation=format_opt
    )
    nas_cmd.__signature__ = inspect.Signature([*_parameters(), fmt])
    app.command("nas")(nas_cmd)


def run_nas_command(config: NasConfig, fmt, source: str | None = None) -> None:
    """Run ``nas`` and print its summary (the CLI command and ``run CONFIG.yaml``)."""
    from nas_surrogate.cli import OutputFormat, emit_json
    from nas_surrogate.experiments.nas import run_nas

    summary = run_nas(config, progress=fmt is OutputFormat.table, source=source)
    if fmt is OutputFormat.json:
        emit_json(summary)
        return
    typer.echo(
        f"{summary['trained']} networks trained ({summary['trained_this_run']} now) in "
        f"{summary['wall_seconds_this_run']:.0f} s; best {summary['best_arch']}: "
        f"val {summary['best_val_accuracy']:.2f} %, test {summary['best_test_accuracy']:.2f} %"
    )
    rate = summary["proxy_cache_hit_rate"]
    typer.echo(
        f"proxies: {summary['networks_with_proxies']} networks scored, "
        f"{summary['proxy_seconds_this_run']:.1f} s computing now, cache hit rate "
        f"{'-' if rate != rate else f'{rate:.0%}'}; results in {config.out}"
    )
