"""Surrogate registry.

Each entry builds an unfitted estimator from keyword hyperparameters; the registry is the
only list of surrogates. ``proxy:NAME`` is parsed here: it is the ``proxy`` baseline
bound to one proxy column.
"""

from __future__ import annotations

from inspect import signature
from types import SimpleNamespace

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxy_names import ProxySource
from nas_surrogate.surrogates.auto import AutoSurrogate
from nas_surrogate.surrogates.auto import candidate_layouts as auto_layouts
from nas_surrogate.surrogates.base import Predictor, has_dist
from nas_surrogate.surrogates.baselines import ProxySurrogate, VoteSurrogate
from nas_surrogate.surrogates.blend import BlendSurrogate
from nas_surrogate.surrogates.ensemble import EnsembleSurrogate
from nas_surrogate.surrogates.ensemble import member_layout as ensemble_layout
from nas_surrogate.surrogates.factory import (
    SURROGATES,
    SurrogateEntry,
    SurrogateSpec,
    make_surrogate,
)
from nas_surrogate.surrogates.gnn import TUNE_SPACE as GNN_SPACE
from nas_surrogate.surrogates.gnn import GNNSurrogate
from nas_surrogate.surrogates.gnn import layout_params as gnn_layout
from nas_surrogate.surrogates.gp import TUNE_SPACE as GP_SPACE
from nas_surrogate.surrogates.gp import GPSurrogate
from nas_surrogate.surrogates.mlp import TUNE_SPACE as MLP_SPACE
from nas_surrogate.surrogates.mlp import MLPSurrogate
from nas_surrogate.surrogates.quantile import TUNE_SPACE as QLGBM_SPACE
from nas_surrogate.surrogates.quantile import QuantileBoostSurrogate
from nas_surrogate.surrogates.stack import StackSurrogate
from nas_surrogate.surrogates.trees import (
    LGBM_SPACE,
    RF_SPACE,
    XGB_SPACE,
    make_lgbm,
    make_rf,
    make_xgb,
)

SURROGATES.register(
    "xgb", SurrogateEntry(make_xgb, "XGBoost, 300 trees, depth 4, lr 0.05", tune_space=XGB_SPACE)
)
SURROGATES.register(
    "lgbm",
    SurrogateEntry(make_lgbm, "LightGBM, 300 trees, 15 leaves, lr 0.05", tune_space=LGBM_SPACE),
)
SURROGATES.register(
    "rf",
    SurrogateEntry(make_rf, "random forest, 100 trees (kind=extra_trees)", tune_space=RF_SPACE),
)
SURROGATES.register(
    "gp", SurrogateEntry(GPSurrogate, "Gaussian process, Matern 5/2 + noise", tune_space=GP_SPACE)
)
SURROGATES.register(
    "mlp", SurrogateEntry(MLPSurrogate, "torch MLP, early stopping", tune_space=MLP_SPACE)
)
SURROGATES.register(
    "qlgbm",
    SurrogateEntry(
        QuantileBoostSurrogate,
        "LightGBM at 3 quantiles (a distribution for bo)",
        tune_space=QLGBM_SPACE,
    ),  # fmt: skip
)
SURROGATES.register(
    "gnn",
    SurrogateEntry(
        GNNSurrogate,
        "torch GIN over the cell graph (-f graph+zc)",
        tune_space=GNN_SPACE,
        from_features=gnn_layout,
    ),  # fmt: skip
)
SURROGATES.register(
    "ensemble",
    SurrogateEntry(
        EnsembleSurrogate, "bootstrap ensemble (BANANAS)", from_features=ensemble_layout
    ),
)
SURROGATES.register(
    "stack", SurrogateEntry(StackSurrogate, "rank average of xgb and rf (30 % features)")
)
SURROGATES.register(
    "blend",
    SurrogateEntry(
        BlendSurrogate, "baseline: xgb and rf (30 % features) ranks averaged within the batch"
    ),
)
SURROGATES.register(
    "auto",
    SurrogateEntry(
        AutoSurrogate,
        "best of xgb, rf, lgbm, gp by 3-fold CV on the training rows",
        from_features=auto_layouts,
    ),  # fmt: skip
)
SURROGATES.register(
    "proxy",
    SurrogateEntry(
        ProxySurrogate,
        "one proxy (or evolved:FILE) as the prediction",
        lambda arg: ProxySource.parse(arg).feature_spec,
        False,
    ),
)
SURROGATES.register(
    "vote", SurrogateEntry(VoteSurrogate, "mean rank of all proxies", lambda _: "zc", False)
)


