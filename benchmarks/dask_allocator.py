"""Why Dask workers get glibc's plain mmap threshold back (``nas_surrogate/allocator.py``).

    python benchmarks/dask_allocator.py [--repeats 4]

Trains the same NB201 network (digits, 2 epochs, one torch thread) in three fresh
processes: plain; with ``MALLOC_TRIM_THRESHOLD_=65536``, the variable Dask's nanny sets
in every worker; and with that variable plus ``roomy_malloc()``, what ``nas`` workers
run first. Prints the median seconds per training of each.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

CHILD = """
import json, statistics, sys, time
import numpy as np, torch
from nas_surrogate.allocator import roomy_malloc
from nas_surrogate.training import load_dataset, train_network
if sys.argv[2] == "fix":
    roomy_malloc()
torch.set_num_threads(1)
data = load_dataset("digits")
arch = np.array([3, 3, 1, 2, 3, 0])
train_network(arch, data, 1, 0, {"channels": 16, "n_cells": 1})  # warm-up
times = []
for seed in range(int(sys.argv[1])):
    t = time.perf_counter()
    train_network(arch, data, 2, seed, {"channels": 16, "n_cells": 1})
    times.append(time.perf_counter() - t)
print(json.dumps(statistics.median(times)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    dask = {**base, "MALLOC_TRIM_THRESHOLD_": "65536"}
    runs = {
        "plain process": (base, "none"),
        "MALLOC_TRIM_THRESHOLD_=65536 (a Dask worker)": (dask, "none"),
        "the same + roomy_malloc() (a nas worker)": (dask, "fix"),
    }
    print(f"# seconds per training, {platform.machine()}, {os.cpu_count()} cores, "
          f"{datetime.date.today()}: python benchmarks/dask_allocator.py "
          f"--repeats {args.repeats}")  # fmt: skip
    for label, (env, mode) in runs.items():
        out = subprocess.run([sys.executable, "-c", CHILD, str(args.repeats), mode], env=env,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        print(f"{label}: {json.loads(out.strip().splitlines()[-1]):.2f} s", flush=True)


if __name__ == "__main__":
    main()
