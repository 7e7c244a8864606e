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
    """Write `path` (PNG, for a quick look) and the same figure as SVG beside it (vector,
    for a paper), each atomically."""
    for target, kind in ((path, "png"), (path.with_suffix(".svg"), "svg")):

        def write(f, kind=kind) -> None:
            fig.savefig(f, format=kind, dpi=110, bbox_inches="tight")

        atomic_write(target, write)
    plt.close(fig)
    return path


def distinct_colours(names: list[str]) -> dict[str, tuple]:
    """One colour per name, none repeated within a figure: tab10 up to 10 names, tab20 up
    to 20, then evenly spaced hues."""
    if len(names) <= 20:
        cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
        return {name: cmap(i) for i, name in enumerate(names)}
    hues = plt.get_cmap("hsv")
    return {name: hues(i / len(names)) for i, name in enumerate(names)}


def legend_outside(fig: plt.Figure, ax: plt.Axes) -> None:
    """The legend to the right of the panels, never over the data."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5),
               frameon=False)  # fmt: skip


def metric_vs_train_size(results: pd.DataFrame, metric: str, out_dir: Path) -> list[Path]:
    """One figure per benchmark: metric vs train size, one panel per feature set, a line per
    surrogate (the same colour in every panel) with a band of ± one std over seeds."""
    paths = []
    for bench_id, frame in results.groupby("benchmark"):
        specs = sorted(frame.features.unique())
        colours = distinct_colours(sorted(frame.surrogate.unique()))
        cols = min(len(specs), 3)
        rows = -(-len(specs) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False,
                                 sharex=True, sharey=True)  # fmt: skip
        sizes = sorted(frame.train_size.unique())
        for ax, spec in zip(axes.flat, specs):
            for surrogate, g in frame[frame.features == spec].groupby("surrogate"):
                stats = g.groupby("train_size")[metric].agg(["mean", "std"]).fillna(0.0)
                x, mean, std = stats.index.to_numpy(), stats["mean"], stats["std"]
                colour = colours[surrogate]
                ax.plot(x, mean, marker="o", ms=3, color=colour, label=surrogate)
                ax.fill_between(x, mean - std, mean + std, alpha=0.15, color=colour)
            ax.set_xscale("log")
            ax.set_xticks(sizes, [str(n) for n in sizes])
            ax.minorticks_off()
            ax.set_title(spec, fontsize=9)
            ax.grid(alpha=0.3)
        for ax in axes.flat[len(specs) :]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("training architectures")
        for ax in axes[:, 0]:
            ax.set_ylabel(metric)
        handles = {}
        for ax in axes.flat[: len(specs)]:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(lab, h)
        fig.legend(list(handles.values()), list(handles), fontsize=7, loc="center left",
                   bbox_to_anchor=(1.0, 0.5), frameon=False, title="surrogate")  # fmt: skip
        fig.suptitle(f"{bench_id}: mean ± std over seeds", fontsize=10)
        fig.tight_layout()
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


def search_curves(results: pd.DataFrame, out_dir: Path, label) -> list[Path]:
    """Per benchmark: best-so-far vs queries and vs simulated hours, median + IQR band."""
    paths = []
    for bench_id, frame in results.groupby("benchmark"):
        fig, (ax_q, ax_t) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        groups = list(frame.groupby(["searcher", "surrogate", "features"], sort=False))
        colours = distinct_colours([str(key) for key, _ in groups])
        for key, g in groups:
            name = label(dict(zip(["searcher", "surrogate", "features"], key)))
            curves = g.pivot_table(index="step", columns="seed", values="best_val_accuracy")
            curves = curves.ffill()
            q = curves.quantile([0.25, 0.5, 0.75], axis=1).T
            line = ax_q.step(q.index, q[0.5], where="post", label=name, color=colours[str(key)])[0]
            ax_q.fill_between(q.index, q[0.25], q[0.75], alpha=0.15, color=line.get_color(),
                              step="post")  # fmt: skip
            hours = g.sim_seconds.to_numpy() / 3600
            grid = np.geomspace(max(hours.min(), 1e-3), hours.max(), 200)
            per_seed = []
            for _, c in g.groupby("seed"):
                c = c.sort_values("step")
                idx = np.searchsorted(c.sim_seconds.to_numpy() / 3600, grid, side="right") - 1
                vals = c.best_val_accuracy.to_numpy()[np.clip(idx, 0, None)]
                per_seed.append(np.where(idx >= 0, vals, np.nan))
            arr = np.array(per_seed)
            with np.errstate(all="ignore"):
                lo, mid, hi = np.nanpercentile(arr, [25, 50, 75], axis=0)
            ax_t.step(grid, mid, where="post", color=line.get_color())
            ax_t.fill_between(grid, lo, hi, alpha=0.15, color=line.get_color(), step="post")
        ax_q.set_xlabel("queries")
        ax_t.set_xlabel("simulated hours (training + proxy cost)")
        ax_t.set_xscale("log")
        ax_q.set_ylabel("best validation accuracy so far")
        for ax in (ax_q, ax_t):
            ax.grid(alpha=0.3)
        fig.suptitle(f"{bench_id}: median and IQR over seeds")
        fig.tight_layout()
        legend_outside(fig, ax_q)
        paths.append(save(fig, out_dir / f"search--{bench_id.replace('/', '--')}.png"))
    return paths


def nas_curve(rows: list[dict], path: Path, title: str) -> Path:
    """``nas``: each trained network's validation accuracy and the best so far."""
    steps = np.arange(1, len(rows) + 1)
    val = np.array([r["val_accuracy"] for r in rows], dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(steps, val, s=12, alpha=0.6, label="network trained")
    # the best so far changes only when a network beats it: a step, not a slope
    ax.step(steps, np.maximum.accumulate(val), where="post", color="black", label="best so far")
    ax.set_xlabel("networks trained")
    ax.set_ylabel("validation accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    return save(fig, path)


def optuna_plots(study, out_dir: Path) -> list[Path]:
    """Optuna's own matplotlib views: optimisation history and parameter importances."""
    import warnings

    from optuna.visualization import matplotlib as ovm

    paths = []
    with warnings.catch_warnings():  # Optuna marks its matplotlib backend experimental
        warnings.simplefilter("ignore")
        ax = ovm.plot_optimization_history(study)
        paths.append(save(ax.figure, out_dir / "optimization_history.png"))
        complete = [t for t in study.trials if t.state.name == "COMPLETE"]
        if len(complete) >= 2 and len(study.best_params) >= 2:
            ax = ovm.plot_param_importances(study)
            paths.append(save(ax.figure, out_dir / "param_importances.png"))
    return paths


def matrix(table: pd.DataFrame, path: Path, title: str) -> Path:
    """A labelled heatmap of a table (rows x columns), values printed in the cells."""
    values = table.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.5 + 0.55 * values.shape[1], 1.2 + 0.38 * values.shape[0]))
    im = ax.imshow(
        values,
        cmap="coolwarm",
        vmin=-1 if np.nanmin(values) < 0 else 0,
        vmax=max(1, np.nanmax(values)),
        aspect="auto",
    )
    ax.set_xticks(
        np.arange(values.shape[1]),
        [str(c) for c in table.columns],
        rotation=60,
        ha="right",
        fontsize=7,
    )
    ax.set_yticks(np.arange(values.shape[0]), [str(i) for i in table.index], fontsize=7)
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax)
    ax.set_title(title, fontsize=9)
    return save(fig, path)


