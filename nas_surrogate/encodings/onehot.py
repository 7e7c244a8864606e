"""``onehot``: one indicator per (edge, op) of a cell with one op per edge (NB201,
TransNAS micro); ``categorical``: one indicator per (position, value) of any space made
of categorical choices (TransNAS macro, NAS-Bench-Graph, and the cell spaces too)."""

from __future__ import annotations

import numpy as np

from nas_surrogate.encodings.base import Encoding, one_hot
from nas_surrogate.spaces import SearchSpace
from nas_surrogate.spaces.product import ProductSpace


class OneHotEncoding(Encoding):
    name = "onehot"

    def applies_to(self, space: SearchSpace) -> bool:
        return hasattr(space, "edges") and hasattr(space, "ops")

    def encode(self, space: SearchSpace, archs: np.ndarray) -> np.ndarray:
        return one_hot(np.atleast_2d(archs), len(space.ops))  # type: ignore[attr-defined]

    def feature_names(self, space: SearchSpace) -> list[str]:
        return [
            f"edge{a}{b}={op}"
            for a, b in space.edges  # type: ignore[attr-defined]
            for op in space.ops  # type: ignore[attr-defined]
        ]


class CategoricalEncoding(Encoding):
    name = "categorical"

    def applies_to(self, space: SearchSpace) -> bool:
        return isinstance(space, ProductSpace)

    def encode(self, space: SearchSpace, archs: np.ndarray) -> np.ndarray:
        assert isinstance(space, ProductSpace)
        shifted = np.atleast_2d(archs) - space.low
        blocks = [one_hot(shifted[:, [i]], int(c)) for i, c in enumerate(space.cardinalities)]
        return np.concatenate(blocks, axis=1)

    def feature_names(self, space: SearchSpace) -> list[str]:
        assert isinstance(space, ProductSpace)
        return [
            f"pos{i}={space.low[i] + v}"
            for i, c in enumerate(space.cardinalities)
            for v in range(int(c))
        ]
