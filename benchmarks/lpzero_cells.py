"""Why the NB201 LPZero proxies transfer badly to the 725-cell NB-Suite-Zero files: one
command.

    python benchmarks/lpzero_cells.py [--full-dir DATA/nbsz_full] [--nbsz-dir DATA/nbsz]
        [--out benchmarks/results/lpzero] [--md docs/lpzero_cells.md]

The GP of ``benchmarks/lpzero_nb201.py`` saw networks of the whole CIFAR-10 table: one
cell per network (9,445 rows). The 725 cells of the NB-Suite-Zero files include cells that
the whole table lists under another cell of the same network (dead edges, equivalent
wirings). Those cells build networks with the same function but other weights and
gradients. Per GP seed, this script scores each expression on the 725 cells against the
CIFAR-10 and CIFAR-100 accuracies of the files, separately on the cells the whole table
lists and on the others. Beside them are two hand-crafted proxies computed the same way,
``params`` and ``l2_norm`` (the same batch, skeleton and seeds).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full-dir", default="../shared/data/nbsz_full")
    ap.add_argument("--nbsz-dir", default="../shared/data/nbsz")
    ap.add_argument("--out", default="benchmarks/results/lpzero")
    ap.add_argument("--md", default="docs/lpzero_cells.md")
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    from lpzero_nb201 import _batch, kendall, prims

    from nas_surrogate.benchmarks import load_benchmark
    from nas_surrogate.proxies import compute_proxies
    from nas_surrogate.proxies.lpzero import Genome, PrimitiveTable, evaluate

    result = json.loads((Path(args.out) / "lpzero_nb201.json").read_text())
    full = load_benchmark("nasbench201/cifar10", args.full_dir)
    listed = {full.space.format(a) for a in full.archs}
    files = {t: load_benchmark(f"nasbench201/{t}", args.nbsz_dir) for t in ("cifar10", "cifar100")}
    space = files["cifar10"].space
    keys = [space.format(a) for a in files["cifar10"].archs]
    ys = {}
    for task, bench in files.items():
        acc = dict(zip((space.format(a) for a in bench.archs), bench.val_accuracy))
        ys[task] = np.array([acc.get(k, np.nan) for k in keys])
    canon = np.array([k in listed for k in keys])
    table = PrimitiveTable(prims(keys, 10, args.n_jobs))
    hand, _ = compute_proxies(space.parse_many(keys), ["params", "l2_norm"], batch=_batch(10))
    rows = [("params", hand[:, 0]), ("l2_norm", hand[:, 1])]
    rows += [(f"seed {i}: `{r['readable']}`", evaluate(Genome.from_dict(r["genome"]), table))
             for i, r in enumerate(result["runs"])]  # fmt: skip
    lines = [
        "# LPZero proxies on the 725 NB-Suite-Zero cells: listed cells vs the others", "",
        f"Printed by `python benchmarks/lpzero_cells.py` on {platform.platform()}, "
        f"{os.cpu_count()} CPUs, {datetime.date.today().isoformat()}. Of the 725 cells, "
        f"{int(canon.sum())} are the cells the whole CIFAR-10 table lists for their network; "
        f"{int((~canon).sum())} are other cells of listed networks (dead edges, equivalent "
        "wirings). Kendall tau against each file's validation accuracy.", "",
        "| scores | CIFAR-10, listed | CIFAR-10, others | CIFAR-100, listed | CIFAR-100, others |",
        "|---|---|---|---|---|",
    ]  # fmt: skip
    for name, s in rows:
        cells = [kendall(s[m], ys[t][m]) for t in ("cifar10", "cifar100") for m in (canon, ~canon)]
        lines.append(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    Path(args.md).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
