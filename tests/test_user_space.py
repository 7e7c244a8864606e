"""A user's own search space as data: the YAML format, conditions, forbidden rules, and
every searcher driven through ``Optimizer`` on it, with save/load and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import nas_surrogate as ns
from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces.space import Space

SPEC = {
    "dimensions": {
        "depth": {"type": "int", "low": 1, "high": 8},
        "width_1": {"type": "choice", "values": [8, 16, 32, 64]},
        "width_5": {"type": "choice", "values": [8, 16, 32, 64], "when": "depth >= 5"},
        "act": {"type": "choice", "values": ["relu", "gelu", "silu"]},
        "lr": {"type": "float", "low": 1.0e-4, "high": 1.0e-1, "log": True},
    },
    "forbidden": ["act == gelu and depth == 1"],
}

#: the contract's example space (docs/own_space.md), as a file
YAML = (Path(__file__).resolve().parents[1] / "examples" / "my_space.yaml").read_text()


def score(config: dict) -> float:
    """A smooth objective with a known optimum: deep, wide, silu, lr = 1e-2."""
    return (
        0.1 * config["depth"]
        + config["width_1"] / 64
        + config.get("width_5", 0) / 64
        + (0.3 if config["act"] == "silu" else 0.0)
        - abs(math.log10(config["lr"]) + 2)
    )


def proxies(config: dict) -> dict[str, float]:
    return {"capacity": config["width_1"] * config["depth"], "lr_log": math.log10(config["lr"])}


def test_yaml_and_dict_give_the_same_space(tmp_path):
    path = tmp_path / "my_space.yaml"
    path.write_text(YAML)
    a, b = Space.from_yaml(path), ns.Space.from_dict(SPEC)
    assert a == b and a.digest == b.digest
    assert Space.from_dict(a.to_dict()) == a


def test_samples_respect_conditions_and_forbidden_rules():
    space = Space.from_dict(SPEC)
    configs = space.sample(500, np.random.default_rng(0))
    for c in configs:
        assert ("width_5" in c) == (c["depth"] >= 5)
        assert not (c["act"] == "gelu" and c["depth"] == 1)
        assert 1e-4 <= c["lr"] <= 1e-1 and isinstance(c["depth"], int)
        assert space.check(c) == c
    # log: a tenth of the draws below 10^-3.7 on a uniform-in-log range of 3 decades
    lows = np.mean([c["lr"] < 10**-3.7 for c in configs])
    assert 0.05 < lows < 0.17


def test_mutation_and_neighbours_change_one_dimension_and_repair_conditions():
    space = Space.from_dict(SPEC)
    rng = np.random.default_rng(1)
    config = {"depth": 4, "width_1": 8, "act": "relu", "lr": 0.01}
    nbrs = space.neighbours(config, rng)
    keys = {space.key(n) for n in nbrs}
    assert len(keys) == len(nbrs) and space.key(config) not in keys
    # depth 4 -> 5 activates width_5 (drawn), 4 -> 3 keeps it inactive
    assert any(n["depth"] == 5 and "width_5" in n for n in nbrs)
    assert any(n["depth"] == 3 and "width_5" not in n for n in nbrs)
    for _ in range(50):
        child = space.mutate(config, rng)
        assert space.check(child) == child and space.key(child) != space.key(config)


def test_encoding_has_fixed_slots_and_active_indicators():
    space = Space.from_dict(SPEC)
    low = {"depth": 1, "width_1": 8, "act": "relu", "lr": 1e-4}
    high = {"depth": 8, "width_1": 64, "width_5": 16, "act": "silu", "lr": 1e-1}
    X = space.encode([low, high])
    names = space.feature_names
    assert X.shape == (2, len(names))
    assert X[0, names.index("width_5 active")] == 0 and X[1, names.index("width_5 active")] == 1
    assert X[0, names.index("lr (log)")] == 0 and X[1, names.index("lr (log)")] == 1
    assert X[1, names.index("width_5=16")] == 1


def test_a_space_of_ten_to_the_twelve_is_never_listed():
    dims = {f"op{i}": {"type": "choice", "values": list(range(10))} for i in range(12)}
    space = Space.from_dict({"dimensions": dims})
    assert space.size() == 1e12 and not space.enumerable
    opt = ns.Optimizer(space, "bo", searcher_params={"init": 5}, seed=0)
    for _ in range(4):
        configs = opt.ask(5)
        opt.tell(configs, [sum(c.values()) for c in configs])
    assert len(opt.problem.configs) < 2_000  # candidates made on demand


def test_conditional_size_is_counted_exactly():
    space = Space.from_dict({"dimensions": {
        "depth": {"type": "int", "low": 1, "high": 3},
        "w2": {"type": "choice", "values": [1, 2], "when": "depth >= 2"},
        "w3": {"type": "choice", "values": [1, 2, 3], "when": "depth >= 3"},
    }})  # fmt: skip
    assert space.size() == 1 + 2 + 6 == len(space.all_configs())


@pytest.mark.parametrize(
    "searcher", ["random", "evolution", "local_search", "bo", "evolution:guided"]
)
def test_every_searcher_runs_on_a_user_space_and_resumes_exactly(searcher, tmp_path):
    opt = ns.Optimizer(SPEC, searcher, proxies=proxies, seed=3)
    for _ in range(6):
        configs = opt.ask(4)
        assert all(isinstance(c, dict) for c in configs)
        opt.tell(configs, [score(c) for c in configs])
    path = tmp_path / "run.json"
    opt.save(path)
    again = ns.Optimizer.load(path, proxies=proxies)
    assert again.ask(3) == opt.ask(3)
    assert again.best == opt.best
    doc = json.loads(path.read_text())
    assert doc["config"]["space"] == Space.from_dict(SPEC).to_dict()


def test_bo_with_proxies_beats_random_search_on_a_user_space():
    """Over 5 paired seeds of 60 evaluations, bo's best is higher than random's."""
    wins = 0
    for seed in range(5):
        best = {}
        for searcher in ("random", "bo"):
            opt = ns.Optimizer(SPEC, searcher, proxies=proxies, seed=seed)
            for _ in range(12):
                configs = opt.ask(5)
                opt.tell(configs, [score(c) for c in configs])
            best[searcher] = opt.best[1]
        wins += best["bo"] > best["random"]
    assert wins >= 4


def test_same_seed_same_proposals():
    a = ns.Optimizer(SPEC, "bo", proxies=proxies, seed=7)
    b = ns.Optimizer(SPEC, "bo", proxies=proxies, seed=7)
    for _ in range(4):
        ca, cb = a.ask(3), b.ask(3)
        assert ca == cb
        a.tell(ca, [score(c) for c in ca])
        b.tell(cb, [score(c) for c in cb])


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"dimensions": {"a": {"type": "tensor"}}}, "unknown type"),
        ({"dimensions": {"a": {"type": "choice", "values": []}}}, "non-empty list"),
        ({"dimensions": {"a": {"type": "int", "low": 3, "high": 1}}}, "low 3 > high 1"),
        ({"dimensions": {"a": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}}, "log"),
        ({"dimensions": {"a": {"type": "int", "low": 0, "high": 1, "when": "zz > 1"}}}, "'zz'"),
        ({"dimensions": {"a": {"type": "int", "low": 0, "high": 1, "when": "b >"}}}, "NAME OP"),
        ({"dimensions": {"a": {"type": "int", "low": 0, "high": 1, "when": "__import__('os')"}}},
         "NAME OP"),
        ({"dimensions": {"a": {"type": "int", "low": 0, "high": 1, "when": "b == 1"},
                         "b": {"type": "int", "low": 0, "high": 1, "when": "a == 1"}}}, "cycle"),
        ({"dimensions": {"a": {"type": "int", "low": 0, "high": 1}}, "forbidden": ["a >= 0"]},
         "forbid every"),
        ({"dimensions": {"a": {"type": "float", "low": 0, "high": 1}}, "forbidden": ["a >= 0"]},
         "forbid every"),
        ({"dimensions": {"a": {"type": "choice", "values": [1, 1.0]}}}, "twice"),
        ({"dimensions": {}}, "non-empty"),
    ],
)  # fmt: skip
def test_bad_space_files_are_refused_naming_the_field(doc, needle):
    with pytest.raises(BadInputError, match=needle):
        Space.from_dict(doc)


def test_duplicate_names_in_yaml_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(
        "dimensions:\n  a: {type: int, low: 0, high: 1}\n  a: {type: int, low: 0, high: 2}\n"
    )
    with pytest.raises(BadInputError):
        Space.from_yaml(path)


def test_tell_refuses_configs_outside_the_space():
    opt = ns.Optimizer(SPEC, "random", seed=0)
    (config,) = opt.ask(1)
    with pytest.raises(BadInputError, match="width_5"):
        opt.tell([{**config, "depth": 3, "width_5": 8}], [1.0])
    with pytest.raises(BadInputError, match="missing"):
        opt.tell([{k: v for k, v in config.items() if k != "act"}], [1.0])
    with pytest.raises(BadInputError, match="was never asked"):
        opt.tell([{"depth": 2, "width_1": 8, "act": "relu", "lr": 0.001}], [1.0])
    with pytest.raises(BadInputError, match="colour"):
        opt.tell([{**config, "colour": 1}], [1.0])
    opt.tell([config], [1.0])


def test_objectives_on_a_user_space_are_refused_not_nan():
    with pytest.raises(BadInputError, match="objectives"):
        ns.Optimizer(SPEC, "random", objectives=["val_accuracy", "latency:min"])


def test_a_state_of_another_space_is_refused(tmp_path):
    opt = ns.Optimizer(SPEC, "random", seed=0)
    configs = opt.ask(2)
    opt.tell(configs, [1.0, 2.0])
    path = tmp_path / "run.json"
    opt.save(path)
    loaded = ns.Optimizer.load(path)
    other = {**SPEC, "forbidden": []}
    with pytest.raises(BadInputError, match="another space"):
        loaded.check_space(other, str(path))
    loaded.check_space(SPEC, str(path))


def test_open_ended_searches_draw_a_bounded_number_of_candidates():
    """Training-free evolution asks for "the budget" of random networks after its ranked
    ones: with no budget on a 10^14 space that was 10^9 draws."""
    space = Space.from_yaml(Path(__file__).resolve().parents[1] / "examples/digits_cnn/space.yaml")
    params = {"objective": "depth", "proxy_steps": 20}
    opt = ns.Optimizer(
        space, "evolution", proxies=lambda c: {"depth": c["depth"]}, searcher_params=params
    )
    configs = opt.ask(30)
    assert len(configs) == 30 and len(opt.problem.configs) <= 10_100
