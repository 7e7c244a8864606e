"""Search experiments: run searchers against tabular ground truth over many seeds.

A unit is one (benchmark, searcher, surrogate, features, seed) run; it writes one row
per query to ``results.csv`` (the full trajectory), all at once when the run finishes,
so a killed grid keeps every finished seed and reruns only the missing ones. Every
random choice of a run flows from a generator seeded by (base seed, seed, benchmark),
so the numbers are identical for any ``n_jobs``.
"""

from __future__ import annotations

import math
import time
import zlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from nas_surrogate.benchmarks import Benchmark, load_benchmark
from nas_surrogate.config import check_seeds
from nas_surrogate.encodings import build_features, default_spec, parse_feature_spec
from nas_surrogate.errors import BadInputError
from nas_surrogate.experiments.search_config import (
    ACQUISITION_OF,
    SearchConfig,
    objective_sources,
)
from nas_surrogate.experiments.search_objectives import (
    check_searchers,
    is_multi,
    parsed,
    step_rows,
    summary_entry,
)
from nas_surrogate.experiments.search_objectives import comparison_table as objective_table
from nas_surrogate.objectives import ObjectiveView
from nas_surrogate.proxy_names import ProxySource
from nas_surrogate.searchers import (
    SearcherSpec,
    SearchProblem,
    check_budget,
    make_searcher,
)
from nas_surrogate.searchers.problem import distinct_networks
from nas_surrogate.surrogates import (
    SurrogateSpec,
    check_features,
    check_params,
    fixed_features,
)

KEY_COLUMNS = ("benchmark", "searcher", "surrogate", "features", "seed")
#: the surrogate and features of a searcher that uses neither (a results-table value)
NONE = "-"
DEFAULT_SURROGATE = "ensemble"


@dataclass(frozen=True)
class SearchUnit:
    benchmark: str
    searcher: str
    surrogate: str
    features: str
    seed: int


def read_proxy_costs(path: str) -> dict[str, float]:
    """``--proxy-costs FILE``: {proxy: seconds per architecture}, validated."""
    import math

    from nas_surrogate.config import load_yaml
    from nas_surrogate.proxy_names import PROXY_NAMES

    costs = {}
    for name, value in load_yaml(Path(path)).items():
        if name not in PROXY_NAMES:
            raise BadInputError(f"{path}: {name}", f"unknown proxy (use {', '.join(PROXY_NAMES)})")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < 0:
            raise BadInputError(f"{path}: {name}", f"expected seconds >= 0, got {value!r}")
        costs[name] = float(value)
    return costs


def _costs_key(proxy_costs: str | None) -> tuple[str, tuple[tuple[str, float], ...]] | None:
    """The costs file as a cache key: read on every call (it is tiny), so the cached
    table is keyed by the file's content, not its path."""
    if not proxy_costs:
        return None
    return (proxy_costs, tuple(sorted(read_proxy_costs(proxy_costs).items())))


def _benchmark(
    bench_id: str,
    data_dir: str | None,
    proxy_table: str | None = None,
    proxy_costs: str | None = None,
    objective_data: tuple[str, ...] = (),
) -> Benchmark:
    """The searchable table."""
    costs = _costs_key(proxy_costs)
    return _cached_benchmark(bench_id, data_dir, proxy_table, costs, objective_data)[0]


def _with_notes(bench_id: str, config: SearchConfig) -> tuple[Benchmark, list[str]]:
    """The run's table and the notes on objective tables that could not be placed."""
    sources = tuple(
        dict.fromkeys(s for f in config.features for s in parse_feature_spec(f).sources)
    )
    return _cached_benchmark(
        bench_id, config.data_dir, config.proxy_table, _costs_key(config.proxy_costs),
        objective_sources(config), sources,
    )  # fmt: skip


def _config_benchmark(bench_id: str, config: SearchConfig) -> Benchmark:
    return _with_notes(bench_id, config)[0]


def objective_view(bench_id: str, config: SearchConfig) -> ObjectiveView | None:
    """The run's objectives on one benchmark (None for a plain accuracy search); every
    name, table and constraint is checked here, before any work."""
    if not is_multi(config.objectives, config.constraints):
        return None
    bench, notes = _with_notes(bench_id, config)
    return SearchProblem(bench, **parsed_objectives(config), objective_notes=notes).view


def parsed_objectives(config: SearchConfig) -> dict:
    objs, cons = parsed(config.objectives, config.constraints)
    return {"objectives": objs, "constraints": cons}


