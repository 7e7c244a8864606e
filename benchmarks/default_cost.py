"""What the new default predictor costs in the README's full evaluate grid.

    python benchmarks/default_cost.py --data-dir ../shared/data/nbsz [--seeds 2]

The full grid (configs/evaluate_grid.yaml: 19 tasks x 5 surrogates x 3 feature sets x
n in {10, 20, 50, 100, 400} x 10 seeds) fits xgb on the natural encoding. This times, on
the same units (19 tasks x 5 sizes x N seeds, one worker), the old default (xgb on
``enc+zc``) and the new one (``stack`` on ``graf+zc``), and projects the grid's fit time
if the xgb fits cost what the new default costs, from the grid's own per-surrogate fit
seconds (``benchmarks/out/evaluate/full-grid/results.csv``, written by
``evaluate_quality.py --full-grid``).
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

import pandas as pd

from nas_surrogate.experiments.evaluate import EvaluateConfig, evaluate

HERE = Path(__file__).resolve().parent
SIZES = [10, 20, 50, 100, 400]


def fit_seconds(data_dir: str, surrogate: str, spec: str, seeds: int, out: Path) -> float:
    config = EvaluateConfig(benchmarks=["nbsz"], surrogates=[surrogate], features=[spec],
                            train_sizes=SIZES, seeds=seeds, data_dir=data_dir)  # fmt: skip
    if out.exists():
        import shutil

        shutil.rmtree(out)
    evaluate(config, out, n_jobs=1, progress=False)
    return float(pd.read_csv(out / "results.csv").fit_seconds.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    data_dir = str(Path(args.data_dir).resolve())
    out = HERE / "out" / "default_cost"
    old = fit_seconds(data_dir, "xgb", "enc+zc", args.seeds, out / "old")
    new = fit_seconds(data_dir, "stack", "graf+zc", args.seeds, out / "new")
    ratio = new / old
    grid = pd.read_csv(HERE / "out" / "evaluate" / "full-grid" / "results.csv")
    per = grid.groupby("surrogate").fit_seconds.sum()
    projected = per.sum() + (ratio - 1) * per["xgb"]
    print(f"{platform.machine()}, {os.cpu_count()} cores, one worker; 19 tasks x {SIZES} x "
          f"{args.seeds} seeds")  # fmt: skip
    print(f"fit seconds: xgb on enc+zc {old:.1f}, stack on graf+zc {new:.1f} (x{ratio:.2f})")
    change = 100 * (projected / per.sum() - 1)
    print(f"full grid fit seconds {per.sum():.0f} (xgb {per['xgb']:.0f}); with the new default "
          f"in xgb's place {projected:.0f} ({change:+.0f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
