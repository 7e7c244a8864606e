"""The ``nas-surrogate`` command.

Every command takes ``--data-dir`` (else ``$NAS_SURROGATE_DATA``, else the embedded demo
data) and ``--format table|json``; ``json`` prints exactly one JSON document on stdout.
Bad input ends with one ``error: <where>: <why>`` line on stderr and exit code 2;
anything unexpected with exit code 1.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from nas_surrogate.cli_common import FormatOpt, OutputFormat, emit_json, register_settings
from nas_surrogate.errors import BadInputError, redact, shorten
from nas_surrogate.settings import DATA_DIR_HELP

app = typer.Typer(
    name="nas-surrogate",
    help="Surrogate-driven NAS with zero-cost proxies, on tabular benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: wraps long words where rich cuts them
)


def _format(value: str, where: str) -> OutputFormat:
    try:
        return OutputFormat(value)
    except ValueError:
        raise BadInputError(where, f"expected table or json, got {value!r}") from None


DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help=DATA_DIR_HELP,
        show_default=False,
    ),
]
JobsOpt = Annotated[
    int,
    typer.Option(
        "--n-jobs",
        "-j",
        help="Parallel workers, each running one unit on one thread (-1: all cores). The "
        "default 1 keeps the run in this process; results are identical for any value.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="dask.distributed scheduler address (tcp://host:8786)."),
]


@app.command("benchmarks")
def benchmarks_cmd(
    data_dir: DataDirOpt = None,
    objective_data: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--objective-data",
            help="Hardware / robustness CSV tables or folders, comma list (TASK=PATH names "
            "a table's dataset); default: the data dir.",
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List every benchmark id that can be loaded, with size, proxies, accuracy range and
    the objectives a search can use (known: read for every candidate; evaluated: a query)."""
    from nas_surrogate.benchmarks import available_benchmarks, load_benchmark, resolve_data_dir
    from nas_surrogate.objectives import attach_tables
    from nas_surrogate.objectives.tables import split_source
    from nas_surrogate.settings import comma_list

    resolved = resolve_data_dir(data_dir)
    sources = (
        comma_list(objective_data) if objective_data else ([str(resolved)] if resolved else [])
    )
    rows, used = [], set()
    for bench_id in available_benchmarks(data_dir):
        bench = load_benchmark(bench_id, data_dir)
        if sources and hasattr(bench.space, "encode_codes"):
            bench = attach_tables(bench, sources)[0]  # a table of another space: skipped
            used |= {col.source for col in bench.objectives.values()}
        rows.append(bench.describe())
    for item in comma_list(objective_data) if objective_data else []:
        path = split_source(item)[1]
        if path.is_file() and str(path.resolve()) not in used:
            raise BadInputError(
                f"--objective-data {item}", "is a table of none of these benchmarks (no "
                "arch column that parses in their space, or no dataset it can be told for)",
            )  # fmt: skip
    if fmt is OutputFormat.json:
        emit_json(rows)
        return
    import pandas as pd

    table = pd.DataFrame(rows)
    table["val_accuracy"] = [
        f"{lo:.4g} .. {hi:.4g}" for lo, hi in zip(table.val_accuracy_min, table.val_accuracy_max)
    ]
    table["n_proxies"] = [len(p) for p in table.proxies]
    table["proxies"] = [(" ".join(p) if p else "-")[:40] for p in table.proxies]
    table["source"] = [s.split(":")[0] for s in table.source]
    table["objectives"] = [_objectives_text(o) for o in table.objectives]
    cols = ["id", "n_archs", "n_networks", "val_accuracy", "n_proxies", "proxies", "objectives",
            "source"]  # fmt: skip
    typer.echo(table[cols].to_string(index=False, max_colwidth=100))


def _objectives_text(kinds: dict[str, str]) -> str:
    """``val_accuracy params flops`` plus a count of table columns by kind."""
    base = [n for n in kinds if n in ("val_accuracy", "params", "flops")]
    known = sum(1 for n, k in kinds.items() if n not in base and k.startswith("known"))
    evaluated = sum(1 for n, k in kinds.items() if n not in base and k.startswith("evaluated"))
    extra = [f"+{known} known" if known else "", f"+{evaluated} evaluated" if evaluated else ""]
    return " ".join(base + [e for e in extra if e])


