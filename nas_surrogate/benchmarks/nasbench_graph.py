"""``nasbenchgraph/{dataset}`` from the ``nas-bench-graph`` package (data in its wheel).

Target ``valid_perf``, test ``perf``; latency (s) and parameter count (M) are extras.
The proteins dataset was benchmarked with 5 of the 9 GNN ops, so it has its own space.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.spaces import get_space

GRAPH_DATASETS: tuple[str, ...] = (
    "cora",
    "citeseer",
    "pubmed",
    "cs",
    "physics",
    "photo",
    "computers",
    "arxiv",
    "proteins",
)
SOURCE = "nas-bench-graph (PyPI, light tables): valid_perf / perf, latency, params"


def graph_space_name(dataset: str) -> str:
    return "nasbenchgraph_proteins" if dataset == "proteins" else "nasbenchgraph"


def graph_data_file(dataset: str) -> Path:
    spec = importlib.util.find_spec("nas_bench_graph")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "light" / f"{dataset}.bench"


def load_nasbench_graph(dataset: str) -> Benchmark:
    from nas_bench_graph import light_read

    table = light_read(dataset)
    space = get_space(graph_space_name(dataset))
    archs = space.all_archs()
    records = [table[space.package_hash(a)] for a in archs]

    def column(field: str) -> np.ndarray:
        return np.array([float(r[field]) for r in records])

    n = len(archs)
    return Benchmark(
        id=f"nasbenchgraph/{dataset}",
        space=space,
        archs=archs,
        val_accuracy=column("valid_perf"),
        test_accuracy=column("perf"),
        proxy_names=(),
        proxy_scores=np.empty((n, 0)),
        proxy_seconds=np.empty((n, 0)),
        extras={"latency": column("latency"), "params": column("para")},
        source=SOURCE,
        full_space=True,
    )
