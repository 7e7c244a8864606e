"""``nas-surrogate nas`` on scikit-learn's digits: bo with live ZC proxies vs random search.

    python benchmarks/nas_digits.py [--seeds 5] [--budget 40] [--epochs 5]

Runs ``nas`` with its defaults (NB201 cell, 16 channels, one cell per stage, 5 epochs,
budget 40, bo on onehot+zc with at most 32 networks given new proxy scores per step)
and the same command with ``--searcher random``, seeds 0..N-1, one after the other on
one thread each, each with a fresh proxy cache. Prints wall time, the best network's
validation and test accuracy (mean ± std, paired wins of bo), and the live-proxy cost:
seconds per network per proxy, networks scored, and how often a step asked for a
network scored in an earlier step (served without computing). Then reruns bo seed 0
into a new folder to show the disk cache (hit rate, wall time). Writes ``docs/nas.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import torch

from nas_surrogate.experiments.nas import NasConfig, run_nas

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "docs" / "nas.md"))
    args = parser.parse_args()
    if args.budget <= 10:  # bo's random initial queries: it would be random search
        parser.error(f"--budget {args.budget}: bo spends its first 10 queries at random")
    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="nas-digits-"))
    runs: dict[str, list[dict]] = {"bo": [], "random": []}
    for seed in range(args.seeds):
        for searcher in runs:
            os.environ["NAS_SURROGATE_CACHE"] = str(work / f"cache-{searcher}-{seed}")
            config = NasConfig(out=str(work / f"{searcher}-{seed}"), searcher=searcher,
                               budget=args.budget, epochs=args.epochs, seed=seed)  # fmt: skip
            summary = run_nas(config, progress=False)
            runs[searcher].append(summary)
            print(f"{searcher} seed {seed}: {summary['wall_seconds_this_run']:.0f} s, val "
                  f"{summary['best_val_accuracy']:.2f}, test {summary['best_test_accuracy']:.2f}",
                  flush=True)  # fmt: skip
    os.environ["NAS_SURROGATE_CACHE"] = str(work / "cache-bo-0")
    rerun = run_nas(NasConfig(out=str(work / "bo-0-again"), budget=args.budget,
                              epochs=args.epochs, seed=0), progress=False)  # fmt: skip

    def col(searcher: str, key: str) -> np.ndarray:
        return np.array([r[key] for r in runs[searcher]], dtype=float)

    lines = [
        "# `nas` on digits: bo with live ZC proxies vs random search",
        "",
        f"Printed by `python benchmarks/nas_digits.py --seeds {args.seeds} --budget "
        f"{args.budget} --epochs {args.epochs}` on {datetime.date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, runs one after the other on one "
        "thread, quiet machine. Dataset: scikit-learn digits (1,797 8x8 images; 1,077 "
        "train / 360 validation / 360 test, fixed split); NB201 cell in a 16-channel "
        "skeleton with one cell per stage.",
        "",
        "| searcher | wall s mean (max) | best val % mean ± std | its test % mean ± std "
        "| networks with proxies | proxy s per run |",
        "|---|---|---|---|---|---|",
    ]
    for s in runs:
        wall, val, test = (
            col(s, "wall_seconds_this_run"),
            col(s, "best_val_accuracy"),
            col(s, "best_test_accuracy"),
        )
        scored = col(s, "networks_with_proxies").mean()
        lines.append(
            f"| {s} | {wall.mean():.0f} ({wall.max():.0f}) | {val.mean():.2f} ± {val.std():.2f} "
            f"| {test.mean():.2f} ± {test.std():.2f} | {scored:.0f} "
            f"| {col(s, 'proxy_seconds_this_run').mean():.0f} |"
        )
    bv, rv = col("bo", "best_val_accuracy"), col("random", "best_val_accuracy")
    bt, rt = col("bo", "best_test_accuracy"), col("random", "best_test_accuracy")
    per = {}
    for r in runs["bo"]:
        for p, v in r["proxy_seconds_per_arch"].items():
            per.setdefault(p, []).append(v)
    reuse = np.mean([r["proxy_reuse_in_run"] for r in runs["bo"]])
    lines += [
        "",
        f"Paired by seed, bo vs random: validation {int((bv > rv).sum())} wins / "
        f"{int((bv == rv).sum())} ties / {int((bv < rv).sum())} losses; test of the picked "
        f"network {int((bt > rt).sum())} / {int((bt == rt).sum())} / {int((bt < rt).sum())}.",
        f"Mean validation accuracy of all {args.budget} networks a run trained: bo "
        f"{col('bo', 'mean_val_accuracy').mean():.2f} %, random "
        f"{col('random', 'mean_val_accuracy').mean():.2f} % (one validation image is "
        "0.28 %).",
        "",
        "Live-proxy cost, seconds per network on this CPU (mean over the bo runs): "
        + ", ".join(f"{p} {np.mean(v):.3f}" for p, v in sorted(per.items()))
        + f"; all 13: {sum(np.mean(v) for v in per.values()):.2f} s.",
        f"Within a run, {reuse:.0%} of the networks a surrogate step asked proxies for had "
        "been scored in an earlier step (no computing). Rerunning bo seed 0 into a new "
        f"folder: disk-cache hit rate {rerun['proxy_cache_hit_rate']:.0%}, "
        f"{rerun['wall_seconds_this_run']:.0f} s instead of "
        f"{runs['bo'][0]['wall_seconds_this_run']:.0f} s, the same best network "
        f"({rerun['best_arch'] == runs['bo'][0]['best_arch']}).",
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(f"wrote {args.out} (tracked in git: `git diff` shows what changed)")
    print(text)


if __name__ == "__main__":
    main()