proxies_app = typer.Typer(
    help="Per-proxy correlation with accuracy (-b ID), or `proxies compute` to score archs.",
    add_completion=False,
)
app.add_typer(proxies_app, name="proxies")


@proxies_app.callback(invoke_without_command=True)
def proxies_cmd(
    ctx: typer.Context,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", "-b", help="Benchmark id, a comma list, or 'all'.")
    ] = None,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Per-proxy Spearman and Kendall correlation with validation accuracy."""
    if ctx.invoked_subcommand:
        return
    if benchmark is None:
        raise BadInputError("--benchmark", "required (or: nas-surrogate proxies compute --help)")
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


def _proxies_compute_cmd(**values) -> None:
    """Compute zero-cost proxies from scratch (torch) for NB201 cells into a CSV table."""
    import time

    from nas_surrogate.proxies.compute import ComputeConfig
    from nas_surrogate.settings import from_cli

    fmt = values.pop("fmt")
    settings = from_cli(ComputeConfig, values)
    out, proxies = settings.out, settings.proxies
    t = time.perf_counter()
    table = settings.run(progress=fmt is OutputFormat.table)
    seconds = {p: float(table[f"{p}_seconds"].mean()) for p in proxies}
    summary = {"out": str(out), "n_archs": len(table), "seconds_per_arch": seconds,
               "elapsed_seconds": time.perf_counter() - t}  # fmt: skip
    if fmt is OutputFormat.json:
        emit_json(summary)
        return
    typer.echo(f"{len(table)} archs in {out} ({summary['elapsed_seconds']:.1f} s this run)")
    typer.echo("mean seconds per arch: " + ", ".join(f"{p} {v:.3f}" for p, v in seconds.items()))


def run_evaluate(
    config,
    out: Path,
    n_jobs: int = 1,
    fmt: OutputFormat = OutputFormat.table,
    progress: bool = True,
    scheduler: str | None = None,
    source: str | None = None,
) -> None:
    """Shared by ``evaluate`` and ``run CONFIG.yaml``: an ``EvaluateConfig`` -> grid ->
    outputs (``source``: the YAML file, named in errors)."""
    from nas_surrogate.experiments.evaluate import evaluate
    from nas_surrogate.settings import validate

    validate(config, source)
    metric = config.metric
    show = progress and fmt is OutputFormat.table
    summary = evaluate(config, out, n_jobs=n_jobs, progress=show, scheduler=scheduler)
    if fmt is OutputFormat.json:
        emit_json(summary)
        return
    typer.echo((Path(out) / "results.md").read_text())
    for g in summary["zc_gain"]:
        typer.echo(
            f"{g['benchmark']} {g['surrogate']} n={g['train_size']}: {g['features']} -> "
            f"{g['features']}+zc  {metric} {g[metric]:.3f} -> {g[metric + '_with_zc']:.3f} "
            f"({100 * g['relative_gain']:+.1f}%)"
        )
    typer.echo(
        f"{summary['n_units']} units ({summary['n_units_resumed']} resumed) in "
        f"{summary['elapsed_seconds']:.1f} s; results in {out}/"
    )
    _coverage_notes(summary, config.proxy_table)


def _evaluate_cmd(**values) -> None:
    """Predictor quality: rank correlation of surrogates trained on N archs, over seeds."""
    from nas_surrogate.experiments.evaluate_config import EvaluateConfig
    from nas_surrogate.settings import from_cli

    out, n_jobs, scheduler, fmt = (values.pop(k) for k in ("out", "n_jobs", "scheduler", "fmt"))
    run_evaluate(from_cli(EvaluateConfig, values), out, n_jobs=n_jobs, fmt=fmt, scheduler=scheduler)


#: keys of a YAML config that are options of the run, not settings of the command
RUN_KEYS = {"command", "out", "n_jobs", "format", "scheduler"}


def _run_nas_yaml(doc: dict, where: str, n_jobs: int | None, fmt: OutputFormat | None) -> None:
    """``command: nas``: the keys are ``NasConfig``'s settings."""
    from nas_surrogate.cli_nas import run_nas_command
    from nas_surrogate.config import take
    from nas_surrogate.experiments.nas import NasConfig
    from nas_surrogate.settings import from_yaml, in_yaml_terms

    fmt = fmt or _format(take(doc, "format", str, where, "table"), f"{where}: format")
    config = from_yaml(NasConfig, {k: v for k, v in doc.items() if k not in ("command", "format")},
                       where)  # fmt: skip
    if n_jobs is not None:
        config.n_jobs = n_jobs
    try:
        run_nas_command(config, fmt, source=where)
    except BadInputError as e:
        raise in_yaml_terms(e, NasConfig, where) from None


