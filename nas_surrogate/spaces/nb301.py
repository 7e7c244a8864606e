"""NAS-Bench-301 / DARTS cells: a normal and a reduction cell, each 4 intermediate nodes
with 2 incoming edges, each edge an (input_node, op) pair.

An architecture is 32 ints: for the normal then the reduce cell, 8 pairs flattened as
``input, op``. Edge ``k`` feeds node ``k // 2`` and may read nodes ``0 .. k // 2 + 1``
(the two cell inputs and earlier intermediate nodes); a node's two inputs differ. Ops
are NASLib's 7 DARTS ops. The order of a node's two edges does not change the network,
so ``key`` sorts them.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces.base import SearchSpace, all_small_ints, literal

NB301_OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
N_EDGES = 8
N_CELLS = 2
#: Largest input node index each of the 8 edges may read.
MAX_INPUT = np.arange(N_EDGES) // 2 + 1


def as_pairs(archs: np.ndarray) -> np.ndarray:
    """(n, 2 cells, 8 edges, [input, op])."""
    return np.atleast_2d(archs).reshape(-1, N_CELLS, N_EDGES, 2)


class NB301Space(SearchSpace):
    name = "nasbench301"
    default_encoding = "adjacency"
    arch_dim = N_CELLS * N_EDGES * 2
    ops = NB301_OPS

    def parse(self, text: str) -> np.ndarray:
        value = literal(text, self.name)
        where = f"{self.name} arch string {text!r}"
        if not all_small_ints(value):  # 2.9, '2' or True are not op indices
            raise BadInputError(where, "expected [normal, reduce] lists of (input, op) integers")
        try:
            arch = np.array(value, dtype=np.int64)
        except (TypeError, ValueError):
            raise BadInputError(where, "expected [normal, reduce] lists of (input, op)") from None
        if arch.shape != (N_CELLS, N_EDGES, 2) or not self.is_valid(arch.ravel())[0]:
            raise BadInputError(where, "not a valid DARTS genotype of 2 cells x 8 edges")
        return arch.ravel()

    def format(self, arch: np.ndarray) -> str:
        cells = as_pairs(arch)[0]
        return str([[(int(i), int(o)) for i, o in cell] for cell in cells])

    def is_valid(self, archs: np.ndarray) -> np.ndarray:
        archs = np.atleast_2d(archs)
        if archs.shape[1] != self.arch_dim:
            return np.zeros(len(archs), dtype=bool)
        p = as_pairs(archs)
        inputs, ops = p[..., 0], p[..., 1]
        ok_in = ((inputs >= 0) & (inputs <= MAX_INPUT)).all(axis=(1, 2))
        ok_op = ((ops >= 0) & (ops < len(NB301_OPS))).all(axis=(1, 2))
        distinct = (inputs[..., 0::2] != inputs[..., 1::2]).all(axis=(1, 2))
        return ok_in & ok_op & distinct

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        p = np.empty((n, N_CELLS, N_EDGES, 2), dtype=np.int64)
        for node in range(N_EDGES // 2):
            # two distinct inputs among node + 2 candidates, uniformly
            scores = rng.random((n, N_CELLS, node + 2))
            first_two = np.argsort(scores, axis=-1)[..., :2]
            p[:, :, 2 * node, 0] = first_two[..., 0]
            p[:, :, 2 * node + 1, 0] = first_two[..., 1]
        p[..., 1] = rng.integers(len(NB301_OPS), size=(n, N_CELLS, N_EDGES))
        return p.reshape(n, -1)

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        arch = np.asarray(arch, dtype=np.int64)
        rows = []
        for cell in range(N_CELLS):
            for edge in range(N_EDGES):
                base = (cell * N_EDGES + edge) * 2
                for op in range(len(NB301_OPS)):
                    if op != arch[base + 1]:
                        changed = arch.copy()
                        changed[base + 1] = op
                        rows.append(changed)
                for node in range(MAX_INPUT[edge] + 1):
                    if node != arch[base]:
                        changed = arch.copy()
                        changed[base] = node
                        rows.append(changed)
        cand = np.array(rows)
        return cand[self.is_valid(cand)]

    def key(self, arch: np.ndarray) -> tuple[int, ...]:
        pairs = as_pairs(arch)[0].reshape(N_CELLS, N_EDGES // 2, 2, 2)
        canon = np.sort(pairs.view([("i", np.int64), ("o", np.int64)]), axis=2)
        return tuple(int(v) for v in canon.view(np.int64).ravel())
