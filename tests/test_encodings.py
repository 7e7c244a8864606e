"""Encodings have the documented shapes, and the ZC preprocessing only learns from the
rows it is fitted on."""

from __future__ import annotations

import numpy as np
import pytest

from nas_surrogate import build_features, load_benchmark, make_preprocessor, parse_feature_spec
from nas_surrogate.errors import BadInputError


@pytest.mark.parametrize(
    "bench_id,spec,width",
    [
        ("nasbench201/cifar10", "onehot", 30),  # 6 edges x 5 ops
        ("nasbench201/cifar10", "path", 4 + 16 + 64),  # op sequences, 'none' excluded
        ("nasbench201/cifar10", "onehot+zc", 30 + 12),
        ("nasbench201/cifar10", "zc:nwot,synflow", 2),
        ("nasbench101/cifar10", "adjacency", 21 + 5 * 3),
        ("nasbench101/cifar10", "path", sum(3**k for k in range(6))),  # 364
        ("nasbench301/cifar10", "adjacency", 2 * 14 * 7),
        ("transbench101_micro/class_scene", "onehot", 24),
        ("transbench101_macro/class_scene", "categorical", 4 * 4 + 2 * 5),
        ("nasbenchgraph/cora", "categorical", 9 + 4 * 9),
    ],
)
def test_feature_shapes(bench_id, spec, width, data_dir):
    bench = load_benchmark(bench_id, data_dir)
    feats = build_features(spec, bench)
    assert feats.X.shape == (bench.n_archs, width) == (bench.n_archs, len(feats.names))


def test_onehot_marks_one_op_per_edge(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    X = build_features("onehot", bench).X
    assert (X.reshape(-1, 6, 5).sum(axis=2) == 1).all()
    assert (X.reshape(-1, 6, 5).argmax(axis=2) == bench.archs).all()


def test_nb301_adjacency_ignores_edge_order(data_dir):
    bench = load_benchmark("nasbench301/cifar10", data_dir)
    swapped = bench.archs.reshape(-1, 2, 8, 2)[:, :, [1, 0, 3, 2, 5, 4, 7, 6]].reshape(-1, 32)
    enc = build_features("adjacency", bench).X
    from nas_surrogate.encodings import ENCODINGS

    assert np.array_equal(enc, ENCODINGS.get("adjacency").encode(bench.space, swapped))
    assert (enc.sum(axis=1) == 16).all()  # 8 edges per cell, one op each


def test_nb201_path_counts_live_routes():
    from nas_surrogate.encodings import ENCODINGS

    space = load_benchmark("nasbench201_full/cifar10").space
    path = ENCODINGS.get("path")
    # 4 routes (lengths 1, 2, 2, 3); the two length-2 routes read the same op sequence
    all_conv = np.full((1, 6), 2)
    all_none = np.full((1, 6), 1)
    assert path.encode(space, all_conv).sum() == 3
    assert path.encode(space, all_none).sum() == 0


def test_zc_imputation_is_fit_on_training_rows_only(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    feats = build_features("zc:synflow", bench)
    missing = np.flatnonzero(np.isnan(feats.X[:, 0]))
    assert len(missing) == 1
    train = np.arange(0, 200)
    pre = make_preprocessor(feats).fit(feats.X[train])
    filled = pre.transform(feats.X[missing])[0, 0]
    assert filled == pytest.approx(np.nanmedian(feats.X[train, 0]))
    assert filled != pytest.approx(np.nanmedian(feats.X[:, 0]))


def test_quantile_transform_option(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    feats = build_features("onehot+zc", bench)
    Z = make_preprocessor(feats, zc_transform="quantile").fit_transform(feats.X)
    zc = Z[:, :12]  # ColumnTransformer puts the transformed ZC block first
    assert np.isfinite(zc).all() and abs(zc.mean()) < 0.2
    with pytest.raises(BadInputError, match="zc_transform"):
        make_preprocessor(feats, zc_transform="rankk")


@pytest.mark.parametrize(
    "spec,message",
    [
        ("onehat", "did you mean 'onehot'"),
        ("onehot+", r"joined by '\+'"),
        ("onehot+onehot", "appears twice"),
        ("zc+zc:nwot", "appears twice"),
        ("onehot:x", "takes no ':' arguments"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(BadInputError, match=message):
        parse_feature_spec(spec)


def test_spec_not_applying_names_space_and_alternatives(data_dir):
    bench = load_benchmark("nasbench101/cifar10", data_dir)
    with pytest.raises(BadInputError, match=r"'onehot' does not apply to space nasbench101.*path"):
        build_features("onehot+zc", bench)
    with pytest.raises(BadInputError, match="nwot"):
        build_features("zc:nwot", bench)  # NB101 has no nwot scores
    graph = load_benchmark("nasbenchgraph/cora")
    with pytest.raises(BadInputError, match="no zero-cost proxy"):
        build_features("categorical+zc", graph)
