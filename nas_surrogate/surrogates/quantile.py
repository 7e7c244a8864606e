"""``qlgbm``: LightGBM fit to three quantiles of the target, a tree model with a real
predictive distribution for Bayesian optimisation.

Three boosted models with LightGBM's pinball loss at the lower, middle and upper
quantile of a central interval (``coverage``, 68 % by default: one standard deviation of
a normal). ``predict`` is the median; ``predict_dist`` the median and the half-width of
the interval divided by the normal quantile of its edge, a standard deviation that
follows where the data are noisy or sparse (a bootstrap ensemble's spread follows only
the resampling). Crossed quantiles count by their distance.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.stats import norm
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

#: Optuna search space (see ``experiments/tune.py`` for the format)
TUNE_SPACE: dict[str, tuple] = {
    "n_estimators": ("int", 50, 800, True),
    "num_leaves": ("int", 4, 64, True),
    "learning_rate": ("float", 0.005, 0.3, True),
    "min_child_samples": ("int", 2, 30, True),
    "coverage": ("float", 0.3, 0.95),
}


class QuantileBoostSurrogate(RegressorMixin, BaseEstimator):
    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, 100_000, closed="both")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "num_leaves": [Interval(Integral, 2, 1_000_000, closed="both")],
        "min_child_samples": [Interval(Integral, 1, None, closed="left")],
        "coverage": [Interval(Real, 0, 1, closed="neither")],
        "random_state": [Interval(Integral, 0, 2**63 - 1, closed="both")],
    }

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 2,
        coverage: float = 0.68,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.coverage = coverage
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> QuantileBoostSurrogate:
        from lightgbm import LGBMRegressor

        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True)
        edge = (1 - self.coverage) / 2
        self.models_ = [
            LGBMRegressor(
                objective="quantile",
                alpha=alpha,
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                num_leaves=self.num_leaves,
                min_child_samples=self.min_child_samples,
                min_data_in_bin=1,
                n_jobs=1,
                deterministic=True,
                force_row_wise=True,
                verbose=-1,
                random_state=self.random_state % 2**31,
            ).fit(X, y)  # fmt: skip
            for alpha in (edge, 0.5, 1 - edge)
        ]
        return self

    def _quantiles(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "models_")
        X = validate_data(self, X, reset=False)
        return np.stack([m.predict(X) for m in self.models_])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._quantiles(X)[1]

    def predict_dist(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, mid, hi = self._quantiles(X)
        z = norm.ppf(1 - (1 - self.coverage) / 2)
        return mid, np.abs(hi - lo) / (2 * z)
