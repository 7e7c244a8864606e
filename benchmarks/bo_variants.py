"""Which bo variant wins on the whole NB201 table: candidates and queries per fit.

    python benchmarks/bo_variants.py --data-dir ../shared/data/nbsz_full [--seeds 5]

bo on onehot+zc (5-member XGBoost ensemble, Thompson sampling), budget 300, with
candidates from mutations of the top 10 plus 50 random (``mutation``) or every
unqueried network (``all``), and 1, 5 or 10 queries per surrogate fit (``batch``). Prints
mean best at 100 queries, seeds reaching the optimum, median queries to it, and seconds
per run on one core.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from nas_surrogate import load_benchmark
from nas_surrogate.searchers import SearchProblem, make_searcher

VARIANTS = [
    {"candidates": "mutation", "batch": 1},
    {"candidates": "all", "batch": 1},
    {"candidates": "mutation", "batch": 5},
    {"candidates": "all", "batch": 5},
    {"candidates": "mutation", "batch": 10},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz_full")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    bench = load_benchmark("nasbench201/cifar10", str(Path(args.data_dir).resolve()))
    optimum = bench.val_accuracy.max()
    print(f"{platform.machine()}, {os.cpu_count()} cores, one thread; {args.seeds} seeds")
    print("| candidates | batch | best@100 mean | optimum reached | median queries | s/run |")
    print("|---|---|---|---|---|---|")
    for params in VARIANTS:
        best100, first, seconds = [], [], []
        for seed in range(args.seeds):
            problem = SearchProblem(bench, budget=300, features="onehot+zc")
            t = time.perf_counter()
            with threadpool_limits(1):
                make_searcher("bo", surrogate="ensemble", **params).run(
                    problem, np.random.default_rng(seed)
                )
            seconds.append(time.perf_counter() - t)
            best = np.maximum.accumulate(problem.history()[1])
            best100.append(best[99])
            hit = np.flatnonzero(best >= optimum)
            first.append(hit[0] + 1 if len(hit) else np.inf)
        reached = int(np.isfinite(first).sum())
        med = np.median(first)
        print(f"| {params['candidates']} | {params['batch']} | {np.mean(best100):.2f} | "
              f"{reached}/{args.seeds} | {'> 300' if not np.isfinite(med) else f'{med:.0f}'} "
              f"| {np.mean(seconds):.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
