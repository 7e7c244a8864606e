"""LPZero: primitive statistics of a network, expressions over them stored as JSON data,
the steady-state GP that finds one, and ``lpz:FILE`` as a proxy name everywhere.

Semantics are checked against torch computed here, on tiny networks; the search on
small NB201 skeletons with the table's own accuracies; the CLI end to end on the real
NB201 table. Every test reads real networks and data; no number is copied from a run.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from torch import nn

from nas_surrogate import build_features, load_benchmark, parse_feature_spec
from nas_surrogate.analysis.lpzero_search import (
    GPSettings,
    LPZeroSearch,
    SearchState,
    static_rule,
)
from nas_surrogate.benchmarks.computed import attach_proxy_table
from nas_surrogate.cli import main
from nas_surrogate.errors import BadInputError
from nas_surrogate.experiments.evolve_primitives import _nb201_build, primitives_of
from nas_surrogate.io import write_json_atomic
from nas_surrogate.proxies import ModelProxies, model_batch, synthetic_batch
from nas_surrogate.proxies.lpzero import (
    FILE_KIND,
    MAX_FILE_BYTES,
    MAX_UNARY,
    Genome,
    PrimitiveTable,
    branch_values,
    evaluate,
    load_proxy,
    proxy_from_name,
)
from nas_surrogate.proxies.network import build as build_nb201
from nas_surrogate.proxies.primitives import (
    MIN_ELEMENTS,
    per_tensor_elements,
    primitive_pass,
)
from nas_surrogate.proxies.torch_proxies import proxy_function
from nas_surrogate.proxy_names import cache_key
from nas_surrogate.spaces import get_space

BIG = 1 << 24  # bytes: nothing of the tiny networks below is sampled
TIMING = ("eval_seconds", "early_seconds", "seconds")  # wall-clock fields of a state
TINY = ["--sample", "12", "--holdout", "12", "--iterations", "20", "--population", "8",
        "--batch-size", "4"]  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def genome(inputs, unary, binary) -> Genome:
    return Genome.from_dict({"inputs": list(inputs), "unary": [list(u) for u in unary],
                             "binary": binary})  # fmt: skip


def write_proxy(path: Path, g: Genome, **pass_settings) -> Path:
    settings = {"max_bytes": 262_144, "seed": 0, **pass_settings}
    doc = {"kind": FILE_KIND, "version": 1, "expression": g.to_dict(), "readable": str(g),
           "pass": settings}  # fmt: skip
    path.write_text(json.dumps(doc))
    return path


def conv_linear(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, stride=2), nn.ReLU(),
        nn.Flatten(), nn.Linear(6 * 3 * 3, 10),
    )  # fmt: skip


def direct_layers(net: nn.Module, batch):
    """(act, grad, weight) per weighted layer, computed here in torch on a copy of net."""
    ref = copy.deepcopy(net)
    layers = [m for m in ref.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    acts: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda m, i, o: acts.append(o.detach())) for m in layers]
    ref.train()
    nn.functional.cross_entropy(ref(batch.images), batch.labels).backward()
    for h in hooks:
        h.remove()
    return [(a.double(), m.weight.grad.double(), m.weight.detach().double())
            for a, m in zip(acts, layers)]  # fmt: skip


def _minmax(x):
    return (x - x.min()) / (x.max() - x.min() + 1e-9)


# (inputs, unary, binary, per-layer value computed in torch from (act, grad, weight))
SEMANTICS = {
    "grad-l1-times-weight-frobenius": (
        ("grad", "weight"), (("abs", "l1_norm"), ("frobenius",)), "product",
        lambda a, g, w: g.abs().mean() * torch.linalg.norm(w),
    ),
    "mean-act": (("act", "grad"), (("mean",), ("disconnect",)), "sum", lambda a, g, w: a.mean()),
    "difference-disconnected-negates": (
        ("act", "weight"), (("disconnect",), ("mean",)), "difference", lambda a, g, w: -w.mean(),
    ),
    "std-minus-mean-square": (
        ("weight", "grad"), (("std",), ("square", "mean")), "difference",
        lambda a, g, w: w.std() - (g * g).mean(),
    ),
    "sigmoid-times-relu": (
        ("act", "weight"), (("sigmoid", "mean"), ("relu", "l1_norm")), "product",
        lambda a, g, w: torch.sigmoid(a).mean() * torch.relu(w).mean(),
    ),
    "logsoftmax-plus-minmax-std": (
        ("act", "act"), (("logsoftmax", "mean"), ("min_max", "std")), "sum",
        lambda a, g, w: torch.log_softmax(a.flatten(), 0).mean() + _minmax(a).std(),
    ),
    "abslog-plus-exp": (
        ("weight", "act"), (("abslog", "mean"), ("exp", "normalized_sum")), "sum",
        lambda a, g, w: torch.log(w.abs()).mean() + torch.exp(a).mean(),
    ),
    "number-ops-after-reduction": (
        ("weight", "grad"), (("mean", "square"), ("l1_norm", "sqrt")), "product",
        lambda a, g, w: w.mean() ** 2 * torch.sqrt(g.abs().mean()),
    ),
}  # fmt: skip


# -- 1. semantics against torch ----------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    net, batch = conv_linear(), synthetic_batch(4, 10, 0, shape=(3, 8, 8))
    return net, batch, primitive_pass(net, batch, max_bytes=BIG), direct_layers(net, batch)


def test_pass_keeps_every_value_under_a_large_cap(small):
    _, _, prims, direct = small
    layers = [prims.layers(p) for p in ("act", "grad", "weight", "head", "softmax")]
    assert layers == [3, 3, 3, 0, 0] and len(direct) == 3
    for name, j in (("act", 0), ("grad", 1), ("weight", 2)):
        for sample, count, ref in zip(prims.samples[name], prims.counts[name], direct):
            assert len(sample) == count == ref[j].numel()  # nothing sampled
            np.testing.assert_allclose(np.sort(sample), np.sort(ref[j].flatten().numpy()),
                                       rtol=1e-6, atol=1e-9)  # fmt: skip


@pytest.mark.parametrize("case", sorted(SEMANTICS))
def test_evaluate_equals_torch(small, case):
    _, _, prims, direct = small
    inputs, unary, binary, fn = SEMANTICS[case]
    want = float(np.mean([float(fn(a, g, w)) for a, g, w in direct]))
    got = evaluate(genome(inputs, unary, binary), PrimitiveTable([prims]))
    assert got.shape == (1,)
    np.testing.assert_allclose(got[0], want, rtol=1e-5)


def test_disconnected_branch_and_difference_order(small):
    table = PrimitiveTable([small[2]])
    x = evaluate(genome(("act", "grad"), (("mean",), ("disconnect",)), "sum"), table)[0]
    assert x != 0
    first = evaluate(genome(("act", "grad"), (("mean",), ("disconnect",)), "difference"), table)
    second = evaluate(genome(("grad", "act"), (("disconnect",), ("mean",)), "difference"), table)
    assert first[0] == pytest.approx(x) and second[0] == pytest.approx(-x)
    both = genome(("act", "grad"), (("disconnect",), ("disconnect",)), "sum")
    assert np.isnan(evaluate(both, table)[0])


def test_table_of_many_networks_scores_each_as_alone():
    batch = synthetic_batch(4, 10, 0, shape=(3, 8, 8))
    nets = [primitive_pass(conv_linear(s), batch, max_bytes=BIG) for s in range(3)]
    g = genome(("grad", "weight"), (("abs", "l1_norm"), ("frobenius",)), "product")
    together = evaluate(g, PrimitiveTable(nets))
    alone = [evaluate(g, PrimitiveTable([p]))[0] for p in nets]
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    assert len(set(together.tolist())) == 3
    np.testing.assert_allclose(evaluate(g, PrimitiveTable(nets).subset([0, 2])),
                               [alone[0], alone[2]], rtol=1e-12)  # fmt: skip


# -- 2. bounded memory -------------------------------------------------------------------
def test_sampling_stays_under_the_cap_and_estimates_the_full_tensor():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(192, 512), nn.ReLU(), nn.Linear(512, 5))
    batch = synthetic_batch(4, 5, 0, shape=(3, 8, 8))
    cap = 64 * 1024
    sampled = primitive_pass(net, batch, max_bytes=cap)
    full = primitive_pass(net, batch, max_bytes=BIG)
    k = per_tensor_elements(cap, 6)
    assert sampled.nbytes <= cap
    assert len(sampled.samples["weight"][0]) == k < 192 * 512 == sampled.counts["weight"][0]
    assert full.counts == sampled.counts and len(full.samples["weight"][0]) == 192 * 512
    est = branch_values(PrimitiveTable([sampled]), "weight", ["frobenius"])
    exact = branch_values(PrimitiveTable([full]), "weight", ["frobenius"])
    assert exact[0] == pytest.approx(float(torch.linalg.norm(net[1].weight.detach())), rel=1e-5)
    assert est[0] == pytest.approx(exact[0], rel=0.05)  # unscaled it would be ~6x too small
    assert len(sampled.samples["weight"][1]) == 512 * 5 < k
    assert est[1] == exact[1]  # the small layer is kept whole
    # softmax over a sampled tensor is normalised over the full one: it sums to ~1
    soft = branch_values(PrimitiveTable([sampled]), "weight", ["softmax", "mean"])
    assert soft[0] * sampled.counts["weight"][0] == pytest.approx(1.0, rel=0.05)
    # the same positions for the same seed, others for another
    again = primitive_pass(net, batch, max_bytes=cap)
    other = primitive_pass(net, batch, max_bytes=cap, seed=1)
    assert np.array_equal(again.samples["weight"][0], sampled.samples["weight"][0])
    assert not np.array_equal(other.samples["weight"][0], sampled.samples["weight"][0])


def test_a_cap_too_small_is_refused():
    assert per_tensor_elements(MIN_ELEMENTS * 4 * 6, 6) == MIN_ELEMENTS
    with pytest.raises(BadInputError, match="max_bytes"):
        per_tensor_elements(MIN_ELEMENTS * 4 * 6 - 1, 6)
    with pytest.raises(BadInputError, match="max_bytes 200") as e:
        primitive_pass(conv_linear(), synthetic_batch(4, 10, 0, shape=(3, 8, 8)), max_bytes=200)
    assert "9 primitive tensors" in str(e.value)


# -- 3. attention ------------------------------------------------------------------------
class TinyAttention(nn.Module):
    def __init__(self, tokens: int, features: int, n_classes: int, width: int = 8) -> None:
        super().__init__()
        self.embed = nn.Linear(features, width)
        self.attn = nn.MultiheadAttention(width, 2, batch_first=True)
        self.out = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        a, _ = self.attn(h, h, h)
        return self.out(a.mean(1))


def attention_model(config: dict, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    return TinyAttention(*input_shape, n_classes)


def cnn(config: dict, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(input_shape[0], 4, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, n_classes),
    )  # fmt: skip


def token_batch(tokens: int = 5, features: int = 6):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, tokens, features)), rng.integers(0, 3, 16)
    return model_batch(x, y, n_classes=3, size=8)


def test_attention_model_yields_head_and_softmax():
    batch = token_batch()
    torch.manual_seed(0)
    net = attention_model({}, (5, 6), 3)
    prims = primitive_pass(net, batch, max_bytes=BIG)
    assert prims.layers("head") == prims.layers("softmax") == 1
    assert prims.counts["softmax"] == [8 * 5 * 5] and prims.counts["head"] == [8 * 5 * 8]
    table = PrimitiveTable([prims])
    # each attention row sums to one: the map's mean is 1 / tokens
    soft = evaluate(genome(("softmax", "head"), (("mean",), ("disconnect",)), "sum"), table)
    assert soft[0] == pytest.approx(1 / 5, rel=1e-5)
    ref = copy.deepcopy(net)
    with torch.no_grad():
        h = ref.embed(batch.images)
        want = ref.attn(h, h, h)[0].double().mean().item()
    head = evaluate(genome(("head", "act"), (("mean",), ("disconnect",)), "sum"), table)
    assert head[0] == pytest.approx(want, rel=1e-5)
    # head and softmax pair with each other, not with the layers
    g = genome(("head", "softmax"), (("l1_norm",), ("std",)), "product")
    assert np.isfinite(evaluate(g, table)[0])


def test_act_expressions_score_attention_models():
    torch.manual_seed(0)
    prims = primitive_pass(attention_model({}, (5, 6), 3), token_batch(), max_bytes=BIG)
    g = genome(("act", "grad"), (("mean",), ("disconnect",)), "sum")
    assert np.isfinite(evaluate(g, PrimitiveTable([prims]))[0])


def test_model_proxies_score_attention_and_refuse_softmax_on_a_cnn(tmp_path):
    g = genome(("softmax", "head"), (("std",), ("l1_norm",)), "sum")
    name = f"lpz:{write_proxy(tmp_path / 'soft.json', g)}"
    scores = ModelProxies(attention_model, token_batch(), proxies=[name])({})
    assert list(scores) == [name] and math.isfinite(scores[name])
    images = model_batch(np.random.default_rng(0).normal(size=(8, 3, 8, 8)),
                         np.arange(8) % 3, n_classes=3)  # fmt: skip
    proxies = ModelProxies(cnn, images, proxies=["nwot", name], cache_dir=tmp_path / "cache")
    with pytest.raises(BadInputError, match="softmax") as e:
        proxies.compute([{}])
    assert name in str(e.value) and "MultiheadAttention" in str(e.value)
    assert proxies.misses == 0 and not (tmp_path / "cache").exists()  # nothing scored


def test_proxies_compute_refuses_attention_expression(capsys, tmp_path):
    g = genome(("softmax", "act"), (("mean",), ("abs", "mean")), "product")
    path = write_proxy(tmp_path / "soft.json", g)
    archs = tmp_path / "archs.txt"
    archs.write_text("(0, 2, 3, 2, 3, 1)\n")
    out = tmp_path / "t.csv"
    code, _, err = cli(capsys, "proxies", "compute", "--archs", archs, "--proxies",
                       f"lpz:{path}", "--batch-size", 4, "--out", out)  # fmt: skip
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "attention" in err, err
    assert not out.exists()


def test_scores_search_refuses_primitive_settings(capsys, tmp_path, data_dir):
    """``--from scores`` does not read ``--iterations``: given, it is refused, not ignored."""
    out = tmp_path / "ev"
    code, _, err = cli(capsys, "evolve-proxy", "-b", "nasbench201/cifar10", "--data-dir",
                       data_dir, "--iterations", 5, "--out", out)  # fmt: skip
    assert code == 2 and "--iterations: applies to --from primitives only" in err, err
    assert not out.exists()


def test_optimizer_refuses_an_attention_expression_on_nb201(tmp_path):
    from nas_surrogate import Optimizer
    from nas_surrogate.proxies.live import TorchProxies

    g = genome(("softmax", "act"), (("mean",), ("abs", "mean")), "product")
    path = write_proxy(tmp_path / "soft.json", g)
    with pytest.raises(BadInputError, match="attention maps"):
        Optimizer(space="nasbench201", searcher="bo", features=f"onehot+zc:nwot+lpz:{path}",
                  proxies=TorchProxies(synthetic_batch(4), cache=None), budget=14)  # fmt: skip


# -- 4. bad expression files --------------------------------------------------------------
GOOD = {"inputs": ["grad", "weight"], "unary": [["abs", "l1_norm"], ["frobenius"]],
        "binary": "product"}  # fmt: skip


def _doc(**expression) -> bytes:
    doc = {"kind": FILE_KIND, "version": 1, "expression": {**GOOD, **expression}}
    return json.dumps(doc).encode()


BAD_FILES = {
    "not json": (b"{not json", ["not an LPZero proxy file"]),
    "not utf-8": (b'{"kind": "\xff"}', ["not an LPZero proxy file"]),
    "a list": (b"[1, 2]", ['"kind": "lpzero-proxy"']),
    "wrong kind": (json.dumps({"kind": "evolved", "expression": GOOD}).encode(),
                   ['"kind": "lpzero-proxy"']),
    "no expression": (json.dumps({"kind": FILE_KIND}).encode(), ["expression", "binary"]),
    "unknown primitive": (_doc(inputs=["act", "gradient"]),
                          ["expression.inputs", "unknown primitive 'gradient'"]),
    "one input": (_doc(inputs=["act"]), ["expression.inputs", "two primitives"]),
    "unknown op": (_doc(unary=[["abs", "cube"], []]),
                   ["expression.unary", "unknown operation 'cube'"]),
    "chain not a list": (_doc(unary=["abs", ["mean"]]), ["expression.unary"]),
    "nests": (_doc(unary=[["abs"] * (MAX_UNARY + 1), []]),
              ["expression.unary", f"nests {MAX_UNARY + 1} operations", f"at most {MAX_UNARY}"]),
    "unknown binary": (_doc(binary="matmul"), ["expression.binary", "unknown operation 'matmul'"]),
    "negative max_bytes": (
        json.dumps({"kind": FILE_KIND, "expression": GOOD, "pass": {"max_bytes": -1}}).encode(),
        ["pass.max_bytes"],
    ),
    "bad batch spec": (
        json.dumps({"kind": FILE_KIND, "expression": GOOD,
                    "pass": {"batch_spec": {"kind": "file"}}}).encode(),
        ["pass.batch_spec"],
    ),
    "too large": (_doc()[:-1] + b", " + b'"notes": "' + b"x" * MAX_FILE_BYTES + b'"}',
                  [f"larger than {MAX_FILE_BYTES} bytes"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_expression_file_names_file_and_field(tmp_path, case):
    content, fragments = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    for load in (lambda: load_proxy(path), lambda: proxy_from_name(f"lpz:{path}"),
                 lambda: proxy_function(f"lpz:{path}")):  # fmt: skip
        with pytest.raises(BadInputError) as e:
            load()
        text = str(e.value)
        assert str(path) in text, text
        for fragment in fragments:
            assert fragment in text, text


def test_a_chain_of_max_unary_ops_is_allowed_and_missing_files_are_named(tmp_path):
    path = tmp_path / "ok.json"
    path.write_bytes(_doc(unary=[["abs"] * (MAX_UNARY - 1) + ["mean"], ["no_op"]]))
    proxy = load_proxy(path)
    assert proxy.genome.unary[0] == ("abs",) * (MAX_UNARY - 1) + ("mean",)
    assert proxy.max_bytes == 262_144 and proxy.seed == 0 and proxy.batch_spec is None
    with pytest.raises(BadInputError, match="does not exist"):
        load_proxy(tmp_path / "missing.json")
    with pytest.raises(BadInputError, match="lpz:FILE"):
        proxy_from_name("lpz:")


@pytest.mark.parametrize("case", ["not json", "nests", "unknown primitive", "too large"])
def test_proxies_compute_with_a_bad_expression_exits_2(capsys, tmp_path, case):
    path = tmp_path / "bad.json"
    path.write_bytes(BAD_FILES[case][0])
    archs = tmp_path / "archs.txt"
    archs.write_text("(0, 2, 3, 2, 3, 1)\n")
    out = tmp_path / "t.csv"
    code, _, err = cli(capsys, "proxies", "compute", "--archs", archs, "--proxies",
                       f"nwot,lpz:{path}", "--out", out)  # fmt: skip
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and str(path) in err, err
    assert BAD_FILES[case][1][-1] in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "archs.txt", "bad.json",
    ]  # fmt: skip


# -- 5. pruning rules and duplicates -----------------------------------------------------
RULE_CASES = [
    (("act", "grad"), (("disconnect", "abs"), ("mean", "disconnect")), "sum", "disconnected"),
    (("act", "grad"), (("mean", "softmax"), ("disconnect", "abs")), "sum", "constant"),
    (("act", "weight"), (("l1_norm", "normalize"), ("frobenius", "min_max")), "product",
     "constant"),
    (("act", "weight"), (("std", "logsoftmax"), ("frobenius",)), "sum", None),  # one varies
    (("act", "grad"), (("mean", "std"), ("abs", "mean")), "sum", "undefined"),
    (("act", "grad"), (("abs", "std"), ("square", "mean")), "difference", None),
    (("weight", "grad"), (("softmax", "mean"), ("no_op", "no_op")), "product", None),
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(RULE_CASES)))
def test_static_rules(case, nb201):
    inputs, unary, binary, rule = RULE_CASES[case]
    g = genome(inputs, unary, binary)
    assert static_rule(g) == rule
    # what the rule claims holds for the scores on real networks
    scores = evaluate(g, nb201["table"])
    if rule == "disconnected" or rule == "undefined":
        assert np.isnan(scores).all()
    elif rule == "constant":
        assert np.isfinite(scores).all() and np.ptp(scores) == 0
    else:
        assert np.isfinite(scores).all() and np.ptp(scores) > 0


def test_canonical_identifies_equal_expressions(nb201):
    table = nb201["table"]
    a = genome(("act", "weight"), (("no_op", "abs"), ("frobenius",)), "sum")
    b = genome(("weight", "act"), (("frobenius", "no_op"), ("abs",)), "sum")
    c = genome(("act", "weight"), (("abs",), ("frobenius",)), "difference")
    d = genome(("weight", "act"), (("frobenius",), ("abs",)), "difference")
    e = genome(("act", "grad"), (("mean",), ("disconnect", "exp")), "sum")
    f = genome(("act", "weight"), (("mean", "no_op"), ("square", "disconnect")), "sum")
    assert a.canonical() == b.canonical() and str(a) != str(b)
    assert c.canonical() != d.canonical()
    assert e.canonical() == f.canonical() and e.needs == ("act",)
    assert len({a.canonical(), c.canonical(), d.canonical(), e.canonical()}) == 4
    np.testing.assert_allclose(evaluate(a, table), evaluate(b, table), rtol=1e-12)
    np.testing.assert_allclose(evaluate(e, table), evaluate(f, table), rtol=1e-12)
    np.testing.assert_allclose(evaluate(c, table), -evaluate(d, table), rtol=1e-12)
    assert str(a) == "sum(abs(act), frobenius(weight))"
    assert str(e) == "sum(mean(act), disconnected)"
    assert Genome.from_dict(json.loads(json.dumps(a.to_dict()))) == a


# -- 6. / 7. the search on small NB201 networks -------------------------------------------
@pytest.fixture(scope="module")
def nb201(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    rows = np.sort(np.random.default_rng(0).choice(bench.n_archs, 18, replace=False))
    keys = [bench.space.format(a) for a in bench.archs[rows]]
    build = functools.partial(_nb201_build, n_classes=10, in_channels=3, channels=4, n_cells=1)
    batch = synthetic_batch(4)
    prims = primitives_of(keys, build, batch, max_bytes=262_144, seed=0, n_jobs=1)
    return {"keys": keys, "build": build, "batch": batch, "prims": prims,
            "table": PrimitiveTable(prims), "accuracy": bench.val_accuracy[rows]}  # fmt: skip


def test_primitives_are_those_of_the_network_built_here(nb201):
    arch = get_space("nasbench201").parse(nb201["keys"][3])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = build_nb201(arch, 10, 3, channels=4, n_cells=1)
    mine = primitive_pass(net, nb201["batch"], max_bytes=262_144, seed=0)
    theirs = nb201["prims"][3]
    assert mine.counts == theirs.counts
    for name in mine.samples:
        for x, y in zip(mine.samples[name], theirs.samples[name]):
            np.testing.assert_array_equal(x, y)


def test_primitives_do_not_depend_on_n_jobs(nb201):
    assert len(nb201["keys"]) > 16  # two chunks of work
    two = primitives_of(nb201["keys"], nb201["build"], nb201["batch"], max_bytes=262_144,
                        seed=0, n_jobs=2)  # fmt: skip
    one = nb201["prims"]
    assert len(two) == len(one) == len(nb201["keys"])
    for p, q in zip(one, two):
        assert p.counts == q.counts and set(p.samples) == set(q.samples)
        for name in p.samples:
            for x, y in zip(p.samples[name], q.samples[name]):
                np.testing.assert_array_equal(x, y)


def _search(nb201, iterations: int, seed: int = 0) -> LPZeroSearch:
    settings = GPSettings(population=8, iterations=iterations, seed=seed)
    return LPZeroSearch(nb201["table"], nb201["accuracy"], settings)


def _without_timing(state: SearchState) -> dict:
    return {k: v for k, v in state.to_dict().items() if k not in TIMING}


def test_search_is_deterministic_and_its_fitness_is_spearman(nb201):
    first = _search(nb201, 20).run(every=5)
    again = _search(nb201, 20).run(every=5)
    other = _search(nb201, 20, seed=1).run(every=5)
    assert _without_timing(first) == _without_timing(again)
    assert _without_timing(first)["population"] != _without_timing(other)["population"]
    assert first.iteration == 20 and len(first.population) == 8 and len(first.history) == 4
    assert len({g.canonical() for g, _ in first.population}) == 8
    best, fitness = LPZeroSearch.best(first)
    assert static_rule(best) is None and math.isfinite(fitness)
    scores = evaluate(best, nb201["table"])
    assert fitness == pytest.approx(stats.spearmanr(scores, nb201["accuracy"]).statistic)
    assert first.history == sorted(first.history) and first.history[-1] == fitness
    assert sum(first.pruned.values()) > 0 and first.evaluated > 0


def test_search_resumes_through_json_as_if_never_stopped(nb201):
    straight = _search(nb201, 20).run(every=5)
    saved: list[dict] = []
    half = _search(nb201, 10).run(save=lambda s: saved.append(json.loads(json.dumps(s.to_dict()))),
                                  every=5)  # fmt: skip
    assert half.iteration == 10 and [s["iteration"] for s in saved] == [5, 10]
    state = SearchState.from_dict(json.loads(json.dumps(half.to_dict())), "state")
    resumed = _search(nb201, 20).run(state, every=5)
    assert resumed.population == straight.population
    assert _without_timing(resumed) == _without_timing(straight)
    # and from the first checkpoint, too
    early = SearchState.from_dict(saved[0], "state")
    assert _search(nb201, 20).run(early, every=5).population == straight.population


def test_search_refuses_bad_fitness_sets(nb201):
    table, acc = nb201["table"], nb201["accuracy"]
    with pytest.raises(BadInputError, match="at least 10"):
        LPZeroSearch(table.subset(range(9)), acc[:9], GPSettings(population=8))
    with pytest.raises(BadInputError, match="constant"):
        LPZeroSearch(table, np.full(table.n, 90.0), GPSettings(population=8))
    with pytest.raises(BadInputError, match="finite accuracy"):
        LPZeroSearch(table, np.where(np.arange(table.n) == 2, np.nan, acc), GPSettings())
    with pytest.raises(BadInputError, match="not a search state"):
        SearchState.from_dict({"iteration": 3}, "state.json")


# -- 8. the CLI end to end ---------------------------------------------------------------
@pytest.fixture(scope="module")
def evolved(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("evolve") / "ev"
    argv = ["evolve-proxy", "--from", "primitives", "-b", "nasbench201/cifar10",
            "--data-dir", str(data_dir), *TINY, "--out", str(out)]  # fmt: skip
    code = main([*argv, "--format", "json"])
    return code, out, argv


def test_evolve_proxy_writes_a_loadable_proxy(evolved):
    code, out, _ = evolved
    assert code == 0
    assert {p.name for p in out.iterdir()} >= {"proxy.json", "state.json", "run.json",
                                               "results.md", "summary.json"}  # fmt: skip
    doc = json.loads((out / "proxy.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    proxy = load_proxy(out / "proxy.json")
    assert doc["readable"] == str(proxy.genome) == summary["readable"]
    assert summary["resumed"] is False and summary["from"] == "primitives"
    assert doc["fitness"]["networks"] == 12 and doc["heldout"]["networks"] == 12
    assert doc["search"]["iterations"] == 20 and doc["search"]["population"] == 8
    assert proxy.batch_spec == {"kind": "synthetic", "size": 4, "seed": 0, "shape": [3, 32, 32]}
    assert proxy.max_bytes == 262_144 and proxy.seconds > 0
    assert -1 <= doc["fitness"]["value"] <= 1 and static_rule(proxy.genome) is None
    assert f"lpz:{out / 'proxy.json'}" in (out / "results.md").read_text()
    state = json.loads((out / "state.json").read_text())
    assert state["iteration"] == 20 and len(state["population"]) == 8


def test_evolve_proxy_rerun_resumes(capsys, evolved):
    code, out, argv = evolved
    assert code == 0
    before = json.loads((out / "proxy.json").read_text())
    pruned = before["search"]["pruned"]
    if not pruned["early_stop"] + pruned["non_finite"] + pruned["constant_scores"]:
        pytest.skip("no rejected expression cached in this run: nothing to resume from")
    code, _, err = cli(capsys, *argv, "--format", "json")
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed"] is True
    assert summary["readable"] == before["readable"]
    assert json.loads((out / "proxy.json").read_text())["expression"] == before["expression"]


def test_state_with_rejected_expressions_survives_state_json(nb201, tmp_path):
    search = _search(nb201, 10)
    state = search.run(every=5)
    zero = genome(("act", "grad"), (("normalize", "mean"), ("disconnect",)), "sum")  # ~0 always
    assert search.fitness(zero, state) == -math.inf and state.pruned["early_stop"] >= 1
    assert state.cache[zero.canonical()] == -math.inf
    write_json_atomic(tmp_path / "state.json", state.to_dict())
    back = SearchState.from_dict(json.loads((tmp_path / "state.json").read_text()), "state")
    assert back.cache == state.cache


def test_evolve_proxy_refuses_other_settings_in_the_same_folder(capsys, evolved):
    code, out, argv = evolved
    assert code == 0
    proxy = (out / "proxy.json").read_text()
    changed = [a if a != "20" else "21" for a in argv]  # --iterations 21
    assert changed.count("21") == 1
    code, _, err = cli(capsys, *changed)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "iterations" in err, err
    assert (out / "proxy.json").read_text() == proxy


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["-b", "nasbench201/cifar10", *TINY[:1], "5", *TINY[2:]], "--sample 5"),
        (["-b", "nasbench201/cifar10", "--results", "{tmp}", *TINY], "exactly one source"),
        ([*TINY], "exactly one source"),
        (["-b", "nasbench201/cifar10", *TINY, "--max-bytes", "64"], "max_bytes 64"),
        (["-b", "nasbench201/cifar10", *TINY, "--seeds", "3"], "--seeds: applies to --from scores"),
        (["-b", "nasbench201/cifar10", *TINY, "--generations", "5"], "--generations: applies"),
    ],
    ids=["sample-5", "both-sources", "no-source", "max-bytes-64", "seeds", "generations"],
)
def test_evolve_proxy_bad_input_writes_nothing(capsys, tmp_path, data_dir, args, fragment):
    out = tmp_path / "ev"
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, _, err = cli(capsys, "evolve-proxy", "--from", "primitives", "--data-dir", data_dir,
                       *args, "--out", out)  # fmt: skip
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err
    assert not out.exists()


# -- 9. lpz:FILE as a feature and a proxy-table column -----------------------------------
EXPR = genome(("grad", "weight"), (("abs", "l1_norm"), ("frobenius",)), "product")
SPEC4 = {"kind": "synthetic", "size": 4, "seed": 0, "shape": [3, 32, 32]}


@pytest.fixture(scope="module")
def table4(tmp_path_factory, data_dir):
    """An lpz proxy file and a ``proxies compute`` table of it on 4 NB201 cells."""
    folder = tmp_path_factory.mktemp("lpz")
    path = write_proxy(folder / "proxy.json", EXPR, batch_spec=SPEC4)
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    rows = np.array([0, 7, 100, 300])
    archs = folder / "archs.txt"
    archs.write_text("".join(bench.space.format(a) + "\n" for a in bench.archs[rows]))
    csv = folder / "t.csv"
    code = main(["proxies", "compute", "--archs", str(archs), "--proxies", f"lpz:{path},nwot",
                 "--batch-size", "4", "--out", str(csv), "--format", "json"])  # fmt: skip
    return {"code": code, "path": path, "name": f"lpz:{path}", "csv": csv, "bench": bench,
            "rows": rows}  # fmt: skip


def test_feature_spec_names_lpz_files():
    spec = parse_feature_spec("onehot+zc+lpz:F")
    assert spec.lpz == ("lpz:F",) and spec.encodings == ("onehot",) and spec.proxies == ()
    assert parse_feature_spec("onehot+lpz:a.json+lpz:b.json").lpz == ("lpz:a.json", "lpz:b.json")
    for bad in ("onehot+lpz:", "onehot+lpz:F+lpz:F"):
        with pytest.raises(BadInputError):
            parse_feature_spec(bad)


def test_proxy_table_column_is_a_feature(table4):
    assert table4["code"] == 0
    name, bench, rows = table4["name"], table4["bench"], table4["rows"]
    frame = pd.read_csv(table4["csv"])
    assert len(frame) == 4 and np.isfinite(frame[name]).all()
    attached = attach_proxy_table(bench, str(table4["csv"]))
    assert name in attached.proxy_names
    feats = build_features(f"onehot+zc:nwot+{name}", attached)
    assert name in feats.proxies and f"zc:{name}" in feats.names
    col = feats.names.index(f"zc:{name}")
    assert col in feats.zc_columns and col in feats.blocks[name]
    by_arch = dict(zip(frame.arch, frame[name]))
    want = [by_arch[bench.space.format(a)] for a in bench.archs[rows]]
    np.testing.assert_allclose(feats.X[rows, col], want, rtol=1e-12)
    others = np.setdiff1d(np.arange(bench.n_archs), rows)
    assert np.isnan(feats.X[others, col]).all()  # not in the table: missing, as a failed proxy
    # a bare zc reads the hand-crafted proxies only: the attached expression enters a spec
    # only where it is named (else a graf+zc baseline would silently hold it too)
    plain = build_features("onehot+zc", attached)
    assert name not in plain.proxies and f"zc:{name}" not in plain.names
    assert set(plain.proxies) == set(bench.proxy_names)


def test_lpz_column_computed_for_a_table_equals_proxies_compute(table4, tmp_path, monkeypatch):
    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "cache"))
    name, bench, rows = table4["name"], table4["bench"], table4["rows"]
    sub = bench.subset(rows)
    feats = build_features(f"onehot+{name}", sub)  # no such column: computed per network
    assert feats.names[-1] == name and list(feats.blocks[name]) == [feats.X.shape[1] - 1]
    frame = pd.read_csv(table4["csv"])
    by_arch = dict(zip(frame.arch, frame[name]))
    want = [by_arch[bench.space.format(a)] for a in sub.archs]
    np.testing.assert_allclose(feats.X[:, -1], want, rtol=1e-9)
    again = build_features(f"onehot+{name}", sub)  # from the cache now
    np.testing.assert_array_equal(again.X, feats.X)


def test_proxy_table_timing_column_is_not_a_proxy(table4):
    attached = attach_proxy_table(table4["bench"], str(table4["csv"]))
    assert [p for p in attached.proxy_names if p.startswith("lpz:")] == [table4["name"]]


def test_lpz_column_cache_stays_in_the_cache_dir(table4, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(cache))
    build_features(f"onehot+{table4['name']}", table4["bench"].subset(table4["rows"][:2]))
    assert list(cache.rglob("*.npy")) and not (tmp_path / "lpz").exists()


def test_edited_expression_changes_its_cache_key(tmp_path):
    path = write_proxy(tmp_path / "p.json", EXPR, batch_spec=SPEC4)
    name = f"lpz:{path}"
    key = cache_key(name)
    assert key.startswith("lpz@") and cache_key(name) == key and cache_key("nwot") == "nwot"
    assert load_proxy(path).genome == EXPR
    edited = genome(("grad", "weight"), (("abs", "l1_norm"), ("l1_norm",)), "product")
    write_proxy(path, edited, batch_spec=SPEC4)
    assert cache_key(name) != key and load_proxy(path).genome == edited
    write_proxy(path, EXPR, batch_spec=SPEC4)
    assert cache_key(name) == key  # by content, not by name or time


# -- 10. live in an Optimizer --------------------------------------------------------------
def test_optimizer_computes_lpz_scores_live(tmp_path, full_data_dir):
    from nas_surrogate import Optimizer
    from nas_surrogate.proxies.live import TorchProxies

    full = load_benchmark("nasbench201/cifar10", full_data_dir)
    name = f"lpz:{write_proxy(tmp_path / 'p.json', EXPR, batch_spec=SPEC4)}"
    source = TorchProxies(synthetic_batch(4), cache=None, network={"channels": 4, "n_cells": 1})
    opt = Optimizer(space="nasbench201", searcher="bo", features=f"onehot+zc:nwot+{name}",
                    proxies=source, budget=14, seed=0, max_new_proxies=4)  # fmt: skip
    for _ in range(13):
        archs = opt.ask()
        assert isinstance(archs, list) and len(archs) == 1
        rows = full.index_of(opt.space.parse_many(archs))
        opt.tell(archs, [float(v) for v in full.val_accuracy[rows]])
    assert len(opt.history) == 13
    bench = opt.problem.bench
    col = bench.proxy_scores[:, bench.proxy_names.index(name)]
    scored = np.flatnonzero(np.isfinite(col))
    assert len(scored) >= 10 and len(np.unique(col[scored])) == len(scored)
    assert np.isfinite(bench.proxy_scores[scored, bench.proxy_names.index("nwot")]).all()
    # the live score is the expression on the network built here
    arch = bench.archs[scored[0]]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = build_nb201(arch, 10, 3, channels=4, n_cells=1)
    assert col[scored[0]] == pytest.approx(load_proxy(name[4:]).score(net, synthetic_batch(4)))


def test_analyze_correlations_scores_an_lpz_column(table4, tmp_path, capsys, data_dir):
    """``analyze correlations --proxy-table`` ranks the expression with the table's
    proxies, on the networks the computed table scores."""
    name, bench, rows = table4["name"], table4["bench"], table4["rows"]
    out = tmp_path / "corr"
    argv = ["analyze", "correlations", "-b", "nasbench201/cifar10", "--data-dir", data_dir,
            "--proxy-table", table4["csv"], "--out", out]  # fmt: skip
    code, _, err = cli(capsys, *argv)
    assert code == 0, err
    table = pd.read_csv(next(out.glob("**/*.csv")))
    assert name in table.to_string()
    frame = pd.read_csv(table4["csv"])
    by_arch = dict(zip(frame.arch, frame[name]))
    x = np.array([by_arch[bench.space.format(a)] for a in bench.archs[rows]])
    from scipy import stats

    want = stats.spearmanr(x, bench.val_accuracy[rows]).statistic
    assert f"{want:.3f}" in (out / "results.md").read_text()


def test_an_expression_without_a_value_on_some_networks_is_said(tmp_path, monkeypatch, data_dir):
    """exp(exp(exp(act))) overflows on every network: the column used to be NaN silently."""
    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "cache"))
    g = genome(("act", "weight"), (("exp", "exp", "exp", "l1_norm"), ("frobenius",)), "product")
    path = write_proxy(tmp_path / "overflow.json", g, batch_spec=SPEC4)
    bench = load_benchmark("nasbench201/cifar10", data_dir).subset(np.array([0, 7]))
    from nas_surrogate.proxies.lpzero_table import lpz_column

    for _ in range(2):  # computed, then from the cache: said both times
        with pytest.warns(RuntimeWarning, match="no finite value on 2 of 2 networks"):
            column = lpz_column(bench, f"lpz:{path}", n_jobs=1)
        assert np.isnan(column).all()