@lru_cache(maxsize=32)
def _cached_benchmark(
    bench_id: str,
    data_dir: str | None,
    proxy_table: str | None,
    costs: tuple[str, tuple[tuple[str, float], ...]] | None,
    objective_data: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
) -> tuple[Benchmark, list[str]]:
    from nas_surrogate.benchmarks.transfer import attach_sources

    bench = attach_sources(_plain_benchmark(bench_id, data_dir, proxy_table, costs), sources,
                           data_dir)  # fmt: skip
    if not objective_data:
        return bench, []
    from nas_surrogate.objectives import attach_tables

    # files named by --objective-data must be tables of this space; the data dir is scanned
    return attach_tables(bench, list(objective_data), explicit=objective_data != (data_dir,))


def _plain_benchmark(
    bench_id: str,
    data_dir: str | None,
    proxy_table: str | None,
    costs: tuple[str, tuple[tuple[str, float], ...]] | None,
) -> Benchmark:
    bench = load_benchmark(bench_id, data_dir)
    if proxy_table:
        from nas_surrogate.benchmarks.computed import attach_proxy_table

        bench = attach_proxy_table(bench, proxy_table)
    if costs is not None:
        from nas_surrogate.proxy_names import with_proxy_costs

        bench = with_proxy_costs(bench, dict(costs[1]), f"--proxy-costs {costs[0]}")
    return distinct_networks(bench)


def _variants(
    config: SearchConfig, surrogate: str, features: list[str]
) -> list[tuple[str, str, str]]:
    """(searcher, surrogate, features) of every run of a seed: a surrogate searcher once
    per feature spec (a baseline surrogate with its own columns), the others once."""
    base = SurrogateSpec.parse(surrogate).name
    variants: list[tuple[str, str, str]] = []
    for name in config.searchers:
        searcher = SearcherSpec.parse(name)
        guided = {"surrogate": surrogate, "surrogate_params": config.surrogate_params.get(base, {})}
        make_searcher(  # checks every parameter (and the surrogate, where one guides it)
            name, **(guided if searcher.uses_surrogate else {}),
            **config.searcher_params.get(searcher.name, {}),
        )  # fmt: skip
        if not searcher.uses_surrogate:
            variants.append((name, NONE, NONE))
            continue
        fixed = fixed_features(surrogate)
        if fixed is None:
            variants += [(name, surrogate, spec) for spec in features]
            continue
        if config.features not in ([fixed], ["enc"], []):  # a baseline reads its own columns
            raise BadInputError(
                f"--surrogate {surrogate}",
                f"scores its own columns ({fixed}); drop --features or pass -f {fixed}",
            )
        variants.append((name, surrogate, fixed))
    return variants


def _check_warmup(zc_warmup: str, bench: Benchmark) -> None:
    """``--zc-warmup`` names ``vote``, a proxy of ``bench`` or an evolved file that
    scores it."""
    if not bench.proxy_names:
        raise BadInputError(f"--zc-warmup {zc_warmup}", f"{bench.id} has no proxies")
    source = ProxySource.parse(zc_warmup)
    if source.evolved_file:
        from nas_surrogate.proxies.evolved import EvolvedProxy

        EvolvedProxy.load(source.evolved_file).score(bench)
    elif source.kind == "proxy" and source.name not in bench.proxy_names:
        raise BadInputError(
            f"--zc-warmup {zc_warmup!r}",
            f"not a proxy of {bench.id} (use vote or {', '.join(bench.proxy_names)})",
        )


def plan_units(config: SearchConfig) -> list[SearchUnit]:
    """Every unit of the grid (benchmark x variant x seed), after every setting is checked
    against every benchmark, before any work."""
    if config.budget < 1:
        raise BadInputError("--budget", f"must be >= 1, got {config.budget}")
    check_seeds(config.seeds, config.base_seed)
    surrogate = config.surrogate or DEFAULT_SURROGATE
    check_params(surrogate, config.surrogate_params.get(SurrogateSpec.parse(surrogate).name, {}))
    for spec in config.features:
        parse_feature_spec(spec)
    _variants(config, surrogate, config.features)  # searcher settings, before any file
    units = []
    parsed(config.objectives, config.constraints)  # syntax first, before any file is read
    for bench_id in config.benchmarks:
        bench = _config_benchmark(bench_id, config)
        variants = _variants(config, surrogate, config.features or [default_spec(bench)])
        view = objective_view(bench_id, config)
        if view is not None:
            check_searchers([name for name, _, _ in variants], view)
        for _, surrogate_name, spec in variants:
            if spec != NONE:  # raises if the spec cannot encode this space or not suit
                params = config.surrogate_params.get(SurrogateSpec.parse(surrogate_name).name)
                check_features(surrogate_name, build_features(spec, bench), params)
        if config.zc_warmup:
            _check_warmup(config.zc_warmup, bench)
        for seed in range(config.seeds):
            units += [SearchUnit(bench_id, s, m, f, seed) for s, m, f in variants]
    for name in config.searchers:  # last: every other setting has been checked
        params = config.searcher_params.get(SearcherSpec.parse(name).name, {})
        check_budget(name, params, config.budget)
    return units


