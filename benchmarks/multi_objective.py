"""Hardware-aware and robust NAS on the whole NB201 CIFAR-10 table, side by side with
Optuna's multi-objective samplers.

    python benchmarks/multi_objective.py --data-dir ../shared/data/nbsz_full \\
        --objective-data ../shared/data --seeds 30 --budget 300 [--n-jobs 2]

Objective pairs: validation accuracy (evaluated) x latency on each of HW-NAS-Bench's six
devices and edge-GPU energy (known: read for every cell), and accuracy x PGD
(eps = 1/255) accuracy (both evaluated). Methods: the project's ``random``, ``nsga2``,
``pareto_ls`` and ``mobo`` (its default features, enc+zc, 5-member XGBoost ensemble;
``--acquisitions`` chooses which), and Optuna's ``NSGAIISampler``, multi-objective
``TPESampler`` and ``RandomSampler`` on the same objective function (one categorical
parameter per edge; a repeated cell is answered again and counts as a query). Every run
is scored by the same function (``ObjectiveView.score_ids``) after 100 queries and after
``--budget`` (the first 100 queries of a run are the run with budget 100: no method
looks at its budget). Headline scoring counts the queried cells (Optuna's and
EvoXBench's convention: no credit for a cell nobody proposed); a second table names the
more generous *network* scoring (every cell of each trained network counts, its accuracy
being the network's and its latency a look-up). Constrained: best accuracy under latency
budgets at the 10 %, 25 % and 50 % quantiles of each device's cells, ``bo`` and ``mobo``
vs Optuna's TPE with ``constraints_func``; a run "finds the constrained optimum" when its
best feasible accuracy equals the table's best under the budget.

Prints a markdown report (``--out`` also writes it; the README's table comes from it).
Wall seconds are per run on one thread.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import optuna
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from nas_surrogate.benchmarks import load_benchmark
from nas_surrogate.objectives import Objective, attach_tables, parse_constraint
from nas_surrogate.searchers import SearchProblem, make_searcher
from nas_surrogate.searchers.problem import distinct_networks

DEVICES = (
    "edgegpu_latency",
    "raspi4_latency",
    "edgetpu_latency",
    "pixel3_latency",
    "eyeriss_latency",
    "fpga_latency",
    "edgegpu_energy",
)
ROBUST = "pgd@Linf_eps-1.0"
OURS = ("random", "nsga2", "pareto_ls", "mobo")
OPTUNA = ("optuna_nsga2", "optuna_tpe", "optuna_random")
QUANTILES = (0.10, 0.25, 0.50)


def load(data_dir: str, objective_data: str):
    bench = distinct_networks(load_benchmark("nasbench201/cifar10", data_dir))
    return attach_tables(bench, [objective_data])[0]


def _problem(bench, second: str | None, budget: int, features=None, constraint=None):
    objectives = [Objective("val_accuracy")] + ([Objective(second)] if second else [])
    return SearchProblem(
        bench, budget=budget, features=features, objectives=objectives,
        constraints=[constraint] if constraint else None,
    )  # fmt: skip


def run_ours(bench, second, name, seed, budget, constraint=None, acquisition=None):
    surrogate = name in ("mobo", "bo")
    problem = _problem(bench, second, budget, "enc+zc" if surrogate else None, constraint)
    params = {"acquisition": acquisition} if acquisition else {}
    t = time.perf_counter()
    make_searcher(name, **params).run(problem, np.random.default_rng(seed))
    return problem, np.array(problem.trajectory.rows), time.perf_counter() - t


def run_optuna(bench, second, name, seed, budget, constraint=None):
    """ids of the cells an Optuna sampler asked for, in order (repeats kept)."""
    view = _problem(bench, second, budget, constraint=constraint).view
    space = bench.space
    lookup = {tuple(c): i for i, c in enumerate(space.all_archs().tolist())}
    n_obj = len(view.objectives)
    directions = ["maximize" if o.maximize else "minimize" for o in view.objectives]
    cons_func = None
    if constraint is not None:

        def cons_func(trial):  # noqa: E306 - Optuna: <= 0 is feasible
            return [trial.user_attrs["violation"]]

    samplers = {
        "optuna_nsga2": lambda: optuna.samplers.NSGAIISampler(
            seed=seed, constraints_func=cons_func
        ),
        "optuna_tpe": lambda: optuna.samplers.TPESampler(seed=seed, constraints_func=cons_func),
        "optuna_random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }
    asked: list[int] = []

    def objective(trial):
        cell = tuple(trial.suggest_categorical(f"edge{k}", list(range(5))) for k in range(6))
        i = lookup[cell]
        asked.append(i)
        if not view.measured[i]:  # a cell the device could not run: a failed trial
            trial.set_user_attr("violation", 1e9)  # and an infeasible one
            raise optuna.TrialPruned(f"{cell} has no measured value")
        ev = view.truth_evaluated(np.array([i]))
        vals = view.values(np.array([i]), ev)
        if constraint is not None:
            v = float(vals[constraint.name][0])
            trial.set_user_attr("violation", v - constraint.bound)
        out = [float(vals[o.name][0]) for o in view.objectives]
        return out if n_obj > 1 else out[0]

    study = optuna.create_study(directions=directions, sampler=samplers[name]())
    t = time.perf_counter()
    study.optimize(objective, n_trials=budget)
    return view, np.array(asked), time.perf_counter() - t


def _quiet() -> None:
    """In each worker process: Optuna's info lines and its constraints_func deprecation."""
    import warnings

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore", FutureWarning)