def transfer_bars(table: pd.DataFrame, path: Path) -> Path:
    """Evolved proxy vs best hand-crafted proxy vs vote, Kendall tau per task."""
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(1.2 + 0.5 * len(table), 4))
    ax.bar(x - 0.27, table.evolved.astype(float).fillna(0), 0.27, label="evolved")
    ax.bar(x, table.best_proxy_tau, 0.27, label="best hand-crafted proxy")
    ax.bar(x + 0.27, table.vote_tau, 0.27, label="vote")
    ax.set_xticks(x, table.task, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("Kendall tau with accuracy")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)
    return save(fig, path)


def objective_curves(results: pd.DataFrame, out_dir: Path, label) -> list[Path]:
    """Per benchmark: hypervolume fraction (several objectives) or best feasible value
    (one objective under constraints) vs queries, median and IQR band over seeds, as
    steps (the value changes only when a query lands)."""
    metric = "hv_fraction" if "hv_fraction" in results.columns else "best_feasible"
    ylabel = {"hv_fraction": "hypervolume / true front's", "best_feasible": "best feasible"}
    paths = []
    for bench_id, frame in results.groupby("benchmark"):
        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        for key, g in frame.groupby(["searcher", "surrogate", "features"], sort=False):
            name = label(dict(zip(["searcher", "surrogate", "features"], key)))
            curves = g.pivot_table(index="step", columns="seed", values=metric).ffill()
            if curves.empty:  # no seed queried a feasible network: nothing to draw
                ax.plot([], [], label=f"{name} (no feasible query)")
                continue
            q = curves.quantile([0.25, 0.5, 0.75], axis=1).T
            line = ax.step(q.index, q[0.5], where="post", label=name)[0]
            ax.fill_between(
                q.index, q[0.25], q[0.75], step="post", alpha=0.15, color=line.get_color()
            )
        ax.set_xlabel("queries")
        ax.set_ylabel(ylabel[metric])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        ax.set_title(f"{bench_id}: median and IQR over seeds", fontsize=9)
        paths.append(save(fig, out_dir / f"objectives--{bench_id.replace('/', '--')}.png"))
    return paths


def found_fronts(results: pd.DataFrame, views: dict, out_dir: Path, label) -> list[Path]:
    """Two objectives: the front each searcher found (its first seed, whole budget) over
    the table's true front."""
    from nas_surrogate.objectives import non_dominated

    paths = []
    for bench_id, frame in results.groupby("benchmark"):
        view = views.get(bench_id)
        if view is None or len(view.objectives) != 2:
            continue
        names = [o.name for o in view.objectives]
        signs = np.array([-1.0 if o.maximize else 1.0 for o in view.objectives])
        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        true = view.normaliser.front * signs
        order = np.argsort(true[:, 1])
        ax.step(true[order, 1], true[order, 0], where="post", color="black", lw=2,
                label=f"true front ({len(true)})")  # fmt: skip
        for key, g in frame.groupby(["searcher", "surrogate", "features"], sort=False):
            name = label(dict(zip(["searcher", "surrogate", "features"], key)))
            seed = g[g.seed == g.seed.min()]
            cells = view.bench.space.parse_many(seed.cell.tolist())
            ids = view.ids_of_cells(cells)
            found = view.siblings(np.unique(view.cell_row[ids]))
            found = found[view.true_feasible[found]]
            Y = view.minimisation(found, view.truth_evaluated(found))
            Y = Y[non_dominated(Y)] * signs
            ax.scatter(Y[:, 1], Y[:, 0], s=14, label=name)
        ax.set_xlabel(names[1])
        ax.set_ylabel(names[0])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        ax.set_title(f"{bench_id}: fronts found (first seed) over the true front", fontsize=9)
        paths.append(save(fig, out_dir / f"fronts--{bench_id.replace('/', '--')}.png"))
    return paths