def _rng(config: SearchConfig, unit: SearchUnit) -> np.random.Generator:
    """Seeded by (base seed, seed, benchmark) only: every searcher variant of a seed
    starts from the same random draws (bo's initial sample is evolution's first
    population members), so comparisons between variants are paired."""
    return np.random.default_rng([config.base_seed, unit.seed, zlib.crc32(unit.benchmark.encode())])


def run_unit(unit: SearchUnit, config: SearchConfig) -> list[dict]:
    bench = _config_benchmark(unit.benchmark, config)
    multi = is_multi(config.objectives, config.constraints)
    problem = SearchProblem(
        bench,
        budget=config.budget,
        train_seconds=config.train_seconds,
        features=None if unit.features == NONE else unit.features,
        **(parsed_objectives(config) if multi else {}),
    )
    base_name = SearcherSpec.parse(unit.searcher).name
    params = dict(config.searcher_params.get(base_name, {}))
    if base_name == ACQUISITION_OF:
        params.setdefault("acquisition", config.acquisition)
    searcher = make_searcher(
        unit.searcher,
        surrogate=None if unit.surrogate == NONE else unit.surrogate,
        surrogate_params=config.surrogate_params.get(SurrogateSpec.parse(unit.surrogate).name, {}),
        zc_warmup=config.zc_warmup,
        warmup_pool=config.warmup_pool,
        **params,
    )
    t0 = time.perf_counter()
    searcher.run(problem, _rng(config, unit))
    wall = time.perf_counter() - t0
    ids, _ = problem.history()
    rows = problem.row_of(ids)
    values = problem.bench.val_accuracy[rows]  # the table's accuracy, an objective or not
    best = np.maximum.accumulate(values)
    test = problem.bench.test_accuracy
    archs = problem.bench.archs
    extra = [{}] * len(ids)
    if problem.view is not None:
        extra = step_rows(problem.view, ids, problem.evaluated_history()[1])
    return [
        {
            **asdict(unit),
            "step": step + 1,
            "arch": bench.space.format(archs[row]),
            "cell": bench.space.format(problem.cells[ids[step]]),
            "val_accuracy": float(values[step]),
            "best_val_accuracy": float(best[step]),
            "test_accuracy": float(test[row]) if test is not None else float("nan"),
            "sim_seconds": float(problem.trajectory.seconds[step]),
            "wall_seconds": wall,
            **extra[step],
        }
        for step, row in enumerate(rows)
    ]


# -- summaries -------------------------------------------------------------------------
def checkpoints(budget: int) -> list[int]:
    return sorted({b for b in (10, 25, 50, 100, 200, 300, 500, 1000) if b < budget} | {budget})


def _first_reach(best: np.ndarray, threshold: float) -> float:
    hit = np.flatnonzero(best >= threshold - 1e-12)
    return float(hit[0] + 1) if len(hit) else math.inf


