"""What resuming an ``Optimizer`` costs as its history grows.

    python benchmarks/resume_cost.py [--sizes 20,50,100,200,300] [--searchers random,evolution,bo]

For each searcher: one optimiser on the whole NB201 CIFAR-10 table (onehot+zc for bo,
proxy scores read from the table, accuracies told from it), asked and told one network
at a time; at each size the state is saved and loaded again (median of 3 loads, each
timed from the file to a ready optimiser), and the loaded optimiser's next 5 proposals
are compared with the original's. Prints one row per (searcher, size): save and load
seconds, file size, and whether the next proposals are identical.

``ask``/``tell`` from the shell load and save the state on every call, so the load time
is what each call costs at that history.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from nas_surrogate import load_benchmark
from nas_surrogate.optimizer import Optimizer

ROOT = Path(__file__).resolve().parents[1]
FEATURES = {"bo": "onehot+zc", "random": "onehot", "evolution": "onehot"}


def value(bench, opt: Optimizer, arch: str) -> float:
    return float(bench.val_accuracy[bench.index_of(opt.space.parse(arch)[None])[0]])


def run(searcher: str, sizes: list[int], bench, work: Path) -> list[dict]:
    opt = Optimizer(
        "nasbench201", searcher, features=FEATURES.get(searcher, "onehot"), proxies=bench, seed=0
    )
    rows = []
    for size in sizes:
        while len(opt.history) < size:
            (arch,) = opt.ask(1)
            opt.tell([arch], [value(bench, opt, arch)])
        path = work / f"{searcher}-{size}.json"
        t = time.perf_counter()
        opt.save(path)
        save_s = time.perf_counter() - t
        loads = []
        for _ in range(3):
            t = time.perf_counter()
            loaded = Optimizer.load(path, bench)
            loads.append(time.perf_counter() - t)
        nxt = opt.ask(5)
        same = loaded.ask(5) == nxt
        opt.tell(nxt, [value(bench, opt, a) for a in nxt])  # the run goes on from there
        rows.append(
            {
                "searcher": searcher,
                "results": size,
                "save_s": save_s,
                "load_s": float(np.median(loads)),
                "kib": path.stat().st_size / 1024,
                "same_next": same,
            }
        )
        r = rows[-1]
        print(
            f"{searcher:10s} {size:4d} results: save {r['save_s']:.3f} s, load "
            f"{r['load_s']:.3f} s, {r['kib']:.0f} KiB, next 5 identical: {same}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "nbsz_full"))
    parser.add_argument("--sizes", default="20,50,100,200,300")
    parser.add_argument("--searchers", default="random,evolution,bo")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    bench = load_benchmark("nasbench201/cifar10", args.data_dir)
    work = Path(tempfile.mkdtemp(prefix="resume-cost-"))
    print(
        f"# resume cost, {platform.machine()}, {platform.python_version()}, "
        f"{datetime.date.today()}: python benchmarks/resume_cost.py --sizes {args.sizes} "
        f"--searchers {args.searchers}"
    )
    for searcher in args.searchers.split(","):
        run(searcher, sizes, bench, work)


if __name__ == "__main__":
    main()
