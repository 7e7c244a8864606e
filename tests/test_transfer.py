"""Transfer features: ``source:TASK`` gives each network its accuracy on another task."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from nas_surrogate import build_features, load_benchmark
from nas_surrogate.benchmarks.transfer import attach_sources
from nas_surrogate.cli import main
from nas_surrogate.encodings import parse_feature_spec
from nas_surrogate.errors import BadInputError


def _cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_source_column_is_the_other_tasks_accuracy_by_network(data_dir, full_data_dir):
    target = load_benchmark("nasbench201/ImageNet16-120", data_dir)
    full = load_benchmark("nasbench201/cifar10", full_data_dir)
    bench = attach_sources(target, ("nasbench201/cifar10@" + str(full_data_dir),), data_dir)
    feats = build_features(f"onehot+source:nasbench201/cifar10@{full_data_dir}", bench)
    column = feats.X[:, -1]
    rows = full.index_of(target.archs)
    assert np.array_equal(column, full.val_accuracy[rows])
    assert kendalltau(target.val_accuracy, column)[0] > 0.7  # CIFAR-10 ranks ImageNet16-120
    assert feats.names[-1].startswith("source:") and feats.zc_columns[-1] == feats.X.shape[1] - 1


def test_bad_sources_are_refused(data_dir, full_data_dir):
    target = load_benchmark("nasbench201/cifar100", data_dir)
    with pytest.raises(BadInputError, match="target task itself"):
        attach_sources(target, ("nasbench201/cifar100",), data_dir)
    with pytest.raises(BadInputError, match="did you mean"):
        attach_sources(target, ("nasbench201/cifar1O",), data_dir)
    with pytest.raises(BadInputError, match=r"source:nasbench201/cifar10@/no/such/dir:.*not a"):
        attach_sources(target, ("nasbench201/cifar10@/no/such/dir",), data_dir)
    with pytest.raises(BadInputError, match="nasbench101"):  # another space
        attach_sources(target, ("nasbench101/cifar10",), data_dir)
    own = load_benchmark("nasbench201/cifar10", data_dir)
    with pytest.raises(BadInputError, match="own"):  # the same task from the full table
        attach_sources(own, (f"nasbench201/cifar10@{full_data_dir}",), data_dir)
    with pytest.raises(BadInputError, match="not attached"):
        build_features("onehot+source:nasbench201/cifar10", target)
    with pytest.raises(BadInputError, match="source:TASK"):
        parse_feature_spec("onehot+source:")


def test_a_source_lacking_target_networks_says_how_many(full_data_dir, data_dir):
    full = load_benchmark("nasbench201/cifar10", full_data_dir)
    with pytest.raises(BadInputError, match=r"lacks \d+ of the 9445"):
        attach_sources(full, ("nasbench201/cifar100",), data_dir)  # the 725-network file


def test_evaluate_with_transfer_from_the_full_table(capsys, tmp_path, data_dir, full_data_dir):
    spec = f"onehot+zc;onehot+zc+source:nasbench201/cifar10@{full_data_dir}"
    code, out, err = _cli(
        capsys, "evaluate", "-b", "nasbench201/ImageNet16-120", "-s", "xgb", "-f", spec,
        "-n", "50", "--seeds", "3", "--data-dir", data_dir, "--out", tmp_path / "e",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    json.loads(out)
    frame = pd.read_csv(tmp_path / "e" / "results.csv")
    tau = frame.groupby("features")["kendall_tau"].mean()
    with_source = tau[[f for f in tau.index if "source:" in f][0]]
    assert with_source > tau["onehot+zc"] + 0.05  # the source task's ranking carries over
    code, _, err = _cli(
        capsys, "evaluate", "-b", "nasbench201/cifar10", "-s", "xgb", "-f",
        f"onehot+source:nasbench201/cifar100@{data_dir}", "-n", "50", "--data-dir",
        full_data_dir, "--out", tmp_path / "bad",
    )  # fmt: skip
    assert code == 2 and "lacks" in err and err.count("\n") == 1
    assert not (tmp_path / "bad").exists()


def test_optimizer_takes_source_features_on_a_table_and_on_the_whole_space(
    data_dir, full_data_dir, tmp_path
):
    """`source:TASK@DIR` in Optimizer (ask/tell): the source accuracy joins the features,
    by network; a saved state resumes with it; on the space itself (no table) the source
    must hold every network, else one line says how many are missing."""
    from nas_surrogate.optimizer import Optimizer

    target = load_benchmark("nasbench201/ImageNet16-120", data_dir)
    source = load_benchmark("nasbench201/cifar10", full_data_dir)
    spec = f"graf+zc+source:nasbench201/cifar10@{full_data_dir}"
    opt = Optimizer("nasbench201", "bo", features=spec, proxies=target, seed=0)
    X = opt.problem._X
    expected = source.val_accuracy[source.index_of(opt.problem.bench.archs)]
    np.testing.assert_allclose(X[:, -1], expected)  # the last feature column
    for _ in range(3):
        archs = opt.ask(4)
        rows = target.index_of(np.stack([target.space.parse(a) for a in archs]))
        opt.tell(archs, [float(v) for v in target.val_accuracy[rows]])
    opt.save(tmp_path / "s.json")
    assert Optimizer.load(tmp_path / "s.json", proxies=target).ask(3) == opt.ask(3)
    whole = Optimizer(
        "nasbench201", "bo", features=f"onehot+source:nasbench201/cifar10@{full_data_dir}"
    )
    assert whole.problem._X.shape == (9445, 31) and np.isfinite(whole.problem._X).all()
    with pytest.raises(BadInputError, match="lacks 8880 of the 9445"):
        Optimizer("nasbench201", "bo", features=f"onehot+source:nasbench201/cifar10@{data_dir}")


def test_live_proxies_fill_the_proxy_columns_beside_a_source_column(full_data_dir):
    """With proxies computed as networks are proposed, the ZC feature columns are filled
    and the source column is left as the source task's accuracy (a source column beside
    live proxies broke the column bookkeeping)."""
    from nas_surrogate.optimizer import Optimizer

    source = load_benchmark("nasbench201/cifar10", full_data_dir)

    def proxy(arch: str) -> dict[str, float]:
        ops = [int(c) for c in arch if c.isdigit()]
        return {"params": float(sum(o in (2, 3) for o in ops)), "synflow": float(ops[0])}

    spec = f"onehot+zc:params,synflow+source:nasbench201/cifar10@{full_data_dir}"
    opt = Optimizer("nasbench201", "bo", features=spec, surrogate="rf", proxies=proxy,
                    seed=0, max_new_proxies=7)  # fmt: skip
    for _ in range(3):
        archs = opt.ask(5)
        opt.tell(archs, [float(len(a)) for a in archs])
    X, bench = opt.problem._X, opt.problem.bench
    np.testing.assert_allclose(X[:, -1], source.val_accuracy[source.index_of(bench.archs)])
    rows = opt.problem.row_of(opt.problem.history()[0])  # the networks trained
    expected = [[v for v in proxy(bench.space.format(a)).values()] for a in bench.archs[rows]]
    np.testing.assert_allclose(X[rows][:, -3:-1], expected)
