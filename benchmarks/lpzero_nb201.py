"""LPZero on NB201 (experiments 1 and 5 of the LPZero issue, and the proxy table that
experiments 2 and 3 read): one command.

    python benchmarks/lpzero_nb201.py [--full-dir ../shared/data/nbsz_full]
        [--nbsz-dir ../shared/data/nbsz] [--seeds 5 --fitness 100 --heldout 1000]
        [--iterations 1000 --n-jobs 2 --devices cpu[,cuda] --out benchmarks/results/lpzero]

Protocol (everything computed by this project, on the same seeded synthetic batch: 16
Gaussian 3x32x32 images, the NB201 skeleton of 16 channels and 5 cells per stage, seed 0
for every network's initialisation):

- ground truth: the whole NB201 CIFAR-10 table (``nbsz_full``, 9,445 networks, validation
  accuracy); a held-out set of ``--heldout`` networks drawn once (seed 12345); per GP
  seed s, ``--fitness`` networks drawn from the others (seed s) are the only labels the
  search sees;
- the search: ``evolve-proxy --from primitives``'s GP (population 80, ``--iterations``,
  Spearman fitness), one run per seed;
- scored on the held-out networks (Kendall tau, the convention of NAS-Bench-Suite-Zero
  and LPZero; Spearman beside it), against the 13 hand-crafted proxies computed the same
  way (``compute_proxies``, same batch, skeleton and seeds) and against the table's own
  published scores of the same networks (NASLib's implementation, a CIFAR batch);
- transfer without re-search: each seed's expression and the 13 proxies on the 725 cells
  of the CIFAR-100 and ImageNet16-120 files of ``nbsz``, scored against those tasks'
  accuracies (the networks as for CIFAR-10: 10-class head, the same batch, so one
  computation serves both tasks), the fitness networks left out;
- cost: seconds of the primitive pass per network and of the GP per iteration (on each
  device of ``--devices`` for the pass);
- ``OUT/proxy.json``: seed 0's expression (fixed in advance: no choice among seeds on
  held-out scores); ``OUT/lpz_table.csv``: its score on
  every network of the table but its fitness set (those are left out, so a predictor
  tested on the table never reads a score chosen on its own test labels).

Writes ``OUT/lpzero_nb201.json`` and prints a markdown summary.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

HELDOUT_SEED = 12345
BATCH = {"kind": "synthetic", "size": 16, "seed": 0, "shape": [3, 32, 32]}


def _batch(n_classes: int, device: str = "cpu"):
    from nas_surrogate.proxies.base import synthetic_batch

    return synthetic_batch(BATCH["size"], n_classes, BATCH["seed"], device)


def _build(n_classes: int):
    from nas_surrogate.experiments.evolve_primitives import _nb201_build

    return functools.partial(_nb201_build, n_classes=n_classes, in_channels=3, channels=16,
                             n_cells=5)  # fmt: skip


def _proxies_chunk(keys: list[str], n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from nas_surrogate.proxies import compute_proxies
    from nas_surrogate.proxy_names import PROXY_NAMES
    from nas_surrogate.spaces import get_space

    torch.set_num_threads(1)
    archs = get_space("nasbench201").parse_many(keys)
    return compute_proxies(archs, PROXY_NAMES, batch=_batch(n_classes), seed=0)


def hand_crafted(keys: list[str], n_classes: int, n_jobs: int) -> tuple[np.ndarray, float]:
    """(scores (n, 13), mean seconds per network of all 13) computed by the project."""
    from joblib import Parallel, delayed

    parts = [keys[i : i + 16] for i in range(0, len(keys), 16)]
    done = Parallel(n_jobs=n_jobs)(delayed(_proxies_chunk)(p, n_classes) for p in parts)
    scores = np.vstack([d[0] for d in done])
    seconds = np.vstack([d[1] for d in done]).sum(axis=1).mean()
    return scores, float(seconds)


def prims(keys: list[str], n_classes: int, n_jobs: int, device: str = "cpu"):
    from nas_surrogate.experiments.evolve_primitives import primitives_of

    return primitives_of(keys, _build(n_classes), _batch(n_classes), max_bytes=262_144,
                         seed=0, n_jobs=n_jobs, device=device)  # fmt: skip


def kendall(x: np.ndarray, y: np.ndarray) -> float:
    from scipy import stats

    ok = np.isfinite(x) & np.isfinite(y)
    return float(stats.kendalltau(x[ok], y[ok]).statistic) if ok.sum() > 2 else float("nan")


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy import stats

    ok = np.isfinite(x) & np.isfinite(y)
    return float(stats.spearmanr(x[ok], y[ok]).statistic) if ok.sum() > 2 else float("nan")


def _search(table, y, seed: int, iterations: int) -> dict:
    from nas_surrogate.analysis.lpzero_search import GPSettings, LPZeroSearch

    search = LPZeroSearch(table, y, GPSettings(iterations=iterations, seed=seed))
    state = search.run()
    genome, fit = search.best(state)
    return {"genome": genome.to_dict(), "readable": str(genome), "fitness": fit,
            "seconds": state.seconds, "evaluated": state.evaluated, "pruned": state.pruned,
            "seconds_saved": search.seconds_saved(state),
            "seconds_per_iteration": state.seconds / max(iterations, 1)}  # fmt: skip


def _best(scores: np.ndarray, y: np.ndarray, names) -> dict:
    taus = {n: kendall(scores[:, j], y) for j, n in enumerate(names)}
    name = max(taus, key=lambda n: -np.inf if np.isnan(taus[n]) else taus[n])
    j = list(names).index(name)
    return {"proxy": name, "kendall": taus[name], "spearman": spearman(scores[:, j], y),
            "all": taus}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full-dir", default="../shared/data/nbsz_full")
    ap.add_argument("--nbsz-dir", default="../shared/data/nbsz")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--fitness", type=int, default=100)
    ap.add_argument("--heldout", type=int, default=1000)
    ap.add_argument("--iterations", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--devices", default="cpu")
    ap.add_argument("--transfer-networks", type=int, default=0, help="first N (0: all)")
    ap.add_argument("--skip-table", action="store_true", help="no lpz_table.csv")
    ap.add_argument("--out", default="benchmarks/results/lpzero")
    ap.add_argument("--md", default="docs/lpzero_nb201.md", help="markdown page written")
    ap.add_argument("--report-only", action="store_true", help="rewrite --md from OUT's JSON")
    ap.add_argument(
        "--resume",
        action="store_true",
        help="keep the phases OUT/lpzero_nb201.json already holds (same settings)",
    )
    args = ap.parse_args()
    if args.report_only:
        result = json.loads((Path(args.out) / "lpzero_nb201.json").read_text())
        Path(args.md).write_text(report(result))
        print(report(result))
        return
    from nas_surrogate.benchmarks import load_benchmark
    from nas_surrogate.proxy_names import PROXY_NAMES

    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bench = load_benchmark("nasbench201/cifar10", args.full_dir)
    keys = [bench.space.format(a) for a in bench.archs]
    y_all = bench.val_accuracy
    rows = np.flatnonzero(np.isfinite(y_all))
    held = np.sort(np.random.default_rng(HELDOUT_SEED).choice(rows, args.heldout, replace=False))
    rest = np.setdiff1d(rows, held)
    fits = [np.sort(np.random.default_rng(s).choice(rest, args.fitness, replace=False))
            for s in range(args.seeds)]  # fmt: skip
    path = out / "lpzero_nb201.json"
    result = json.loads(path.read_text()) if args.resume and path.exists() else {}
    same = ("seeds", "fitness", "heldout", "iterations")
    if result and any(result["args"][k] != getattr(args, k) for k in same):
        raise SystemExit(f"{path} was made with other settings; drop --resume")
    save = functools.partial(_save, path, result, started)
    if "machine" in result:  # a run of an earlier version of this script: where it ran
        ran = f"{result['machine']}, {result['cpus']} CPUs, {result['date']}"
        result.setdefault("machines", {k: ran for k in ("search", "table") if k in result
                                       or (k == "search" and "runs" in result)
                                       or (k == "table" and "table_wall" in result)})  # fmt: skip
    if "runs" not in result:
        result.update(_search_phase(args, bench, keys, held, fits))
        result["machines"] = {"search": _machine()}
        _write_proxy(out, result["runs"][0], 0, args, result["pass_seconds"]["cpu"])
        save()
    runs = result["runs"]
    if not args.skip_table and "table_wall" not in result:
        t = time.perf_counter()
        _write_table(out, runs[0], fits[0], keys, args.n_jobs)  # seed 0: fixed in advance
        result["table_wall"] = time.perf_counter() - t
        result["machines"]["table"] = _machine()
        save()
    if "best_computed" not in result:
        t = time.perf_counter()
        computed, proxy_seconds = hand_crafted([keys[i] for i in held], 10, args.n_jobs)
        result["proxies_wall"] = time.perf_counter() - t
        result["proxies_seconds_per_network"] = proxy_seconds
        best_computed = _best(computed, y_all[held], PROXY_NAMES)
        result["best_computed"] = best_computed
        for run in runs:
            run["margin_vs_computed"] = run["heldout"]["kendall"] - best_computed["kendall"]
        result["machines"]["proxies"] = _machine()
        save()
    if "transfer" not in result:
        result["transfer"] = _transfer(args, runs, fits, keys)
        result["machines"]["transfer"] = _machine()
        save()
    for device in [d for d in args.devices.split(",") if d != "cpu"]:
        import torch

        if device.startswith("cuda") and torch.cuda.is_available():
            sample = [keys[i] for i in held[:200]]
            prims(sample[:16], 10, 1, device)  # warm-up
            t = time.perf_counter()
            prims(sample, 10, 1, device)
            torch.cuda.synchronize()
            result["pass_seconds"][device] = (time.perf_counter() - t) / len(sample)
    result["table_seed"] = 0
    save()
    Path(args.md).write_text(report(result))
    print(json.dumps({k: result.get(k) for k in ("best_computed", "best_table", "pass_seconds")},
                     indent=1, default=str)[:3000])  # fmt: skip
    for r in runs:
        print(r["readable"], r["fitness"], r["heldout"], r["seconds"])
    print(json.dumps(result["transfer"], indent=1)[:2000])


def _median_iqr(values: list[float]) -> str:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return f"{med:.3f} (IQR {q1:.3f}-{q3:.3f})"


def report(result: dict) -> str:
    """The markdown page of a run (every figure from ``result``)."""
    runs, args = result["runs"], result["args"]
    taus = [r["heldout"]["kendall"] for r in runs]
    computed, table = result.get("best_computed"), result["best_table"]
    lines = [
        "# LPZero on NB201: proxies evolved from primitive statistics", "",
        "Printed by `python benchmarks/lpzero_nb201.py --full-dir DATA/nbsz_full --nbsz-dir "
        f"DATA/nbsz --n-jobs {args['n_jobs']}` (phases resumed with `--resume`: "
        f"{', '.join(f'{k}: {v}' for k, v in result['machines'].items())}).",
        "", f"{len(runs)} GP seeds, {args['fitness']} fitness networks each (the only labels a "
        f"search sees), population 80, {args['iterations']} iterations, Spearman fitness; "
        f"scored on {args['heldout']} held-out networks of the whole NB201 CIFAR-10 table "
        "(9,445 networks), Kendall tau (headline, as NAS-Bench-Suite-Zero and LPZero), "
        "Spearman beside it. Everything computed by this project on one synthetic batch (16 "
        "Gaussian 3x32x32 images, seed 0), the NB201 skeleton (16 channels, 5 cells per "
        "stage), seed 0 for every network.", "",
        "| seed | expression | fitness (rho, 100 nets) | held-out tau | held-out rho |",
        "|---|---|---|---|---|",
    ]  # fmt: skip
    for i, r in enumerate(runs):
        h = r["heldout"]
        lines.append(f"| {i} | `{r['readable']}` | {r['fitness']:.3f} | {h['kendall']:.3f} | "
                     f"{h['spearman']:.3f} |")  # fmt: skip
    lines += [
        "",
        f"Evolved proxy, held-out Kendall tau over seeds: median {_median_iqr(taus)}.",
        "",
    ]
    if computed:
        margins = [t - computed["kendall"] for t in taus]
        lines += [
            f"Best of the 13 hand-crafted proxies computed the same way (same batch, skeleton, "
            f"seeds): **{computed['proxy']} {computed['kendall']:.3f}** (chosen on the held-out "
            "networks themselves, which favours the baseline). Margin of the evolved proxy: "
            f"median {np.median(margins):+.3f}; ahead in {sum(m > 0 for m in margins)} of "
            f"{len(margins)} seeds. Goal: +0.05 in the median seed: "
            f"{'met' if np.median(margins) >= 0.05 else 'missed'}.", "",
            "All 13 computed the same way, held-out tau: " + ", ".join(
                f"{k} {v:.3f}" for k, v in sorted(computed["all"].items(), key=lambda kv: -kv[1])
            ) + ".", "",
        ]  # fmt: skip
    lines += [
        f"The table's own published scores of the same networks (NASLib's code on a CIFAR "
        f"batch): best {table['proxy']} {table['kendall']:.3f}. EZNAS (the CNN predecessor of "
        "LPZero) reports 0.620 on NB201 CIFAR-10 with real CIFAR batches and its own "
        "implementation; the figures here use a synthetic batch, so they compare with that "
        "number only loosely.", "",
    ]  # fmt: skip
    for task, per_seed in result.get("transfer", {}).items():
        ev = [p["kendall"] for p in per_seed]
        hc = per_seed[0]["best_computed_kendall"]
        ahead = sum(p["kendall"] > p["best_computed_kendall"] for p in per_seed)
        lines.append(
            f"Transfer to {task} (725-cell NB-Suite-Zero file, {per_seed[0]['networks']} networks "
            f"outside a fitness set, no re-search): evolved median tau {np.median(ev):.3f}, best "
            f"hand-crafted computed the same way {per_seed[0]['best_computed']} {hc:.3f}; "
            f"evolved ahead in {ahead} of {len(per_seed)} seeds."
        )  # fmt: skip
    lines += ["", "## Cost", ""]
    ps = result["pass_seconds"]
    gp = [r["seconds"] for r in runs]
    lines += [
        f"- primitive pass: {ps['cpu']:.3f} s per network on one CPU thread"
        + "".join(f", {v * 1000:.1f} ms on {k}" for k, v in ps.items() if k != "cpu") + ";",
        f"- GP ({args['iterations']} iterations on the cached primitives of "
        f"{args['fitness']} networks, one thread): median {np.median(gp):.1f} s, "
        f"{np.median(gp) / args['iterations'] * 1000:.1f} ms per iteration;",
        f"- a whole search on one thread: {args['fitness']} passes + GP = "
        f"{args['fitness'] * ps['cpu'] + np.median(gp):.0f} s (goal: <= 20 minutes on 2 cores).",
    ]  # fmt: skip
    if result.get("proxies_seconds_per_network"):
        lines.append(f"- the 13 hand-crafted proxies: {result['proxies_seconds_per_network']:.2f} "
                     "s per network (each on a freshly built network).")  # fmt: skip
    pruned = {k: int(np.sum([r["pruned"][k] for r in runs])) for k in runs[0]["pruned"]}
    saved = {
        k: float(np.sum([r["seconds_saved"][k] for r in runs])) for k in runs[0]["seconds_saved"]
    }
    lines += ["", "Pruning, summed over seeds (expressions; estimated seconds saved): " + ", ".join(
        f"{k} {v}" + (f" ({saved[k]:.1f} s)" if k in saved else "") for k, v in pruned.items()
    ) + f"; expressions evaluated in full: {sum(r['evaluated'] for r in runs)}."]  # fmt: skip
    return "\n".join(lines) + "\n"


def _machine() -> str:
    return f"{platform.platform()}, {os.cpu_count()} CPUs, {datetime.date.today().isoformat()}"


def _search_phase(args, bench, keys: list[str], held: np.ndarray, fits: list) -> dict:
    """Primitives of the fitness and held-out networks, one GP run per seed, and each
    run's expression and the table's published proxies on the held-out networks."""
    from joblib import Parallel, delayed

    from nas_surrogate.proxies.lpzero import Genome, PrimitiveTable, evaluate
    from nas_surrogate.proxy_names import PROXY_NAMES

    y_all = bench.val_accuracy
    need = np.unique(np.concatenate([held, *fits]))
    t = time.perf_counter()
    got = prims([keys[i] for i in need], 10, args.n_jobs)
    pass_wall = time.perf_counter() - t
    by_row = dict(zip(need.tolist(), got))
    tables = [PrimitiveTable([by_row[i] for i in f]) for f in fits]
    runs = Parallel(n_jobs=min(args.n_jobs, args.seeds))(
        delayed(_search)(tab, y_all[f], s, args.iterations)
        for s, (tab, f) in enumerate(zip(tables, fits))
    )
    held_table = PrimitiveTable([by_row[i] for i in held])
    for run in runs:
        s = evaluate(Genome.from_dict(run["genome"]), held_table)
        run["heldout"] = {"kendall": kendall(s, y_all[held]), "spearman": spearman(s, y_all[held])}
    return {
        "date": datetime.date.today().isoformat(), "args": vars(args), "runs": runs,
        "pass_wall": pass_wall, "pass_seconds": {"cpu": float(np.mean([p.seconds for p in got]))},
        "best_table": _best(bench.proxy_columns(list(PROXY_NAMES))[held], y_all[held],
                            PROXY_NAMES),
    }  # fmt: skip


def _save(path: Path, result: dict, started: float) -> None:
    """The results so far (a run cut short keeps every finished phase)."""
    result["elapsed"] = time.perf_counter() - started
    path.write_text(json.dumps(result, indent=2))


def _write_proxy(out: Path, run: dict, seed: int, args, pass_seconds: float) -> None:
    doc = {
        "kind": "lpzero-proxy", "version": 1, "expression": run["genome"],
        "readable": run["readable"],
        "pass": {"max_bytes": 262_144, "seed": 0, "batch": "synthetic Gaussian 3x32x32, 16 "
                 "rows, seed 0", "seconds_per_network": pass_seconds, "batch_spec": BATCH},
        "fitness": {"metric": "spearman", "value": run["fitness"], "networks": args.fitness,
                    "source": f"nasbench201/cifar10 (lpzero_nb201.py seed {seed})"},
    }  # fmt: skip
    (out / "proxy.json").write_text(json.dumps(doc, indent=2))


def _write_table(out: Path, run: dict, fit: np.ndarray, keys: list[str], n_jobs: int) -> None:
    """The expression on every network but its fitness set, as a --proxy-table CSV."""
    from nas_surrogate.proxies.lpzero import Genome, PrimitiveTable, evaluate

    seen = set(fit.tolist())
    others = [i for i in range(len(keys)) if i not in seen]
    allp = prims([keys[i] for i in others], 10, n_jobs)
    scores = evaluate(Genome.from_dict(run["genome"]), PrimitiveTable(allp))
    name = f"lpz:{out / 'proxy.json'}"
    lines = [f"arch,{name},{name}_seconds"]
    lines += [f'"{keys[i]}",{float(s)!r},{float(p.seconds)!r}'
              for i, s, p in zip(others, scores, allp)]  # fmt: skip
    (out / "lpz_table.csv").write_text("\n".join(lines) + "\n")


def _transfer(args, runs: list[dict], fits: list[np.ndarray], keys: list[str]) -> dict:
    """Each seed's expression and the 13 proxies against the CIFAR-100 and ImageNet16-120
    accuracies of the 725-cell files (networks with a 10-class head on the same batch:
    one computation serves both tasks; the fitness networks left out)."""
    from nas_surrogate.benchmarks import load_benchmark
    from nas_surrogate.proxies.lpzero import Genome, PrimitiveTable, evaluate
    from nas_surrogate.proxy_names import PROXY_NAMES

    first = load_benchmark("nasbench201/cifar100", args.nbsz_dir)
    limit = args.transfer_networks or first.n_archs
    tkeys = [first.space.format(a) for a in first.archs[:limit]]
    ttable = PrimitiveTable(prims(tkeys, 10, args.n_jobs))
    hc, _ = hand_crafted(tkeys, 10, args.n_jobs)
    transfer = {}
    for task in ("cifar100", "ImageNet16-120"):
        tb = load_benchmark(f"nasbench201/{task}", args.nbsz_dir)
        acc = dict(zip((tb.space.format(a) for a in tb.archs), tb.val_accuracy))
        y = np.array([acc.get(k, np.nan) for k in tkeys])
        per_seed = []
        for run, f in zip(runs, fits):
            seen = {keys[i] for i in f}
            keep = np.array([k not in seen for k in tkeys]) & np.isfinite(y)
            s = evaluate(Genome.from_dict(run["genome"]), ttable)
            best = _best(hc[keep], y[keep], PROXY_NAMES)
            per_seed.append({"networks": int(keep.sum()), "kendall": kendall(s[keep], y[keep]),
                             "best_computed": best["proxy"],
                             "best_computed_kendall": best["kendall"]})  # fmt: skip
        transfer[task] = per_seed
    return transfer


if __name__ == "__main__":
    main()
