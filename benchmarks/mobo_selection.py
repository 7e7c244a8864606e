"""How ``mobo``'s default was chosen: its acquisitions and settings on a *selection*
task that is not the one the README reports (the 725-cell NB-Suite-Zero
ImageNet16-120 table with HW-NAS-Bench's ImageNet16-120 latencies), 50 queries.

    python benchmarks/mobo_selection.py --data-dir ../shared/data/nbsz \\
        --objective-data ../shared/data/hw_nasbench201 [--seeds 8]

Prints the median hypervolume fraction and the median share of the true front found,
over four devices x seeds, per variant. The winner became the default (``hvi``,
``kappa`` 1, ``batch`` 5); the full NB201 CIFAR-10 figures were measured after.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from nas_surrogate.benchmarks import load_benchmark
from nas_surrogate.objectives import Objective, attach_tables
from nas_surrogate.searchers import SearchProblem, make_searcher
from nas_surrogate.searchers.problem import distinct_networks

VARIANTS = [
    ("random", {}),
    ("nsga2", {}),
    ("mobo", {}),
    ("mobo", {"kappa": 0.5}),
    ("mobo", {"batch": 2}),
    ("mobo", {"kappa": 0.5, "batch": 2}),
    ("mobo", {"acquisition": "parego"}),
    ("mobo", {"acquisition": "ehvi"}),
]
DEVICES = ("edgegpu_latency", "pixel3_latency", "fpga_latency", "raspi4_latency")


def run(bench, device, seed, name, params, budget):
    with threadpool_limits(1):
        problem = SearchProblem(
            bench, budget=budget, features="onehot+zc" if name == "mobo" else None,
            objectives=[Objective("val_accuracy"), Objective(device)],
        )  # fmt: skip
        make_searcher(name, **params).run(problem, np.random.default_rng(seed))
        score = problem.view.score_ids(np.array(problem.trajectory.rows))
        share = score["front_found"] / len(problem.view.true_front_ids)
        return json.dumps([name, params]), score["hv_fraction"], share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/data/nbsz")
    parser.add_argument("--objective-data", default="../shared/data/hw_nasbench201")
    parser.add_argument("--benchmark", default="nasbench201/ImageNet16-120")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    bench = distinct_networks(load_benchmark(args.benchmark, str(Path(args.data_dir).resolve())))
    bench = attach_tables(bench, [str(Path(args.objective_data).resolve())])[0]
    out = Parallel(n_jobs=args.n_jobs)(
        delayed(run)(bench, d, s, n, p, args.budget)
        for d in DEVICES for s in range(args.seeds) for n, p in VARIANTS
    )  # fmt: skip
    by: dict[str, list] = {}
    for key, hv, share in out:
        by.setdefault(key, []).append((hv, share))
    print(f"Printed by `python benchmarks/mobo_selection.py --seeds {args.seeds}` on "
          f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores: "
          f"{args.benchmark} ({bench.n_archs} networks), {args.budget} queries, "
          f"{len(DEVICES)} devices x {args.seeds} seeds.\n")  # fmt: skip
    print("| searcher | settings | HV fraction (median) | true front found (median share) |")
    print("|---|---|---|---|")
    for key, vals in by.items():
        name, params = json.loads(key)
        v = np.array(vals)
        print(f"| {name} | {params or 'default'} | {np.median(v[:, 0]):.4f} | "
              f"{100 * np.median(v[:, 1]):.0f}% |")  # fmt: skip


if __name__ == "__main__":
    main()
