"""``path``: the BANANAS path encoding (White et al., 2021): one indicator per sequence of
ops along an input->output path. Paths through a ``none`` (zero) op carry nothing and are
left out. Defined for the NB201-shaped cells (NB201, TransNAS micro) and NB101.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np

from nas_surrogate.encodings.base import Encoding
from nas_surrogate.spaces import SearchSpace
from nas_surrogate.spaces.nb101 import INNER_OPS, N_NODES, NB101Space, live_nodes, split


def _cell_routes(edges: tuple[tuple[int, int], ...]) -> list[tuple[int, ...]]:
    """Edge-index sequences of every path from the first node to the last."""
    first, last = edges[0][0], max(b for _, b in edges)
    routes: list[tuple[int, ...]] = []

    def walk(node: int, route: tuple[int, ...]) -> None:
        if node == last:
            routes.append(route)
            return
        for i, (a, b) in enumerate(edges):
            if a == node:
                walk(b, (*route, i))

    walk(first, ())
    return routes


@cache
def _vocabulary(ops: tuple[str, ...], max_len: int) -> dict[tuple[str, ...], int]:
    useful = [o for o in ops if o != "none"]
    seqs = [s for k in range(1, max_len + 1) for s in itertools.product(useful, repeat=k)]
    return {s: i for i, s in enumerate(seqs)}


def _nb101_vocabulary() -> dict[tuple[int, ...], int]:
    seqs = [
        s for k in range(0, N_NODES - 1) for s in itertools.product(INNER_OPS.tolist(), repeat=k)
    ]
    return {s: i for i, s in enumerate(seqs)}


class PathEncoding(Encoding):
    name = "path"

    def applies_to(self, space: SearchSpace) -> bool:
        return isinstance(space, NB101Space) or hasattr(space, "edges")

    def encode(self, space: SearchSpace, archs: np.ndarray) -> np.ndarray:
        archs = np.atleast_2d(archs)
        if isinstance(space, NB101Space):
            return self._encode_nb101(archs)
        ops: tuple[str, ...] = space.ops  # type: ignore[attr-defined]
        routes = _cell_routes(space.edges)  # type: ignore[attr-defined]
        vocab = _vocabulary(ops, max(len(r) for r in routes))
        out = np.zeros((len(archs), len(vocab)))
        for route in routes:
            seq_ops = archs[:, list(route)]
            for row, seq in enumerate(seq_ops):
                names = tuple(ops[o] for o in seq)
                if "none" not in names:
                    out[row, vocab[names]] = 1.0
        return out

    def _encode_nb101(self, archs: np.ndarray) -> np.ndarray:
        vocab = _nb101_vocabulary()
        out = np.zeros((len(archs), len(vocab)))
        adj, ops = split(archs)
        live = live_nodes(adj)
        for row in range(len(archs)):
            a = adj[row] * live[row][:, None] * live[row][None, :]
            stack: list[tuple[int, tuple[int, ...]]] = [(0, ())]
            while stack:
                node, seq = stack.pop()
                for nxt in np.flatnonzero(a[node]):
                    if nxt == N_NODES - 1:
                        out[row, vocab[seq]] = 1.0
                    else:
                        stack.append((int(nxt), (*seq, int(ops[row, nxt]))))
        return out

    def feature_names(self, space: SearchSpace) -> list[str]:
        if isinstance(space, NB101Space):
            return [
                "path:" + ">".join(space.ops[o] for o in s) if s else "path:direct"
                for s in _nb101_vocabulary()
            ]
        ops = space.ops  # type: ignore[attr-defined]
        routes = _cell_routes(space.edges)  # type: ignore[attr-defined]
        return ["path:" + ">".join(s) for s in _vocabulary(ops, max(len(r) for r in routes))]
