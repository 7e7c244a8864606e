"""``adjacency``: graph structure plus op identity, for DAG spaces.

NB101: the 21 upper-triangular adjacency bits and a one-hot of the 5 inner nodes' ops.
NB301: for each cell, every possible DARTS edge (input j -> node i, 14 of them) times the
7 ops, set when that edge with that op is in the genotype; this form does not depend on
the order of a node's two edges.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.encodings.base import Encoding, one_hot
from nas_surrogate.spaces import SearchSpace
from nas_surrogate.spaces.nb101 import INNER_OPS, N_NODES, NB101Space, split
from nas_surrogate.spaces.nb301 import MAX_INPUT, N_CELLS, N_EDGES, NB301_OPS, NB301Space, as_pairs

_UPPER = np.triu_indices(N_NODES, k=1)
#: offset of node i's first possible input in the 14 DARTS edges: 0, 2, 5, 9
_NODE_OFFSET = np.concatenate(([0], np.cumsum(np.arange(2, 2 + N_EDGES // 2))[:-1]))
_N_DARTS_EDGES = int(sum(range(2, 2 + N_EDGES // 2)))


class AdjacencyEncoding(Encoding):
    name = "adjacency"

    def applies_to(self, space: SearchSpace) -> bool:
        return isinstance(space, (NB101Space, NB301Space))

    def encode(self, space: SearchSpace, archs: np.ndarray) -> np.ndarray:
        archs = np.atleast_2d(archs)
        if isinstance(space, NB101Space):
            adj, ops = split(archs)
            inner = ops[:, 1:-1] - INNER_OPS[0]
            return np.concatenate(
                [adj[:, _UPPER[0], _UPPER[1]].astype(float), one_hot(inner, len(INNER_OPS))], 1
            )
        p = as_pairs(archs)  # (n, cell, edge, [input, op])
        n = len(archs)
        out = np.zeros((n, N_CELLS, _N_DARTS_EDGES, len(NB301_OPS)))
        node = np.arange(N_EDGES) // 2
        slot = _NODE_OFFSET[node][None, None, :] + p[..., 0]
        rows = np.arange(n)[:, None, None]
        cells = np.arange(N_CELLS)[None, :, None]
        out[rows, cells, slot, p[..., 1]] = 1.0
        return out.reshape(n, -1)

    def feature_names(self, space: SearchSpace) -> list[str]:
        if isinstance(space, NB101Space):
            adj = [f"adj{i}{j}" for i, j in zip(*_UPPER)]
            return adj + [
                f"node{k}={space.ops[o]}" for k in range(1, N_NODES - 1) for o in INNER_OPS
            ]
        return [
            f"{cell}:{j}->{i + 2}={op}"
            for cell in ("normal", "reduce")
            for i in range(N_EDGES // 2)
            for j in range(MAX_INPUT[2 * i] + 1)
            for op in NB301_OPS
        ]
