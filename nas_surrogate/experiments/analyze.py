"""`analyze` and `evolve-proxy`: proxy analyses written as tables, summary and plots."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from nas_surrogate.benchmarks import Benchmark, expand_benchmark_ids, load_benchmark
from nas_surrogate.config import MAX_SEED, MAX_SEEDS
from nas_surrogate.deprecation import renamed
from nas_surrogate.errors import BadInputError
from nas_surrogate.io import make_out_dir, write_json_atomic, write_text_atomic
from nas_surrogate.registry import Registry
from nas_surrogate.settings import (
    comma_list,
    data_dir_setting,
    default_of,
    file_setting,
    setting,
    validate,
)

if TYPE_CHECKING:  # pandas is imported where a frame is made: the CLI starts without it
    import pandas as pd


def _benches(spec: str, data_dir: str | None, proxy_table: str | None = None) -> list[Benchmark]:
    benches = [load_benchmark(b, data_dir) for b in expand_benchmark_ids(spec, data_dir)]
    if proxy_table:  # computed scores (an lpz:FILE column too) analysed beside the table's
        from nas_surrogate.benchmarks.computed import attach_proxy_table

        benches = [attach_proxy_table(b, proxy_table) for b in benches]
    benches = [b for b in benches if b.proxy_names]
    if not benches:
        raise BadInputError(f"--benchmark {spec}", "no benchmark with proxy scores")
    return benches


def _markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    import pandas as pd

    frame = (
        frame.reset_index()
        if frame.index.name or not isinstance(frame.index, pd.RangeIndex)
        else frame
    )
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body]) + "\n"


def _correlations(benches: list[Benchmark], out: Path, bins: int, seed: int):
    """Spearman / Kendall of every proxy with accuracy per task, and proxy-proxy matrices."""
    from nas_surrogate import plots
    from nas_surrogate.analysis.correlation import proxy_proxy_matrix, task_proxy_table

    summary, md = {}, []
    for method in ("spearman", "kendall"):
        table = task_proxy_table(benches, method)
        write_text_atomic(out / f"{method}.csv", table.to_csv())
        md += [f"## {method} with validation accuracy", "", _markdown(table)]
        summary[method] = table.to_dict(orient="index")
    plots.matrix(task_proxy_table(benches), out / "plots" / "task_proxy_spearman.png",
                 "Spearman with accuracy")  # fmt: skip
    for bench in benches:
        m = proxy_proxy_matrix(bench)
        name = bench.id.replace("/", "--")
        write_text_atomic(out / f"proxy_proxy--{name}.csv", m.to_csv())
        plots.matrix(
            m, out / "plots" / f"proxy_proxy--{name}.png", f"{bench.id}: proxy-proxy Spearman"
        )
    return summary, md


def _information(benches: list[Benchmark], out: Path, bins: int, seed: int):
    """Mutual information of each proxy and each pair of proxies with accuracy."""
    import pandas as pd

    from nas_surrogate import plots
    from nas_surrogate.analysis.information import information_tables

    rows, pair_rows, per = [], [], {}
    for bench in benches:
        s, single, pair = information_tables(bench, bins=bins, seed=seed)
        per[bench.id] = s
        rows.append(single.assign(benchmark=bench.id))
        pair_rows.append(pair.assign(benchmark=bench.id))
    singles, pairs = pd.concat(rows), pd.concat(pair_rows)
    write_text_atomic(out / "proxy_information.csv", singles.to_csv(index=False))
    write_text_atomic(out / "pair_information.csv", pairs.to_csv(index=False))
    summary = {"per_benchmark": per, "estimator": next(iter(per.values()))["estimator"]}
    md = ["## Mutual information with accuracy (bits)", "",
          _markdown(singles.pivot(index="benchmark", columns="proxy", values="mi_bits")),
          "## Most complementary pairs (gain over the better single proxy, bits)", "",
          _markdown(pairs.groupby("benchmark").head(3)[
              ["benchmark", "proxy_a", "proxy_b", "pair_mi_bits", "gain_over_best_bits",
               "interaction_bits"]])]  # fmt: skip
    mi = singles.pivot(index="benchmark", columns="proxy", values="mi_bits")
    plots.matrix(mi, out / "plots" / "mutual_information.png", "I(proxy; accuracy), bits")
    return summary, md


def _bias(benches: list[Benchmark], out: Path, bins: int, seed: int):
    """How much of each proxy is cell size, and its Kendall tau once size is removed."""
    import pandas as pd

    from nas_surrogate import plots
    from nas_surrogate.analysis.bias import bias_tables

    debias_rows = []
    for bench in benches:
        corr, debias = bias_tables(bench, seed=seed)
        name = bench.id.replace("/", "--")
        write_text_atomic(out / f"properties--{name}.csv", corr.to_csv())
        plots.matrix(
            corr, out / "plots" / f"bias--{name}.png", f"{bench.id}: Spearman with property"
        )
        debias_rows.append(debias.assign(benchmark=bench.id))
    debiased = pd.concat(debias_rows)
    write_text_atomic(out / "debias.csv", debiased.to_csv(index=False))
    md = ["## Kendall tau before / after removing cell size (held-out half)", "",
          _markdown(debiased[["benchmark", "proxy", "spearman_with_params",
                              "kendall_before", "kendall_after"]])]  # fmt: skip
    return {"debias": debiased.to_dict(orient="records")}, md


#: analysis registry: a new analysis is one function plus one registration
ANALYSES: Registry = Registry("analysis")
ANALYSES.register("correlations", _correlations)
ANALYSES.register("information", _information)
ANALYSES.register("bias", _bias)


def analyze(
    kind: str,
    spec: str,
    out: Path,
    data_dir: str | None,
    bins: int = 8,
    seed: int = 0,
    proxy_table: str | None = None,
) -> dict:
    run = ANALYSES.get(kind)
    if bins < 2:
        raise BadInputError("--bins", f"must be >= 2, got {bins}")
    benches = _benches(spec, data_dir, proxy_table)
    out = make_out_dir(Path(out), [data_dir])
    part, md = run(benches, out, bins, seed)
    summary = {"command": f"analyze {kind}", "benchmarks": [b.id for b in benches], **part}
    write_text_atomic(out / "results.md", "\n".join(md))
    write_json_atomic(out / "summary.json", summary)
    return summary


def _evolve_unit(unit: tuple):
    from nas_surrogate.analysis.evolve import evolve

    bench, cfg = unit
    return evolve(cfg, bench)


def _evolve_and_save(bench: Benchmark, cfg, path: Path) -> None:
    _evolve_unit((bench, cfg)).save(path)


def _run_missing(missing: list[tuple], n_jobs: int, client) -> None:
    """Run the GP runs not on disk yet, each saved to its file as it finishes (on the
    dask cluster when there is a client; the files are written here either way)."""
    from joblib import Parallel, delayed

    from nas_surrogate.experiments.runner import _dask_results

    if client is not None:
        done = _dask_results(client, _evolve_unit, [(b, c) for b, c, _ in missing])
        paths = {(c.benchmark, c.seed): p for _, c, p in missing}
        for result in done:
            result.save(paths[(result.evolved_on, result.seed)])
    else:
        Parallel(n_jobs=n_jobs)(delayed(_evolve_and_save)(*t) for t in missing)


def _evolve_report(out: Path, results: list, targets: list[Benchmark], sample: int) -> dict:
    """Write the runs table, the best-on-sample expression, its transfer table, the
    markdown and the plot; return the summary's results part."""
    import pandas as pd

    from nas_surrogate import plots
    from nas_surrogate.analysis.evolve import transfer_table

    runs = pd.DataFrame([{**asdict(r), "pruned": sum(r.pruned.values())} for r in results])
    write_text_atomic(out / "results.csv", runs.to_csv(index=False))
    # the expression to use: the best on its own sample (no other labels involved)
    best = max(results, key=lambda r: r.tau_sample)
    best.save(out / "evolved.json")
    table = pd.DataFrame(transfer_table(best, targets))
    write_text_atomic(out / "transfer.csv", table.to_csv(index=False))
    usable = table[table.evolved.notna() & (table.task != best.evolved_on)]
    wins, tasks = int(usable.evolved_beats_all.sum()), len(usable)
    md = [
        f"Best expression (seed {best.seed}, evolved on {best.evolved_on}, {best.size} nodes):",
        "",
        f"    {best.expression}",
        "",
        f"Kendall tau on its {sample}-arch sample {best.tau_sample:.3f}, "
        f"on the other archs of the task {best.tau_rest:.3f}.",
        "",
        _markdown(table),
        f"Beats every hand-crafted proxy on {wins} of {tasks} other tasks it applies to.",
    ]
    write_text_atomic(out / "results.md", "\n".join(md) + "\n")
    plots.transfer_bars(table, out / "plots" / "transfer.png")
    return {
        "best": asdict(best),
        "runs": len(results),
        "mean_run_seconds": float(runs.seconds.mean()),
        "pruned_total": {k: int(sum(r.pruned[k] for r in results)) for k in best.pruned},
        "evaluated_total": int(sum(r.evaluated for r in results)),
        "transfer": table.to_dict(orient="records"),
        "transfer_wins": wins,
        "transfer_tasks": tasks,
    }


