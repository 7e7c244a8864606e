"""The plots of docs/multi_objective.md: accuracy x Pixel 3 latency on the whole NB201
CIFAR-10 table, the four multi-objective searchers, ``search``'s own plots.

    python benchmarks/multi_objective_plots.py --data-dir ../shared/data/nbsz_full \\
        --objective-data ../shared/data [--seeds 10 --budget 100]

Runs ``search`` through the Python API (the same ``SearchConfig`` as the CLI and
``configs/search_pareto_latency.yaml``), then copies ``plots/objectives--*.png`` and
``plots/fronts--*.png`` to ``docs/img/`` (overwriting them) and prints the results table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import tempfile
from pathlib import Path

from nas_surrogate.experiments.search import SearchConfig, search

DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/data/nbsz_full")
    parser.add_argument("--objective-data", default="../shared/data")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    config = SearchConfig(
        benchmarks=["nasbench201/cifar10"], searchers=["random", "nsga2", "pareto_ls", "mobo"],
        surrogate="ensemble", budget=args.budget, seeds=args.seeds,  # features: enc+zc
        objectives=["val_accuracy", "pixel3_latency"],
        objective_data=[str(Path(args.objective_data).resolve())],
        data_dir=str(Path(args.data_dir).resolve()),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pareto"
        search(config, out, n_jobs=args.n_jobs, progress=False)
        for name in ("objectives", "fronts"):
            src = out / "plots" / f"{name}--nasbench201--cifar10.png"
            dst = DOCS_IMG / f"pareto_pixel3_{name}.png"
            shutil.copy(src, dst)
            print(f"wrote {dst.relative_to(DOCS_IMG.parents[1])} (overwritten)")
        print(
            f"\nPrinted by `python benchmarks/multi_objective_plots.py --seeds {args.seeds} "
            f"--budget {args.budget}` on {datetime.date.today()}, {platform.machine()}, "
            f"{os.cpu_count()} cores.\n"
        )
        print((out / "results.md").read_text())


if __name__ == "__main__":
    main()
