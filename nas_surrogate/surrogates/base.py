"""What a surrogate is, and how a feature preprocessor and a surrogate are joined.

Surrogates are scikit-learn regressors: hyperparameters in ``__init__`` and stored
unchanged, learned state with a trailing underscore, ``fit(X, y)`` returns ``self``,
``predict(X)`` needs nothing else. Where a model has a predictive distribution it also
has ``predict_dist(X) -> (mean, std)``, which Bayesian optimisation needs. A surrogate
never learns which benchmark it is on: it sees arrays.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone


def has_dist(model: object) -> bool:
    """Whether ``model`` offers a predictive distribution."""
    return callable(getattr(model, "predict_dist", None))


class Predictor(RegressorMixin, BaseEstimator):
    """Feature preprocessing (fit on training rows only) followed by a surrogate.

    Like an sklearn ``Pipeline`` of two steps, plus ``predict_dist`` passed through.
    """

    def __init__(self, preprocessor: BaseEstimator, surrogate: BaseEstimator) -> None:
        self.preprocessor = preprocessor
        self.surrogate = surrogate

    def fit(self, X: np.ndarray, y: np.ndarray) -> Predictor:
        with warnings.catch_warnings():  # fewer rows than quantiles: sklearn adapts
            warnings.filterwarnings("ignore", message="n_quantiles", category=UserWarning)
            self.preprocessor_ = clone(self.preprocessor).fit(X)
        self.surrogate_ = clone(self.surrogate).fit(self.preprocessor_.transform(X), y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.surrogate_.predict(self.preprocessor_.transform(X)), dtype=float)

    def predict_dist(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not has_dist(self.surrogate_):
            name = type(self.surrogate_).__name__
            raise TypeError(f"{name} has no predictive distribution (predict_dist)")
        mean, std = self.surrogate_.predict_dist(self.preprocessor_.transform(X))
        return np.asarray(mean, dtype=float), np.asarray(std, dtype=float)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``n`` torch intra-op threads, restoring the previous setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def position_among(x: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Where each value sits among sorted ``train`` values: in [0, 1] inside their range
    (interpolated between order statistics), linear beyond it, so it is strictly
    increasing in ``x`` and a row's value never depends on the rest of its batch (the
    ``vote`` baseline and the ``stack`` rank average use it instead of batch ranks)."""
    lo, hi = train[0], train[-1]
    width = hi - lo if hi > lo else 1.0
    keep = np.concatenate(([True], np.diff(train) > 0))  # interp needs increasing xp
    levels = np.linspace(0.0, 1.0, len(train))[keep]
    xs = train[keep]
    inner = np.interp(x, xs, levels) if len(xs) > 1 else np.full(len(x), 0.5)
    return np.where(x < lo, (x - lo) / width, np.where(x > hi, 1.0 + (x - hi) / width, inner))
