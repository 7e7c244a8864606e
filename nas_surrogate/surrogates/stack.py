"""``stack``: several surrogates fit on the same rows, combined by rank averaging.

Why rank averaging: tree ensembles of different kinds (XGBoost's boosted trees, a random
forest that considers 30 % of the features per split) order architectures well but on
different scales; averaging their *ranks* combines their orderings without letting one
scale dominate. To keep a row's prediction independent of the rest of the batch, a
member's prediction is ranked against that member's predictions on the training rows
(interpolated, extended linearly beyond them), and the rank is mapped back to accuracy
units through the quantiles of the training targets. ``predict`` is the weighted mean of
the members' mapped predictions; ``predict_dist`` adds their weighted spread, so BO can
use it.

Members and weights are configurable: ``{stack: {members: [xgb, rf], weights: [2, 1],
member_params: {rf: {max_features: 0.3}}}}``.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from nas_surrogate.surrogates.base import position_among
from nas_surrogate.surrogates.factory import check_member_params, learning_member, make_surrogate

#: default members: XGBoost (defaults) and a 300-tree random forest on 30 % of features
DEFAULT_MEMBERS = ("xgb", "rf")
DEFAULT_MEMBER_PARAMS: dict[str, dict] = {"rf": {"n_estimators": 300, "max_features": 0.3}}


def target_quantile(pos: np.ndarray, y_sorted: np.ndarray) -> np.ndarray:
    """Inverse of ``position_among`` on the training targets (linear beyond [0, 1])."""
    lo, hi = y_sorted[0], y_sorted[-1]
    width = hi - lo if hi > lo else 1.0
    levels = np.linspace(0.0, 1.0, len(y_sorted))
    inner = np.interp(pos, levels, y_sorted)
    return np.where(pos < 0, lo + pos * width, np.where(pos > 1, hi + (pos - 1) * width, inner))


class StackSurrogate(RegressorMixin, BaseEstimator):
    #: types and ranges of every parameter, checked by ``_validate_params`` in ``fit``
    _parameter_constraints: dict = {
        "members": [list, tuple],
        "weights": [list, tuple, None],
        "member_params": [dict, None],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
    }

    def __init__(
        self,
        members: tuple[str, ...] | list[str] = DEFAULT_MEMBERS,
        weights: tuple[float, ...] | list[float] | None = None,
        member_params: dict | None = None,
        random_state: int = 0,
    ) -> None:
        self.members = members
        self.weights = weights
        self.member_params = member_params
        self.random_state = random_state

    def _checked(self) -> tuple[list[str], np.ndarray, dict]:
        self._validate_params()
        members = list(self.members)
        if not members:
            raise ValueError("stack members: name at least one surrogate")
        for m in members:
            learning_member(m, "stack")  # unknown name: "did you mean"
        check_member_params(self.member_params, [str(m) for m in members], "stack")
        weights = np.ones(len(members)) if self.weights is None else self.weights
        try:
            weights = np.asarray(weights, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"stack weights: not numbers: {self.weights!r}") from None
        if (
            weights.shape != (len(members),)
            or not np.isfinite(weights).all()
            or (weights < 0).any()
            or weights.sum() <= 0
        ):
            raise ValueError(
                f"stack weights: need {len(members)} finite non-negative numbers with a "
                f"positive sum, got {self.weights!r}"
            )
        params = DEFAULT_MEMBER_PARAMS if self.member_params is None else self.member_params
        return members, weights / weights.sum(), params

    def fit(self, X, y) -> StackSurrogate:
        members, weights, params = self._checked()
        X, y = validate_data(self, X, y, y_numeric=True)
        y = np.asarray(y, dtype=float)
        self.models_ = []
        self.train_preds_ = []
        for i, name in enumerate(members):
            seed = int(np.random.SeedSequence([int(self.random_state), i]).generate_state(1)[0])
            model = make_surrogate(name, random_state=seed, **params.get(name, {}))
            model.fit(X, y)
            self.models_.append(model)
            self.train_preds_.append(np.sort(np.asarray(model.predict(X), dtype=float)))
        self.weights_ = weights
        self.y_sorted_ = np.sort(y)
        return self

    def _mapped(self, X) -> np.ndarray:
        check_is_fitted(self, "models_")
        X = validate_data(self, X, reset=False)
        y_sorted = self.y_sorted_
        return np.stack(
            [
                target_quantile(position_among(np.asarray(m.predict(X), float), ref), y_sorted)
                for m, ref in zip(self.models_, self.train_preds_)
            ]
        )

    def predict(self, X) -> np.ndarray:
        mapped = self._mapped(X)
        return self.weights_ @ mapped

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        mapped = self._mapped(X)
        mean = self.weights_ @ mapped
        std = np.sqrt(self.weights_ @ (mapped - mean) ** 2)
        return mean, std
