"""Non-learning baselines: ``proxy:NAME`` (one proxy's score is the prediction) and
``vote`` (mean rank of all proxies).

They see only the ZC columns (the evaluator gives them ``zc:NAME`` / ``zc`` features).
``vote`` orients each proxy by the sign of its Spearman correlation with accuracy on the
training rows (``orient=True``), so a proxy that anti-correlates (``plain`` on NB201)
counts for, not against; with ``orient=False`` it is the plain mean rank.

A row's prediction never depends on the other rows of the batch: ``vote`` places each
score on the training rows' empirical distribution (linear between the training order
statistics, extended linearly beyond them, so the order of any one proxy is kept
exactly) instead of ranking within whatever batch ``predict`` is given.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from nas_surrogate.surrogates.base import position_among


class ProxySurrogate(RegressorMixin, BaseEstimator):
    _parameter_constraints: dict = {"column": [Interval(Integral, 0, None, closed="left")]}

    def __init__(self, column: int = 0) -> None:
        self.column = column

    def fit(self, X: np.ndarray, y: np.ndarray) -> ProxySurrogate:
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True)
        if not 0 <= self.column < X.shape[1]:
            raise ValueError(f"column {self.column} out of range for {X.shape[1]} features")
        self.fitted_ = True
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "fitted_")
        X = validate_data(self, X, reset=False)
        return np.asarray(X[:, self.column], dtype=float)


class VoteSurrogate(RegressorMixin, BaseEstimator):
    _parameter_constraints: dict = {"orient": ["boolean"]}

    def __init__(self, orient: bool = True) -> None:
        self.orient = orient

    def fit(self, X: np.ndarray, y: np.ndarray) -> VoteSurrogate:
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True)
        self.sorted_ = np.sort(X, axis=0)
        signs = np.ones(X.shape[1])
        if self.orient and len(y) >= 3:
            for j in range(X.shape[1]):
                if np.ptp(X[:, j]) > 0:
                    rho = stats.spearmanr(X[:, j], y).statistic
                    signs[j] = -1.0 if rho < 0 else 1.0
        self.signs_ = signs
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "sorted_")
        X = validate_data(self, X, reset=False)
        cols = [position_among(X[:, j], self.sorted_[:, j]) for j in range(X.shape[1])]
        pos = np.column_stack(cols) if cols else np.zeros((len(X), 0))
        pos = np.where(self.signs_ < 0, 1.0 - pos, pos)
        return pos.mean(axis=1)