def pareto_task(bench, second, seed, budget, acquisitions):
    _quiet()
    out = {}
    with threadpool_limits(1):
        for name in OURS:
            for acq in acquisitions if name == "mobo" else [None]:
                key = f"mobo:{acq}" if acq else name
                problem, ids, sec = run_ours(bench, second, name, seed, budget, acquisition=acq)
                out[key] = _scores(problem.view, ids, sec, budget)
        for name in OPTUNA:
            view, ids, sec = run_optuna(bench, second, name, seed, budget)
            out[name] = _scores(view, ids, sec, budget)
    return second, seed, out


def _scores(view, ids, sec, budget):
    res = {"seconds": sec}
    for q in sorted({100, budget}):
        cell, net = view.score_ids(ids[:q]), view.score_ids(ids[:q], siblings=True)
        res[str(q)] = {"hv": cell["hv_fraction"], "found": cell["front_found"],
                  "hv_net": net["hv_fraction"], "found_net": net["front_found"],
                  "igd": cell["igd"]}  # fmt: skip
    res["front"] = len(view.true_front_ids)
    return res


def constrained_task(bench, device, quantile, bound, seed, budget):
    _quiet()
    constraint = parse_constraint(f"{device}<={bound}")
    out = {}
    with threadpool_limits(1):
        for name in ("bo", "mobo"):
            problem, ids, sec = run_ours(bench, None, name, seed, budget, constraint)
            out[name] = (problem.view.score_ids(ids)["regret"], sec)
        view, ids, sec = run_optuna(bench, None, "optuna_tpe", seed, budget, constraint)
        infeasible = int((~view.allowed[ids]).sum())
        out["optuna_tpe"] = (view.score_ids(ids)["regret"], sec, infeasible)
    return device, quantile, seed, out


def _fmt(values, digits=4):
    v = np.asarray(values, dtype=float)
    q25, q50, q75 = np.percentile(v, [25, 50, 75])
    return f"{q50:.{digits}f} [{q25:.{digits}f}, {q75:.{digits}f}]"


