"""``graph``: the effective cell as a fixed-size DAG with ops on its nodes, the input of
the graph neural surrogate (``gnn``).

Each row is ``[node types (N x K one-hot) | upper-triangular adjacency (N(N-1)/2)]``,
nodes in topological order, the input first and the output last (``layout`` gives N
and K; the column names say which node and edge each column is):

- one-op-per-edge cells (NB201, TransNAS micro) become their line graph: a node for the
  input, one per edge carrying the edge's op, one for the output; edge (i, j) feeds
  every edge leaving j. Ops on no input-output path (``effective_cells``) and ``none``
  edges are removed: their node has no type and no edges, so two cells that compute the
  same network have the same graph.
- NB101 cells already carry ops on nodes; nodes on no input-output path are removed.

A removed node is all zeros, which the surrogate reads as "absent". Spaces whose cells
are not such graphs (NB301's two DARTS cells, TransNAS macro's stage sequence) have no
``graph`` encoding (yet): ``-f graph`` there is refused with the encodings that apply.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.encodings.base import Encoding
from nas_surrogate.encodings.graf import _edge_cell
from nas_surrogate.spaces import SearchSpace
from nas_surrogate.spaces.nb101 import N_NODES as NB101_NODES
from nas_surrogate.spaces.nb101 import NB101_OPS, NB101Space, live_nodes, split
from nas_surrogate.spaces.nb201 import effective_cells

#: prefix of every column name: how the graph surrogate finds its block
PREFIX = "graph:"


def _line_graph(space: SearchSpace) -> tuple[list[str], np.ndarray]:
    """(node type names, (N, N) adjacency of the full cell) of an edge cell's line graph:
    node 0 the input, node 1 + k edge k, the last node the output."""
    edges = list(space.edges)  # type: ignore[attr-defined]
    nodes = sorted({v for e in edges for v in e})
    source, sink = nodes[0], nodes[-1]
    n = len(edges) + 2
    adj = np.zeros((n, n), dtype=bool)
    for k, (i, j) in enumerate(edges):
        if i == source:
            adj[0, 1 + k] = True
        if j == sink:
            adj[1 + k, n - 1] = True
        for m, (i2, _) in enumerate(edges):
            if i2 == j:
                adj[1 + k, 1 + m] = True
    ops = [o for o in space.ops if o != "none"]  # type: ignore[attr-defined]
    return ["input", "output", *ops], adj


class GraphEncoding(Encoding):
    name = "graph"

    def applies_to(self, space: SearchSpace) -> bool:
        return _edge_cell(space) or isinstance(space, NB101Space)

    @staticmethod
    def layout(space: SearchSpace) -> tuple[int, list[str]]:
        """(number of nodes N, node type names: K of them) of the space's graphs."""
        if isinstance(space, NB101Space):
            return NB101_NODES, list(NB101_OPS)
        types, adj = _line_graph(space)
        return len(adj), types

    def encode(self, space: SearchSpace, archs: np.ndarray) -> np.ndarray:
        archs = np.atleast_2d(archs)
        n_nodes, types = self.layout(space)
        if isinstance(space, NB101Space):
            adj, ops = split(archs)
            live = live_nodes(adj)
            kind = np.where(live, ops, -1)  # NB101_OPS indices; -1: removed
            a = adj.astype(bool) & live[:, :, None] & live[:, None, :]
        else:
            _, full = _line_graph(space)
            none_op = list(space.ops).index("none")  # type: ignore[attr-defined]
            cells = effective_cells(archs, tuple(space.edges), none_op)  # type: ignore[attr-defined]
            real = [o for o in range(len(space.ops)) if o != none_op]  # type: ignore[attr-defined]
            type_of_op = np.full(len(space.ops), -1)  # type: ignore[attr-defined]
            type_of_op[real] = 2 + np.arange(len(real))
            edge_kind = type_of_op[cells]
            n = len(archs)
            kind = np.concatenate([np.zeros((n, 1)), edge_kind, np.ones((n, 1))], 1).astype(int)
            present = kind >= 0
            a = full[None] & present[:, :, None] & present[:, None, :]
        onehot = np.zeros((len(archs), n_nodes, len(types)))
        rows, nodes = np.nonzero(kind >= 0)
        onehot[rows, nodes, kind[rows, nodes]] = 1.0
        upper = np.triu_indices(n_nodes, k=1)
        flat = onehot.reshape(len(archs), -1)
        return np.concatenate([flat, a[:, upper[0], upper[1]].astype(float)], axis=1)

    def feature_names(self, space: SearchSpace) -> list[str]:
        n_nodes, types = self.layout(space)
        upper = np.triu_indices(n_nodes, k=1)
        nodes = [f"{PREFIX}node{v}={t}" for v in range(n_nodes) for t in types]
        return nodes + [f"{PREFIX}edge{i}->{j}" for i, j in zip(*upper)]


def graph_layout(names: list[str], zc_columns: np.ndarray) -> tuple[int, int] | None:
    """(N, K) of the ``graph`` block if it is the last encoding of a feature matrix with
    these column names (where the graph surrogate finds it after preprocessing: the ZC
    columns first, then the encodings in order); None if there is no graph block.
    ValueError if there is one but another encoding follows it."""
    encoding = [n for i, n in enumerate(names) if i not in set(zc_columns.tolist())]
    graph = [i for i, n in enumerate(encoding) if n.startswith(PREFIX)]
    if not graph:
        return None
    if graph != list(range(len(encoding) - len(graph), len(encoding))):
        raise ValueError("the graph encoding must be the last encoding of the feature spec")
    node_cols = [n for n in encoding if n.startswith(f"{PREFIX}node")]
    n_nodes = len({n.split("=")[0] for n in node_cols})
    return n_nodes, len(node_cols) // n_nodes