def fixed_features(name: str) -> str | None:
    """The feature spec a baseline always uses, or None for learning surrogates."""
    spec = SurrogateSpec.parse(name)
    entry = SURROGATES.get(spec.name)
    return entry.fixed_features(spec.proxy) if entry.fixed_features else None


def check_params(name: str, params: dict) -> None:
    """BadInputError naming any hyperparameter the surrogate does not take."""
    base = SurrogateSpec.parse(name).name
    allowed = set(signature(SURROGATES.get(base).factory).parameters) - {"self", "params"}
    if "params" in signature(SURROGATES.get(base).factory).parameters:  # a **params factory
        allowed |= set(make_surrogate(name).get_params())
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise BadInputError(
            f"surrogate {name!r} parameter {unknown[0]!r}",
            f"unknown (it takes: {', '.join(sorted(allowed))})",
        )
    check_sizes(name, params)
    if params and not SURROGATES.get(base).fixed_features:
        probe_fit(name, params)


def dist_surrogates() -> list[str]:
    """The learning surrogates with a predictive distribution (what bo and mobo take)."""
    learning = [n for n, e in SURROGATES.items() if e.fixed_features is None]
    return [n for n in learning if has_dist(make_surrogate(n))]


def check_features(name: str, features: object, params: dict | None = None) -> None:
    """BadInputError when a surrogate that reads its layout from the feature matrix
    (``gnn``: the graph block; ``auto``: the parts its candidates name), with these
    hyperparameters, is given one without it, before any work."""
    entry = SURROGATES.get(SurrogateSpec.parse(name).name)
    if entry.from_features is not None:
        try:
            entry.from_features(features, dict(params or {}))
        except ValueError as e:
            raise BadInputError(f"--surrogate {name}", str(e)) from None


#: largest value of a hyperparameter that sets how much a library allocates or computes
#: (trees, members, depth, epochs): a config's ``n_estimators: 1000000000`` would hang in
#: the probe fit, not fail
SIZE_LIMITS: dict[str, int] = {
    "n_estimators": 100_000,
    "n_members": 1_000,
    "max_depth": 1_000,
    "num_leaves": 1_000_000,
    "max_iter": 1_000_000,
    "epochs": 100_000,
    "hidden": 100_000,
    "n_restarts_optimizer": 1_000,
}


def check_sizes(name: str, params: dict) -> None:
    """BadInputError for a size hyperparameter above ``SIZE_LIMITS`` (nested ones too:
    an ensemble's ``base_params``)."""
    for key, value in params.items():
        if isinstance(value, dict):
            check_sizes(name, value)
            continue
        limit = SIZE_LIMITS.get(key)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if limit is not None and number and value > limit:
            raise BadInputError(
                f"surrogate {name!r} parameter {key}={value!r}", f"must be <= {limit:,}"
            )


class _ProbeBlocks(dict):
    """The probe's parts: the graph, and the one global column for any other name a
    candidate reads (``xgb@graf+zc``), so every candidate is probed on something."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> np.ndarray:
        return np.array([0])


#: the probe's feature matrix as a surrogate that reads its layout sees it: one global
#: column, then a graph of two nodes of one type and the edge between them
_PROBE_FEATURES = SimpleNamespace(
    names=["zc:a", "graph:node0=t", "graph:node1=t", "graph:edge0->1"],
    zc_columns=np.array([0]),
    spec=SimpleNamespace(text="probe"),
    blocks=_ProbeBlocks(graph=np.array([1, 2, 3])),
)


def probe_fit(name: str, params: dict) -> None:
    """Fit the surrogate once on a tiny seeded problem, so a value of the wrong type or
    range (``max_depth: "deep"``, ``-3``, ``.nan``) is bad input before any real work,
    whichever library would have rejected it."""
    import warnings

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 4)), rng.normal(size=12)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make_surrogate(name, random_state=0, features=_PROBE_FEATURES, **params)
            model.fit(X, y).predict(X[:2])
    except Exception as e:  # the library's own check, whatever it raises
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BadInputError(f"surrogate {name!r} parameters {shown}", f"rejected: {why}") from None


__all__ = [
    "SURROGATES",
    "SurrogateEntry",
    "Predictor",
    "check_features",
    "dist_surrogates",
    "check_params",
    "fixed_features",
    "has_dist",
    "make_surrogate",
    "SurrogateSpec",
]
