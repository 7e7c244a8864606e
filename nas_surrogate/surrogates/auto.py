"""``auto``: the surrogate chosen per task and training size by cross-validation on the
training networks only.

Why: no one model wins everywhere (XGBoost at small n on some tables, a random forest or
the rank-average stack on others), and a user should not pick on the test split. ``fit``
scores each candidate by Kendall tau over ``cv`` folds of the rows it is given (never
anything else), refits the best on all of them, and keeps its name in ``chosen_`` (the
evaluate command writes it to ``results.csv``). Ties go to the earlier candidate.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy.stats import kendalltau
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from nas_surrogate.surrogates.factory import learning_member, make_surrogate

DEFAULT_CANDIDATES = ("xgb", "rf", "lgbm")


class AutoSurrogate(RegressorMixin, BaseEstimator):
    #: types and ranges of every parameter, checked by ``_validate_params`` in ``fit``
    _parameter_constraints: dict = {
        "candidates": [list, tuple],
        "cv": [Interval(Integral, 2, 20, closed="both")],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
    }

    def __init__(
        self,
        candidates: tuple[str, ...] | list[str] = DEFAULT_CANDIDATES,
        cv: int = 3,
        random_state: int = 0,
    ) -> None:
        self.candidates = candidates
        self.cv = cv
        self.random_state = random_state

    def _models(self) -> dict[str, BaseEstimator]:
        names = list(self.candidates)
        if not names:
            raise ValueError("auto candidates: name at least one surrogate")
        for name in names:
            learning_member(name, "auto")  # unknown name: "did you mean"
        return {n: make_surrogate(n, random_state=self.random_state) for n in names}

    def fit(self, X, y):
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True)
        models = self._models()
        self.cv_scores_ = {name: 0.0 for name in models}
        if len(y) < 2 * self.cv:  # too few rows to rank on held-out folds: the first
            self.chosen_ = next(iter(models))
            self.model_ = clone(models[self.chosen_]).fit(X, y)
            return self
        folds = KFold(self.cv, shuffle=True, random_state=self.random_state)
        for name, model in models.items():
            taus = []
            for train, valid in folds.split(X):
                pred = clone(model).fit(X[train], y[train]).predict(X[valid])
                tau = kendalltau(y[valid], pred)[0] if len(valid) > 1 else np.nan
                taus.append(tau if np.isfinite(tau) else 0.0)
            self.cv_scores_[name] = float(np.mean(taus))
        self.chosen_ = max(self.cv_scores_, key=lambda n: self.cv_scores_[n])  # first on ties
        self.model_ = clone(models[self.chosen_]).fit(X, y)
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)
