"""``nas-surrogate nas``: its options are generated from ``NasConfig``'s settings, so the
defaults, ranges and help exist once (the dataclass), shared by CLI, YAML and API."""

import typer

from nas_surrogate.cli_common import OutputFormat, emit_json
from nas_surrogate.experiments.nas import NasConfig
from nas_surrogate.settings import from_cli


def nas_cmd(**settings) -> None:
    """Run NAS for real: train every proposed NB201 network on a small dataset (CPU),
    ZC proxies computed live; report the best network's validation and test accuracy."""
    fmt = settings.pop("fmt")
    run_nas_command(from_cli(NasConfig, settings), fmt)


def run_nas_command(config: NasConfig, fmt, source: str | None = None) -> None:
    """Run ``nas`` and print its summary (the CLI command and ``run CONFIG.yaml``)."""
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
        f"{'-' if rate is None or rate != rate else f'{rate:.0%}'}; results in {config.out}"
    )