def headline(results, table, budget) -> list[str]:
    """The README's table: mobo against Optuna's TPE per objective pair, and the
    constrained share per searcher."""
    mobo = next(m for m in next(iter(results.values()))[0] if m.startswith("mobo"))
    lines = [
        f"| objective pair (front) | {mobo} HV@100 | TPE HV@100 | {mobo} front found @100 | "
        f"TPE found @100 | {mobo} HV wins vs TPE @100 | {mobo} HV@{budget} | TPE HV@{budget} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for second, runs in results.items():

        def med(m, q, k, runs=runs):
            return np.median([r[m][str(q)][k] for r in runs])

        wins = sum(r[mobo]["100"]["hv"] > r["optuna_tpe"]["100"]["hv"] + 1e-12 for r in runs)
        front = runs[0][mobo]["front"]
        lines.append(
            f"| {second} ({front}) | {med(mobo, 100, 'hv'):.4f} | "
            f"{med('optuna_tpe', 100, 'hv'):.4f} | {med(mobo, 100, 'found'):.1f} "
            f"({100 * med(mobo, 100, 'found') / front:.0f}%) | "
            f"{med('optuna_tpe', 100, 'found'):.1f} | {wins}/{len(runs)} | "
            f"{med(mobo, budget, 'hv'):.4f} | {med('optuna_tpe', budget, 'hv'):.4f} |"
        )
    lines.append("")
    if table:
        share = {m: [] for m in ("bo", "mobo", "optuna_tpe")}
        for runs in table.values():
            for m in share:
                share[m].append(np.mean([r[m][0] <= 1e-9 for r in runs]))
        ok = {m: sum(v >= 0.9 for v in share[m]) for m in share}
        lines += [
            f"Constrained (7 devices x 3 budgets = {len(table)} cases, 100 queries): the "
            f"constrained optimum found in >= 90 % of seeds in {ok['bo']} cases by bo, "
            f"{ok['mobo']} by mobo, {ok['optuna_tpe']} by TPE; median share of seeds "
            f"{100 * np.median(share['bo']):.0f} % / {100 * np.median(share['mobo']):.0f} % / "
            f"{100 * np.median(share['optuna_tpe']):.0f} %.",
            "",
        ]
    return lines


def report_pareto(results, seconds_by, budget, seeds, acquisitions) -> list[str]:
    lines = []
    tpe = "optuna_tpe"
    methods = list(next(iter(results.values()))[0])
    for q in sorted({100, budget}):
        lines += [
            f"### Q = {q}: hypervolume fraction median [IQR] / true-front members found "
            f"(median), queried cells; {seeds} seeds",
            "",
            "| objective pair (front size) | " + " | ".join(methods) + " |",
            "|---|" + "---|" * len(methods),
        ]
        for second, runs in results.items():
            cells = []
            for m in methods:
                hv = [r[m][str(q)]["hv"] for r in runs]
                found = [r[m][str(q)]["found"] for r in runs]
                cells.append(f"{_fmt(hv)} / {np.median(found):.1f}")
            lines.append(
                f"| acc x {second} ({runs[0][methods[0]]['front']}) | " + " | ".join(cells) + " |"
            )
        lines += ["", f"Paired wins in hypervolume fraction at Q = {q} against Optuna's TPE "
                  "(win/tie/loss over seeds), and the same under network scoring:", "",
                  "| objective pair | " + " | ".join(m for m in methods if m != tpe) + " |",
                  "|---|" + "---|" * (len(methods) - 1)]  # fmt: skip
        for second, runs in results.items():
            cells = []
            for m in methods:
                if m == "optuna_tpe":
                    continue
                w = t = w_c = 0
                for r in runs:
                    a, b = r[m][str(q)]["hv"], r["optuna_tpe"][str(q)]["hv"]
                    w += a > b + 1e-12
                    t += abs(a - b) <= 1e-12
                    w_c += r[m][str(q)]["hv_net"] > r["optuna_tpe"][str(q)]["hv_net"] + 1e-12
                cells.append(f"{w}/{t}/{len(runs) - w - t} (networks: {w_c} wins)")
            lines.append(f"| acc x {second} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [f"### Q = 100 under network scoring (generous: a trained network's cheaper "
              f"equivalent cells count as found): hypervolume fraction median / true-front "
              f"cells found (median); {seeds} seeds", "",
              "| objective pair (front size) | " + " | ".join(methods) + " |",
              "|---|" + "---|" * len(methods)]  # fmt: skip
    for second, runs in results.items():
        cells = []
        for m in methods:
            hv = np.median([r[m]["100"]["hv_net"] for r in runs])
            cells.append(f"{hv:.4f} / {np.median([r[m]['100']['found_net'] for r in runs]):.1f}")
        lines.append(
            f"| acc x {second} ({runs[0][methods[0]]['front']}) | " + " | ".join(cells) + " |"
        )
    lines.append("")
    lines += ["Wall seconds per run (median over every pair and seed, one thread):", "",
              "| " + " | ".join(methods) + " |", "|" + "---|" * len(methods),
              "| " + " | ".join(f"{np.median(seconds_by[m]):.2f}" for m in methods) + " |",
              ""]  # fmt: skip
    return lines


def _cached(path: Path) -> dict[str, dict]:
    """Finished tasks of an interrupted run (one JSON line each), by key."""
    if not path.exists():
        return {}
    done = {}
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a kill
        done[entry["key"]] = entry["out"]
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/data/nbsz_full")
    parser.add_argument("--objective-data", default="../shared/data")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--acquisitions", default="hvi")
    parser.add_argument("--pairs", default=",".join((*DEVICES, ROBUST)))
    parser.add_argument("--constrained-seeds", type=int, default=None)
    parser.add_argument("--cache", default=str(Path(__file__).parent / "out" / "multi_objective"))
    parser.add_argument("--out", default=None)
    parser.add_argument("--report-only", action="store_true", help="report the cached tasks")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    bench = load(str(Path(args.data_dir).resolve()), str(Path(args.objective_data).resolve()))
    acquisitions = args.acquisitions.split(",")
    pairs = args.pairs.split(",")
    cseeds = args.constrained_seeds or args.seeds
    started = time.perf_counter()
    # every task is cached as it finishes (a rerun resumes), seed-major: an early stop
    # still covers every pair and device with the first seeds
    cache = Path(args.cache) / f"b{args.budget}-{args.acquisitions}-cells.jsonl"
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = _cached(cache)
    bounds = {}
    for device in DEVICES:
        view = _problem(bench, device, 1).view
        lat = view.column(device)[view.measured]
        bounds.update({(device, q): float(np.quantile(lat, q)) for q in QUANTILES})
    jobs = []
    for seed in range(max(args.seeds, cseeds)):
        if seed < args.seeds:
            jobs += [(f"pareto|{p}|{seed}", delayed(pareto_task)(bench, p, seed, args.budget,
                      acquisitions)) for p in pairs]  # fmt: skip
        if seed < cseeds:
            jobs += [(f"constrained|{d}|{q}|{seed}",
                      delayed(constrained_task)(bench, d, q, bounds[(d, q)], seed, 100))
                     for d in DEVICES for q in QUANTILES]  # fmt: skip
    todo = [(k, j) for k, j in jobs if k not in done] if not args.report_only else []
    outputs = Parallel(n_jobs=args.n_jobs, return_as="generator")(j for _, j in todo)
    with open(cache, "a") as f:
        for (key, _), out in zip(todo, outputs):
            out = out[-1]  # the task's result dict
            done[key] = out
            f.write(json.dumps({"key": key, "out": out}) + "\n")
            f.flush()
    results: dict[str, list[dict]] = {}
    seconds_by: dict[str, list[float]] = {}
    table: dict = {}
    for key, _ in jobs:
        if key not in done:  # --report-only before every task finished
            continue
        kind, *rest = key.split("|")
        out = done[key]
        if kind == "pareto":
            results.setdefault(rest[0], []).append(out)
            for m, r in out.items():
                seconds_by.setdefault(m, []).append(r["seconds"])
        else:
            table.setdefault((rest[0], float(rest[1])), []).append(out)
    lines = [
        "# Multi-objective and constrained NAS on the whole NB201 CIFAR-10 table",
        "",
        f"Printed by `python benchmarks/multi_objective.py --seeds {args.seeds} --budget "
        f"{args.budget} --acquisitions {args.acquisitions} --constrained-seeds {cseeds}` on "
        f"{datetime.date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, {args.n_jobs} runs at a time, one "
        f"thread each ({time.perf_counter() - started:.0f} s this call; tasks are cached in "
        f"{cache.name}). Data: `nbsz_full/` "
        "(9,445 networks, 15,625 cells), HW-NAS-Bench `hw_cifar10.csv`, robustness "
        "`robustness_cifar10.csv`. Hypervolume: EvoXBench convention (objectives "
        "normalised between the true front's ideal and nadir, reference point 1), "
        "scored on the queried cells unless a table says otherwise.",
        "",
    ]
    n_pareto = min((len(r) for r in results.values()), default=0)
    n_cons = min((len(r) for r in table.values()), default=0)
    lines += [f"## Headline ({n_pareto} seeds; constrained: {n_cons} seeds)", ""]
    lines += headline(results, table, args.budget)
    lines += report_pareto(results, seconds_by, args.budget, n_pareto, acquisitions)
    lines += [
        f"## Constrained: best accuracy with latency <= the q-quantile of the device's "
        f"cells, 100 queries, {n_cons} seeds",
        "",
        "Share of seeds that found the constrained optimum within 100 queries "
        "(and Optuna TPE's median queries spent on infeasible cells):",
        "",
        "| device | " + " | ".join(f"q = {q:.0%}: bo / mobo / TPE" for q in QUANTILES) + " |",
        "|---|" + "---|" * len(QUANTILES),
    ]
    for device in DEVICES:
        cells = []
        for q in QUANTILES:
            runs = table.get((device, q), [])
            if not runs:
                cells.append("-")
                continue
            share = [np.mean([r[m][0] <= 1e-9 for r in runs]) for m in ("bo", "mobo", "optuna_tpe")]
            inf = np.median([r["optuna_tpe"][2] for r in runs])
            cells.append(" / ".join(f"{100 * s:.0f}%" for s in share) + f" ({inf:.0f} infeasible)")
        lines.append(f"| {device} | " + " | ".join(cells) + " |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
