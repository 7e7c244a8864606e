"""``auto``: the surrogate chosen per task and training size by cross-validation on the
training networks only.

Why: no one model wins everywhere (XGBoost at small n on some tables, a random forest on
others, a Gaussian process on NB301's DARTS cells and the TransNAS macro networks, where
it beats every tree by up to 0.1 tau), and a user should not pick on the test split. ``fit``
scores each candidate by Kendall tau over ``cv`` folds of the rows it is given (never
anything else), refits the best on all of them, and keeps its name in ``chosen_`` (the
evaluate command writes it to ``results.csv``). Ties go to the earlier candidate.

A candidate may also name the parts of the feature spec it reads, ``NAME@PART+PART``
(``xgb@graf+zc``, ``gnn@graph+zc`` from ``-f graf+graph+zc``): then ``auto`` chooses
among feature sets as well, on the same folds. The registry fills ``layouts`` (each
such candidate's columns after preprocessing, and a ``gnn``'s graph layout) from the
feature matrix; ``member_params`` sets a candidate's hyperparameters by surrogate name.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy.stats import kendalltau
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from nas_surrogate.surrogates.factory import check_member_params, learning_member, make_surrogate

DEFAULT_CANDIDATES = ("xgb", "rf", "lgbm", "gp")


class AutoSurrogate(RegressorMixin, BaseEstimator):
    #: types and ranges of every parameter, checked by ``_validate_params`` in ``fit``
    _parameter_constraints: dict = {
        "candidates": [list, tuple],
        "cv": [Interval(Integral, 2, 20, closed="both")],
        "member_params": [dict, None],
        "layouts": [dict, None],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both")],
    }

    def __init__(
        self,
        candidates: tuple[str, ...] | list[str] = DEFAULT_CANDIDATES,
        cv: int = 3,
        member_params: dict | None = None,
        layouts: dict | None = None,
        random_state: int = 0,
    ) -> None:
        self.candidates = candidates
        self.cv = cv
        self.member_params = member_params
        self.layouts = layouts
        self.random_state = random_state

    def _models(self, n_columns: int) -> dict[str, tuple[BaseEstimator, np.ndarray]]:
        """Each candidate's unfitted model and the columns it reads."""
        names = list(self.candidates)
        if not names:
            raise ValueError("auto candidates: name at least one surrogate")
        check_member_params(self.member_params,
                            [candidate_parts(t)[0] for t in names], "auto")  # fmt: skip
        out = {}
        for text in names:
            name, parts = candidate_parts(text)
            entry = learning_member(name, "auto")  # unknown name: "did you mean"
            layout = (self.layouts or {}).get(text)
            if layout is None and (parts or entry.from_features is not None):
                raise ValueError(
                    f"auto candidate {text!r}: reads the feature spec's layout; make auto "
                    "with make_surrogate(..., features=...) (the CLI does)"
                )
            params = {
                **(self.member_params or {}).get(name, {}),
                **(layout or {}).get("params", {}),
            }
            cols = np.asarray((layout or {}).get("columns", range(n_columns)), dtype=int)
            out[text] = (make_surrogate(name, random_state=self.random_state, **params), cols)
        return out

    def fit(self, X, y):
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True)
        models = self._models(X.shape[1])
        self.cv_scores_ = {name: 0.0 for name in models}
        if len(y) < 2 * self.cv:  # too few rows to rank on held-out folds: the first
            self.chosen_ = next(iter(models))
            model, self.columns_ = models[self.chosen_]
            self.model_ = clone(model).fit(X[:, self.columns_], y)
            return self
        folds = KFold(self.cv, shuffle=True, random_state=self.random_state)
        for name, (model, cols) in models.items():
            taus = []
            for train, valid in folds.split(X):
                part = X[:, cols]
                pred = clone(model).fit(part[train], y[train]).predict(part[valid])
                tau = kendalltau(y[valid], pred)[0] if len(valid) > 1 else np.nan
                taus.append(tau if np.isfinite(tau) else 0.0)
            self.cv_scores_[name] = float(np.mean(taus))
        self.chosen_ = max(self.cv_scores_, key=lambda n: self.cv_scores_[n])  # first on ties
        model, self.columns_ = models[self.chosen_]
        self.model_ = clone(model).fit(X[:, self.columns_], y)
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X[:, self.columns_])


def candidate_parts(text: str) -> tuple[str, list[str]]:
    """``xgb@graf+zc`` -> (``xgb``, [``graf``, ``zc``]); ``xgb`` -> (``xgb``, [])."""
    name, _, parts = str(text).partition("@")
    return name, [p for p in parts.split("+") if p] if parts else []


def candidate_layouts(features, params: dict) -> dict:
    """``params`` with ``layouts`` filled from the feature matrix (``encodings.Features``):
    for each candidate that names parts, or reads a layout itself, its columns after
    preprocessing (the ZC columns first, then the rest in order) and its own parameters
    from the matching sub-matrix. ValueError for a part the spec does not have."""
    from types import SimpleNamespace

    from nas_surrogate.encodings.features import preprocessed_order
    from nas_surrogate.surrogates.factory import SURROGATES

    zc = {int(c) for c in features.zc_columns}
    order = preprocessed_order(len(features.names), features.zc_columns)
    position = {c: i for i, c in enumerate(order)}
    layouts = {}
    for text in params.get("candidates", DEFAULT_CANDIDATES):
        name, parts = candidate_parts(text)
        entry = SURROGATES.get(name) if name in SURROGATES else None
        if not parts and (entry is None or entry.from_features is None):
            continue
        missing = [p for p in parts if p not in features.blocks]
        if missing:
            raise ValueError(
                f"auto candidate {text!r}: feature spec {features.spec.text!r} has no "
                f"{missing[0]!r} (it has {', '.join(features.blocks)})"
            )
        raw = sorted({int(c) for p in parts for c in features.blocks[p]}) or order
        cols = sorted(position[c] for c in raw)  # the preprocessed order
        picked = [order[i] for i in cols]
        sub = SimpleNamespace(
            names=[features.names[c] for c in picked], spec=features.spec,
            zc_columns=np.array([i for i, c in enumerate(picked) if c in zc], dtype=int),
        )  # fmt: skip
        own = entry.from_features(sub, {}) if entry and entry.from_features else {}
        layouts[text] = {"columns": cols, "params": own}
    return {**params, "layouts": layouts or None}
