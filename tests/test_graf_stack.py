"""The ``graf`` encoding (checked by hand on a few cells, computed on the effective cell)
and the ``stack`` surrogate (a real scikit-learn regressor; weights validated)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from nas_surrogate import Benchmark, build_features, load_benchmark
from nas_surrogate.encodings import ENCODINGS
from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces import get_space
from nas_surrogate.surrogates import check_params, make_surrogate
from nas_surrogate.surrogates.stack import StackSurrogate


def graf_of(cell):
    space = get_space("nasbench201")
    enc = ENCODINGS.get("graf")
    return dict(zip(enc.feature_names(space), enc.encode(space, np.array([cell]))[0]))


def test_graf_by_hand():
    # 1 -conv3-> 2 -conv3-> 4, everything else none
    f = graf_of((2, 1, 1, 1, 2, 1))
    assert f["n_nor_conv_3x3"] == 2 and f["n_skip_connect"] == 0
    assert f["shortest[nor_conv_3x3]"] == 2 and f["longest[nor_conv_3x3]"] == 2
    assert f["shortest[skip_connect]"] == 0  # no skip-only path
    assert f["from_input[nor_conv_3x3]"] == 1 and f["to_output[nor_conv_3x3]"] == 1
    assert f["mean_in_degree[nor_conv_3x3]"] == 0.5  # node 2: 1, node 3: 0
    # skip 1->4 plus conv3 1->2->3->4: shortest 1 over {skip, conv3}, longest 3
    g = graf_of((2, 1, 0, 2, 1, 2))
    assert g["shortest[skip_connect+nor_conv_3x3]"] == 1
    assert g["longest[skip_connect+nor_conv_3x3]"] == 3
    assert g["longest[nor_conv_3x3]"] == 3 and g["shortest[skip_connect]"] == 1
    # a dead conv (2 -> 3 with nothing leaving 3) counts nowhere: the effective cell
    assert graf_of((2, 1, 1, 2, 2, 1)) == graf_of((2, 1, 1, 1, 2, 1))


def test_graf_on_the_whole_space_drops_constant_and_duplicate_columns():
    space = get_space("nasbench201")
    X = ENCODINGS.get("graf").encode(space, space.all_archs())
    assert X.shape[0] == 15625 and X.shape[1] == len(ENCODINGS.get("graf").feature_names(space))
    assert (X.std(axis=0) > 0).all()
    assert len({X[:, j].tobytes() for j in range(X.shape[1])}) == X.shape[1]


def named_graf(space_name, arch):
    space = get_space(space_name)
    enc = ENCODINGS.get("graf")
    raw, names = enc._raw(space, np.array([arch]))  # every column, constant ones too
    return dict(zip(names, raw[0]))


def test_graf_nb101_by_hand():
    # input -> conv3x3 (node 1) -> output, and input -> output; nodes 2..5 dead
    adj = np.zeros((7, 7), dtype=int)
    adj[0, 1] = adj[1, 6] = adj[0, 6] = 1
    adj[2, 3] = 1  # a dead edge between dead nodes: pruned
    f = named_graf("nasbench101", np.concatenate([adj.ravel(), [0, 2, 3, 4, 4, 4, 1]]))
    assert f["n_conv3x3"] == 1 and f["n_conv1x1"] == 0 and f["n_edges"] == 3
    assert f["out_degree_input"] == 2 and f["in_degree_output"] == 2 and f["n_paths"] == 2
    assert f["shortest[conv3x3]"] == 1 and f["longest[conv3x3]"] == 2
    assert f["n_paths[conv3x3]"] == 2 and f["n_paths[conv1x1]"] == 1
    assert f["longest[conv1x1]"] == 1  # only the direct input -> output edge


def test_graf_nb301_by_hand():
    # max_pool 0, avg_pool 1, skip 2, sep_conv_3x3 3; a sep3 chain 0 -> 2 -> 3 -> 4 -> 5
    cell = [(0, 3), (1, 2), (2, 3), (0, 0), (3, 3), (1, 1), (4, 3), (0, 2)]
    f = named_graf("nasbench301", np.array([cell, cell]).ravel())
    assert f["normal:longest[sep_conv_3x3]"] == 4 and f["normal:depth"] == 4
    assert f["normal:edges_from_input0"] == 3 and f["normal:edges_from_input1"] == 2
    assert f["normal:mean_out_degree"] == 0.75
    assert f["normal:reached[skip_connect]"] == 2  # nodes 2 and 5 over skip edges only
    assert f["reduce:n_sep_conv_3x3"] == 4


def test_graf_specs_compose_and_refuse_spaces_without_a_cell(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    assert build_features("onehot+graf+zc", bench).X.shape[1] == 30 + 94 + 12
    for task in ("nasbench101/cifar10", "nasbench301/cifar10", "transbench101_macro/jigsaw"):
        other = load_benchmark(task, data_dir)
        X = build_features("graf", other).X
        assert X.shape[0] == other.n_archs and (X.std(axis=0) > 0).any()
    space = get_space("nasbenchgraph")
    archs = space.sample(5, np.random.default_rng(0))
    graph = Benchmark("nasbenchgraph/cora", space, archs, np.zeros(5), (), np.zeros((5, 0)),
                      np.zeros((5, 0)))  # fmt: skip
    with pytest.raises(BadInputError, match="graf"):
        build_features("graf+zc", graph)


@pytest.mark.parametrize(
    "params,fragment",
    [({"members": ["xgb", "rff"]}, "did you mean"), ({"weights": [1, -1]}, "stack weights"),
     ({"weights": [0, 0]}, "positive sum"), ({"members": ["vote"]}, "learning surrogate"),
     ({"members": ["stack"]}, "cannot contain itself"), ({"members": "xgb"}, "'members'")],
)  # fmt: skip
def test_stack_bad_config(params, fragment):
    """A scikit-learn estimator's error (ValueError / TypeError), not the CLI's type; the
    CLI's probe fit turns it into one line naming the parameters."""
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=fragment) as raised:
        StackSurrogate(**params).fit(rng.random((20, 3)), rng.random(20))
    assert not isinstance(raised.value, BadInputError)
    with pytest.raises(BadInputError, match=fragment):
        check_params("stack", params)


