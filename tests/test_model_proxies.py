"""ZC proxies on a user's own ``nn.Module`` (``ModelProxies``): every proxy scores CNNs
with any activation, MLPs on tabular rows and 1-D convolutions on sequences; NB201
scores are what they were; a bad builder or model is a ``BadInputError`` naming it; a
proxy that cannot score a model says so once; the disk cache is reused by the same
settings only. Tiny models throughout: the file runs in seconds on two cores."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies import (
    ModelProxies,
    compute_proxies,
    model_batch,
    nwot,
    synthetic_batch,
    zen,
)
from nas_surrogate.proxies.model import DEFAULT_PROXIES
from nas_surrogate.proxies.network import build as build_nb201

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "none": nn.Identity}


def cnn(config: dict, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    c, w, act = input_shape[0], config.get("width", 8), ACTIVATIONS[config.get("act", "relu")]
    return nn.Sequential(
        nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), act(),
        nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), act(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(w, n_classes),
    )  # fmt: skip


def mlp(config: dict, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    w = config.get("width", 16)
    return nn.Sequential(
        nn.Linear(input_shape[0], w), nn.BatchNorm1d(w), nn.ReLU(),
        nn.Linear(w, w), nn.LayerNorm(w), nn.Tanh(), nn.Linear(w, n_classes),
    )  # fmt: skip


def conv1d(config: dict, input_shape: tuple[int, ...], n_classes: int) -> nn.Module:
    w = config.get("width", 8)
    return nn.Sequential(
        nn.Conv1d(input_shape[0], w, 5, padding=2), nn.BatchNorm1d(w), nn.SiLU(),
        nn.MaxPool1d(2), nn.Conv1d(w, w, 3, padding=1), nn.GELU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(w, n_classes),
    )  # fmt: skip


def batch_of(shape: tuple[int, ...], n_classes: int = 10, rows: int = 40):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(rows, *shape)), rng.integers(0, n_classes, rows)
    return model_batch(x, y, n_classes=n_classes, size=16)


def scores_without_warnings(proxies: ModelProxies, config: dict) -> dict[str, float]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = proxies(config)
    assert not caught, [str(w.message) for w in caught]
    return scores


@pytest.mark.parametrize("act", ["relu", "gelu", "silu"])
def test_every_proxy_is_finite_for_each_activation(act):
    # nwot hooked nn.ReLU only: a GELU or SiLU network had an empty kernel (-inf -> NaN)
    scores = scores_without_warnings(ModelProxies(cnn, batch_of((1, 8, 8))), {"act": act})
    assert list(scores) == list(DEFAULT_PROXIES) and len(scores) == 14
    assert all(np.isfinite(v) for v in scores.values()), scores


@pytest.mark.parametrize(
    "build,shape", [(mlp, (20,)), (conv1d, (4, 32))], ids=["tabular-mlp", "conv1d"]
)
def test_every_proxy_is_finite_on_tabular_rows_and_sequences(build, shape):
    scores = scores_without_warnings(ModelProxies(build, batch_of(shape)), {"width": 8})
    assert all(np.isfinite(v) for v in scores.values()), scores
    assert scores["fisher"] > 0  # the hidden layers are counted, not only convolutions


#: the small NB201 network (8 channels, 1 cell per stage) of arch [0, 2, 3, 2, 3, 1] on
#: the default synthetic batch, as computed before the proxies served any nn.Module
NB201_BEFORE = {"flops": 6.240576, "fisher": 0.000504427816849784,
                "nwot": 171.6526148049925, "synflow": 17.430533972390826,
                "zen": -5.763944574789151}  # fmt: skip


def test_nb201_scores_are_unchanged():
    arch = [0, 2, 3, 2, 3, 1]
    skeleton = {"channels": 8, "n_cells": 1}

    def nb201(config, input_shape, n_classes):
        return build_nb201(config["arch"], n_classes, input_shape[0], **skeleton)

    names = [n for n in DEFAULT_PROXIES if n != "latency"]
    ours, _ = ModelProxies(nb201, synthetic_batch(), proxies=names).compute([{"arch": arch}])
    theirs, _ = compute_proxies(np.array([arch]), names, network=skeleton)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    for name, before in NB201_BEFORE.items():
        assert ours[0, names.index(name)] == pytest.approx(before, rel=1e-6), name


def test_a_model_without_activations_warns_once_and_nwot_is_nan():
    proxies = ModelProxies(cnn, batch_of((1, 8, 8)), proxies=["nwot", "params"])
    with pytest.raises(ValueError, match="no activation modules to hook"):
        nwot.score(cnn({"act": "none"}, (1, 8, 8), 10), proxies.batch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores, _ = proxies.compute([{"act": "none", "width": w} for w in (4, 8, 12)])
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "nwot" in messages[0], messages
    assert "no activation modules" in messages[0]
    assert np.isnan(scores[:, 0]).all() and np.isfinite(scores[:, 1]).all()


def test_zen_reads_the_head_input_and_needs_a_linear_head():
    batch = batch_of((1, 8, 8))
    assert np.isfinite(zen.score(cnn({}, (1, 8, 8), 10), batch))  # no features method
    conv_head = nn.Sequential(nn.Conv2d(1, 10, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                              nn.Flatten())  # fmt: skip
    with pytest.raises(ValueError, match="no nn.Linear"):
        zen.score(conv_head, batch)


def test_a_builder_returning_no_module_is_bad_input():
    def broken(config, input_shape, n_classes):
        return [nn.Linear(20, n_classes)]

    proxies = ModelProxies(broken, batch_of((20,)))
    with pytest.raises(BadInputError, match="broken.*returned list.*not a torch nn.Module"):
        proxies({"width": 4})


def test_a_wrong_output_shape_is_bad_input():
    seven = ModelProxies(lambda c, s, n: mlp(c, s, 7), batch_of((20,)))
    with pytest.raises(ValueError, match=r"model output shape \(16, 7\) does not match \(16, 10\)"):
        seven({"width": 4})
    wrong_input = ModelProxies(lambda c, s, n: mlp(c, (21,), n), batch_of((20,)))
    with pytest.raises(BadInputError, match="forward pass .* failed: RuntimeError: mat1"):
        wrong_input.check({"width": 4})


def test_the_disk_cache_is_reused_by_the_same_settings_only(tmp_path):
    builds = []

    def counted(config, input_shape, n_classes):
        builds.append(config)
        return mlp(config, input_shape, n_classes)

    configs = [{"width": 4, "depth": 1}, {"width": 8, "depth": 1}]
    names = ["params", "nwot", "snip", "latency"]

    def run(version: str = "0"):
        builds.clear()
        source = ModelProxies(counted, batch_of((20,)), proxies=names, version=version,
                              cache_dir=tmp_path)  # fmt: skip
        return source, source.compute(configs)

    first, (scores, seconds) = run()
    assert len(builds) == 1 + len(configs) * len(names)  # the check, then one per score
    lines = [json.loads(line) for line in first.path.read_text().splitlines()]
    assert first.path.parent == tmp_path / "model-proxies" and len(lines) == 8
    assert set(lines[0]) == {"config", "proxy", "score", "seconds"}
    again, (scores2, seconds2) = run()
    assert builds == [] and again.hits == 8 and again.misses == 0
    np.testing.assert_array_equal(scores, scores2)
    np.testing.assert_array_equal(seconds, seconds2)
    # the same config with its keys in another order is the same cache entry
    assert again({"depth": 1, "width": 8}) == dict(zip(names, scores[1])) and builds == []
    _, (scores3, _) = run(version="1")  # the builder changed: nothing is reused
    assert len(builds) == 9
    np.testing.assert_allclose(scores3[:, :3], scores[:, :3], rtol=1e-6)


def test_corrupt_cache_lines_are_skipped_with_one_warning(tmp_path):
    proxies = ModelProxies(mlp, batch_of((20,)), proxies=["params"], cache_dir=tmp_path)
    proxies.compute([{"width": 4}, {"width": 8}])
    with open(proxies.path, "a", encoding="utf-8") as f:
        f.write('{"config": {"width": 16}, "proxy": "par\n[1, 2]\n{"config": 3}\n')
    with pytest.warns(UserWarning, match="3 corrupt line") as caught:
        reread = ModelProxies(mlp, batch_of((20,)), proxies=["params"], cache_dir=tmp_path)
    assert len(caught) == 1
    reread.compute([{"width": 4}, {"width": 8}])
    assert reread.hits == 2 and reread.misses == 0


def test_a_wider_model_has_more_params():
    proxies = ModelProxies(cnn, batch_of((1, 8, 8)), proxies=["params", "flops"])
    scores, seconds = proxies.compute([{"width": 4}, {"width": 16}])
    assert scores[1, 0] > scores[0, 0] and scores[1, 1] > scores[0, 1]
    assert (seconds >= 0).all()


def test_model_batch_subsamples_any_input_shape_with_a_seed():
    x = np.arange(100 * 4 * 6).reshape(100, 4, 6)
    y = np.arange(100) % 3
    batch = model_batch(x, y, size=10, seed=1)
    assert batch.images.shape == (10, 4, 6) and batch.images.dtype == torch.float32
    assert batch.labels.dtype == torch.int64 and batch.n_classes == 3
    rows = batch.images[:, 0, 0].long() // 24
    assert torch.equal(batch.labels, rows % 3)  # each label stays with its row
    assert torch.equal(model_batch(x, y, size=10, seed=1).images, batch.images)
    assert not torch.equal(model_batch(x, y, size=10, seed=2).images, batch.images)
    assert len(model_batch(x[:5], y[:5]).images) == 5  # fewer rows than size: all of them
    with pytest.raises(BadInputError, match="labels must lie in 0..1"):
        model_batch(x, y, n_classes=2)
    with pytest.raises(BadInputError, match="integer class indices"):
        model_batch(x, y + 0.5)


def test_the_names_load_lazily_without_torch_at_import():
    code = ("import sys, nas_surrogate, nas_surrogate.proxies as p; "
            "assert 'torch' not in sys.modules; p.ModelProxies, p.model_batch; "
            "assert 'torch' in sys.modules")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], check=True)


def test_compute_proxies_refuses_what_is_not_an_nb201_cell():
    """A user's configurations used to fail deep inside with a raw IndexError."""
    from nas_surrogate.errors import BadInputError
    from nas_surrogate.proxies import compute_proxies

    for archs in ([{"depth": 3}], np.array([[0, 1, 2, 3, 4, 9]]), np.zeros((1, 4), dtype=int)):
        with pytest.raises(BadInputError, match="ModelProxies"):
            compute_proxies(archs, ["params"])


def test_scores_do_not_depend_on_the_global_random_state():
    """Dropout drew its masks from torch's global generator: 9 of 13 proxies changed with
    whatever ran before (and between processes)."""
    from nas_surrogate.proxies.model import ModelProxies, model_batch

    def build(config, input_shape, n_classes):
        return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(input_shape)), 16), nn.ReLU(),
                             nn.Dropout(config["p"]), nn.Linear(16, n_classes))  # fmt: skip

    rng = np.random.default_rng(0)
    batch = model_batch(rng.normal(size=(32, 12)), rng.integers(0, 3, 32), 3)
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        scores, _ = ModelProxies(build, batch, proxies=["snip", "grad_norm", "synflow"]).compute(
            [{"p": 0.5}]
        )
        runs.append(scores)
    np.testing.assert_array_equal(runs[0], runs[1])
