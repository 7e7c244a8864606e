"""The proxy-analysis figures the README quotes, from `nas-surrogate analyze` runs.

    python benchmarks/analyze_figures.py --data-dir ../shared/data/nbsz

1. ``analyze correlations`` on all 19 NAS-Bench-Suite-Zero tasks, timed.
2. ``analyze information`` on nasbench201/cifar10: the accuracy entropy, the two most
   informative proxies, the most complementary pair.
3. ``analyze bias`` on nasbench201/cifar10: Kendall tau of nwot, synflow and flops before
   and after removing cell size, and flops' Spearman with params.
Raw outputs stay under benchmarks/out/analyze/.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd

from nas_surrogate.experiments.analyze import analyze

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz")
    args = parser.parse_args()
    data_dir = str(Path(args.data_dir).resolve())
    out = HERE / "out" / "analyze"
    print(f"{platform.machine()}, {os.cpu_count()} cores")
    t = time.perf_counter()
    analyze("correlations", "nbsz", out / "correlations", data_dir)
    print(f"correlations on the 19 tasks: {time.perf_counter() - t:.1f} s")

    info = analyze("information", "nasbench201/cifar10", out / "information", data_dir)
    s = info["per_benchmark"]["nasbench201/cifar10"]
    singles = pd.read_csv(out / "information" / "proxy_information.csv")
    pairs = pd.read_csv(out / "information" / "pair_information.csv")
    top = singles.sort_values("mi_bits", ascending=False).head(2)
    best_pair = pairs.sort_values("gain_over_best_bits", ascending=False).iloc[0]
    print(f"accuracy entropy {s['accuracy_entropy_bits']:.1f} bits; "
          + ", ".join(f"{r.proxy} {r.mi_bits:.2f} bits" for r in top.itertuples())
          + f"; best pair {best_pair.proxy_a} + {best_pair.proxy_b} "
          f"(+{best_pair.gain_over_best_bits:.2f} bits over the better one)")  # fmt: skip

    analyze("bias", "nasbench201/cifar10", out / "bias", data_dir)
    debias = pd.read_csv(out / "bias" / "debias.csv").set_index("proxy")
    for proxy in ("nwot", "synflow", "flops"):
        r = debias.loc[proxy]
        print(f"{proxy}: Kendall {r.kendall_before:.3f} -> {r.kendall_after:.3f} without size "
              f"(Spearman with params {r.spearman_with_params:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
