"""Metrics against scipy / hand-computed values on known inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nas_surrogate.metrics import precision_at_k, prediction_metrics


def test_metrics_match_scipy():
    rng = np.random.default_rng(3)
    y = rng.normal(size=200)
    pred = y + rng.normal(scale=0.7, size=200)
    m = prediction_metrics(y, pred)
    assert m["kendall_tau"] == pytest.approx(stats.kendalltau(y, pred).statistic)
    assert m["spearman"] == pytest.approx(stats.spearmanr(y, pred).statistic)
    assert m["pearson"] == pytest.approx(np.corrcoef(y, pred)[0, 1])
    assert m["mae"] == pytest.approx(np.abs(y - pred).mean())
    assert m["rmse"] == pytest.approx(np.sqrt(((y - pred) ** 2).mean()))


def test_perfect_and_reversed_rankings():
    y = np.arange(50.0)
    assert prediction_metrics(y, 2 * y + 1)["kendall_tau"] == pytest.approx(1.0)
    rev = prediction_metrics(y, -y)
    assert rev["kendall_tau"] == pytest.approx(-1.0) and rev["precision_at_10"] == 0.0


def test_precision_at_k_known_overlap():
    y = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1.0])
    pred = np.array([10, 9, 1, 1, 1, 1, 1, 1, 8, 7.0])  # predicted top-4: rows 0, 1, 8, 9
    assert precision_at_k(y, pred, 4) == 0.5
    assert precision_at_k(y, pred, 100) == 1.0  # k capped at the test size


def test_precision_at_1pct_uses_at_least_one():
    y = np.arange(30.0)
    assert prediction_metrics(y, y)["precision_at_1pct"] == 1.0


def test_constant_prediction_has_no_rank_correlation():
    m = prediction_metrics(np.arange(10.0), np.ones(10))
    assert np.isnan(m["kendall_tau"]) and np.isnan(m["spearman"])
    assert m["mae"] == pytest.approx(np.abs(np.arange(10.0) - 1).mean())
