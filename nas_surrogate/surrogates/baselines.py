"""Non-learning baselines: ``proxy:NAME`` (one proxy's score is the prediction) and
``vote`` (mean rank of all proxies).

They see only the ZC columns (the evaluator gives them ``zc:NAME`` / ``zc`` features).
``vote`` orients each proxy by the sign of its Spearman correlation with accuracy on the
training rows (``orient=True``), so a proxy that anti-correlates (``plain`` on NB201)
counts for, not against; with ``orient=False`` it is the plain mean rank.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin


class ProxySurrogate(RegressorMixin, BaseEstimator):
    def __init__(self, column: int = 0) -> None:
        self.column = column

    def fit(self, X: np.ndarray, y: np.ndarray) -> ProxySurrogate:
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X[:, self.column], dtype=float)


class VoteSurrogate(RegressorMixin, BaseEstimator):
    def __init__(self, orient: bool = True) -> None:
        self.orient = orient

    def fit(self, X: np.ndarray, y: np.ndarray) -> VoteSurrogate:
        signs = np.ones(X.shape[1])
        if self.orient and len(y) >= 3:
            for j in range(X.shape[1]):
                if np.ptp(X[:, j]) > 0:
                    rho = stats.spearmanr(X[:, j], y).statistic
                    signs[j] = -1.0 if rho < 0 else 1.0
        self.signs_ = signs
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        ranks = np.column_stack([stats.rankdata(X[:, j]) for j in range(X.shape[1])])
        return (ranks * self.signs_).mean(axis=1) / len(X)
