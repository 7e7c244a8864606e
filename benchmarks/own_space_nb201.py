"""The NB201 cell as a user space: the generic ``Space`` path vs the built-in one.

    python benchmarks/own_space_nb201.py --data-dir ../shared/data/nbsz_full \\
        [--seeds 30] [--trials 300] [--out docs/own_space_nb201.md]

Ground truth at scale through the generic path. The NAS-Bench-201 cell is declared as a
user space: six ``choice`` dimensions ``edge0`` .. ``edge5`` whose values are the NB201 op
names (``bench.space.ops``). The objective is a look-up of the whole NB201 CIFAR-10
table (validation accuracy, 15,625 cells = 9,445 networks, optimum 91.57); the ZC
scores come from the same table through a user proxy callable ``config -> {proxy:
score}``. Same seeds 0..N-1, one proposal at a time (ask(1)/tell, like a study):

(a) built-in ``Optimizer("nasbench201", "bo", features="onehot+zc", proxies=bench)``;
(b) generic ``Optimizer(space, "bo", features="enc+zc", proxies=fn)``;
(c) ``NASSampler(searcher="bo", features="enc+zc", proxies=fn)`` with no space, on a
    study whose objective calls ``trial.suggest_categorical(f"edge{i}", ops)``
    (define-by-run: the sampler models the study's own parameters);
(d) Optuna's ``TPESampler(seed)`` and (e) ``RandomSampler(seed)`` on that objective.

Per method: best@25/50/100/300 mean ± std, seeds that reach the optimum, queries to it,
paired wins against TPE at best@100, seconds per run, and (generic paths, TPE, random)
queries spent on a network already queried (isomorphic cells are one table row; the
built-in path proposes networks, never one twice). Writes ``docs/own_space_nb201.md``
and prints it. The ZC proxies' cost is not charged: every method sees N trainings.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import optuna
from threadpoolctl import threadpool_limits

import nas_surrogate as ns
from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.optuna import NASSampler

ROOT = Path(__file__).resolve().parents[1]
EDGES = 6
CHECKPOINTS = (25, 50, 100, 300)

Config = dict[str, str]


class Table:
    """The NB201 table seen as a user's problem: a configuration of op names -> its row."""

    def __init__(self, bench: Benchmark) -> None:
        self.bench = bench
        self.ops: tuple[str, ...] = tuple(bench.space.ops)
        cells = np.array(list(itertools.product(range(len(self.ops)), repeat=EDGES)))
        rows = bench.index_of(cells)
        if (rows < 0).any():
            raise SystemExit(f"{int((rows < 0).sum())} NB201 cells are not in the table")
        # the table's arch strings are the 6-tuples of op indices, edge k = position k
        self.row: dict[tuple[int, ...], int] = {
            tuple(int(v) for v in c): int(r) for c, r in zip(cells, rows)
        }
        self.names = list(bench.proxy_names)
        self.optimum = float(bench.val_accuracy.max())

    def space(self) -> ns.Space:
        dims = {f"edge{i}": {"type": "choice", "values": list(self.ops)} for i in range(EDGES)}
        return ns.Space.from_dict({"dimensions": dims})

    def row_of_config(self, config: Config) -> int:
        return self.row[tuple(self.ops.index(config[f"edge{i}"]) for i in range(EDGES))]

    def row_of_arch(self, arch: str) -> int:
        return int(self.bench.index_of(self.bench.space.parse(arch)[None])[0])

    def value(self, row: int) -> float:
        return float(self.bench.val_accuracy[row])

    def proxies(self, config: Config) -> dict[str, float]:
        """The user proxy callable: every ZC score the table holds for this network (a
        missing score is NaN, which the problem counts as missing)."""
        scores = self.bench.proxy_scores[self.row_of_config(config)]
        return {name: float(s) for name, s in zip(self.names, scores)}


Run = tuple[list[int], float]  # table rows in query order, seconds


