"""Gradient-boosted and bagged trees: ``xgb``, ``lgbm``, ``rf`` (random forest / extra trees).

XGBoost and LightGBM regressors are used as they are (they already follow the sklearn
contract); only the defaults are ours. The defaults suit the few hundred rows a
predictor sees here: 300 trees, shallow, learning rate 0.05, one thread per model
(experiments parallelise over units instead, which keeps numbers identical for any
``--n-jobs``), and LightGBM allowed to split on very small leaves.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

#: Optuna search spaces (see ``experiments/tune.py`` for the format)
XGB_SPACE: dict[str, tuple] = {
    "n_estimators": ("int", 50, 800, True),
    "max_depth": ("int", 2, 8),
    "learning_rate": ("float", 0.005, 0.3, True),
    "subsample": ("float", 0.5, 1.0),
    "colsample_bytree": ("float", 0.3, 1.0),
    "min_child_weight": ("float", 0.1, 10.0, True),
    "reg_lambda": ("float", 1e-3, 10.0, True),
}
LGBM_SPACE: dict[str, tuple] = {
    "n_estimators": ("int", 50, 800, True),
    "num_leaves": ("int", 4, 64, True),
    "learning_rate": ("float", 0.005, 0.3, True),
    "min_child_samples": ("int", 2, 30, True),
    "colsample_bytree": ("float", 0.3, 1.0),
    "reg_lambda": ("float", 1e-3, 10.0, True),
}
RF_SPACE: dict[str, tuple] = {
    "kind": ("categorical", ["random_forest", "extra_trees"]),
    "n_estimators": ("int", 50, 500, True),
    "max_features": ("float", 0.1, 1.0),
    "min_samples_leaf": ("int", 1, 10),
}


def make_xgb(**params: object):
    from xgboost import XGBRegressor

    defaults = dict(
        n_estimators=300,
        max_depth=4,
        learning_rate=0.05,
        subsample=1.0,
        colsample_bytree=1.0,
        tree_method="hist",
        n_jobs=1,
        random_state=0,
    )
    return XGBRegressor(**{**defaults, **params})


def make_lgbm(**params: object):
    from lightgbm import LGBMRegressor

    defaults = dict(
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=2,
        min_data_in_bin=1,
        subsample=1.0,
        colsample_bytree=1.0,
        n_jobs=1,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
        random_state=0,
    )
    return LGBMRegressor(**{**defaults, **params})


class _TreeSpread:
    """``predict_dist`` from the spread of the individual trees' predictions."""

    def predict_dist(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        per_tree = np.stack([t.predict(X) for t in self.estimators_])  # type: ignore[attr-defined]
        return per_tree.mean(axis=0), per_tree.std(axis=0)


class ForestSurrogate(_TreeSpread, RandomForestRegressor):
    """Random forest with a tree-spread predictive distribution."""


class ExtraTreesSurrogate(_TreeSpread, ExtraTreesRegressor):
    """Extremely randomised trees with a tree-spread predictive distribution."""


def make_rf(kind: str = "random_forest", **params: object):
    defaults = dict(
        n_estimators=100, max_features=0.5, min_samples_leaf=1, n_jobs=1, random_state=0
    )
    cls = {"random_forest": ForestSurrogate, "extra_trees": ExtraTreesSurrogate}[kind]
    return cls(**{**defaults, **params})
