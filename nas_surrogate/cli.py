"""The ``nas-surrogate`` command.

Every command takes ``--data-dir`` (else ``$NAS_SURROGATE_DATA``, else the embedded demo
data) and ``--format table|json``; ``json`` prints exactly one JSON document on stdout.
Bad input ends with one ``error: <where>: <why>`` line on stderr and exit code 2;
anything unexpected with exit code 1.
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from nas_surrogate.errors import BadInputError

app = typer.Typer(
    name="nas-surrogate",
    help="Surrogate-driven NAS with zero-cost proxies, on tabular benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder with the NAS-Bench-Suite-Zero files (else $NAS_SURROGATE_DATA, "
        "else the embedded demo data).",
        show_default=False,
    ),
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table or json")]


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> null, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit_json(obj: Any) -> None:
    typer.echo(json.dumps(_clean(obj), indent=2))


@app.command("benchmarks")
def benchmarks_cmd(data_dir: DataDirOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """List every benchmark id that can be loaded, with size, proxies and accuracy range."""
    from nas_surrogate.benchmarks import available_benchmarks, load_benchmark

    rows = [load_benchmark(i, data_dir).describe() for i in available_benchmarks(data_dir)]
    if fmt is OutputFormat.json:
        emit_json(rows)
        return
    import pandas as pd

    table = pd.DataFrame(rows)
    table["val_accuracy"] = [
        f"{lo:.4g} .. {hi:.4g}" for lo, hi in zip(table.val_accuracy_min, table.val_accuracy_max)
    ]
    table["n_proxies"] = [len(p) for p in table.proxies]
    table["proxies"] = [" ".join(p) if p else "-" for p in table.proxies]
    table["source"] = [s.split(":")[0] for s in table.source]
    cols = ["id", "n_archs", "val_accuracy", "n_proxies", "proxies", "source"]
    typer.echo(table[cols].to_string(index=False, max_colwidth=44))


@app.command("proxies")
def proxies_cmd(
    benchmark: Annotated[
        str, typer.Option("--benchmark", "-b", help="Benchmark id, a comma list, or 'all'.")
    ],
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Per-proxy Spearman and Kendall correlation with validation accuracy."""
    from nas_surrogate.analysis.correlation import proxy_correlations
    from nas_surrogate.benchmarks import expand_benchmark_ids, load_benchmark

    results = []
    for bench_id in expand_benchmark_ids(benchmark, data_dir):
        bench = load_benchmark(bench_id, data_dir)
        if not bench.proxy_names:
            raise BadInputError(bench_id, "has no zero-cost proxy scores")
        table = proxy_correlations(bench)
        results.append((bench, table))
    if fmt is OutputFormat.json:
        docs = [
            {
                "benchmark": bench.id,
                "n_archs": bench.n_archs,
                "proxies": {
                    r.proxy: {"spearman": r.spearman, "kendall": r.kendall, "n": r.n}
                    for r in table.itertuples()
                },
            }
            for bench, table in results
        ]
        emit_json(docs[0] if len(docs) == 1 else docs)
        return
    for bench, table in results:
        typer.echo(f"{bench.id}  ({bench.n_archs} archs; {bench.source})")
        typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        typer.echo("")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and map failures to the contract's exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except BadInputError as e:
        typer.echo(f"error: {e.where}: {e.why}", err=True)
        return 2
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", getattr(e, "code", 0))
        return int(code or 0)
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        return 130
    except Exception as e:
        if hasattr(e, "show") and hasattr(e, "exit_code"):  # click usage error: exit 2
            e.show()
            return int(e.exit_code)
        if os.environ.get("NAS_SURROGATE_DEBUG"):
            traceback.print_exc()
        typer.echo(f"error: unexpected failure: {type(e).__name__}: {e}", err=True)
        return 1
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
