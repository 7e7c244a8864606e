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