@app.command("run")
def run_cmd(
    config: Annotated[Path, typer.Argument(help="A YAML config from configs/.")],
    data_dir: DataDirOpt = None,
    n_jobs: Annotated[int | None, typer.Option("--n-jobs", "-j")] = None,
    fmt: Annotated[
        OutputFormat | None, typer.Option("--format", help="table or json (else the config's)")
    ] = None,
) -> None:
    """Run evaluate, search or nas from a YAML config (options as keys; flags here
    override)."""
    from nas_surrogate.config import load_yaml, take

    doc = load_yaml(config)
    where = str(config)
    command = take(doc, "command", str, where)
    if command not in ("evaluate", "search", "nas"):
        raise BadInputError(
            f"{where}: command", f"expected evaluate, search or nas, got {command!r}"
        )
    if command == "nas":
        _run_nas_yaml(doc, where, n_jobs, fmt)
        return
    if doc.get("out") in (None, ""):
        raise BadInputError(f"{where}: out", "missing")
    run = dict(
        out=Path(take(doc, "out", str, where)),
        n_jobs=n_jobs if n_jobs is not None else take(doc, "n_jobs", int, where, 1),
        fmt=fmt or _format(take(doc, "format", str, where, "table"), f"{where}: format"),
        scheduler=take(doc, "scheduler", str, where),
    )
    from nas_surrogate.experiments.evaluate_config import EvaluateConfig
    from nas_surrogate.experiments.search_config import SearchConfig
    from nas_surrogate.settings import from_yaml, in_yaml_terms, resolved_data_dir

    search = command == "search"
    cls, runner = (SearchConfig, run_search) if search else (EvaluateConfig, run_evaluate)
    settings = from_yaml(cls, {k: v for k, v in doc.items() if k not in RUN_KEYS}, where)
    settings.data_dir = resolved_data_dir(data_dir or settings.data_dir)
    try:
        runner(settings, **run, source=where)
    except BadInputError as e:
        raise in_yaml_terms(e, cls, where) from None


def run_search(
    config,
    out: Path,
    n_jobs: int = 1,
    fmt: OutputFormat = OutputFormat.table,
    progress: bool = True,
    scheduler: str | None = None,
    source: str | None = None,
) -> dict:
    """Shared by ``search``, ``demo`` and ``run CONFIG.yaml``: a ``SearchConfig`` ->
    the runs -> outputs (``source``: the YAML file, named in errors)."""
    from nas_surrogate.experiments.search import search
    from nas_surrogate.settings import validate

    validate(config, source)
    show = progress and fmt is OutputFormat.table
    summary = search(config, out, n_jobs=n_jobs, progress=show, scheduler=scheduler)
    if fmt is OutputFormat.json:
        emit_json(summary)
    else:
        typer.echo((Path(out) / "results.md").read_text())
        exhausted = [e for e in summary["searchers"] if e["exhausted"]]
        for e in exhausted:
            typer.echo(
                f"note: {e['benchmark']} has only {e['queries_median']:.0f} searchable archs; "
                f"the run stopped when all were queried (budget {config.budget})"
            )
        typer.echo(
            f"{summary['n_units']} runs ({summary['n_units_resumed']} resumed) in "
            f"{summary['elapsed_seconds']:.1f} s; results and plots in {out}/"
        )
        _coverage_notes(summary, config.proxy_table)
    return summary


