"""Constant-time resume: ``Optimizer.save``/``load`` keep the searcher's state itself.

A loaded optimiser must go on exactly as the one that saved it would have (the same
proposals, batch after batch, with asks of several sizes, failures and added results in
between), and loading must not redo the search: no surrogate is fit on load.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from nas_surrogate import load_benchmark
from nas_surrogate.objectives import attach_tables
from nas_surrogate.optimizer import Optimizer
from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import distinct_networks

RF = {"surrogate": "rf", "surrogate_params": {"n_estimators": 20}}
CASES = {
    "random": ("random", {}),
    "evolution": ("evolution", {"searcher_params": {"population": 5}}),
    "evolution:guided": ("evolution:guided", {"searcher_params": {"population": 5}, **RF}),
    "training-free evolution": (
        "evolution",
        {"searcher_params": {"population": 5, "objective": "synflow", "proxy_steps": 40}},
    ),
    "local_search": ("local_search", {}),
    "local_search best": ("local_search", {"searcher_params": {"mode": "best"}}),
    "local_search:guided": ("local_search:guided", RF),
    "bo": ("bo", {"features": "onehot+zc", "searcher_params": {"init": 4, "batch": 2}, **RF}),
}
MULTI = {
    "nsga2": ("nsga2", {"searcher_params": {"population": 4}}),
    "pareto_ls": ("pareto_ls", {"searcher_params": {"init": 4}}),
    "mobo": ("mobo", {"features": "onehot", "searcher_params": {"init": 4, "batch": 2}, **RF}),
}


@pytest.fixture(scope="module")
def full(full_data_dir):
    return load_benchmark("nasbench201/cifar10", full_data_dir)


@pytest.fixture(scope="module")
def small(data_dir):
    """A 725-network table: neighbours are the nearest tabulated rows."""
    return load_benchmark("nasbench201/cifar10", data_dir)


@pytest.fixture(scope="module")
def with_latency(full_data_dir):
    bench = distinct_networks(load_benchmark("nasbench201/cifar10", full_data_dir))
    return attach_tables(bench, [str(full_data_dir.parent / "hw_nasbench201")])[0]


def _values(bench, opt: Optimizer, archs: list[str]) -> list:
    rows = bench.index_of(opt.space.parse_many(archs))
    acc = bench.val_accuracy[rows]
    if len(opt.evaluated) == 1:
        return acc.tolist()
    return [[float(a)] for a in acc]


def _drive(bench, opt: Optimizer, rounds: int, rng: np.random.Generator) -> list[list[str]]:
    """Asks of 1-3 archs, told (one in five failed) in a shuffled order, one round
    leaving an ask pending; returns what was asked."""
    asked = []
    for _ in range(rounds):
        archs = opt.ask(int(rng.integers(1, 4)))
        asked.append(archs)
        order = rng.permutation(len(archs))
        for i in order:
            if rng.random() < 0.2:
                opt.fail([archs[i]])
            else:
                opt.tell([archs[i]], _values(bench, opt, [archs[i]]))
    asked.append(opt.ask(2))  # in flight when saved
    return asked


def _check_resume(bench, opt_kwargs: dict, tmp_path, objectives=None) -> None:
    def make() -> Optimizer:
        return Optimizer("nasbench201", proxies=bench, seed=4, objectives=objectives,
                         **opt_kwargs)  # fmt: skip

    original = make()
    for point in range(3):  # save and load at several points of the same run
        _drive(bench, original, 4, np.random.default_rng(point))
        original.save(tmp_path / "s.json")
        loaded = Optimizer.load(tmp_path / "s.json", proxies=bench)
        assert loaded.pending == original.pending
        assert loaded.history == original.history
        assert json.dumps(loaded.state()) == json.dumps(original.state())
        for opt in (original, loaded):  # the in-flight ones come back in the same order
            opt.tell(opt.pending, _values(bench, opt, opt.pending))
        after = [_drive(bench, o, 3, np.random.default_rng(10 + point)) for o in (original, loaded)]
        assert after[0] == after[1]
        for opt in (original, loaded):
            opt.tell(opt.pending, _values(bench, opt, opt.pending))
    assert loaded.state() == original.state()


@pytest.mark.parametrize("case", list(CASES))
def test_a_loaded_optimiser_proposes_what_the_original_would(case, full, tmp_path):
    name, kwargs = CASES[case]
    _check_resume(full, {"searcher": name, **kwargs}, tmp_path)


@pytest.mark.parametrize("case", ["evolution", "local_search", "bo"])
def test_resume_on_a_partial_table(case, small, tmp_path):
    name, kwargs = CASES[case]
    _check_resume(small, {"searcher": name, **kwargs}, tmp_path)


@pytest.mark.parametrize("case", list(MULTI))
def test_multi_objective_searchers_resume(case, with_latency, tmp_path):
    name, kwargs = MULTI[case]
    _check_resume(
        with_latency, {"searcher": name, **kwargs}, tmp_path,
        objectives=["val_accuracy", "pixel3_latency:min"],
    )  # fmt: skip


def test_load_fits_no_surrogate(full, tmp_path, monkeypatch):
    """Loading used to replay every step, refitting bo's surrogate each time."""
    name, kwargs = CASES["bo"]
    opt = Optimizer("nasbench201", name, proxies=full, seed=0, **kwargs)
    _drive(full, opt, 12, np.random.default_rng(0))
    opt.save(tmp_path / "s.json")
    fits = []
    real = Searcher.fit_predictor
    monkeypatch.setattr(
        Searcher, "fit_predictor", lambda self, *a, **k: fits.append(1) or real(self, *a, **k)
    )
    loaded = Optimizer.load(tmp_path / "s.json", proxies=full)
    assert fits == [] and len(loaded.history) == len(opt.history)
    loaded.tell(loaded.pending, _values(full, loaded, loaded.pending))
    loaded.ask(3)
    assert fits  # the next proposals do fit (the counter works)