def summarize(results: pd.DataFrame, config: SearchConfig, views: dict | None = None) -> list[dict]:
    """Per (benchmark, searcher variant): the search figures over seeds; ``views``: each
    benchmark's ``objective_view`` when the caller has built them (made here otherwise)."""
    if views is None:
        views = {b: objective_view(b, config) for b in results.benchmark.unique()}
    out = []
    for (bench_id, searcher, surrogate, spec), g in results.groupby(
        ["benchmark", "searcher", "surrogate", "features"], sort=False
    ):
        bench = _config_benchmark(bench_id, config)
        vals = np.sort(bench.val_accuracy)[::-1]
        optimum = float(vals[0])
        top = float(vals[max(1, math.ceil(0.001 * len(vals))) - 1])
        curves = {s: c.sort_values("step") for s, c in g.groupby("seed")}
        entry: dict = {
            "benchmark": bench_id,
            "searcher": searcher,
            "surrogate": surrogate,
            "features": spec,
            "n_seeds": len(curves),
            "optimum": optimum,
            "top_0.1%_threshold": top,
            "proxy_costs": bench.cost_source,  # where the charged proxy seconds come from
        }
        for b in checkpoints(config.budget):
            at = [c.best_val_accuracy.to_numpy()[:b][-1] for c in curves.values()]
            q25, q50, q75 = np.percentile(at, [25, 50, 75])
            entry[f"best_at_{b}"] = {"median": q50, "q25": q25, "q75": q75}
        for label, threshold in (("best", optimum), ("top_0.1%", top)):
            reach = [
                _first_reach(c.best_val_accuracy.to_numpy(), threshold) for c in curves.values()
            ]
            median = float(np.median(reach))
            entry[f"queries_to_{label}"] = {
                "median": median if math.isfinite(median) else None,
                "reached": float(np.mean(np.isfinite(reach))),
            }
        final = np.array([c.best_val_accuracy.iloc[-1] for c in curves.values()])
        entry["final_regret"] = {
            "median": float(np.median(optimum - final)),
            "q25": float(np.percentile(optimum - final, 25)),
            "q75": float(np.percentile(optimum - final, 75)),
        }
        entry["queries_median"] = float(np.median([len(c) for c in curves.values()]))
        entry["sim_hours_median"] = float(
            np.median([c.sim_seconds.iloc[-1] for c in curves.values()]) / 3600
        )
        entry["wall_seconds_per_seed"] = float(
            np.mean([c.wall_seconds.iloc[0] for c in curves.values()])
        )
        if bench.test_accuracy is not None:
            finals = [c.loc[c.val_accuracy.idxmax(), "test_accuracy"] for c in curves.values()]
            entry["test_accuracy_of_best_median"] = float(np.median(finals))
        entry["exhausted"] = bool(entry["queries_median"] < config.budget)
        view = views.get(bench_id)
        if view is not None:
            entry.update(summary_entry(view, curves, checkpoints(config.budget)))
        out.append(entry)
    return out


def label(entry: dict | pd.Series) -> str:
    if entry["surrogate"] == NONE:
        return str(entry["searcher"])
    return f"{entry['searcher']} ({entry['surrogate']}, {entry['features']})"


def comparison_table(summary: list[dict], budget: int) -> str:
    marks = [b for b in checkpoints(budget) if b in (25, 50, 100, 300) or b == budget]
    header = ["benchmark", "searcher", *[f"best@{b} median [IQR]" for b in marks],
              "queries to best (reached)", "regret", "sim h"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for e in summary:
        q = e["queries_to_best"]
        qtxt = f"{q['median']:.0f}" if q["median"] is not None else "-"
        cells = [e["benchmark"], label(e)]
        for b in marks:
            s = e[f"best_at_{b}"]
            cells.append(f"{s['median']:.2f} [{s['q25']:.2f}, {s['q75']:.2f}]")
        cells += [f"{qtxt} ({100 * q['reached']:.0f}%)", f"{e['final_regret']['median']:.3f}",
                  f"{e['sim_hours_median']:.0f}"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def search(
    config: SearchConfig,
    out: Path,
    n_jobs: int = 1,
    progress: bool = True,
    scheduler: str | None = None,
) -> dict:
    """Run (or resume) a search grid into ``out``; return the summary."""
    from nas_surrogate import plots
    from nas_surrogate.experiments.runner import run_grid
    from nas_surrogate.io import write_json_atomic, write_text_atomic

    out = Path(out)
    head, results = run_grid(
        "search", config, plan_units, run_unit, out, KEY_COLUMNS,
        lambda c: [c.data_dir, *objective_sources(c)],
        n_jobs=n_jobs, progress=progress, scheduler=scheduler,
    )  # fmt: skip
    results = results.sort_values([*KEY_COLUMNS, "step"]).reset_index(drop=True)
    # one objective view per benchmark (a true front over 15,625 cells) for the summary
    # and the plots; plan_units built and checked its own before any work
    views = {b: objective_view(b, config) for b in config.benchmarks}
    table = summarize(results, config, views)
    summary = {**head, "searchers": table}
    if config.proxy_table:
        from nas_surrogate.benchmarks.computed import proxy_table_coverage

        summary["proxy_table_coverage"] = {
            b: proxy_table_coverage(_config_benchmark(b, config), config.proxy_table)
            for b in config.benchmarks
        }
    write_json_atomic(out / "summary.json", summary)
    if is_multi(config.objectives, config.constraints):
        marks = [b for b in checkpoints(config.budget) if b in (25, 50, 100, 300)]
        marks = sorted(set(marks) | {config.budget})
        write_text_atomic(out / "results.md", objective_table(table, marks, label))
        plots.objective_curves(results, out / "plots", label)
        plots.found_fronts(results, views, out / "plots", label)
    else:
        write_text_atomic(out / "results.md", comparison_table(table, config.budget))
        plots.search_curves(results, out / "plots", label)
    return summary
