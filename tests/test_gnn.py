"""The graph encoding and the graph neural surrogate (``gnn``) on real tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from nas_surrogate import build_features, load_benchmark, make_preprocessor
from nas_surrogate.cli import main
from nas_surrogate.encodings import ENCODINGS
from nas_surrogate.spaces import get_space
from nas_surrogate.surrogates import Predictor, make_surrogate
from nas_surrogate.surrogates.gnn import layout_params


def graph_of(space_name: str, cell) -> tuple[np.ndarray, np.ndarray]:
    """(node types (N, K), adjacency (N, N)) of one cell's ``graph`` encoding."""
    space, enc = get_space(space_name), ENCODINGS.get("graph")
    n, types = enc.layout(space)
    row = enc.encode(space, np.array([cell]))[0]
    nodes = row[: n * len(types)].reshape(n, len(types))
    adj = np.zeros((n, n))
    adj[np.triu_indices(n, k=1)] = row[n * len(types) :]
    return nodes, adj


def test_nb201_cells_become_their_effective_line_graph():
    """Edge (i, j) feeds every edge leaving j; a none edge, and an op on no input-output
    path, leave no node: cells that compute the same network share one graph."""
    ops = list(get_space("nasbench201").ops)
    conv, skip, none = ops.index("nor_conv_3x3"), ops.index("skip_connect"), ops.index("none")
    nodes, adj = graph_of("nasbench201", (conv,) * 6)
    assert nodes.shape == (8, 6) and nodes.sum() == 8  # input, six edges, output
    # edges (1,2) (1,3) (1,4) (2,3) (2,4) (3,4) are nodes 1..6
    assert adj[0, 1:4].all() and not adj[0, 4:].any()  # the input feeds the edges from 1
    assert adj[1, 4] and adj[1, 5] and adj[4, 6] and not adj[2, 4]  # (1,2)->(2,3),(2,4)
    assert adj[[3, 5, 6], 7].all() and adj[:, 7].sum() == 3  # edges into node 4
    # (1,2) and (2,3) conv, (3,4) skip, the rest none: a chain of three ops
    chain = (conv, none, none, conv, none, skip)
    nodes, adj = graph_of("nasbench201", chain)
    assert nodes.sum() == 5 and adj.sum() == 4
    # 1 -> 2 -> 4 by convs; adding a conv on (1, 3) whose node 3 reaches nothing
    # computes the same network, so it has the same graph
    live = (conv, none, none, none, conv, none)
    with_dead_op = (conv, conv, none, none, conv, none)
    for a, b in zip(graph_of("nasbench201", live), graph_of("nasbench201", with_dead_op)):
        assert np.array_equal(a, b)
    lonely = (conv, none, none, none, none, none)  # (1,2) leads nowhere: an empty cell
    nodes, adj = graph_of("nasbench201", lonely)
    assert nodes[1:-1].sum() == 0 and adj.sum() == 0


def test_graph_features_follow_the_benchmark_on_every_graph_space(data_dir):
    for bench_id in ("nasbench201/cifar10", "nasbench101/cifar10", "nasbench301/cifar10",
                     "transbench101_micro/jigsaw"):  # fmt: skip
        bench = load_benchmark(bench_id, data_dir)
        feats = build_features("graph+zc", bench)
        params = layout_params(feats, {})
        n, k = params["n_nodes"], params["n_node_types"]
        assert feats.X.shape[1] == n * k + n * (n - 1) // 2 + len(bench.proxy_names)
        block = feats.X[:, : n * k].reshape(len(bench.archs), n, k)
        assert block.sum(-1).max() == 1  # at most one type per node
        assert (block[:, 0, 0] == 1).all()  # the input is always there


def test_gnn_learns_to_rank_networks_on_the_whole_nb201_table(full_data_dir):
    """At n = 100, 3 splits: the graph surrogate ranks the 9,345 networks it did not see
    far better than chance and better than without the proxies."""
    bench = load_benchmark("nasbench201/cifar10", full_data_dir)
    y, rng = bench.val_accuracy, np.random.default_rng(0)
    taus = {}
    for spec in ("graph", "graph+zc"):
        feats = build_features(spec, bench)
        scores = []
        for _ in range(3):
            order = rng.permutation(len(y))
            train, test = order[:100], order[100:]
            model = Predictor(make_preprocessor(feats, "quantile"),
                              make_surrogate("gnn", random_state=0, features=feats))  # fmt: skip
            model.fit(feats.X[train], y[train])
            scores.append(kendalltau(y[test], model.predict(feats.X[test]))[0])
        taus[spec] = np.mean(scores)
    assert taus["graph"] > 0.45 and taus["graph+zc"] > taus["graph"] + 0.03, taus


def test_gnn_is_seeded_and_row_order_free(data_dir):
    bench = load_benchmark("nasbench101/cifar10", data_dir)
    feats = build_features("graph+zc", bench)
    X, y = feats.X, bench.val_accuracy

    def fitted(seed: int, rows):
        model = Predictor(make_preprocessor(feats),
                          make_surrogate("gnn", random_state=seed, features=feats))  # fmt: skip
        return model.fit(X[rows], y[rows])

    a = fitted(3, np.arange(60)).predict(X[60:])
    assert np.array_equal(a, fitted(3, np.arange(60)).predict(X[60:]))
    assert not np.array_equal(a, fitted(4, np.arange(60)).predict(X[60:]))
    model = fitted(3, np.arange(60))
    assert np.allclose(model.predict(X[60:])[:5], model.predict(X[60:65]))  # batch-free


