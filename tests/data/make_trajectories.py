"""Record searcher trajectories on the whole NB201 table (``nbsz_full``).

``trajectories.json`` was written by this script with the searchers' own loops, before
they became generators driven through ask/tell; ``tests/test_ask_tell.py`` checks that
every driver (the benchmark loop and ``Optimizer.ask/tell``) still walks the very same
cells. Run: ``python tests/data/make_trajectories.py ../shared/data/nbsz_full``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from nas_surrogate import load_benchmark
from nas_surrogate.searchers import SearchProblem, make_searcher

BUDGET = 40
SEEDS = (0, 1)
#: (label, searcher, features, searcher parameters)
CASES = [
    ("random", "random", None, {}),
    ("random_warm", "random", None, {"zc_warmup": "synflow"}),
    ("evolution", "evolution", None, {"population": 10}),
    ("evolution_guided", "evolution:guided", "onehot+zc", {"population": 10, "surrogate": "xgb"}),
    ("evolution_free", "evolution", None, {"objective": "vote", "proxy_steps": 200}),
    ("local_first", "local_search", None, {}),
    ("local_best", "local_search", None, {"mode": "best", "zc_warmup": "vote"}),
    ("local_guided", "local_search:guided", "onehot+zc", {"surrogate": "xgb"}),
    ("bo_ucb", "bo", "onehot+zc", {"surrogate": "rf", "acquisition": "ucb", "batch": 3}),
    ("bo_ensemble", "bo", "onehot+zc", {"surrogate": "ensemble"}),
    ("bo_ei_all", "bo", "onehot", {"surrogate": "rf", "acquisition": "ei", "candidates": "all"}),
]


def record(data_dir: str) -> dict:
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    out = {}
    for label, name, features, params in CASES:
        for seed in SEEDS:
            problem = SearchProblem(bench, budget=BUDGET, features=features)
            make_searcher(name, **params).run(problem, np.random.default_rng(seed))
            out[f"{label}/{seed}"] = [int(i) for i in problem.history()[0]]
    return out


if __name__ == "__main__":
    path = Path(__file__).with_name("trajectories.json")
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in record(sys.argv[1]).items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")
