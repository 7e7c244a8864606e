"""Cold and warm load time of every benchmark, each measured in a fresh process.

Cold: empty parse cache (JSON / pickle parsing, arch-string parsing, space tables).
Warm: the content-hash keyed cache filled by the cold run (hashing the sources + npz read).

    python benchmarks/load_time.py --data-dir ../shared/data/nbsz
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from nas_surrogate.benchmarks import available_benchmarks, load_benchmark
t1 = time.perf_counter()
per = {}
for bench_id in available_benchmarks(sys.argv[1]):
    t = time.perf_counter()
    load_benchmark(bench_id, sys.argv[1])
    per[bench_id] = time.perf_counter() - t
print(json.dumps({"import": t1 - t0, "load": sum(per.values()), "per": per}))
"""


def measure(data_dir: str, cache: str) -> dict:
    env = {**os.environ, "NAS_SURROGATE_CACHE": cache}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, data_dir], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        cold = measure(args.data_dir, cache)
        warm = measure(args.data_dir, cache)
        total = time.perf_counter() - t
    n = len(cold["per"])
    print(f"{n} benchmarks; python {sys.version.split()[0]}; {os.cpu_count()} cores")
    print(f"cold load: {cold['load']:.2f} s   warm load: {warm['load']:.2f} s")
    print(f"(import of the package: {cold['import']:.2f} s; whole script {total:.1f} s)")
    print(f"{'benchmark':40s} {'cold s':>8s} {'warm s':>8s}")
    for bench_id in cold["per"]:
        print(f"{bench_id:40s} {cold['per'][bench_id]:8.3f} {warm['per'][bench_id]:8.3f}")


if __name__ == "__main__":
    main()
