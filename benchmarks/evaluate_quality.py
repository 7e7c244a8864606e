"""Predictor-quality figures for the README / docs, from real runs.

    python benchmarks/evaluate_quality.py --data-dir ../shared/data/nbsz [--full-grid]

1. Reference check on nasbench201/cifar10: XGBoost (300 trees, depth 4, lr 0.05; our
   default), raw ZC features, 10 seeds, test = the rest; one-hot / ZC / one-hot+ZC at
   n = 100 and 400.
2. Every NAS-Bench-Suite-Zero task at n = 100, 10 seeds: the best of our surrogates on
   encoding+ZC against the best single proxy. The best proxy is picked per task by its
   mean tau *on the test splits*, which flatters the baseline, never us.
3. With --full-grid: the whole grid (19 tasks x 5 surrogates x 3 feature sets x
   5 sizes x 10 seeds), timed, with the time per surrogate.

Writes docs/evaluate.md (tables) and keeps raw results under benchmarks/out/.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import time
from pathlib import Path

import pandas as pd

from nas_surrogate.benchmarks import expand_benchmark_ids, load_benchmark
from nas_surrogate.experiments.evaluate import EvaluateConfig, evaluate

HERE = Path(__file__).resolve().parent
SURROGATES = ["xgb", "lgbm", "rf", "gp", "mlp"]


def fmt(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def reference(data_dir: str, out: Path) -> str:
    config = EvaluateConfig(
        benchmarks=["nasbench201/cifar10"],
        surrogates=["xgb"],
        features=["onehot", "zc", "onehot+zc"],
        train_sizes=[100, 400],
        seeds=10,
        zc_transform="none",
        data_dir=data_dir,
    )
    evaluate(config, out / "reference", n_jobs=2, progress=False)
    r = pd.read_csv(out / "reference" / "results.csv")
    t = r.groupby(["features", "train_size"]).kendall_tau.agg(["mean", "std"])
    lines = ["| features | n=100 | n=400 |", "|---|---|---|"]
    for spec in ["onehot", "zc", "onehot+zc"]:
        cells = [fmt(*t.loc[(spec, n)]) for n in (100, 400)]
        lines.append(f"| {spec} | {' | '.join(cells)} |")
    return "\n".join(lines)


def all_tasks(data_dir: str, out: Path) -> str:
    config = EvaluateConfig(
        benchmarks=["nbsz"],
        surrogates=SURROGATES,
        features=["enc+zc"],
        train_sizes=[100],
        seeds=10,
        data_dir=data_dir,
    )
    evaluate(config, out / "tasks-n100", n_jobs=2, progress=False)
    ours = pd.read_csv(out / "tasks-n100" / "results.csv")
    rows = []
    for bench_id in expand_benchmark_ids("nbsz", data_dir):
        proxies = load_benchmark(bench_id, data_dir).proxy_names
        pconfig = EvaluateConfig(
            benchmarks=[bench_id],
            surrogates=[f"proxy:{p}" for p in proxies],
            features=["zc"],
            train_sizes=[100],
            seeds=10,
            data_dir=data_dir,
        )
        evaluate(pconfig, out / "proxies-n100" / bench_id.replace("/", "--"), 2, False)
        p = pd.read_csv(out / "proxies-n100" / bench_id.replace("/", "--") / "results.csv")
        pt = p.groupby("surrogate").kendall_tau.agg(["mean", "std"]).sort_values("mean")
        best_p = pt.index[-1]
        o = ours[ours.benchmark == bench_id].groupby("surrogate").kendall_tau.agg(["mean", "std"])
        o = o.sort_values("mean")
        best_o = o.index[-1]
        rows.append(
            {
                "task": bench_id,
                "best surrogate (enc+zc)": f"{best_o}: {fmt(*o.loc[best_o])}",
                "best single proxy": f"{best_p.split(':')[1]}: {fmt(*pt.loc[best_p])}",
                "beats": "yes" if o.loc[best_o, "mean"] > pt.loc[best_p, "mean"] else "**no**",
                **{s: f"{o.loc[s, 'mean']:.3f}" for s in SURROGATES},
            }
        )
    table = pd.DataFrame(rows)
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in r) + " |" for r in table.itertuples(index=False)]
    wins = (table.beats == "yes").sum()
    return "\n".join(
        [
            header,
            rule,
            *body,
            "",
            f"Best surrogate beats the best proxy on {wins} of {len(table)} tasks.",
        ]
    )


def full_grid(data_dir: str, out: Path) -> str:
    config = EvaluateConfig(
        benchmarks=["nbsz"],
        surrogates=SURROGATES,
        features=["enc", "zc", "enc+zc"],
        train_sizes=[10, 20, 50, 100, 400],
        seeds=10,
        data_dir=data_dir,
    )
    grid = out / "full-grid"
    if grid.exists():
        import shutil

        shutil.rmtree(grid)
    t = time.perf_counter()
    summary = evaluate(config, grid, n_jobs=2, progress=False)
    wall = time.perf_counter() - t
    r = pd.read_csv(grid / "results.csv")
    per = (r.fit_seconds + r.predict_seconds).groupby(r.surrogate).sum()
    lines = [
        f"{summary['n_units']} fits in **{wall:.0f} s** wall clock on 2 workers.",
        "",
        "| surrogate | fit+predict core-seconds | share |",
        "|---|---|---|",
    ]
    for s, v in per.sort_values(ascending=False).items():
        lines.append(f"| {s} | {v:.0f} | {100 * v / per.sum():.0f}% |")
    mean = r.groupby(["features", "train_size"]).kendall_tau.mean().unstack()
    lines += ["", "Mean Kendall tau over the 19 tasks and 5 surrogates:", ""]
    lines.append("| features | " + " | ".join(f"n={n}" for n in mean.columns) + " |")
    lines.append("|---|" + "---|" * len(mean.columns))
    for spec, row in mean.iterrows():
        lines.append(f"| {spec} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz")
    parser.add_argument("--full-grid", action="store_true")
    args = parser.parse_args()
    out = HERE / "out" / "evaluate"
    data_dir = str(Path(args.data_dir).resolve())
    sections = [
        "# Predictor quality (generated by `benchmarks/evaluate_quality.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; date {datetime.date.today()}; "
        f"data: `{args.data_dir}`. Kendall tau on the test split, mean ± std over 10 seeds.",
        "",
        "## Reference check: nasbench201/cifar10, XGBoost, raw ZC",
        "",
        reference(data_dir, out),
        "",
        "## Every task at n = 100: best surrogate on encoding+ZC vs best single proxy",
        "",
        all_tasks(data_dir, out),
    ]
    if args.full_grid:
        sections += ["", "## The full grid", "", full_grid(data_dir, out)]
    docs = HERE.parent / "docs"
    docs.mkdir(exist_ok=True)
    if args.full_grid:
        img = docs / "img"
        img.mkdir(exist_ok=True)
        plots = out / "full-grid" / "plots"
        shutil.copy(plots / "kendall_tau_heatmap_n100.png", img / "evaluate_heatmap_n100.png")
        shutil.copy(
            plots / "kendall_tau_vs_train_size--nasbench201--cifar10.png",
            img / "evaluate_nb201_cifar10.png",
        )
        sections += [
            "",
            "![tau heatmap at n=100](img/evaluate_heatmap_n100.png)",
            "",
            "![tau vs train size on nasbench201/cifar10](img/evaluate_nb201_cifar10.png)",
        ]
    (docs / "evaluate.md").write_text("\n".join(sections) + "\n")
    print("wrote docs/evaluate.md (tracked in git: `git diff` shows what changed)")
    print("\n".join(sections))


if __name__ == "__main__":
    main()
