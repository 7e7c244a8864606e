"""``gp``: a Gaussian process on standardised inputs with a standardised target.

Kernel: constant x Matern(nu=2.5) (or RBF) with a single length scale, plus a white-noise
term, so it fits in milliseconds at a few hundred points and still learns its own noise
level; tabulated accuracies are noisy (NB101 repeats differ by a point).
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

#: Optuna search space (see ``experiments/tune.py`` for the format)
TUNE_SPACE: dict[str, tuple] = {
    "kernel": ("categorical", ["matern", "rbf"]),
    "nu": ("categorical", [0.5, 1.5, 2.5]),
    "length_scale": ("float", 0.1, 10.0, True),
    "noise": ("float", 1e-4, 1.0, True),
}


class GPSurrogate(RegressorMixin, BaseEstimator):
    #: types and ranges of every parameter, checked by ``_validate_params`` in ``fit``
    _parameter_constraints: dict = {
        "kernel": [StrOptions({"matern", "rbf"})],
        "nu": [Interval(Real, 0, None, closed="neither")],
        "length_scale": [Interval(Real, 0, None, closed="neither")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "n_restarts_optimizer": [Interval(Integral, 0, 1_000, closed="both")],
        # an ensemble seeds member i with random_state * 1000 + i: wider than 32 bits
        "random_state": [Interval(Integral, 0, 2**63 - 1, closed="both")],
    }

    def __init__(
        self,
        kernel: str = "matern",
        nu: float = 2.5,
        length_scale: float = 1.0,
        noise: float = 0.1,
        n_restarts_optimizer: int = 0,
        random_state: int = 0,
    ) -> None:
        self.kernel = kernel
        self.nu = nu
        self.length_scale = length_scale
        self.noise = noise
        self.n_restarts_optimizer = n_restarts_optimizer
        self.random_state = random_state

    def _kernel(self, n_features: int):
        scale = self.length_scale * np.sqrt(max(n_features, 1))
        base = (
            Matern(length_scale=scale, nu=self.nu, length_scale_bounds=(1e-2, 1e4))
            if self.kernel == "matern"
            else RBF(length_scale=scale, length_scale_bounds=(1e-2, 1e4))
        )
        return ConstantKernel(1.0, (1e-3, 1e3)) * base + WhiteKernel(self.noise, (1e-6, 1e1))

    def fit(self, X: np.ndarray, y: np.ndarray) -> GPSurrogate:
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True)
        self.scaler_ = StandardScaler().fit(X)
        gp = GaussianProcessRegressor(
            kernel=self._kernel(X.shape[1]),
            normalize_y=True,
            n_restarts_optimizer=self.n_restarts_optimizer,
            random_state=self.random_state % 2**32,  # numpy's RandomState range
        )
        with warnings.catch_warnings():  # a bound reached is not an error at this scale
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.gp_ = gp.fit(self.scaler_.transform(X), y)
        return self

    def _scaled(self, X) -> np.ndarray:
        check_is_fitted(self, "gp_")
        return self.scaler_.transform(validate_data(self, X, reset=False))

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = self._scaled(X)
        return self.gp_.predict(X)

    def predict_dist(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = self._scaled(X)
        mean, std = self.gp_.predict(X, return_std=True)
        return mean, std
