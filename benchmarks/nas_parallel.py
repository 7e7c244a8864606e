"""``nas --workers 1`` vs ``--workers 2`` on digits, and a cluster that loses a worker.

    python benchmarks/nas_parallel.py [--seeds 3] [--budget 40] [--epochs 5]

bo on onehot+zc (live proxies), the ``nas`` defaults otherwise; seeds 0..N-1, each with a
fresh proxy cache, one run at a time:

- ``--workers 1``: today's sequential loop, one network at a time on one torch thread;
- ``--workers 2``: a local Dask cluster of two worker processes; results are told as
  they finish and the driver proposes (and computes proxies) while both train;
- ``--scheduler`` on a two-worker LocalCluster this script starts, with one worker
  process killed (SIGKILL) once a quarter of the budget is trained: the trainings it
  held are redone elsewhere (counted from the cluster's events).

Prints wall seconds and the best network's validation / test accuracy (mean ± std over
the seeds), the wall ratio, and for the killed runs the trainings redone. Writes the
table to ``docs/nas_parallel.md`` (``--out`` elsewhere).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from nas_surrogate.experiments.nas import NasConfig, run_nas

ROOT = Path(__file__).resolve().parents[1]


def one_run(work: Path, name: str, seed: int, args, **how) -> dict:
    os.environ["NAS_SURROGATE_CACHE"] = str(work / f"cache-{name}-{seed}")
    config = NasConfig(out=str(work / f"{name}-{seed}"), budget=args.budget,
                       epochs=args.epochs, seed=seed, **how)  # fmt: skip
    t = time.perf_counter()
    summary = run_nas(config, progress=False)
    summary["wall"] = time.perf_counter() - t  # cluster start and stop included
    return summary


def killed_run(work: Path, seed: int, args) -> dict:
    """A run on a LocalCluster of two workers, one of them killed mid-run."""
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:  # fmt: skip
        out = work / f"killed-{seed}"
        result: list[dict] = []
        thread = threading.Thread(
            target=lambda: result.append(
                one_run(work, "killed", seed, args, scheduler=cluster.scheduler_address)
            )
        )
        thread.start()
        journal = out / "results.jsonl"
        while thread.is_alive():
            if journal.exists() and len(journal.read_text().splitlines()) >= args.budget // 4:
                with distributed.Client(cluster.scheduler_address) as client:
                    pid = sorted(client.run(os.getpid).values())[0]
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.1)
        thread.join()
    return result[0]


def stats(runs: list[dict], key: str) -> str:
    values = np.array([r[key] for r in runs], dtype=float)
    return f"{values.mean():.2f} ± {values.std():.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "docs" / "nas_parallel.md"))
    args = parser.parse_args()
    if args.budget <= 10:  # bo's random initial queries: it would be random search
        parser.error(f"--budget {args.budget}: bo spends its first 10 queries at random")
    work = Path(tempfile.mkdtemp(prefix="nas-parallel-"))
    runs: dict[str, list[dict]] = {"workers 1": [], "workers 2": [], "2 workers, one killed": []}
    for seed in range(args.seeds):
        runs["workers 1"].append(one_run(work, "w1", seed, args))
        runs["workers 2"].append(one_run(work, "w2", seed, args, workers=2))
        runs["2 workers, one killed"].append(killed_run(work, seed, args))
        for name, rs in runs.items():
            r = rs[-1]
            print(f"seed {seed} {name}: {r['wall']:.0f} s, val {r['best_val_accuracy']:.2f}, "
                  f"test {r['best_test_accuracy']:.2f}, redone "
                  f"{r['trainings_redone_this_run']}", flush=True)  # fmt: skip
    wall = {k: np.array([r["wall"] for r in v]) for k, v in runs.items()}
    lines = [
        "# `nas` on two workers: wall time at equal quality",
        "",
        f"Printed by `python benchmarks/nas_parallel.py --seeds {args.seeds} --budget "
        f"{args.budget} --epochs {args.epochs}` on {datetime.date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, quiet machine, one run at a time. "
        "bo on onehot+zc with live proxies (the `nas` defaults), digits, NB201 cell in a "
        "16-channel skeleton; wall time includes starting and stopping the cluster.",
        "",
        "| run | wall s mean (max) | best val % | its test % | trainings redone |",
        "|---|---|---|---|---|",
    ]
    for name, rs in runs.items():
        redone = sum(r["trainings_redone_this_run"] for r in rs)
        lines.append(
            f"| {name} | {wall[name].mean():.0f} ({wall[name].max():.0f}) | "
            f"{stats(rs, 'best_val_accuracy')} | {stats(rs, 'best_test_accuracy')} | {redone} |"
        )
    ratio = wall["workers 2"] / wall["workers 1"]
    lines += [
        "",
        f"Wall ratio, workers 2 / workers 1, paired by seed: {ratio.mean():.2f} "
        f"(per seed {', '.join(f'{x:.2f}' for x in ratio)}).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
