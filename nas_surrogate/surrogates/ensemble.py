"""``ensemble``: several members of one registered surrogate, each fit on a bootstrap
resample with its own seed; the spread of their predictions is the predictive
distribution (BANANAS uses 5 MLPs; trees are the fast default here).

With ``base_params=None`` XGBoost members use 100 trees at learning rate 0.1 instead of
the stand-alone 300 at 0.05: a BO step refits the whole ensemble, and this keeps a step
at 300 points near 0.15 s on one core with the same rank quality (see README)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from nas_surrogate.surrogates.factory import learning_member, make_surrogate

#: member hyperparameters used when ``base_params`` is None
MEMBER_DEFAULTS: dict[str, dict] = {"xgb": {"n_estimators": 100, "learning_rate": 0.1}}


class EnsembleSurrogate(RegressorMixin, BaseEstimator):
    #: types and ranges of every parameter, checked by ``_validate_params`` in ``fit``
    _parameter_constraints: dict = {
        "base": [str],
        "n_members": [Interval(Integral, 1, 1_000, closed="both")],
        "bootstrap": ["boolean"],
        "base_params": [dict, None],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
    }

    def __init__(
        self,
        base: str = "xgb",
        n_members: int = 5,
        bootstrap: bool = True,
        base_params: dict | None = None,
        random_state: int = 0,
    ) -> None:
        self.base = base
        self.n_members = n_members
        self.bootstrap = bootstrap
        self.base_params = base_params
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> EnsembleSurrogate:
        self._validate_params()
        entry = learning_member(self.base, "ensemble")
        if entry.from_features is not None and "n_nodes" not in (self.base_params or {}):
            raise ValueError(
                f"ensemble base {self.base!r}: needs the graph layout; make the ensemble "
                "with make_surrogate(..., features=...) (the CLI does)"
            )
        X, y = validate_data(self, X, y, y_numeric=True)
        rng = np.random.default_rng(self.random_state)
        self.members_ = []
        for i in range(self.n_members):
            rows = rng.integers(len(X), size=len(X)) if self.bootstrap else np.arange(len(X))
            params = self.base_params
            if params is None:
                params = MEMBER_DEFAULTS.get(self.base, {})
            member = make_surrogate(self.base, random_state=self.random_state * 1000 + i, **params)
            self.members_.append(member.fit(X[rows], y[rows]))
        return self

    def _all(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "members_")
        X = validate_data(self, X, reset=False)
        return np.stack([m.predict(X) for m in self.members_])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._all(X).mean(axis=0)

    def predict_dist(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = self._all(X)
        return preds.mean(axis=0), preds.std(axis=0)


def member_layout(features, params: dict) -> dict:
    """An ensemble's parameters with its base's completed from the feature matrix (a
    ``gnn`` base gets its graph layout); unchanged for a base that reads nothing."""
    from nas_surrogate.surrogates.factory import SURROGATES

    base = params.get("base", "xgb")
    entry = SURROGATES.get(base) if isinstance(base, str) and base in SURROGATES else None
    if entry is None or entry.from_features is None:
        return params
    base_params = params.get("base_params") or MEMBER_DEFAULTS.get(base, {})
    return {**params, "base_params": entry.from_features(features, dict(base_params))}
