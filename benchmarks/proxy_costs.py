"""The default seconds per proxy charged where a file records no ``time`` fields.

    python benchmarks/proxy_costs.py --data-dir ../shared/data/nbsz

Median recorded ``time`` per proxy over NAS-Bench-Suite-Zero's nasbench201/cifar10 file
(725 archs), and zen over the TransNAS-Bench-101 micro zen archive (the only recorded zen
times). Prints the table that ``nas_surrogate.proxy_names.DEFAULT_PROXY_SECONDS`` holds
and checks that the two agree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.nbsz import (
    TRANSNAS_TASKS,
    catalog,
    read_json,
    read_zen,
    split_tables,
)
from nas_surrogate.proxy_names import DEFAULT_PROXY_SECONDS, PROXY_NAMES


def measured(data_dir: Path) -> dict[str, float]:
    found = catalog(data_dir)
    src = found["nasbench201/cifar10"]
    _, tables = split_tables(read_json(src.path), str(src.path))
    records = next(r for _, task, r in tables if task == "cifar10")
    out = {}
    for proxy in PROXY_NAMES:
        times = [r[proxy]["time"] for r in records.values()
                 if isinstance(r.get(proxy), dict) and "time" in r[proxy]]  # fmt: skip
        if times:
            out[proxy] = round(float(np.median(times)), 4)
    micro = found["transbench101_micro/class_scene"]
    zen_times = []
    for task in TRANSNAS_TASKS:
        zen = read_zen(micro.zen_zip, "transbench101_micro", task)
        zen_times += [r["zen"]["time"] for r in zen.values() if "time" in r["zen"]]
    out["zen"] = round(float(np.median(zen_times)), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data/nbsz")
    args = parser.parse_args()
    table = measured(Path(args.data_dir).resolve())
    print("| proxy | median seconds | shipped default |")
    print("|---|---|---|")
    for proxy, seconds in table.items():
        print(f"| {proxy} | {seconds} | {DEFAULT_PROXY_SECONDS[proxy]} |")
    assert table == DEFAULT_PROXY_SECONDS, "the shipped defaults differ from the data"


if __name__ == "__main__":
    main()