def _coverage_notes(summary: dict, table: str | None) -> None:
    """Say when a ``--proxy-table`` scores only part of a benchmark's networks."""
    from nas_surrogate.benchmarks.computed import coverage_note

    for line in coverage_note(summary.get("proxy_table_coverage", {}), table):
        typer.echo(line)


def _search_cmd(**values) -> None:
    """Run NAS searchers against tabular ground truth; best-so-far curves over seeds."""
    from nas_surrogate.experiments.search_config import SearchConfig
    from nas_surrogate.settings import from_cli

    out, n_jobs, scheduler, fmt = (values.pop(k) for k in ("out", "n_jobs", "scheduler", "fmt"))
    run_search(from_cli(SearchConfig, values), out, n_jobs=n_jobs, fmt=fmt, scheduler=scheduler)


def _register_from_config(name: str, command, config_cls) -> None:
    """A command whose options are ``config_cls``'s settings plus the run options
    (``--out``, ``--n-jobs``, ``--scheduler``), defined nowhere else."""
    import inspect

    keyword = inspect.Parameter.KEYWORD_ONLY
    run_options = [
        inspect.Parameter("out", keyword, annotation=Annotated[
            Path, typer.Option("--out", "-o", help="Output folder (resumed if it exists).")]),
        inspect.Parameter("scheduler", keyword, default=None, annotation=SchedulerOpt),
        inspect.Parameter("n_jobs", keyword, default=1, annotation=JobsOpt),
    ]  # fmt: skip
    register_settings(app, name, command, config_cls, run_options)


def _demo_cmd(**values) -> None:
    """The main job in one command: evolution vs BO(onehot) vs BO(onehot+ZC) on NB201
    (a search run whose settings are fixed but for these options)."""
    from nas_surrogate.experiments.search_config import DemoConfig
    from nas_surrogate.settings import from_cli, validate

    fmt = values.pop("fmt")
    config = from_cli(DemoConfig, values)
    validate(config)
    run_search(config.search_config(), Path(config.out), n_jobs=config.n_jobs, fmt=fmt)


def _tune_cmd(**values) -> None:
    """Tune a surrogate (or, with --target search, a searcher) with Optuna."""
    from nas_surrogate.experiments.tune_config import TuneConfig
    from nas_surrogate.settings import from_cli

    fmt = values.pop("fmt")
    settings = from_cli(TuneConfig, values)
    summary = settings.run()
    if fmt is OutputFormat.json:
        emit_json(summary)
        return
    out, budget, report_seeds = settings.out, settings.budget, settings.report_seeds
    if settings.target == "search":
        r = summary["report_best_val_accuracy"]
        typer.echo(f"{summary['n_trials']} trials; best params: {summary['best_params']}")
        typer.echo(
            f"mean best val accuracy at {budget} queries over {report_seeds} fresh seeds: "
            f"default {r['default']:.3f}, tuned {r['tuned']:.3f}"
        )
        typer.echo(f"use it: --searcher-config {Path(out) / 'best_params.yaml'}")
        return
    t = summary["test_kendall_tau"]
    typer.echo(
        f"{summary['n_trials']} trials in the study ({summary['n_pruned']} pruned, "
        f"{summary['n_failed']} failed); best validation tau {summary['best_value_validation']:.3f}"
    )
    typer.echo(f"best params: {summary['best_params']}")
    typer.echo(
        f"held-out test tau over {summary['report_seeds']} seeds: default "
        f"{t['default']['mean']:.3f} ± {t['default']['std']:.3f}, tuned "
        f"{t['tuned']['mean']:.3f} ± {t['tuned']['std']:.3f}"
    )
    typer.echo(f"use it: --surrogate-config {Path(out) / 'best_params.yaml'}")


def _run_settings(settings_cls, values: dict) -> tuple[dict, Path] | None:
    """Build ``settings_cls`` from the CLI values, run it, print its ``results.md``;
    None after printing the JSON summary (``--format json``)."""
    from nas_surrogate.settings import from_cli

    fmt = values.pop("fmt")
    settings = from_cli(settings_cls, values)
    summary, out = settings.run(), Path(settings.out)
    if fmt is OutputFormat.json:
        emit_json(summary)
        return None
    typer.echo((out / "results.md").read_text())
    return summary, out


