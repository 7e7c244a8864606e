"""The search-space interface.

A batch of architectures is a 2-D integer array, one row per architecture, so that
sampling, validity checks and encodings work on whole batches. Each space also owns a
text form (the NAS-Bench-Suite-Zero arch string, parsed and printed back unchanged) and
a canonical ``key`` that is equal for architectures that compute the same function
(isomorphic NB101 graphs, reordered DARTS edges), which benchmarks use for look-ups.
"""

from __future__ import annotations

import ast
from abc import ABC, abstractmethod
from collections.abc import Hashable

import numpy as np

from nas_surrogate.errors import BadInputError


class SearchSpace(ABC):
    """Architectures of one family: parse/format, validity, sampling, mutation, neighbours."""

    name: str = ""
    arch_dim: int = 0
    #: what the feature spec ``enc`` means on this space
    default_encoding: str = "categorical"

    # -- text form -----------------------------------------------------------------
    @abstractmethod
    def parse(self, text: str) -> np.ndarray:
        """Parse one arch string into a 1-D int array; BadInputError if it does not parse."""

    @abstractmethod
    def format(self, arch: np.ndarray) -> str:
        """The arch string; ``parse(format(a))`` equals ``a``."""

    # -- structure -----------------------------------------------------------------
    @abstractmethod
    def is_valid(self, archs: np.ndarray) -> np.ndarray:
        """Boolean mask, one entry per row."""

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` valid architectures drawn with ``rng``."""

    @abstractmethod
    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """Every valid architecture one edit away from ``arch`` (rows unique, never ``arch``)."""

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random single-edit neighbour per row (uniform over that row's neighbours)."""
        archs = np.atleast_2d(archs)
        out = np.empty_like(archs)
        for i, arch in enumerate(archs):
            options = self.neighbours(arch)
            out[i] = options[rng.integers(len(options))]
        return out

    def key(self, arch: np.ndarray) -> Hashable:
        """A hashable id, equal for architectures that are the same network."""
        return tuple(int(v) for v in arch)

    def keys(self, archs: np.ndarray) -> list[Hashable]:
        return [self.key(a) for a in np.atleast_2d(archs)]

    def parse_many(self, texts: list[str]) -> np.ndarray:
        return np.array([self.parse(t) for t in texts], dtype=np.int64).reshape(
            len(texts), self.arch_dim
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class EnumerableSpace(SearchSpace):
    """A space small enough to list: a search on the user's own problem can take every
    network as a candidate, and a table that holds them all is searched cell by cell."""

    @abstractmethod
    def all_archs(self) -> np.ndarray:
        """Every valid architecture, one row each, in a fixed order."""


def literal(text: str, space: str) -> object:
    """``ast.literal_eval`` with a BadInputError naming the space and the string."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise BadInputError(f"{space} arch string {text!r}", "does not parse") from None


#: largest magnitude of an integer in an arch string (op indices are tiny; this only
#: keeps a 400-digit number from overflowing int64 with an unexpected failure)
MAX_INT = 2**31


def _small_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and abs(v) < MAX_INT


def all_small_ints(value: object) -> bool:
    """Whether every leaf of nested lists/tuples is a (non-bool) int of modest size."""
    if isinstance(value, (list, tuple)):
        return all(all_small_ints(v) for v in value)
    return _small_int(value)


def int_tuple(value: object, length: int, text: str, space: str) -> tuple[int, ...]:
    """Check that ``value`` is a flat sequence of ``length`` ints."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != length
        or not all(_small_int(v) for v in value)
    ):
        raise BadInputError(f"{space} arch string {text!r}", f"expected {length} integers")
    return tuple(value)
