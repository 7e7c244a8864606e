"""Predictor-quality metrics, each defined once.

Kendall tau (tau-b, the headline), Spearman, Pearson, MAE, RMSE, and precision@top-k: the
fraction of the true top-k test architectures that are also in the predicted top-k, for
k = 10, 20 and 1% of the test set (at least 1). A constant prediction has no rank
correlation: those come out NaN rather than a made-up 0.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

METRICS: tuple[str, ...] = (
    "kendall_tau",
    "spearman",
    "pearson",
    "mae",
    "rmse",
    "precision_at_10",
    "precision_at_20",
    "precision_at_1pct",
)


def precision_at_k(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
    k = min(k, len(y_true))
    true_top = np.argsort(-y_true, kind="stable")[:k]
    pred_top = np.argsort(-y_pred, kind="stable")[:k]
    return len(np.intersect1d(true_top, pred_top)) / k


def prediction_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    constant = np.ptp(y_pred) == 0 or np.ptp(y_true) == 0
    nan = float("nan")
    err = y_pred - y_true
    return {
        "kendall_tau": nan if constant else float(stats.kendalltau(y_true, y_pred).statistic),
        "spearman": nan if constant else float(stats.spearmanr(y_true, y_pred).statistic),
        "pearson": nan if constant else float(stats.pearsonr(y_true, y_pred).statistic),
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "precision_at_10": precision_at_k(y_true, y_pred, 10),
        "precision_at_20": precision_at_k(y_true, y_pred, 20),
        "precision_at_1pct": precision_at_k(y_true, y_pred, max(1, math.ceil(0.01 * len(y_true)))),
    }