def _analyze_cmd(**values) -> None:
    """Proxy analyses: correlation tables, information / complementarity, size bias."""
    from nas_surrogate.experiments.analyze import AnalyzeConfig

    if (ran := _run_settings(AnalyzeConfig, values)) is not None:
        typer.echo(f"tables, summary.json and plots in {ran[1]}/")


def _evolve_proxy_cmd(**values) -> None:
    """Evolve a training-free proxy by genetic programming, with rule-based pruning."""
    from nas_surrogate.experiments.analyze import EvolveConfig

    if (ran := _run_settings(EvolveConfig, values)) is None:
        return
    summary, out = ran
    if summary.get("from") == "primitives":
        typer.echo(f"proxy: {summary['readable']}")
        typer.echo(f"use it: --features enc+zc+lpz:{summary['proxy']}")
        return
    pruned = summary["pruned_total"]
    typer.echo(
        f"{summary['runs']} GP runs ({summary['runs_resumed']} resumed), "
        f"{summary['mean_run_seconds']:.1f} s each; evaluated {summary['evaluated_total']}, "
        f"pruned {sum(pruned.values())} ({pruned})"
    )
    typer.echo(f"use it: --features zc+evolved:{Path(out) / 'evolved.json'}")


def _register_commands() -> None:
    from nas_surrogate.experiments.evaluate_config import EvaluateConfig
    from nas_surrogate.experiments.search_config import SearchConfig
    from nas_surrogate.experiments.tune_config import TuneConfig

    _register_from_config("evaluate", _evaluate_cmd, EvaluateConfig)
    _register_from_config("search", _search_cmd, SearchConfig)
    from nas_surrogate.experiments.analyze import AnalyzeConfig, EvolveConfig
    from nas_surrogate.experiments.search_config import DemoConfig
    from nas_surrogate.proxies.compute import ComputeConfig

    register_settings(app, "demo", _demo_cmd, DemoConfig)
    register_settings(app, "tune", _tune_cmd, TuneConfig)
    register_settings(app, "analyze", _analyze_cmd, AnalyzeConfig)
    register_settings(app, "evolve-proxy", _evolve_proxy_cmd, EvolveConfig)
    register_settings(proxies_app, "compute", _proxies_compute_cmd, ComputeConfig)
    from nas_surrogate.cli_nas import nas_cmd
    from nas_surrogate.cli_optimizer import AskConfig, TellConfig, ask_cmd, tell_cmd
    from nas_surrogate.experiments.nas import NasConfig

    register_settings(app, "ask", ask_cmd, AskConfig)
    register_settings(app, "tell", tell_cmd, TellConfig)
    register_settings(app, "nas", nas_cmd, NasConfig)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and map failures to the contract's exit codes."""
    from nas_surrogate import interrupt

    interrupt.install()
    try:
        code = app(args=argv, standalone_mode=False)
        # without standalone mode, Typer turns Ctrl-C into a *returned* 130
        if code == 130 or interrupt.requested.is_set():
            raise KeyboardInterrupt
        if isinstance(code, int) and code:
            return code
    except BadInputError as e:
        typer.echo(f"error: {e.where}: {e.why}", err=True)
        return 2
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", getattr(e, "code", 0))
        return int(code or 0)
    except (typer.Abort, KeyboardInterrupt):
        interrupt.stop_workers()
        typer.echo("error: interrupted; finished units are kept and resume on rerun", err=True)
        return interrupt.exit_code()
    except Exception as e:
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):  # click usage error
            param = getattr(getattr(e, "param", None), "opts", None)
            where = param[0] if param else "usage"
            typer.echo(f"error: {where}: {shorten(redact(e.format_message()))}", err=True)
            return int(e.exit_code)
        if os.environ.get("NAS_SURROGATE_DEBUG"):
            traceback.print_exc()
        why = shorten(redact(f"{type(e).__name__}: {e}"))
        typer.echo(f"error: unexpected failure: {why}", err=True)
        return 1
    finally:
        interrupt.uninstall()
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
