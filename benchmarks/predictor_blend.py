"""The recommended predictor against the strongest simple baseline, in the same run.

    python benchmarks/predictor_blend.py --full-data-dir ../shared/data/nbsz_full [--seeds 10]

Whole NB201 CIFAR-10 table (9,445 networks), GRAF + ZC features, n = 32, 100, 400, 1000
training networks, the same paired splits for every model; Kendall tau on every
untrained network (the peers' convention), mean ± std over seeds and paired wins:

- ``blend``: XGBoost and a random forest on 30 % of the features, their predictions'
  ranks averaged within the predicted pool (the baseline);
- ``stack``: the same members, ranks taken against their training predictions so a row
  never depends on its batch (the recommended predictor);
- ``auto``: xgb, rf, lgbm or gp chosen per split by 3-fold CV on the training networks.

No model or setting is chosen on these splits. Writes docs/predictor_blend.md; raw
results under benchmarks/out/blend/ (a rerun resumes finished units).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import pandas as pd

from nas_surrogate.experiments.evaluate import EvaluateConfig, evaluate

HERE = Path(__file__).resolve().parent
MODELS = ["blend", "stack", "auto"]
SIZES = [32, 100, 400, 1000]
BASELINE = "blend"


def table(r: pd.DataFrame) -> list[str]:
    """tau mean ± std per model and n, each model's paired gain over the blend."""
    tau = r.pivot_table(index=["train_size", "seed"], columns="surrogate", values="kendall_tau")
    secs = (r.fit_seconds + r.predict_seconds).groupby([r.surrogate, r.train_size]).mean()
    lines = ["| model | " + " | ".join(f"n={n}" for n in SIZES) + " | s at n=100 |",
             "|" + "---|" * (len(SIZES) + 2)]  # fmt: skip
    for model in MODELS:
        cells = [model]
        for n in SIZES:
            t = tau.loc[n][model]
            cell = f"{t.mean():.3f} ± {t.std():.3f}"
            if model != BASELINE:
                gain = t - tau.loc[n][BASELINE]
                cell += f" ({gain.mean():+.3f}, {int((gain > 0).sum())}/{len(gain)} wins)"
            cells.append(cell)
        cells.append(f"{secs[(model, 100)]:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full-data-dir", default="../shared/data/nbsz_full")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "predictor_blend.md"))
    args = parser.parse_args()
    started = time.perf_counter()
    config = EvaluateConfig(
        benchmarks=["nasbench201/cifar10"], surrogates=MODELS, features=["graf+zc"],
        train_sizes=SIZES, seeds=args.seeds, data_dir=str(Path(args.full_data_dir).resolve()),
    )  # fmt: skip
    out = HERE / "out" / "blend"
    evaluate(config, out, n_jobs=args.n_jobs, progress=False)
    r = pd.read_csv(out / "results.csv")
    r = r[r.seed < args.seeds]
    lines = [
        "# The recommended predictor against a rank blend",
        "",
        f"Printed by `python benchmarks/predictor_blend.py --seeds {args.seeds}` on "
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"{args.n_jobs} units at a time ({time.perf_counter() - started:.0f} s this call). "
        "Whole NB201 CIFAR-10 table (9,445 networks), GRAF + ZC features; Kendall tau on "
        f"every untrained network, mean ± std over {args.seeds} paired seeds; in brackets "
        "the mean paired gain over `blend` and the seeds it wins. Seconds: fit + predict "
        "per unit under that load.",
        "",
        *table(r),
        "",
        "`blend` averages the members' ranks within the predicted pool; `stack` ranks "
        "each prediction against the member's training predictions, so a row's value "
        "does not depend on its batch (what bo needs); `auto` picks one model by CV.",
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