def evolve_proxy(
    spec: str,
    out: Path,
    data_dir: str | None,
    seeds: int = 1,
    base_seed: int = 0,
    transfer: str | None = "nbsz",
    common_terminals: bool = True,
    n_jobs: int = 1,
    scheduler: str | None = None,
    **gp_params,
) -> dict:
    """Seeded GP runs on each task of ``spec`` (resumable per run) plus a transfer table."""
    from nas_surrogate.analysis.evolve import EvolvedProxy, GPConfig, primitive_set
    from nas_surrogate.experiments.fingerprint import input_fingerprint
    from nas_surrogate.experiments.runner import dask_client, prepare_out_dir

    started = time.perf_counter()
    sources = _benches(spec, data_dir)
    targets = _benches(transfer, data_dir) if transfer else sources
    terminals = None
    if common_terminals:
        terminals = [p for p in sources[0].proxy_names if all(p in b.proxy_names for b in targets)]
    probe = GPConfig(benchmark=sources[0].id, seed=0, terminals=terminals, **gp_params)
    probe.validate()  # every setting checked before anything is written
    primitive_set(probe.terminals or ["a", "b", "c"], probe.ops)
    client = dask_client(scheduler) if scheduler else None  # before anything is written
    try:
        out = make_out_dir(Path(out), [data_dir])
        ids = list(dict.fromkeys([b.id for b in sources] + [b.id for b in targets]))
        settings = {
            "gp": {k: gp_params[k] for k in sorted(gp_params)},
            "transfer": transfer,
            "common_terminals": common_terminals,
            "inputs": input_fingerprint(ids, data_dir),
        }
        prepare_out_dir(out, "evolve-proxy", settings)
        runs_dir = out / "runs"
        runs_dir.mkdir(parents=True, exist_ok=True)
        todo = [
            (bench, GPConfig(benchmark=bench.id, seed=seed, terminals=terminals, **gp_params),
             runs_dir / f"{bench.id.replace('/', '--')}--seed{seed}.json")
            for bench in sources for seed in range(base_seed, base_seed + seeds)
        ]  # fmt: skip
        missing = [t for t in todo if not t[2].exists()]  # finished runs are kept (resume)
        _run_missing(missing, n_jobs, client)
    finally:
        if client is not None:
            client.close()
    results = [EvolvedProxy.load(p) for _, _, p in todo]
    report = _evolve_report(out, results, targets, gp_params.get("sample", 50))
    summary = {
        "command": "evolve-proxy",
        **report,
        "runs_resumed": len(todo) - len(missing),
        "elapsed_seconds": time.perf_counter() - started,
    }
    write_json_atomic(out / "summary.json", summary)
    return summary


