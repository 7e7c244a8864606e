"""Predictor-quality evaluation: how well does a surrogate rank architectures, with which
features, from how many trained architectures?

Protocol, per (benchmark, train size, seed): the evaluation pool is shuffled with a
generator seeded by (base seed, seed, benchmark); the first ``n`` archs train, and the
test set is all remaining pool archs (or the last ``test_size`` of the shuffle, the same
for every ``n``). Every surrogate and feature set of a seed sees the same split, so
comparisons between them are paired. Preprocessing (ZC imputation / quantiles) is fit on
the training rows only. Nothing is tuned or selected on the test rows.

The pool is every row of the benchmark whose proxies are mostly present (at least half
of the task's proxies scored): on TransNAS micro that is the 711 archs of the main file,
not the 3,385 zen-only ones; elsewhere it is (nearly) every row. ``pool="all"`` uses
every row.

Each (benchmark, surrogate, features, train size, seed) is one unit: a row of
``results.csv``. Units run in parallel with joblib; every random choice inside a unit
flows from its own seed, so numbers are identical for any ``n_jobs``.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from nas_surrogate.benchmarks import Benchmark, load_benchmark
from nas_surrogate.config import check_seeds
from nas_surrogate.encodings import (
    build_features,
    check_usable,
    make_preprocessor,
    parse_feature_spec,
)
from nas_surrogate.encodings.features import Features
from nas_surrogate.errors import BadInputError
from nas_surrogate.experiments.evaluate_config import EvaluateConfig
from nas_surrogate.metrics import METRICS, prediction_metrics
from nas_surrogate.surrogates import (
    Predictor,
    SurrogateSpec,
    check_features,
    check_params,
    fixed_features,
    make_surrogate,
)

KEY_COLUMNS = ("benchmark", "surrogate", "features", "train_size", "seed")
#: NAS-Bench-Suite-Zero's add-one order starts synflow, plain, l2_norm; the remaining
#: proxies follow in the order of PROXY_NAMES.
ADD_ONE_ORDER = ("synflow", "plain", "l2_norm")


@dataclass(frozen=True)
class Unit:
    benchmark: str
    surrogate: str
    features: str
    train_size: int
    seed: int


# -- data, cached per process (pure functions of their arguments) ----------------------
@lru_cache(maxsize=32)
def _benchmark(bench_id: str, data_dir: str | None, proxy_table: str | None = None) -> Benchmark:
    bench = load_benchmark(bench_id, data_dir)
    if proxy_table:
        from nas_surrogate.benchmarks.computed import attach_proxy_table

        bench = attach_proxy_table(bench, proxy_table)
    return bench


@lru_cache(maxsize=128)
def _features(
    bench_id: str, data_dir: str | None, spec: str, proxy_table: str | None = None
) -> Features:
    from nas_surrogate.benchmarks.transfer import attach_sources

    bench = _benchmark(bench_id, data_dir, proxy_table)
    return build_features(spec, attach_sources(bench, parse_feature_spec(spec).sources, data_dir))


@lru_cache(maxsize=32)
def evaluation_pool(
    bench_id: str, data_dir: str | None, pool: str, proxy_table: str | None = None
) -> np.ndarray:
    bench = _benchmark(bench_id, data_dir, proxy_table)
    if pool == "all" or not bench.proxy_names:
        return np.arange(bench.n_archs)
    return bench.scored_rows()


def split(
    pool: np.ndarray,
    bench_id: str,
    train_size: int,
    seed: int,
    base_seed: int,
    test_size: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([base_seed, seed, zlib.crc32(bench_id.encode())])
    perm = pool[rng.permutation(len(pool))]
    test = perm[len(perm) - test_size :] if test_size else perm[train_size:]
    return perm[:train_size], test


def unit_random_state(base_seed: int, seed: int) -> int:
    return int(np.random.SeedSequence([base_seed, seed]).generate_state(1)[0] % (2**31 - 1))


# -- planning: every check happens before any work -------------------------------------
def _ablation_specs(base: str, proxies: tuple[str, ...], ablate: str) -> list[str]:
    if ablate == "add-one":
        order = [p for p in ADD_ONE_ORDER if p in proxies]
        order += [p for p in proxies if p not in order]
        return [base] + [f"{base}+zc:{','.join(order[: i + 1])}" for i in range(len(order))]
    full = f"{base}+zc"
    return [full] + [f"{base}+zc:{','.join(p for p in proxies if p != drop)}" for drop in proxies]


def plan_units(config: EvaluateConfig) -> list[Unit]:
    """Validate the whole grid and list its units (benchmark-major, then seed)."""
    check_seeds(config.seeds, config.base_seed)
    if config.metric not in METRICS:
        raise BadInputError("--metric", f"unknown metric {config.metric!r} ({', '.join(METRICS)})")
    if not config.train_sizes or min(config.train_sizes) < 3:
        raise BadInputError("--train-size", f"each size must be >= 3, got {config.train_sizes}")
    if config.test_size is not None and config.test_size < 1:
        raise BadInputError("--test-size", f"must be >= 1, got {config.test_size}")
    for name in config.surrogates:
        check_params(name, config.surrogate_params.get(SurrogateSpec.parse(name).name, {}))
    for surrogate_name in config.surrogate_params:
        if surrogate_name not in {SurrogateSpec.parse(s).name for s in config.surrogates}:
            raise BadInputError(
                f"surrogate_params {surrogate_name!r}", "names no surrogate of this run"
            )
    for spec in config.features:
        parse_feature_spec(spec)

    units: list[Unit] = []
    for bench_id in config.benchmarks:
        bench = _benchmark(bench_id, config.data_dir, config.proxy_table)
        pool = evaluation_pool(bench_id, config.data_dir, config.pool, config.proxy_table)
        n_test_max = len(pool) - max(config.train_sizes)
        need = config.test_size or 1
        if n_test_max < need:
            raise BadInputError(
                f"--train-size {max(config.train_sizes)}",
                f"leaves {max(n_test_max, 0)} test archs on {bench_id} (pool of {len(pool)}; "
                f"need >= {need})",
            )
        specs = list(config.features)
        if config.ablate != "none":
            specs = [
                s
                for base in config.features
                for s in _ablation_specs(base, bench.proxy_names, config.ablate)
            ]
        pairs: list[tuple[str, str]] = []
        for surrogate in config.surrogates:
            fixed = fixed_features(surrogate)
            for spec in [fixed] if fixed else specs:
                if (surrogate, spec) not in pairs:
                    pairs.append((surrogate, spec))
        for spec in {spec for _, spec in pairs}:
            check_usable(_features(bench_id, config.data_dir, spec, config.proxy_table), pool)
        for surrogate, spec in pairs:
            feats = _features(bench_id, config.data_dir, spec, config.proxy_table)
            params = config.surrogate_params.get(SurrogateSpec.parse(surrogate).name, {})
            check_features(surrogate, feats, params)
        for n in config.train_sizes:
            for seed in range(config.seeds):
                units += [Unit(bench_id, s, spec, n, seed) for s, spec in pairs]
    return units


# -- one unit of work ------------------------------------------------------------------
def run_unit(unit: Unit, config: EvaluateConfig) -> dict:
    bench = _benchmark(unit.benchmark, config.data_dir, config.proxy_table)
    feats = _features(unit.benchmark, config.data_dir, unit.features, config.proxy_table)
    pool = evaluation_pool(unit.benchmark, config.data_dir, config.pool, config.proxy_table)
    train, test = split(
        pool, unit.benchmark, unit.train_size, unit.seed, config.base_seed, config.test_size
    )
    params = dict(config.surrogate_params.get(SurrogateSpec.parse(unit.surrogate).name, {}))
    surrogate = make_surrogate(
        unit.surrogate, random_state=unit_random_state(config.base_seed, unit.seed),
        features=feats, **params,
    )  # fmt: skip
    predictor = Predictor(make_preprocessor(feats, config.zc_transform), surrogate)
    y = bench.val_accuracy
    t0 = time.perf_counter()
    predictor.fit(feats.X[train], y[train])
    t1 = time.perf_counter()
    pred = predictor.predict(feats.X[test])
    t2 = time.perf_counter()
    return {
        **asdict(unit),
        **prediction_metrics(y[test], pred),
        "n_test": len(test),
        "n_features": feats.X.shape[1],
        "fit_seconds": t1 - t0,
        "predict_seconds": t2 - t1,
        # what a selecting surrogate (auto) picked on the training rows; "" otherwise
        "chosen": getattr(predictor.surrogate_, "chosen_", ""),
    }


# -- summaries -------------------------------------------------------------------------
def summarize(results: pd.DataFrame, metric: str = "kendall_tau") -> dict:
    """Mean and std over seeds per setting, and the relative gain of enc+ZC over enc."""
    group = ["benchmark", "surrogate", "features", "train_size"]
    agg = results.groupby(group, sort=True)
    numeric = [*METRICS, "fit_seconds", "predict_seconds"]
    mean = agg[numeric].mean()
    std = agg[numeric].std(ddof=1)
    settings = []
    for key, row in mean.iterrows():
        entry = dict(zip(group, key))
        entry["train_size"] = int(entry["train_size"])
        entry["n_seeds"] = int(agg.size().loc[key])
        for col in numeric:
            entry[f"{col}_mean"] = float(row[col])
            entry[f"{col}_std"] = float(std.loc[key, col])
        settings.append(entry)

    gains = []
    by_key = {(s["benchmark"], s["surrogate"], s["features"], s["train_size"]): s for s in settings}
    for (bench_id, surrogate, spec, n), s in by_key.items():
        parsed = parse_feature_spec(spec)
        if parsed.uses_zc or not parsed.encodings:
            continue
        with_zc = by_key.get((bench_id, surrogate, f"{spec}+zc", n))
        if with_zc is None:
            continue
        base_value, zc_value = s[f"{metric}_mean"], with_zc[f"{metric}_mean"]
        gains.append(
            {
                "benchmark": bench_id,
                "surrogate": surrogate,
                "train_size": n,
                "features": spec,
                metric: base_value,
                f"{metric}_with_zc": zc_value,
                "relative_gain": (zc_value - base_value) / abs(base_value)
                if base_value
                else float("nan"),
            }
        )
    return {"metric": metric, "settings": settings, "zc_gain": gains}


def markdown_table(results: pd.DataFrame, metric: str = "kendall_tau") -> str:
    """Mean ± std of ``metric`` over seeds; one row per setting, one column per size."""
    agg = results.groupby(["benchmark", "surrogate", "features", "train_size"])[metric]
    cells = agg.mean().map("{:.3f}".format) + " ± " + agg.std(ddof=1).map("{:.3f}".format)
    table = cells.unstack("train_size")
    table.columns = [f"n={c}" for c in table.columns]
    table = table.reset_index()
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(str(v) for v in r) + " |" for r in table.itertuples(index=False)]
    return "\n".join([f"{metric}: mean ± std over seeds", "", header, rule, *rows]) + "\n"


# -- the command -----------------------------------------------------------------------
def heatmap_size(train_sizes: list[int]) -> int:
    """The train size the task heatmap shows: 100 if run, else the largest <= 100."""
    small = [n for n in train_sizes if n <= 100]
    return max(small) if small else min(train_sizes)


def evaluate(
    config: EvaluateConfig,
    out: Path,
    n_jobs: int = 1,
    progress: bool = True,
    scheduler: str | None = None,
) -> dict:
    """Run (or resume) an evaluation grid into ``out``; return the summary."""
    from nas_surrogate import plots
    from nas_surrogate.experiments.runner import run_grid
    from nas_surrogate.io import write_json_atomic, write_text_atomic

    out = Path(out)
    head, results = run_grid(
        "evaluate", config, plan_units, run_unit, out, KEY_COLUMNS, lambda c: [c.data_dir],
        n_jobs=n_jobs, progress=progress, scheduler=scheduler,
    )  # fmt: skip
    summary = {**head, "n_jobs": n_jobs, **summarize(results, config.metric)}
    if config.proxy_table:
        from nas_surrogate.benchmarks.computed import proxy_table_coverage

        summary["proxy_table_coverage"] = {
            b: proxy_table_coverage(_benchmark(b, config.data_dir, config.proxy_table),
                                    config.proxy_table)
            for b in config.benchmarks
        }  # fmt: skip
    write_json_atomic(out / "summary.json", summary)
    write_text_atomic(out / "results.md", markdown_table(results, config.metric))
    plots.metric_vs_train_size(results, config.metric, out / "plots")
    if len(config.benchmarks) > 1:
        plots.task_heatmap(results, config.metric, heatmap_size(config.train_sizes), out / "plots")
    return summary
