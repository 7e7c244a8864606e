"""nas-surrogate: surrogate-driven neural architecture search with zero-cost proxies.

The Python API mirrors the CLI: ``load_benchmark`` -> ``build_features`` -> (surrogate)
-> (searcher), with one registry per concept.
"""

from __future__ import annotations

from nas_surrogate.analysis.correlation import proxy_correlations
from nas_surrogate.benchmarks import (
    BENCHMARKS,
    Benchmark,
    available_benchmarks,
    benchmark_ids,
    load_benchmark,
)
from nas_surrogate.encodings import ENCODINGS, build_features, make_preprocessor, parse_feature_spec
from nas_surrogate.errors import BadInputError
from nas_surrogate.proxy_names import PROXY_NAMES
from nas_surrogate.spaces import SPACES, get_space

__version__ = "0.1.0"


def __getattr__(name: str):
    """``ns.Optimizer`` without importing the searchers (and XGBoost) with the package."""
    if name == "Optimizer":
        from nas_surrogate.optimizer import Optimizer

        return Optimizer
    raise AttributeError(f"module 'nas_surrogate' has no attribute {name!r}")


__all__ = [
    "BENCHMARKS",
    "ENCODINGS",
    "PROXY_NAMES",
    "Optimizer",
    "SPACES",
    "BadInputError",
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
