"""An LPZero proxy as a surrogate feature and in search (experiments 2 and 3 of the
LPZero issue): one command.

    python benchmarks/lpzero_features.py [--data-dir ../shared/data/nbsz_full]
        [--lpz benchmarks/results/lpzero] [--seeds 10] [--md docs/lpzero_features.md]

Reads the expression that ``benchmarks/lpzero_nb201.py`` found with GP seed 0 (fixed in
advance) and its score on every network of the whole NB201 CIFAR-10 table but the 100
it was evolved on (``lpz_table.csv``, attached with ``--proxy-table``: those 100 networks
have no score and are median-imputed, so no test network's feature was chosen on its own
label). Then, on the same paired seeds:

2. predictors (``evaluate``): Kendall tau on every network not trained on, n = 100 and
   400, ``stack`` and ``xgb`` with ``graf+zc`` vs ``graf+zc+lpz:FILE``; mean +- std over
   seeds and paired wins;
3. search (``search``): bo with ``onehot+zc`` vs ``onehot+zc+lpz:FILE`` (and random),
   budget 100: best validation accuracy found, queries to the table's best network
   (median over seeds; the proxies' cost charged as recorded), paired wins.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def predictors(data_dir: str, table: str, lpz: str, seeds: int, out: Path) -> pd.DataFrame:
    from nas_surrogate.experiments.evaluate import EvaluateConfig, evaluate

    config = EvaluateConfig(
        benchmarks=["nasbench201/cifar10"], surrogates=["stack", "xgb"],
        features=["graf+zc", f"graf+zc+{lpz}"], train_sizes=[100, 400], seeds=seeds,
        data_dir=data_dir, proxy_table=table,
    )  # fmt: skip
    evaluate(config, out, n_jobs=2, progress=False)
    return pd.read_csv(out / "results.csv")


def searches(data_dir: str, table: str, lpz: str, seeds: int, out: Path) -> pd.DataFrame:
    from nas_surrogate.experiments.search import search
    from nas_surrogate.experiments.search_config import SearchConfig

    config = SearchConfig(
        benchmarks=["nasbench201/cifar10"], searchers=["bo", "random"],
        features=["onehot+zc", f"onehot+zc+{lpz}"], budget=100, seeds=seeds,
        data_dir=data_dir, proxy_table=table,
    )  # fmt: skip
    search(config, out, n_jobs=2, progress=False)
    return pd.read_csv(out / "results.csv")


def predictor_lines(r: pd.DataFrame, lpz: str) -> list[str]:
    lines = ["| surrogate | n | graf+zc | graf+zc+lpz | lpz ahead (paired seeds) |",
             "|---|---|---|---|---|"]  # fmt: skip
    for (surrogate, n), g in r.groupby(["surrogate", "train_size"]):
        base = g[g.features == "graf+zc"].set_index("seed").kendall_tau
        plus = g[g.features == f"graf+zc+{lpz}"].set_index("seed").kendall_tau
        wins = int((plus > base).sum())
        lines.append(f"| {surrogate} | {n} | {base.mean():.3f} ± {base.std():.3f} | "
                     f"{plus.mean():.3f} ± {plus.std():.3f} | {wins} of {len(base)} |")  # fmt: skip
    return lines


def search_lines(r: pd.DataFrame, lpz: str, optimum: float) -> list[str]:
    lines = ["| searcher | features | best at 100 (median) | reached the optimum | "
             "queries to it (median of those) |", "|---|---|---|---|---|"]  # fmt: skip
    finals = {}
    for (searcher, features), g in r.groupby(["searcher", "features"], sort=False):
        best = g.groupby("seed").best_val_accuracy.max()
        hit = g[g.val_accuracy >= optimum].groupby("seed").step.min()
        finals[(searcher, features)] = best
        q = f"{hit.median():.0f}" if len(hit) else "-"
        name = features.replace(lpz, "lpz") if features.endswith(lpz) else features
        lines.append(f"| {searcher} | {name} | {best.median():.2f} | {len(hit)} of "
                     f"{best.size} | {q} |")  # fmt: skip
    a, b = finals.get(("bo", f"onehot+zc+{lpz}")), finals.get(("bo", "onehot+zc"))
    if a is not None and b is not None:
        tally = f"{(a > b).sum()} / {(a == b).sum()} / {(a < b).sum()} of {len(a)}"
        lines += ["", f"bo with the lpz column ahead / tied / behind in {tally} paired seeds "
                  "(best at 100)."]  # fmt: skip
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default="../shared/data/nbsz_full")
    ap.add_argument("--lpz", default="benchmarks/results/lpzero")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--md", default="docs/lpzero_features.md")
    args = ap.parse_args()
    from nas_surrogate.benchmarks import load_benchmark

    data_dir = str(Path(args.data_dir).resolve())
    table = str(Path(args.lpz) / "lpz_table.csv")
    lpz = f"lpz:{Path(args.lpz) / 'proxy.json'}"
    out = HERE / "out" / "lpzero_features"
    t = time.perf_counter()
    pred = predictors(data_dir, table, lpz, args.seeds, out / "evaluate")
    t_pred = time.perf_counter() - t
    t = time.perf_counter()
    srch = searches(data_dir, table, lpz, args.seeds, out / "search")
    t_search = time.perf_counter() - t
    optimum = float(np.nanmax(load_benchmark("nasbench201/cifar10", data_dir).val_accuracy))
    lines = [
        "# An LPZero proxy as a predictor feature and in search (whole NB201 CIFAR-10)", "",
        f"Printed by `python benchmarks/lpzero_features.py --data-dir DATA/nbsz_full` on "
        f"{platform.platform()}, {os.cpu_count()} CPUs, {datetime.date.today().isoformat()} "
        f"(predictors {t_pred:.0f} s, search {t_search:.0f} s). The proxy: `{lpz}`, found by "
        "GP seed 0 of `benchmarks/lpzero_nb201.py` on 100 networks; its column "
        "(`lpz_table.csv`) leaves those 100 networks unscored (median-imputed).", "",
        "## Predictors: Kendall tau on every network not trained on "
        f"({args.seeds} paired seeds)", "",
        *predictor_lines(pred, lpz), "",
        f"## Search: budget 100, {args.seeds} paired seeds (optimum {optimum:.2f} %)", "",
        *search_lines(srch, lpz, optimum),
    ]  # fmt: skip
    Path(args.md).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