def run_builtin(table: Table, seed: int, trials: int) -> Run:
    opt = ns.Optimizer("nasbench201", "bo", features="onehot+zc", proxies=table.bench, seed=seed)
    rows: list[int] = []
    t = time.perf_counter()
    for _ in range(trials):
        (arch,) = opt.ask(1)
        rows.append(table.row_of_arch(arch))
        opt.tell([arch], [table.value(rows[-1])])
    return rows, time.perf_counter() - t


def run_generic(table: Table, seed: int, trials: int) -> Run:
    opt = ns.Optimizer(table.space(), "bo", features="enc+zc", proxies=table.proxies, seed=seed)
    rows: list[int] = []
    t = time.perf_counter()
    for _ in range(trials):
        (config,) = opt.ask(1)
        rows.append(table.row_of_config(config))
        opt.tell([config], [table.value(rows[-1])])
    return rows, time.perf_counter() - t


def run_study(table: Table, sampler: optuna.samplers.BaseSampler, trials: int) -> Run:
    rows: list[int] = []

    def objective(trial: optuna.Trial) -> float:
        names = [f"edge{i}" for i in range(EDGES)]
        config = {n: trial.suggest_categorical(n, table.ops) for n in names}
        rows.append(table.row_of_config(config))
        return table.value(rows[-1])

    study = optuna.create_study(direction="maximize", sampler=sampler)
    t = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return rows, time.perf_counter() - t


def methods(table: Table, trials: int) -> dict[str, Callable[[int], Run]]:
    return {
        "(a) built-in Optimizer(nasbench201, bo, onehot+zc)": lambda s: run_builtin(
            table, s, trials
        ),
        "(b) generic Optimizer(Space, bo, enc+zc)": lambda s: run_generic(table, s, trials),
        "(c) NASSampler(bo, enc+zc), define-by-run": lambda s: run_study(
            table,
            NASSampler(searcher="bo", features="enc+zc", proxies=table.proxies, seed=s),
            trials,
        ),  # fmt: skip
        "(d) TPESampler": lambda s: run_study(table, optuna.samplers.TPESampler(seed=s), trials),
        "(e) RandomSampler": lambda s: run_study(
            table, optuna.samplers.RandomSampler(seed=s), trials
        ),
    }


def first_hit(values: np.ndarray, optimum: float) -> int | None:
    """1-based query at which the optimum was first found, None if never."""
    hits = np.flatnonzero(values >= optimum)
    return int(hits[0]) + 1 if len(hits) else None


def median_all(hits: list[int | None]) -> float:
    """Median queries to the optimum over all seeds, a seed that never found it counting
    as infinitely many (inf when that seed is, or averages into, the median: the median
    is then beyond the budget)."""
    return float(np.median([np.inf if h is None else h for h in hits]))


def median_text(hits: list[int | None], trials: int) -> str:
    med = median_all(hits)
    return f"> {trials}" if med > trials else f"{med:g}"