__all__ = ["ANALYSES", "analyze", "evolve_proxy"]


# -- the commands' settings -----------------------------------------------------------------
#: the GP's default operators
GP_OPS = ("add", "sub", "mul", "div", "log", "sqrt", "abs", "neg", "min", "max")


@dataclass
class AnalyzeConfig:
    """Every setting of ``analyze`` (CLI and API alike)."""

    analysis: str = setting(help="correlations, information or bias", argument=True)
    benchmark: str = setting(help="Ids, list or group.", flags=("--benchmark", "-b"))
    out: str = setting(help="Output folder.", flags=("--out", "-o"))
    bins: int = setting(8, "Equal-frequency bins (information).", low=2, high=256)
    seed: int = setting(0, "Base seed of every random choice.", low=0, high=MAX_SEED)
    proxy_table: str | None = file_setting(
        "CSV from `proxies compute`: computed proxies (lpz:FILE too) analysed with the table's."
    )
    data_dir: str | None = data_dir_setting()

    def run(self) -> dict:
        validate(self)
        return analyze(self.analysis, self.benchmark, Path(self.out), self.data_dir,
                       bins=self.bins, seed=self.seed, proxy_table=self.proxy_table)  # fmt: skip


def _given(value: int | None, default: int) -> int:
    """A setting's value, or the mode's default when it was not given (0 is a value)."""
    return default if value is None else value


