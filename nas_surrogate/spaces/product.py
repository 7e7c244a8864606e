"""Spaces that are a fixed number of categorical choices (cells with one op per edge,
macro skeletons, GNN link patterns with ops).

Every architecture has a mixed-radix integer code, so validity, canonicalisation and
sampling are table look-ups on whole batches rather than Python loops.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces.base import EnumerableSpace, int_tuple, literal


class ProductSpace(EnumerableSpace):
    """Positions ``i`` taking values in ``range(low[i], low[i] + cardinality[i])``."""

    def __init__(self, name: str, cardinalities: list[int], low: list[int] | None = None) -> None:
        self.name = name
        self.cardinalities = np.asarray(cardinalities, dtype=np.int64)
        self.low = np.zeros_like(self.cardinalities) if low is None else np.asarray(low)
        self.arch_dim = len(cardinalities)
        self._radix = np.concatenate(([1], np.cumprod(self.cardinalities[::-1])[:-1]))[::-1]

    @property
    def n_codes(self) -> int:
        return int(np.prod(self.cardinalities))

    # -- codes -----------------------------------------------------------------------
    def encode_codes(self, archs: np.ndarray) -> np.ndarray:
        return ((np.atleast_2d(archs) - self.low) * self._radix).sum(axis=1)

    def decode_codes(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.int64)
        digits = (codes[:, None] // self._radix) % self.cardinalities
        return digits + self.low

    def _in_range(self, archs: np.ndarray) -> np.ndarray:
        archs = np.atleast_2d(archs)
        if archs.shape[1] != self.arch_dim:
            return np.zeros(len(archs), dtype=bool)
        return ((archs >= self.low) & (archs < self.low + self.cardinalities)).all(axis=1)

    def _valid_codes_mask(self, archs: np.ndarray) -> np.ndarray:
        """Extra constraints beyond the ranges, on in-range rows; override in subclasses."""
        return np.ones(len(archs), dtype=bool)

    def canonical_codes(self, codes: np.ndarray) -> np.ndarray:
        """Map codes to the canonical code of the same network (-1 if none); identity here."""
        return codes

    @cached_property
    def valid_table(self) -> np.ndarray:
        """Boolean validity of every code in the space (at most a few 10^5 entries)."""
        archs = self.decode_codes(np.arange(self.n_codes))
        codes = np.arange(self.n_codes)
        return self._valid_codes_mask(archs) & (self.canonical_codes(codes) == codes)

    @cached_property
    def valid_codes(self) -> np.ndarray:
        return np.flatnonzero(self.valid_table)

    # -- interface -------------------------------------------------------------------
    def parse(self, text: str) -> np.ndarray:
        arch = np.array(int_tuple(literal(text, self.name), self.arch_dim, text, self.name))
        if not self.is_valid(arch)[0]:
            raise BadInputError(f"{self.name} arch string {text!r}", "not a valid architecture")
        return arch

    def format(self, arch: np.ndarray) -> str:
        return str(tuple(int(v) for v in arch))

    def is_valid(self, archs: np.ndarray) -> np.ndarray:
        archs = np.atleast_2d(archs)
        ok = self._in_range(archs)
        ok[ok] = self.valid_table[self.encode_codes(archs[ok])]
        return ok

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.decode_codes(self.valid_codes[rng.integers(len(self.valid_codes), size=n)])

    def all_archs(self) -> np.ndarray:
        """Every valid architecture, in code order."""
        return self.decode_codes(self.valid_codes)

    # -- networks ------------------------------------------------------------------------
    def network_codes(self, archs: np.ndarray) -> np.ndarray:
        """Code of the network each row computes: equal for rows that are the same
        network. The identity here; NB201 maps a cell to its canonical form."""
        return self.encode_codes(archs)

    def keys(self, archs: np.ndarray) -> list:
        return self.network_codes(np.atleast_2d(archs)).tolist()

    def key(self, arch: np.ndarray):
        return self.keys(arch)[0]

    @cached_property
    def n_networks(self) -> int:
        """Distinct networks among the valid architectures."""
        return len(np.unique(self.network_codes(self.all_archs())))

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        arch = np.asarray(arch, dtype=np.int64)
        rows = []
        for pos in range(self.arch_dim):
            values = self.low[pos] + np.arange(self.cardinalities[pos])
            values = values[values != arch[pos]]
            block = np.repeat(arch[None, :], len(values), axis=0)
            block[:, pos] = values
            rows.append(block)
        cand = np.concatenate(rows)
        codes = self.canonical_codes(self.encode_codes(cand))
        codes = codes[codes >= 0]
        codes = codes[self.valid_table[codes]]
        codes = np.unique(codes[codes != self.encode_codes(arch)[0]])
        return self.decode_codes(codes)
