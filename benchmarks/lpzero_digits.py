"""LPZero on real ground truth (experiment 4 of the LPZero issue) and the cost of a whole
search on this machine (experiment 5): one command.

    python benchmarks/lpzero_digits.py [--networks 150 --epochs 2 --seeds 3]
        [--work benchmarks/out/lpzero_digits] [--md docs/lpzero_digits.md]

For each model family, ``nas`` trains ``--networks`` networks drawn at random on
scikit-learn's digits (``--epochs`` epochs each, validation accuracy recorded), then
``evolve-proxy --from primitives --results RUN`` evolves on ``--fitness`` of them (seeds
0..N-1: each seed draws its own fitness set) and scores the expression on the others
(Kendall tau, the headline; Spearman beside it). The baseline in the same run: the 13
hand-crafted proxies computed the same way on the same held-out networks (the run's
proxy batch of 16 training images, the same skeleton and seeds), best of them chosen on
those held-out networks (generous to the baseline).

- NB201 cells on the ``nas`` skeleton (8 channels, one cell per stage);
- the "own space" example family: ``examples/digits_cnn/space.yaml`` built by
  ``examples/digits_cnn/model.py:build`` (``--model``).

Then times the whole default search on NB201 (100 fitness networks of the CIFAR-10
table, 1,000 iterations, ``-j 2``, no held-out scoring) with ``--full-dir``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPACE = str(ROOT / "examples" / "digits_cnn" / "space.yaml")
MODEL = f"{ROOT / 'examples' / 'digits_cnn' / 'model.py'}:build"


def cli(*argv: object) -> None:
    from nas_surrogate.cli import main

    code = main([str(a) for a in argv])
    if code != 0:
        raise SystemExit(f"nas-surrogate {' '.join(map(str, argv))} exited {code}")


def train(run: Path, own: bool, args) -> None:
    if (run / "summary.json").exists():
        return
    extra = ["--space", SPACE, "--model", MODEL] if own else ["--channels", 8, "--cells", 1]
    cli("nas", "--dataset", "digits", "--searcher", "random", "--budget", args.networks,
        "--epochs", args.epochs, "--seed", 0, "--out", run, *extra)  # fmt: skip


def hand_crafted(run: Path, keys: list[str], own: bool, batch_size: int) -> np.ndarray:
    """The 13 proxies on ``keys`` of ``run``, on the batch ``evolve-proxy`` used."""
    import torch

    from nas_surrogate.proxies import ModelProxies, compute_proxies
    from nas_surrogate.proxies.base import Batch
    from nas_surrogate.proxy_names import PROXY_NAMES
    from nas_surrogate.spaces import get_space
    from nas_surrogate.training import load_dataset

    data = load_dataset("digits", any_shape=own)
    gen = torch.Generator().manual_seed(0)
    rows = torch.randperm(len(data.x_train), generator=gen)[:batch_size]
    batch = Batch(data.x_train[rows], data.y_train[rows], data.n_classes)
    if own:
        from nas_surrogate.models import load_builder

        mp = ModelProxies(load_builder(MODEL), batch, proxies=PROXY_NAMES, seed=0)
        return mp.compute([json.loads(k) for k in keys])[0]
    archs = get_space("nasbench201").parse_many(keys)
    return compute_proxies(archs, PROXY_NAMES, batch=batch, seed=0,
                           network={"channels": 8, "n_cells": 1})[0]  # fmt: skip


def evolve(run: Path, out: Path, own: bool, seed: int, args) -> dict:
    extra = ["--model", MODEL] if own else []
    if not (out / "summary.json").exists():
        cli("evolve-proxy", "--from", "primitives", "--results", run, "--sample", args.fitness,
            "--seed", seed, "--out", out, "-j", args.n_jobs, *extra)  # fmt: skip
    return json.loads((out / "summary.json").read_text())


def family(name: str, own: bool, args) -> dict:
    import pandas as pd
    from scipy import stats

    from nas_surrogate.proxy_names import PROXY_NAMES

    work = Path(args.work)
    run = work / f"{name}-nas"
    t = time.perf_counter()
    train(run, own, args)
    frame = pd.read_csv(run / "results.csv")
    acc = frame["val_accuracy"].to_numpy(float)
    keys = [str(a) for a in frame["arch"]]
    rows = []
    for seed in range(args.seeds):
        summary = evolve(run, work / f"{name}-evolve-{seed}", own, seed, args)
        ok = np.flatnonzero(np.isfinite(acc))
        order = np.random.default_rng(seed).permutation(ok)  # the split evolve-proxy drew
        held = np.sort(order[args.fitness :])
        scores = hand_crafted(run, [keys[i] for i in held], own, 16)
        taus = {}
        for j, p in enumerate(PROXY_NAMES):
            x, y = scores[:, j], acc[held]
            good = np.isfinite(x)
            taus[p] = float(stats.kendalltau(x[good], y[good]).statistic) if good.sum() > 2 else -1
        best = max(taus, key=taus.get)
        rows.append({"seed": seed, "readable": summary["readable"],
                     "fitness": summary["fitness"], "heldout": summary["heldout"],
                     "best_hand_crafted": best, "best_hand_crafted_kendall": taus[best],
                     "all": taus})  # fmt: skip
    return {"networks": int(np.isfinite(acc).sum()), "accuracy_range": [float(np.nanmin(acc)),
            float(np.nanmax(acc))], "seconds": time.perf_counter() - t, "seeds": rows}  # fmt: skip


def whole_search(args) -> dict | None:
    """The default search on NB201 (100 fitness networks, 1,000 iterations), timed."""
    if not args.full_dir:
        return None
    out = Path(args.work) / "nb201-whole-search"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    cli("evolve-proxy", "--from", "primitives", "-b", "nasbench201/cifar10", "--data-dir",
        args.full_dir, "--holdout", 0, "-j", 2, "--out", out)  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    return {"wall": time.perf_counter() - t, "pass": summary["pass_seconds_per_network"],
            "search": summary["search_seconds"], "readable": summary["readable"]}  # fmt: skip


def report(result: dict) -> str:
    lines = [
        "# LPZero on networks the project trained (digits)", "",
        f"Printed by `python benchmarks/lpzero_digits.py` on {result['machine']}, "
        f"{result['date']}. Each family: {result['args']['networks']} networks drawn at random "
        f"and trained by `nas` on digits ({result['args']['epochs']} epochs); the search sees "
        f"{result['args']['fitness']} of them (per seed), the rest are held out. Baseline: "
        "the 13 hand-crafted proxies computed the same way on the same held-out networks, "
        "the best of them picked on those networks.", "",
        "| family | seed | expression | held-out tau (rho) | best hand-crafted tau |",
        "|---|---|---|---|---|",
    ]  # fmt: skip
    for fam, res in result["families"].items():
        for r in res["seeds"]:
            h = r["heldout"]
            lines.append(f"| {fam} | {r['seed']} | `{r['readable']}` | {h['kendall']:.3f} "
                         f"({h['spearman']:.3f}) | {r['best_hand_crafted']} "
                         f"{r['best_hand_crafted_kendall']:.3f} |")  # fmt: skip
    for fam, res in result["families"].items():
        ev = [r["heldout"]["kendall"] for r in res["seeds"]]
        hc = [r["best_hand_crafted_kendall"] for r in res["seeds"]]
        lo, hi = res["accuracy_range"]
        lines += ["", f"{fam}: {res['networks']} trained networks (validation accuracy "
                  f"{lo:.1f}-{hi:.1f} %); evolved median tau {np.median(ev):.3f} vs best "
                  f"hand-crafted median {np.median(hc):.3f}; evolved ahead in "
                  f"{sum(e > h for e, h in zip(ev, hc))} of {len(ev)} seeds."]  # fmt: skip
    whole = result.get("whole_search")
    if whole:
        lines += ["", f"Cost of the default search on NB201 CIFAR-10 (`evolve-proxy --from "
                  f"primitives -b nasbench201/cifar10 --holdout 0 -j 2`: 100 fitness networks, "
                  f"1,000 iterations) on this machine: {whole['wall']:.0f} s wall "
                  f"({whole['pass']:.3f} s per network for the primitives, GP "
                  f"{whole['search']:.1f} s); the goal was <= 20 minutes."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--networks", type=int, default=150)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--fitness", type=int, default=50)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--full-dir", default=None, help="nbsz_full folder: time a whole search")
    ap.add_argument("--work", default="benchmarks/out/lpzero_digits", help="runs (not kept)")
    ap.add_argument("--json", default="benchmarks/results/lpzero_digits.json")
    ap.add_argument("--md", default="docs/lpzero_digits.md")
    args = ap.parse_args()
    os.environ.setdefault("NAS_SURROGATE_CACHE", "off")
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs", "args": vars(args),
        "families": {"NB201 cells": family("nb201", False, args),
                     "digits_cnn (own space)": family("own", True, args)},
        "whole_search": whole_search(args),
    }  # fmt: skip
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    Path(args.md).write_text(report(result))
    print(report(result))


if __name__ == "__main__":
    main()