def test_stack_rows_are_independent_and_dist_is_member_spread():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = X[:, 0] + 0.1 * rng.normal(size=80)
    model = make_surrogate("stack", random_state=1).fit(X[:60], y[:60])
    batch = model.predict(X[60:])
    alone = np.array([model.predict(X[i : i + 1])[0] for i in range(60, 80)])
    assert np.allclose(batch, alone)
    mean, std = model.predict_dist(X[60:])
    assert np.allclose(mean, batch) and (std >= 0).all() and std.max() > 0
    assert np.corrcoef(batch, y[60:])[0, 1] > 0.8


def test_blend_orders_a_pool_by_its_members_mean_rank():
    """The baseline: each member's predictions ranked within the pool, ranks averaged and
    mapped to the training targets' quantiles; same members and seeds as ``stack``."""
    from scipy.stats import rankdata

    rng = np.random.default_rng(0)
    X = rng.random((120, 6))
    y = X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=120)
    blend = make_surrogate("blend", random_state=3).fit(X[:80], y[:80])
    stack = make_surrogate("stack", random_state=3).fit(X[:80], y[:80])
    ranks = np.mean([rankdata(m.predict(X[80:])) for m in stack.models_], axis=0)
    pred = blend.predict(X[80:])
    assert np.array_equal(np.argsort(pred, kind="stable"), np.argsort(ranks, kind="stable"))
    assert y[:80].min() <= pred.min() and pred.max() <= y[:80].max()
    assert np.corrcoef(pred, y[80:])[0, 1] > 0.8


LIBRARY = "behaviour of the wrapped library (XGBoost / LightGBM / scikit-learn's forest)"
BASELINE = "a non-learning baseline: its predictions are a proxy's, not fit to y"
BATCH = "the rank blend baseline ranks within the predicted batch, by design"
EXPECTED_FAILURES = {
    "XGBRegressor": {"check_all_zero_sample_weights_error": LIBRARY,
                     "check_regressor_multioutput": LIBRARY},
    "LGBMRegressor": {"check_no_attributes_set_in_init": LIBRARY,
                      "check_all_zero_sample_weights_error": LIBRARY},
    "ForestSurrogate": {"check_sample_weight_equivalence_on_dense_data": LIBRARY,
                        "check_sample_weight_equivalence_on_sparse_data": LIBRARY},
    "VoteSurrogate": {"check_regressors_train": BASELINE},
    "ProxySurrogate": {"check_regressors_train": BASELINE},
    "BlendSurrogate": {"check_methods_subset_invariance": BATCH},
}  # fmt: skip
SMALL = {"rf": {"n_estimators": 10}, "stack": {"member_params": {"rf": {"n_estimators": 10}}},
         "blend": {"member_params": {"rf": {"n_estimators": 10}}},
         "mlp": {"max_epochs": 50}, "ensemble": {"n_members": 2},
         "auto": {"candidates": ("xgb", "lgbm")}}  # fmt: skip


def _all_surrogates():
    from nas_surrogate.surrogates import SURROGATES

    names = [n if n != "proxy" else "proxy:nwot" for n in SURROGATES.names()]
    return [make_surrogate(n, **SMALL.get(n, {})) for n in names]


@parametrize_with_checks(
    _all_surrogates(),
    expected_failed_checks=lambda est: EXPECTED_FAILURES.get(type(est).__name__, {}),
)
def test_every_surrogate_is_a_scikit_learn_regressor(estimator, check):
    check(estimator)


def test_our_surrogates_declare_every_parameter_once():
    """scikit-learn's `_parameter_constraints`: each of our estimators declares the type
    and range of every parameter, checked in `fit` by `_validate_params` (a wrong one is
    sklearn's InvalidParameterError, a ValueError and TypeError, never the CLI's type)."""
    from sklearn.utils._param_validation import InvalidParameterError

    ours = [e for e in _all_surrogates() if type(e).__module__.startswith("nas_surrogate")]
    assert len(ours) >= 7
    rng = np.random.default_rng(0)
    for estimator in ours:
        params = estimator.get_params(deep=False)
        assert set(type(estimator)._parameter_constraints) >= set(params), type(estimator)
        first = next(iter(params))
        with pytest.raises(InvalidParameterError, match=first):
            estimator.set_params(**{first: object()}).fit(rng.random((20, 3)), rng.random(20))


@pytest.mark.parametrize("name", ["mlp", "gnn"])
def test_torch_thread_counts_are_capped_at_the_cores(name):
    """n_threads: 100000 used to start that many threads and run out of memory."""
    import os

    from sklearn.utils._param_validation import InvalidParameterError

    rng = np.random.default_rng(0)
    X, y = rng.random((20, 3)), rng.random(20)
    too_many = (os.cpu_count() or 1) + 1
    with pytest.raises(InvalidParameterError, match="n_threads"):
        make_surrogate(name, n_threads=too_many).fit(X, y)