def test_live_proxy_scores_come_back_without_calling_the_function(tmp_path):
    calls: list[str] = []

    def proxy(arch: str) -> dict[str, float]:
        calls.append(arch)
        return {"synflow": float(sum(int(c) for c in arch if c.isdigit()))}

    def make(fn):
        return Optimizer("nasbench201", "bo", features="onehot+zc:synflow", surrogate="rf",
                         proxies=fn, seed=0, max_new_proxies=5,
                         searcher_params={"init": 3, "batch": 2})  # fmt: skip

    opt = make(proxy)
    for _ in range(4):
        archs = opt.ask(2)
        opt.tell(archs, [float(len(calls) % 7), 1.0])
    opt.save(tmp_path / "s.json")
    n = len(calls)
    loaded = Optimizer.load(tmp_path / "s.json", proxies=proxy)
    assert len(calls) == n  # stored scores: the function is not called on load
    assert loaded.proxy_seconds == opt.proxy_seconds
    assert loaded.ask(2) == opt.ask(2)


def test_a_proxy_that_could_not_be_computed_survives_save_and_load(tmp_path):
    """A NaN proxy score was written as null while the digest covered NaN: the state was
    then refused as edited on load."""

    def proxy(arch: str) -> dict[str, float]:
        return {"synflow": float(len(set(arch))), "nwot": float("nan")}

    opt = Optimizer("nasbench201", "bo", features="onehot+zc:synflow,nwot", surrogate="rf",
                    proxies=proxy, seed=0, searcher_params={"init": 3, "batch": 2})  # fmt: skip
    for _ in range(3):
        archs = opt.ask(2)
        opt.tell(archs, [1.0, 2.0])
    opt.save(tmp_path / "s.json")
    text = (tmp_path / "s.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))  # standard JSON
    loaded = Optimizer.load(tmp_path / "s.json", proxies=proxy)
    assert loaded.ask(2) == opt.ask(2)