def test_pairwise_loss_trains_mlp_and_gnn_to_rank(data_dir):
    """``loss="pairwise"`` fits the order of the targets only (a ranking objective)."""
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    y = bench.val_accuracy
    for name, spec in (("mlp", "onehot+zc"), ("gnn", "graph+zc")):
        feats = build_features(spec, bench)
        model = Predictor(
            make_preprocessor(feats, "quantile"),
            make_surrogate(name, random_state=0, features=feats, loss="pairwise",
                           val_fraction=0.0, max_epochs=100),
        )  # fmt: skip
        model.fit(feats.X[:200], y[:200])
        assert kendalltau(y[200:], model.predict(feats.X[200:]))[0] > 0.4, name


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["-s", "gnn", "-f", "onehot+zc"], "gnn reads the cell graph"),
        (["-s", "gnn", "-f", "graph+onehot+zc"], "must be the last encoding"),
        (["-b", "transbench101_macro/jigsaw", "-s", "gnn", "-f", "graph+zc"],
         "encoding 'graph' does not apply to space transbench101_macro"),
    ],
)  # fmt: skip
def test_gnn_without_its_graph_is_one_line_before_any_work(argv, fragment, capsys, tmp_path,
                                                          data_dir):  # fmt: skip
    out = tmp_path / "o"
    base = ["evaluate", "-b", "nasbench201/cifar10", "-n", "20", "--data-dir", str(data_dir)]
    assert main([*base, *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err, err
    assert not out.exists()


def test_gnn_is_refused_as_a_member_of_a_composite(tmp_path, capsys, data_dir):
    """A stack or ensemble builds its members from arrays alone: gnn would lose its
    graph there, so it is refused rather than run as a plain MLP."""
    config = tmp_path / "stack.yaml"
    config.write_text("stack:\n  members: [xgb, gnn]\n")
    code = main(["evaluate", "-b", "nasbench201/cifar10", "-s", "stack", "-f", "graph+zc",
                 "-n", "20", "--data-dir", str(data_dir), "--surrogate-config", str(config),
                 "--out", str(tmp_path / "o")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "'gnn'" in err and "use it alone" in err, err


def test_guided_search_with_the_graph_surrogate(capsys, tmp_path, data_dir):
    code = main(["search", "-b", "nasbench201/cifar10", "--data-dir", str(data_dir),
                 "--searcher", "local_search:guided", "-s", "gnn", "-f", "graph+zc",
                 "--budget", "20", "--seeds", "1", "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "local_search:guided (gnn, graph+zc)" in capsys.readouterr().out


def test_an_ensemble_of_gnns_gives_bo_a_predictive_distribution(capsys, tmp_path, data_dir):
    """`-s ensemble` with `base: gnn`: every member gets the graph layout, the spread of
    the members is the distribution bo's acquisition reads."""
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    feats = build_features("graph+zc", bench)
    model = make_surrogate("ensemble", random_state=0, features=feats, base="gnn",
                           n_members=3)  # fmt: skip
    assert model.base_params["n_nodes"] == 8
    predictor = Predictor(make_preprocessor(feats, "quantile"), model)
    predictor.fit(feats.X[:100], bench.val_accuracy[:100])
    mean, std = predictor.predict_dist(feats.X[100:])
    assert (std > 0).all() and kendalltau(bench.val_accuracy[100:], mean)[0] > 0.4
    with pytest.raises(ValueError, match="needs the graph layout"):
        make_surrogate("ensemble", base="gnn").fit(feats.X[:50], bench.val_accuracy[:50])
    config = tmp_path / "ens.yaml"
    config.write_text("ensemble:\n  base: gnn\n  n_members: 2\n")
    code = main(["search", "-b", "nasbench201/cifar10", "--data-dir", str(data_dir),
                 "--searcher", "bo", "-s", "ensemble", "-f", "graph+zc", "--surrogate-config",
                 str(config), "--budget", "14", "--seeds", "1",
                 "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 0, capsys.readouterr().err


@pytest.mark.parametrize("base", ["mlp", "gp", "gnn"])
def test_ensemble_members_take_the_wide_seeds_an_ensemble_gives_them(base, data_dir):
    """Member i of an ensemble is seeded random_state * 1000 + i; searchers draw
    random_state below 2**31, so members see seeds above 2**32 (mlp and gp refused them:
    `bo -s ensemble` with `base: mlp` failed at its first fit)."""
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    feats = build_features("graph+zc" if base == "gnn" else "onehot+zc", bench)
    model = Predictor(
        make_preprocessor(feats),
        make_surrogate("ensemble", random_state=2**31 - 2, features=feats, base=base,
                       n_members=2),
    )  # fmt: skip
    mean, std = model.fit(feats.X[:40], bench.val_accuracy[:40]).predict_dist(feats.X[40:])
    assert np.isfinite(mean).all() and (std >= 0).all()
