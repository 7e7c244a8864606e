"""NAS-Bench-101 cell: a 7-node upper-triangular DAG with ops on the inner nodes.

An architecture is the 49 adjacency entries (row-major) followed by 7 op codes (NASLib's:
0 input, 1 output, 2 conv3x3-bn-relu, 3 conv1x1-bn-relu, 4 maxpool3x3), exactly the
NAS-Bench-Suite-Zero arch string. As in the NAS-Bench-101 API, validity is judged on the
pruned graph (nodes not on an input->output path removed): the output must be reachable
and the pruned graph may have at most 9 edges. ``key`` is the NAS-Bench-101 graph hash
of the pruned graph, so isomorphic cells share one key.
"""

from __future__ import annotations

import hashlib

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces.base import SearchSpace, int_tuple, literal

N_NODES = 7
MAX_EDGES = 9
NB101_OPS: tuple[str, ...] = ("input", "output", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
INNER_OPS = np.array([2, 3, 4])
_UPPER = np.triu_indices(N_NODES, k=1)


def split(archs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(adjacency (n, 7, 7), ops (n, 7)) of a batch."""
    archs = np.atleast_2d(archs)
    return archs[:, :49].reshape(-1, N_NODES, N_NODES), archs[:, 49:]


def live_nodes(adj: np.ndarray) -> np.ndarray:
    """(n, 7) mask of nodes on some input->output path, by batched reachability."""
    n = adj.shape[0]
    fwd = np.zeros((n, N_NODES), dtype=bool)
    fwd[:, 0] = True
    bwd = np.zeros((n, N_NODES), dtype=bool)
    bwd[:, -1] = True
    a = adj.astype(bool)
    for _ in range(N_NODES):
        fwd |= np.einsum("ni,nij->nj", fwd, a)
        bwd |= np.einsum("nij,nj->ni", a, bwd)
    return fwd & bwd


class NB101Space(SearchSpace):
    name = "nasbench101"
    default_encoding = "adjacency"
    arch_dim = 56
    ops = NB101_OPS

    def parse(self, text: str) -> np.ndarray:
        arch = np.array(int_tuple(literal(text, self.name), self.arch_dim, text, self.name))
        if not self.is_valid(arch)[0]:
            raise BadInputError(f"{self.name} arch string {text!r}", "not a valid NB101 cell")
        return arch

    def format(self, arch: np.ndarray) -> str:
        return str(tuple(int(v) for v in arch))

    def is_valid(self, archs: np.ndarray) -> np.ndarray:
        archs = np.atleast_2d(archs)
        if archs.shape[1] != self.arch_dim:
            return np.zeros(len(archs), dtype=bool)
        adj, ops = split(archs)
        binary = np.isin(adj, (0, 1)).all(axis=(1, 2))
        upper = (np.tril(adj) == 0).all(axis=(1, 2))
        ops_ok = (ops[:, 0] == 0) & (ops[:, -1] == 1) & np.isin(ops[:, 1:-1], INNER_OPS).all(1)
        live = live_nodes(adj)
        pruned_edges = (adj * live[:, :, None] * live[:, None, :]).sum(axis=(1, 2))
        return binary & upper & ops_ok & live[:, 0] & (pruned_edges <= MAX_EDGES)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """NASLib/NAS-Bench-101 style: random upper-triangular matrix and ops, rejected
        until valid (uniform over labelled graphs, not over isomorphism classes)."""
        out = np.empty((0, self.arch_dim), dtype=np.int64)
        while len(out) < n:
            m = max(4 * (n - len(out)), 16)
            adj = np.zeros((m, N_NODES, N_NODES), dtype=np.int64)
            adj[:, _UPPER[0], _UPPER[1]] = rng.integers(0, 2, size=(m, len(_UPPER[0])))
            ops = np.empty((m, N_NODES), dtype=np.int64)
            ops[:, 0], ops[:, -1] = 0, 1
            ops[:, 1:-1] = rng.choice(INNER_OPS, size=(m, N_NODES - 2))
            cand = np.concatenate([adj.reshape(m, -1), ops], axis=1)
            out = np.concatenate([out, cand[self.is_valid(cand)]])
        return out[:n]

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        arch = np.asarray(arch, dtype=np.int64)
        rows = []
        for i, j in zip(*_UPPER):
            flip = arch.copy()
            flip[i * N_NODES + j] ^= 1
            rows.append(flip)
        for node in range(1, N_NODES - 1):
            for op in INNER_OPS:
                if op != arch[49 + node]:
                    changed = arch.copy()
                    changed[49 + node] = op
                    rows.append(changed)
        cand = np.array(rows)
        return cand[self.is_valid(cand)]

    def key(self, arch: np.ndarray) -> str:
        """NAS-Bench-101's ``hash_module`` on the pruned graph (isomorphism-invariant)."""
        adj, ops = split(arch)
        live = live_nodes(adj)[0]
        m = adj[0][np.ix_(live, live)]
        labels = ops[0][live]
        in_deg, out_deg = m.sum(axis=0), m.sum(axis=1)
        hashes = [
            hashlib.md5(str((int(o), int(i), int(lab))).encode()).hexdigest()
            for o, i, lab in zip(out_deg, in_deg, labels)
        ]
        for _ in range(len(labels)):
            hashes = [
                hashlib.md5(
                    (
                        "".join(sorted(hashes[w] for w in np.flatnonzero(m[:, v])))
                        + "|"
                        + "".join(sorted(hashes[w] for w in np.flatnonzero(m[v, :])))
                        + "|"
                        + hashes[v]
                    ).encode()
                ).hexdigest()
                for v in range(len(labels))
            ]
        return hashlib.md5(str(sorted(hashes)).encode()).hexdigest()
