"""Ask/tell and the Optuna sampler on the whole NB201 table (CIFAR-10, 9,445 networks).

    python benchmarks/optuna_sampler.py --data-dir ../shared/data/nbsz_full [--seeds 20]

1. Native ask/tell vs the searchers' own loops: replays the 11 recorded searcher variants
   of ``tests/data/trajectories.json`` (seeds 0 and 1, 40 queries each, recorded before
   the searchers became ask/tell generators) through the benchmark loop and through
   ``Optimizer.ask/tell``, and counts identical trajectories.
2. Optuna, 100 trials per study, the table's validation accuracy as the objective
   (``suggest_arch``: one categorical parameter per edge): ``NASSampler`` (bo, onehot+zc,
   the default 5-member XGBoost ensemble) vs the same searcher run natively vs Optuna's
   default ``TPESampler`` vs ``RandomSampler``, seeds 0..N-1. Mean ± std of the best
   validation accuracy after 50 and 100 trials, paired wins against TPE, seconds per
   study on one thread. ZC proxies are read from the table (their cost is not charged
   here: every sampler sees 100 trainings).
3. Sampler time (``--timing-runs``, default 10): seconds per 100-trial study of
   ``NASSampler(bo)`` and ``TPESampler``, interleaved (NASSampler, TPE, NASSampler, ...),
   without ``threadpool_limits`` (as a user runs it), on a quiet machine and with one core
   kept busy by another process; the objective is a table look-up, so the time is the
   sampler's.
Writes ``docs/optuna.md``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import optuna
from threadpoolctl import threadpool_limits

from nas_surrogate import load_benchmark
from nas_surrogate.optimizer import Optimizer
from nas_surrogate.optuna import NASSampler, suggest_arch
from nas_surrogate.searchers import SearchProblem, make_searcher

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 100


def _recorder():
    path = ROOT / "tests" / "data" / "make_trajectories.py"
    spec = importlib.util.spec_from_file_location("make_trajectories", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replay_recorded(bench) -> tuple[int, int, int]:
    """(loop identical, ask/tell identical, total) over the recorded trajectories."""
    rec = _recorder()
    recorded = json.loads((ROOT / "tests" / "data" / "trajectories.json").read_text())
    same_loop = same_opt = total = 0
    for label, name, features, params in rec.CASES:
        for seed in rec.SEEDS:
            want = recorded[f"{label}/{seed}"]
            problem = SearchProblem(bench, budget=rec.BUDGET, features=features)
            make_searcher(name, **params).run(problem, np.random.default_rng(seed))
            same_loop += problem.history()[0].tolist() == want
            p = dict(params)
            opt = Optimizer("nasbench201", name, features=features, proxies=bench, seed=seed,
                            surrogate=p.pop("surrogate", None),
                            zc_warmup=p.pop("zc_warmup", None), searcher_params=p,
                            budget=rec.BUDGET)  # fmt: skip
            walked = []
            for _ in range(rec.BUDGET):
                (arch,) = opt.ask()
                cell = opt.space.parse(arch)[None]
                walked.append(int(opt.problem.ids_of(cell)[0]))
                opt.tell([arch], [float(bench.val_accuracy[bench.index_of(cell)[0]])])
            same_opt += walked == want
            total += 1
    return same_loop, same_opt, total


def run_study(bench, sampler) -> tuple[np.ndarray, float]:
    space = bench.space

    def objective(trial):
        arch = suggest_arch(trial, "nasbench201")
        return float(bench.val_accuracy[bench.index_of(space.parse(arch)[None])[0]])

    study = optuna.create_study(direction="maximize", sampler=sampler)
    t = time.perf_counter()
    study.optimize(objective, n_trials=TRIALS)
    values = np.array([tr.value for tr in study.trials])
    return np.maximum.accumulate(values), time.perf_counter() - t


def run_native(bench, seed: int) -> tuple[np.ndarray, float]:
    problem = SearchProblem(bench, budget=TRIALS, features="onehot+zc")
    t = time.perf_counter()
    make_searcher("bo", surrogate="ensemble").run(problem, np.random.default_rng(seed))
    return np.maximum.accumulate(problem.history()[1]), time.perf_counter() - t


def _busy_core():
    """Another process spinning on one core, as a second job would."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def sampler_timing(bench, runs: int) -> list[str]:
    """Median seconds per study, quiet and with one busy core, and the ratio to TPE."""
    makers = {
        "NASSampler(bo, onehot+zc)": lambda s: NASSampler(
            "nasbench201", "bo", features="onehot+zc", proxies=bench, seed=s
        ),
        "TPESampler": lambda s: optuna.samplers.TPESampler(seed=s),
    }
    rows = {}
    for load in ("quiet", "one busy core"):
        busy = _busy_core() if load != "quiet" else None
        try:
            secs: dict[str, list[float]] = {name: [] for name in makers}
            for seed in range(runs):
                for name, make in makers.items():
                    secs[name].append(run_study(bench, make(seed))[1])
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
        rows[load] = {name: float(np.median(v)) for name, v in secs.items()}
    lines = [
        f"## Sampler time: 100 trials of a table look-up, {runs} interleaved runs each",
        "",
        "| load | NASSampler(bo) s/study (median) | TPE s/study (median) | ratio |",
        "|---|---|---|---|",
    ]
    for load, r in rows.items():
        nas, tpe = r["NASSampler(bo, onehot+zc)"], r["TPESampler"]
        lines.append(f"| {load} | {nas:.2f} | {tpe:.2f} | {nas / tpe:.1f}x |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz_full")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--timing-runs", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "docs" / "optuna.md"))
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    bench = load_benchmark("nasbench201/cifar10", str(Path(args.data_dir).resolve()))
    lines = [
        "# Ask/tell and the Optuna sampler on the whole NB201 table",
        "",
        f"Printed by `python benchmarks/optuna_sampler.py --seeds {args.seeds}` on "
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores, one thread "
        "per study; data: `nbsz_full/` (nasbench201/cifar10, 9,445 networks, optimum "
        f"{bench.val_accuracy.max():.2f}).",
        "",
    ]
    with threadpool_limits(1):
        loop, asktell, total = replay_recorded(bench)
    lines += [
        "## The benchmark loop is a driver of ask/tell",
        "",
        f"Recorded trajectories (11 searcher variants x seeds 0, 1; 40 queries; recorded "
        f"before the change): benchmark loop identical in **{loop}/{total}**, "
        f"`Optimizer.ask/tell` identical in **{asktell}/{total}**.",
        "",
    ]
    samplers = {
        "NASSampler(bo, onehot+zc)": lambda s: NASSampler(
            "nasbench201", "bo", features="onehot+zc", proxies=bench, seed=s
        ),
        "native bo (benchmark loop)": None,
        "TPESampler (Optuna default)": lambda s: optuna.samplers.TPESampler(seed=s),
        "RandomSampler": lambda s: optuna.samplers.RandomSampler(seed=s),
    }
    curves: dict[str, list[np.ndarray]] = {}
    seconds: dict[str, list[float]] = {}
    for name, make in samplers.items():
        for seed in range(args.seeds):
            with threadpool_limits(1):
                run = run_native(bench, seed) if make is None else run_study(bench, make(seed))
            best, sec = run
            curves.setdefault(name, []).append(best)
            seconds.setdefault(name, []).append(sec)
        print(f"{name}: done ({np.mean(seconds[name]):.1f} s/study)", flush=True)
    tpe = np.array(curves["TPESampler (Optuna default)"])
    same = sum(
        np.array_equal(a, b)
        for a, b in zip(curves["NASSampler(bo, onehot+zc)"], curves["native bo (benchmark loop)"])
    )
    lines += [
        f"## Optuna: {TRIALS} trials, {args.seeds} seeds",
        "",
        "| sampler | best@50 mean ± std | best@100 mean ± std | wins vs TPE @100 "
        "(win/tie/loss) | s/study |",
        "|---|---|---|---|---|",
    ]
    for name, runs in curves.items():
        c = np.array(runs)
        w = int((c[:, 99] > tpe[:, 99]).sum())
        t = int((c[:, 99] == tpe[:, 99]).sum())
        lines.append(
            f"| {name} | {c[:, 49].mean():.2f} ± {c[:, 49].std():.2f} | "
            f"{c[:, 99].mean():.2f} ± {c[:, 99].std():.2f} | "
            f"{w}/{t}/{args.seeds - w - t} | {np.mean(seconds[name]):.1f} |"
        )
    lines += [
        "",
        f"NASSampler and the native searcher walked identical best-so-far curves in "
        f"{same}/{args.seeds} seeds (same seed, same code). TPE's trials may repeat a "
        "network (it samples the six edges); the table answers each repeat again.",
        "",
    ]
    lines += sampler_timing(bench, args.timing_runs)
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(f"wrote {args.out} (tracked in git: `git diff` shows what changed)")
    print(text)


if __name__ == "__main__":
    main()
