"""Why each unit runs with one OpenMP/BLAS thread: time a 2-worker search grid both ways.

    python benchmarks/thread_limits.py --data-dir ../shared/data/nbsz_full

Four bo units (onehot+zc, budget 150), in-process (``--n-jobs 1``) and on two joblib
workers, once with the library default (XGBoost copies labels with an OpenMP team of
every core) and once with the one-thread limit the runner applies. Run on a quiet
machine; prints wall seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from functools import partial
from pathlib import Path

from joblib import Parallel, delayed

from nas_surrogate.experiments.runner import one_thread
from nas_surrogate.experiments.search import SearchConfig, SearchUnit, run_unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz_full")
    args = parser.parse_args()
    config = SearchConfig(benchmarks=["nasbench201/cifar10"], searchers=["bo"], budget=150,
                          data_dir=str(Path(args.data_dir).resolve()))  # fmt: skip
    units = [SearchUnit("nasbench201/cifar10", "bo", "ensemble", "onehot+zc", s) for s in range(4)]
    work = partial(run_unit, config=config)
    Parallel(n_jobs=2)(delayed(work)(SearchUnit("nasbench201/cifar10", "random", "-", "-", s))
                       for s in range(2))  # warm the workers' caches  # fmt: skip
    print(f"{platform.machine()}, {os.cpu_count()} cores; 4 bo units (onehot+zc, budget 150)")
    limited = partial(one_thread, work)
    for jobs in (1, 2):
        for label, fn in (("library default", work), ("one thread per unit", limited)):
            t = time.perf_counter()
            Parallel(n_jobs=jobs)(delayed(fn)(u) for u in units)
            print(f"n_jobs={jobs}, {label}: {time.perf_counter() - t:.1f} s", flush=True)


if __name__ == "__main__":
    main()
