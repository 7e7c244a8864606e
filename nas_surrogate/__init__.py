"""nas-surrogate: surrogate-driven neural architecture search with zero-cost proxies.

The Python API mirrors the CLI: ``load_benchmark`` -> ``build_features`` -> (surrogate)
-> (searcher), with one registry per concept.
"""

from __future__ import annotations

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxy_names import PROXY_NAMES

__version__ = "0.1.0"

#: public names and the module each comes from, imported on first use: ``import
#: nas_surrogate`` (and the CLI's start) loads no scipy, scikit-learn, XGBoost or torch
_LAZY = {
    "proxy_correlations": "nas_surrogate.analysis.correlation",
    "BENCHMARKS": "nas_surrogate.benchmarks",
    "Benchmark": "nas_surrogate.benchmarks",
    "available_benchmarks": "nas_surrogate.benchmarks",
    "benchmark_ids": "nas_surrogate.benchmarks",
    "load_benchmark": "nas_surrogate.benchmarks",
    "ENCODINGS": "nas_surrogate.encodings",
    "build_features": "nas_surrogate.encodings",
    "make_preprocessor": "nas_surrogate.encodings",
    "parse_feature_spec": "nas_surrogate.encodings",
    "SPACES": "nas_surrogate.spaces",
    "get_space": "nas_surrogate.spaces",
    "Optimizer": "nas_surrogate.optimizer",
    "Space": "nas_surrogate.spaces.space",
    "ModelProxies": "nas_surrogate.proxies.model",
    "model_batch": "nas_surrogate.proxies.model",
    "EvolveConfig": "nas_surrogate.experiments.analyze",
    "LPZeroProxy": "nas_surrogate.proxies.lpzero",
    "primitive_pass": "nas_surrogate.proxies.primitives",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    raise AttributeError(f"module 'nas_surrogate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "BENCHMARKS",
    "ENCODINGS",
    "PROXY_NAMES",
    "Optimizer",
    "SPACES",
    "BadInputError",
    "ModelProxies",
    "Space",
    "model_batch",
    "EvolveConfig",
    "LPZeroProxy",
    "primitive_pass",
    "Benchmark",
    "available_benchmarks",
    "benchmark_ids",
    "build_features",
    "get_space",
    "load_benchmark",
    "make_preprocessor",
    "parse_feature_spec",
    "proxy_correlations",
]