def paired_speed(hits: list[int | None], ref: list[int | None]) -> tuple[int, int, int, int]:
    """Seeds where ``hits`` found the optimum in fewer / as many / more queries than
    ``ref`` (never = infinitely many), and seeds where neither found it."""
    a = np.array([np.inf if h is None else h for h in hits])
    b = np.array([np.inf if h is None else h for h in ref])
    neither = int((np.isinf(a) & np.isinf(b)).sum())
    return int((a < b).sum()), int((a == b).sum()) - neither, int((a > b).sum()), neither


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data/nbsz_full")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--out", default=str(ROOT / "docs" / "own_space_nb201.md"))
    parser.add_argument("--note", default="", help="a sentence added under the header")
    args = parser.parse_args()
    if args.seeds < 1 or args.trials < 1:
        parser.error("--seeds and --trials must be positive")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    bench = ns.load_benchmark("nasbench201/cifar10", str(Path(args.data_dir).resolve()))
    table = Table(bench)
    checkpoints = [k for k in CHECKPOINTS if k <= args.trials]
    if args.trials not in checkpoints:
        checkpoints.append(args.trials)

    curves: dict[str, np.ndarray] = {}
    hits: dict[str, list[int | None]] = {}
    dupes: dict[str, list[int]] = {}
    seconds: dict[str, list[float]] = {}
    for name, run in methods(table, args.trials).items():
        values, hit, dup, sec = [], [], [], []
        for seed in range(args.seeds):
            with threadpool_limits(1):
                rows, took = run(seed)
            v = np.array([table.value(r) for r in rows])
            if len(v) != args.trials:
                raise SystemExit(f"{name} seed {seed}: {len(v)} queries, not {args.trials}")
            values.append(np.maximum.accumulate(v))
            hit.append(first_hit(v, table.optimum))
            dup.append(len(rows) - len(set(rows)))
            sec.append(took)
        curves[name], hits[name], dupes[name], seconds[name] = np.array(values), hit, dup, sec
        reached = sum(h is not None for h in hit)
        print(f"{name}: {np.mean(sec):.1f} s/run, optimum in {reached}/{args.seeds}", flush=True)

    names = list(curves)
    builtin, generic, sampler, tpe_name = names[0], names[1], names[2], names[3]
    tpe = curves[tpe_name]
    at100 = min(100, args.trials) - 1
    wall = time.perf_counter() - start
    command = "python benchmarks/own_space_nb201.py " + " ".join(sys.argv[1:])
    lines = [
        "# The NB201 cell as a user space: generic path vs built-in",
        "",
        f"Printed by `{command}` on {datetime.date.today()}; {platform.platform()}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared), one thread per run; wall "
        f"time {wall / 60:.1f} min. Data: `nbsz_full/` (nasbench201/cifar10, "
        f"{bench.n_archs:,} networks; optimum = the table's best validation accuracy, "
        f"{table.optimum:.2f}). Seeds 0..{args.seeds - 1}, {args.trials} queries each, one "
        "at a time (ask(1)/tell, or one Optuna trial).",
        "",
    ]
    if args.note:
        lines += [args.note, ""]
    lines += [
        "The space: six `choice` dimensions `edge0`..`edge5`, values the op names "
        f"({', '.join(table.ops)}), i.e. 15,625 cells. Objective: the table's validation "
        "accuracy of the cell's network; ZC features: a user callable `config -> {proxy: "
        f"score}}` reading the table's {len(table.names)} proxies ({', '.join(table.names)}). "
        "Methods: (a) `Optimizer(\"nasbench201\", \"bo\", features=\"onehot+zc\", "
        "proxies=bench)`; (b) `Optimizer(space, \"bo\", features=\"enc+zc\", proxies=fn)`; "
        "(c) `NASSampler(searcher=\"bo\", features=\"enc+zc\", proxies=fn)` with no space, the "
        "objective calling `trial.suggest_categorical(f\"edge{i}\", ops)`; (d) Optuna's "
        "`TPESampler(seed)`, (e) `RandomSampler(seed)` on that same objective. The ZC cost is "
        "not charged.",
        "",
        "| method | " + " | ".join(f"best@{k} mean ± std" for k in checkpoints)
        + f" | optimum reached (of {args.seeds}) | median queries to it (reached seeds) "
        f"| median queries, all seeds (not reached = > {args.trials}) "
        f"| wins vs TPE @{at100 + 1} (win/tie/loss) | duplicate-network queries / run | s/run |",
        "|---" * (len(checkpoints) + 7) + "|",
    ]  # fmt: skip
    for name in names:
        c = curves[name]
        h = hits[name]
        got = [x for x in h if x is not None]
        w = int((c[:, at100] > tpe[:, at100]).sum())
        t = int((c[:, at100] == tpe[:, at100]).sum())
        cells = [f"{c[:, k - 1].mean():.2f} ± {c[:, k - 1].std():.2f}" for k in checkpoints]
        cells += [
            str(len(got)),
            f"{np.median(got):g}" if got else "-",
            median_text(h, args.trials),
            "-" if name == tpe_name else f"{w}/{t}/{args.seeds - w - t}",
            f"{np.mean(dupes[name]):.1f}",
            f"{np.mean(seconds[name]):.1f}",
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    def within(x: float, y: float) -> str:
        if np.isinf(x) and np.isinf(y):
            return "undetermined, both beyond the budget"
        return "yes" if x <= 1.1 * y else "no"  # fewer queries than the built-in path: met

    def reached_median(h: list[int | None]) -> str:
        got = [x for x in h if x is not None]
        return f"{np.median(got):g}" if got else "-"

    def within_reached(h: list[int | None], ref: list[int | None]) -> str:
        got, base = [x for x in h if x is not None], [x for x in ref if x is not None]
        return within(float(np.median(got)), float(np.median(base))) if got and base else "-"

    goal = [
        "",
        "## Goals",
        "",
        "Median queries to the optimum over all seeds (a seed that never reaches it counts "
        f"as > {args.trials}); within 10 % means at most 10 % more queries than the built-in "
        "path (fewer counts as met). Paired: per seed, which path found the optimum in fewer "
        "queries. The built-in path's own record against TPE is in the table (its row).",
        "",
    ]
    b_hit = hits[builtin]
    b_med = median_all(b_hit)
    for name in (generic, sampler):
        g_med = median_all(hits[name])
        faster, same, slower, neither = paired_speed(hits[name], b_hit)
        c = curves[name]
        w = int((c[:, at100] > tpe[:, at100]).sum())
        t = int((c[:, at100] == tpe[:, at100]).sum())
        ok = "yes" if w >= 0.8 * args.seeds else "no"
        goal += [
            f"- {name}: median queries generic vs built-in: "
            f"{median_text(hits[name], args.trials)} vs {median_text(b_hit, args.trials)} "
            f"(within 10 %: {within(g_med, b_med)}); over the seeds that reached it: "
            f"{reached_median(hits[name])} vs {reached_median(b_hit)} (within 10 %: "
            f"{within_reached(hits[name], b_hit)}); optimum reached in "
            f"{sum(x is not None for x in hits[name])} vs "
            f"{sum(x is not None for x in b_hit)} of {args.seeds} seeds; paired, the generic "
            f"path was faster / as fast / slower in {faster} / {same} / {slower} seeds"
            + (f" (neither found it in {neither})." if neither else "."),
            f"- {name}: generic beats TPE best@{at100 + 1} in {w} of {args.seeds} paired seeds "
            f"({100 * w / args.seeds:.0f} %; ties {t}, losses {args.seeds - w - t}; goal >= 80 "
            f"%: {ok}, {max(0, int(np.ceil(0.8 * args.seeds)) - w)} wins short).",
        ]

    def ties_at_optimum(c: np.ndarray) -> int:
        return int(((c[:, at100] == tpe[:, at100]) & (tpe[:, at100] >= table.optimum)).sum())

    bw = int((curves[builtin][:, at100] > tpe[:, at100]).sum())
    bt = int((curves[builtin][:, at100] == tpe[:, at100]).sum())
    goal += [
        f"- For reference, the built-in path beats TPE best@{at100 + 1} in {bw} of "
        f"{args.seeds} paired seeds ({100 * bw / args.seeds:.0f} %; ties {bt}, losses "
        f"{args.seeds - bw - bt}). Ties at best@{at100 + 1} with both at the optimum "
        "already: "
        + ", ".join(f"{n[:3]} {ties_at_optimum(curves[n])}" for n in (builtin, generic, sampler))
        + ".",
        "",
        "Duplicate-network queries: NB201 cells that compute the same network "
        "(an op on no input-to-output path is dead) are one table row. The built-in path "
        "searches networks and never proposes one twice; the generic paths search the "
        "15,625 cells and may query a second cell of a network already queried (counted "
        "per run, mean over seeds); so do TPE and random, which may also repeat a cell.",
        "",
    ]
    lines += goal
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
