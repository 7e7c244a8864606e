"""The encoding interface: a batch of architectures -> a float feature matrix.

Encodings are pure functions of the architecture, so they need no fitting; the ZC part
of a feature spec is data and is handled by ``features.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from nas_surrogate.spaces import SearchSpace


class Encoding(ABC):
    name: str = ""

    @abstractmethod
    def applies_to(self, space: SearchSpace) -> bool:
        """Whether this encoding is defined for ``space``."""

    @abstractmethod
    def encode(self, space: SearchSpace, archs: np.ndarray) -> np.ndarray:
        """(n, d) float features for a batch."""

    @abstractmethod
    def feature_names(self, space: SearchSpace) -> list[str]:
        """Column names, ``d`` of them."""


def one_hot(values: np.ndarray, n_values: int) -> np.ndarray:
    """(n, k) ints in [0, n_values) -> (n, k * n_values) indicators, position-major."""
    values = np.asarray(values)
    out = np.zeros((*values.shape, n_values))
    np.put_along_axis(out, values[..., None], 1.0, axis=-1)
    return out.reshape(len(values), -1)
