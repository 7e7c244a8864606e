"""Plots written next to every experiment's results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from nas_surrogate.io import atomic_write  # noqa: E402


def save(fig: plt.Figure, path: Path) -> Path:
    def write(f) -> None:
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")

    atomic_write(path, write)
    plt.close(fig)
    return path


def metric_vs_train_size(results: pd.DataFrame, metric: str, out_dir: Path) -> list[Path]:
    """One figure per benchmark: metric vs train size, a line per surrogate x features,
    with a band of ± one standard deviation over seeds."""
    paths = []
    for bench_id, frame in results.groupby("benchmark"):
        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        for (surrogate, spec), g in frame.groupby(["surrogate", "features"]):
            stats = g.groupby("train_size")[metric].agg(["mean", "std"]).fillna(0.0)
            x = stats.index.to_numpy()
            ax.plot(x, stats["mean"], marker="o", ms=3, label=f"{surrogate} | {spec}")
            ax.fill_between(
                x, stats["mean"] - stats["std"], stats["mean"] + stats["std"], alpha=0.15
            )
        ax.set_xscale("log")
        sizes = sorted(frame.train_size.unique())
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.set_xlabel("training architectures")
        ax.set_ylabel(metric)
        ax.set_title(bench_id)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        name = f"{metric}_vs_train_size--{bench_id.replace('/', '--')}.png"
        paths.append(save(fig, out_dir / name))
    return paths


def task_heatmap(results: pd.DataFrame, metric: str, train_size: int, out_dir: Path) -> Path:
    """Benchmarks x (surrogate | features), mean metric at one train size."""
    frame = results[results.train_size == train_size]
    table = (
        frame.groupby(["benchmark", "surrogate", "features"])[metric]
        .mean()
        .unstack(["surrogate", "features"])
    )
    fig, ax = plt.subplots(figsize=(1.2 + 0.55 * table.shape[1], 1.0 + 0.35 * table.shape[0]))
    im = ax.imshow(table.to_numpy(dtype=float), cmap="viridis", aspect="auto")
    ax.set_xticks(
        np.arange(table.shape[1]),
        [f"{s} | {f}" for s, f in table.columns],
        rotation=60,
        ha="right",
        fontsize=7,
    )
    ax.set_yticks(np.arange(table.shape[0]), table.index, fontsize=7)
    for (i, j), v in np.ndenumerate(table.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="w")
    fig.colorbar(im, ax=ax, label=f"{metric} (n={train_size})")
    return save(fig, out_dir / f"{metric}_heatmap_n{train_size}.png")
