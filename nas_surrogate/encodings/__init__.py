"""Encoding registry and feature specs."""

from __future__ import annotations

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.encodings import features as _features
from nas_surrogate.encodings.adjacency import AdjacencyEncoding
from nas_surrogate.encodings.base import Encoding
from nas_surrogate.encodings.features import (
    Features,
    FeatureSpec,
    check_usable,
    default_spec,
    make_preprocessor,
    split_feature_list,
)
from nas_surrogate.encodings.graf import GrafEncoding
from nas_surrogate.encodings.graph import GraphEncoding
from nas_surrogate.encodings.onehot import CategoricalEncoding, OneHotEncoding
from nas_surrogate.encodings.path import PathEncoding
from nas_surrogate.registry import Registry

ENCODINGS: Registry[Encoding] = Registry("encoding")
for _enc in (OneHotEncoding(), CategoricalEncoding(), AdjacencyEncoding(), PathEncoding(),
             GrafEncoding(), GraphEncoding()):  # fmt: skip
    ENCODINGS.register(_enc.name, _enc)


def parse_feature_spec(text: str) -> FeatureSpec:
    return _features.parse_feature_spec(text, ENCODINGS)


def build_features(spec: FeatureSpec | str, bench: Benchmark) -> Features:
    """Raw feature matrix for every row of ``bench`` (see ``features.py``)."""
    return _features.build_features(spec, bench, ENCODINGS)


__all__ = [
    "ENCODINGS",
    "Encoding",
    "FeatureSpec",
    "Features",
    "build_features",
    "check_usable",
    "default_spec",
    "make_preprocessor",
    "parse_feature_spec",
    "split_feature_list",
]
