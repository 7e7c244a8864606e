"""Ask/tell: the benchmark loop and ``Optimizer`` drive the searchers' ``propose``.

Trajectories in ``data/trajectories.json`` were recorded with the searchers' own loops
before they became generators (``data/make_trajectories.py``); both drivers must walk
the very same cells for the same seed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from nas_surrogate import load_benchmark
from nas_surrogate.searchers import SearchProblem, make_searcher

DATA = Path(__file__).with_name("data")
_spec = importlib.util.spec_from_file_location("make_trajectories", DATA / "make_trajectories.py")
recorder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recorder)
RECORDED = json.loads((DATA / "trajectories.json").read_text())


@pytest.fixture(scope="module")
def full(full_data_dir):
    return load_benchmark("nasbench201/cifar10", full_data_dir)


@pytest.mark.parametrize("case", recorder.CASES, ids=[c[0] for c in recorder.CASES])
def test_benchmark_loop_walks_the_recorded_trajectories(full, case):
    label, name, features, params = case
    for seed in recorder.SEEDS:
        problem = SearchProblem(full, budget=recorder.BUDGET, features=features)
        make_searcher(name, **params).run(problem, np.random.default_rng(seed))
        assert problem.history()[0].tolist() == RECORDED[f"{label}/{seed}"]
