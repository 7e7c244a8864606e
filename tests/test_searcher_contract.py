"""The contract every registered searcher keeps, parametrized over the registry (as
Optuna tests every sampler): a searcher added with ``SEARCHERS.register`` is tested here
without anyone listing it. ``FAST`` only shrinks a searcher's settings for speed.

1. the benchmark loop and ``Optimizer.ask/tell`` propose the same networks;
2. one seed, one sequence of proposals; another seed, another sequence;
3. ``save``/``load`` mid-run goes on exactly as the original;
4. ``ask(k)`` is pending-aware: k distinct networks, none pending or told before;
5. its ``:guided`` variant (where declared) keeps 1-4 too.
Multi-objective searchers run on accuracy x Pixel 3 latency (HW-NAS-Bench), the others on
accuracy alone.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from nas_surrogate import load_benchmark
from nas_surrogate.objectives import attach_tables, parse_objectives
from nas_surrogate.optimizer import Optimizer
from nas_surrogate.searchers import SEARCHERS, SearchProblem, make_searcher
from nas_surrogate.searchers.problem import distinct_networks

RF = {"surrogate": "rf", "surrogate_params": {"n_estimators": 20}}
#: smaller settings where the defaults would make a 20-query run slow or all-random
FAST = {
    "evolution": {"population": 5},
    "bo": {"init": 4, "batch": 2},
    "nsga2": {"population": 4},
    "pareto_ls": {"init": 4},
    "mobo": {"init": 4, "batch": 2},
}
BUDGET = 20
OBJECTIVES = ["val_accuracy", "pixel3_latency:min"]


def _variants() -> list[str]:
    names = list(SEARCHERS.names())
    return names + [f"{n}:guided" for n in names if SEARCHERS.get(n).supports_guided]


@pytest.fixture(scope="module")
def bench(full_data_dir):
    table = distinct_networks(load_benchmark("nasbench201/cifar10", full_data_dir))
    return attach_tables(table, [str(full_data_dir.parent / "hw_nasbench201")])[0]


def _settings(name: str) -> tuple[dict, list[str] | None]:
    """Optimizer keyword arguments and objectives of searcher ``name``."""
    base = name.split(":")[0]
    klass = SEARCHERS.get(base)
    kwargs: dict = {"searcher": name, "searcher_params": dict(FAST.get(base, {}))}
    if klass.needs_surrogate or name.endswith(":guided"):
        kwargs.update(RF, features="onehot+zc")
    return kwargs, OBJECTIVES if klass.multi_objective else None


def _optimizer(bench, name: str, seed: int = 3) -> Optimizer:
    kwargs, objectives = _settings(name)
    return Optimizer("nasbench201", proxies=bench, seed=seed, objectives=objectives, **kwargs)


def _value(bench, opt: Optimizer, arch: str):
    acc = float(bench.val_accuracy[bench.index_of(opt.space.parse(arch)[None])[0]])
    return acc if len(opt.evaluated) == 1 else [acc]


def _walk(bench, opt: Optimizer, n: int = BUDGET) -> list[str]:
    walked = []
    for _ in range(n):
        asked = opt.ask(1)
        if not asked:
            break
        walked += asked
        opt.tell(asked, [_value(bench, opt, asked[0])])
    return walked


@pytest.mark.parametrize("name", _variants())
def test_the_loop_and_ask_tell_propose_the_same_networks(bench, name):
    kwargs, objectives = _settings(name)
    opt = _optimizer(bench, name)
    walked = opt.problem.ids_of(opt.space.parse_many(_walk(bench, opt)))
    params = dict(kwargs["searcher_params"])
    if "surrogate" in kwargs:
        params.update(surrogate=kwargs["surrogate"], surrogate_params=kwargs["surrogate_params"])
    problem = SearchProblem(
        bench, budget=BUDGET, features=kwargs.get("features"),
        objectives=parse_objectives(objectives) if objectives else None,
    )  # fmt: skip
    make_searcher(name, **params).run(problem, np.random.default_rng(3))
    assert problem.history()[0].tolist() == walked.tolist()


@pytest.mark.parametrize("name", _variants())
def test_one_seed_one_sequence(bench, name):
    first, again = (_walk(bench, _optimizer(bench, name, seed=3)) for _ in range(2))
    other = _walk(bench, _optimizer(bench, name, seed=4))
    assert first == again and len(first) == BUDGET
    assert other != first


@pytest.mark.parametrize("name", _variants())
def test_save_and_load_mid_run_go_on_as_the_original(bench, name, tmp_path):
    original = _optimizer(bench, name)
    _walk(bench, original, 8)
    in_flight = original.ask(2)
    original.save(tmp_path / "state.json")
    loaded = Optimizer.load(tmp_path / "state.json", proxies=bench)
    assert loaded.pending == original.pending == in_flight
    assert json.dumps(loaded.state()) == json.dumps(original.state())
    for opt in (original, loaded):
        opt.tell(in_flight, [_value(bench, opt, a) for a in in_flight])
    assert _walk(bench, original, 8) == _walk(bench, loaded, 8)


@pytest.mark.parametrize("name", _variants())
def test_ask_is_pending_aware(bench, name):
    opt = _optimizer(bench, name)
    told = _walk(bench, opt, 6)
    first = opt.ask(3)
    second = opt.ask(3)
    asked = first + second
    keys = {opt.space.key(opt.space.parse(a)) for a in asked}
    assert len(asked) == 6 and len(keys) == 6  # distinct networks
    assert not keys & {opt.space.key(opt.space.parse(a)) for a in told}
    assert sorted(opt.pending) == sorted(asked)