@dataclass
class EvolveConfig:
    """Every setting of ``evolve-proxy`` (CLI and API alike). ``--from scores`` (default)
    combines a table's finished proxy scores (Phan & Luong); ``--from primitives`` is
    LPZero: expressions over primitive statistics of the networks themselves."""

    out: str = setting(help="Output folder.", flags=("--out", "-o"))
    benchmark: str | None = setting(
        None, "Task(s) to evolve on (--from primitives: a table whose networks NB201 builds).",
        flags=("--benchmark", "-b"), cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    source: str = setting(
        "scores", "What expressions combine: a table's proxy scores, or primitive statistics "
        "of the networks (LPZero; writes OUT/proxy.json).", flags=("--from",),
        choices=("scores", "primitives"),
    )  # fmt: skip
    seeds: int = setting(1, "Independent GP runs per task.", low=1, high=MAX_SEEDS)
    seed: int = setting(0, "Seed of the first run (then +1, ...).", low=0, high=MAX_SEED)
    sample: int | None = setting(
        None, "Labelled networks the search sees (default 50 from scores, 100 from "
        "primitives).", cli_type=Optional[int],  # noqa: UP045
    )  # fmt: skip
    population: int | None = setting(
        None, "Population size (default 200 from scores, 80 from primitives: LPZero's).",
        cli_type=Optional[int],  # noqa: UP045
    )  # fmt: skip
    generations: int = setting(30, "GP generations (--from scores).")
    iterations: int = setting(
        1000, "Steady-state iterations, one child each (--from primitives).", low=0,
        high=1_000_000,
    )  # fmt: skip
    metric: str = setting("spearman", "Fitness (--from primitives).",
                          choices=("spearman", "kendall"))  # fmt: skip
    holdout: int = setting(
        1000, "Networks never seen by the search that score the result (--from primitives).",
        low=0, high=1_000_000,
    )  # fmt: skip
    results: str | None = setting(
        None, "A nas results folder: its trained networks are the fitness set "
        "(--from primitives).", cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    model: str | None = setting(
        None, "package.module:function or file.py:function building the configurations of "
        "--results on your own space.", cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    batch: str | None = setting(
        None, "npz with images/labels or x/y for the primitives (else the run's data, else "
        "synthetic).", cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    batch_size: int = setting(16, "Rows of the primitives' batch.", low=2, high=100_000)
    max_bytes: int = setting(
        262_144, "Bytes of primitive samples kept per network (--from primitives).",
        low=64, high=2**34,
    )  # fmt: skip
    ops: list[str] = setting(
        help="Operators, comma separated (--from scores).", cli_type=str, from_cli=comma_list,
        default_factory=lambda: list(GP_OPS),
    )  # fmt: skip
    parsimony: float = setting(0.002, "Fitness cost per node (--from scores).")
    transfer: str = setting("nbsz", "Tasks for the transfer table (ids or group).")
    common_terminals: bool = setting(
        True, "Use only proxies every transfer task has (so the result applies to all).",
        flags=("--common-terminals/--task-terminals",),
    )  # fmt: skip
    scheduler: str | None = setting(
        None, "dask.distributed scheduler address (tcp://host:8786).",
        cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    data_dir: str | None = data_dir_setting()
    n_jobs: int = setting(
        1, "Parallel workers, each running one GP run (--from primitives: computing "
        "primitives) on one thread (-1: all cores).", flags=("--n-jobs", "-j"),
    )  # fmt: skip

    #: settings only one kind of search reads (a value given for the other is refused)
    ONLY = {
        "scores": ("seeds", "generations", "ops", "parsimony", "transfer", "common_terminals",
                   "scheduler"),
        "primitives": ("iterations", "metric", "holdout", "results", "model", "batch",
                       "batch_size", "max_bytes"),
    }  # fmt: skip

    def _refuse_unused(self) -> None:
        """A setting the chosen ``--from`` does not read, given anyway, is refused: it
        would otherwise be ignored in silence."""
        from dataclasses import fields

        defaults = {f.name: default_of(f) for f in fields(self)}
        for kind, names in self.ONLY.items():
            if kind == self.source:
                continue
            for name in names:
                if getattr(self, name) != defaults[name]:
                    flag = "--" + name.replace("_", "-")
                    raise BadInputError(flag, f"applies to --from {kind} only, not --from "
                                        f"{self.source}")  # fmt: skip

    def run(self) -> dict:
        validate(self)
        self._refuse_unused()
        if self.source == "primitives":
            from nas_surrogate.experiments.evolve_primitives import evolve_from_primitives

            primitives = replace(self, sample=_given(self.sample, 100),
                                 population=_given(self.population, 80))  # fmt: skip
            return evolve_from_primitives(primitives)
        if not self.benchmark:
            raise BadInputError("--benchmark", "name the task(s) to evolve on (-b TASK)")
        return evolve_proxy(
            self.benchmark, Path(self.out), self.data_dir, seeds=self.seeds,
            base_seed=self.seed, transfer=self.transfer,
            common_terminals=self.common_terminals, n_jobs=self.n_jobs,
            scheduler=self.scheduler, sample=_given(self.sample, 50),
            population=_given(self.population, 200), generations=self.generations,
            ops=list(self.ops), parsimony=self.parsimony,
        )  # fmt: skip


#: the old names, importable with a DeprecationWarning
__getattr__ = renamed(__name__, {"AnalyzeSettings": AnalyzeConfig, "EvolveSettings": EvolveConfig})
