"""``qlgbm``: LightGBM at three quantiles, a tree model with a predictive distribution."""

from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau

from nas_surrogate import build_features, load_benchmark, make_preprocessor
from nas_surrogate.cli import main
from nas_surrogate.surrogates import Predictor, dist_surrogates, make_surrogate


def test_quantile_boosting_ranks_and_its_interval_covers_held_out_networks(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    feats = build_features("graf+zc", bench)
    y = bench.val_accuracy
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:300], order[300:]
    model = Predictor(make_preprocessor(feats, "quantile"), make_surrogate("qlgbm"))
    mean, std = model.fit(feats.X[train], y[train]).predict_dist(feats.X[test])
    assert kendalltau(y[test], mean)[0] > 0.6
    assert (std >= 0).all() and np.ptp(std) > 0  # wider where the model is less sure
    inside = np.mean(np.abs(y[test] - mean) <= std)  # the 68 % interval, held out
    assert 0.4 < inside < 0.95, inside
    wide = make_surrogate("qlgbm", coverage=0.95)
    _, std95 = (
        Predictor(make_preprocessor(feats, "quantile"), wide)
        .fit(feats.X[train], y[train])
        .predict_dist(feats.X[test])
    )
    assert np.mean(np.abs(y[test] - mean) <= 2 * std95) > inside


def test_bo_runs_on_quantile_boosting_and_names_it_when_refusing_another(
    capsys, tmp_path, data_dir
):
    assert "qlgbm" in dist_surrogates() and "xgb" not in dist_surrogates()
    base = ["search", "-b", "nasbench201/cifar10", "--data-dir", str(data_dir), "--searcher",
            "bo", "-f", "onehot+zc", "--budget", "15", "--seeds", "1"]  # fmt: skip
    assert main([*base, "-s", "qlgbm", "--out", str(tmp_path / "q")]) == 0
    capsys.readouterr()
    assert main([*base, "-s", "xgb", "--out", str(tmp_path / "x")]) == 2
    assert "qlgbm" in capsys.readouterr().err
