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
- NB301 genotypes (a normal and a reduce DARTS cell) become one graph of two components:
  per cell its two inputs, each of the 8 (input, op) edges as a node carrying its op, a
  node summing each intermediate node's two edges, and the output reading all four sums;
  node types are per cell (``normal:sep_conv_3x3``), so the readout tells the cells apart.

A removed node is all zeros, which the surrogate reads as "absent". TransNAS macro's
stage sequence is not a cell graph: it has no ``graph`` encoding, and ``-f graph`` there
is refused with the encodings that apply.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.encodings.base import Encoding
from nas_surrogate.encodings.features import preprocessed_order
from nas_surrogate.encodings.graf import _edge_cell
from nas_surrogate.spaces import SearchSpace
from nas_surrogate.spaces.nb101 import N_NODES as NB101_NODES
from nas_surrogate.spaces.nb101 import NB101_OPS, NB101Space, live_nodes, split
from nas_surrogate.spaces.nb201 import effective_cells
from nas_surrogate.spaces.nb301 import N_CELLS, N_EDGES, NB301_OPS, NB301Space, as_pairs

#: NB301: nodes of one cell (2 inputs, per intermediate node its 2 edges and their sum,
#: the output) and the node types of one cell
_DARTS_NODES = 2 + 3 * (N_EDGES // 2) + 1
_DARTS_TYPES = ("input", "output", "sum", *NB301_OPS)

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


def _darts_graphs(archs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(node types (n, 30), adjacency (n, 30, 30)) of NB301 genotypes: cell c's nodes
    start at 15 c: inputs 0, 1; intermediate node i's two edges at 2 + 3i, 3 + 3i and
    their sum at 4 + 3i; the output at 14."""
    pairs = as_pairs(archs)  # (n, cell, edge, [input, op])
    n = len(pairs)
    kind = np.zeros((n, N_CELLS * _DARTS_NODES), dtype=int)
    a = np.zeros((n, N_CELLS * _DARTS_NODES, N_CELLS * _DARTS_NODES), dtype=bool)
    rows = np.arange(n)
    for c in range(N_CELLS):
        base, types = c * _DARTS_NODES, c * len(_DARTS_TYPES)
        kind[:, base : base + 2] = types  # input
        kind[:, base + _DARTS_NODES - 1] = types + 1  # output
        for i in range(N_EDGES // 2):
            total = base + 4 + 3 * i
            kind[:, total] = types + 2  # sum
            a[:, total, base + _DARTS_NODES - 1] = True
            for e in (2 * i, 2 * i + 1):
                node = base + 2 + 3 * i + (e - 2 * i)
                kind[:, node] = types + 3 + pairs[:, c, e, 1]
                src = pairs[:, c, e, 0]  # 0, 1: the cell inputs; j >= 2: node j - 2's sum
                src_node = np.where(src < 2, base + src, base + 4 + 3 * (src - 2))
                a[rows, src_node, node] = True
                a[:, node, total] = True
    return kind, a


class GraphEncoding(Encoding):
    name = "graph"

    def applies_to(self, space: SearchSpace) -> bool:
        return _edge_cell(space) or isinstance(space, (NB101Space, NB301Space))

    @staticmethod
    def layout(space: SearchSpace) -> tuple[int, list[str]]:
        """(number of nodes N, node type names: K of them) of the space's graphs."""
        if isinstance(space, NB101Space):
            return NB101_NODES, list(NB101_OPS)
        if isinstance(space, NB301Space):
            cells = ("normal", "reduce")
            return N_CELLS * _DARTS_NODES, [f"{c}:{t}" for c in cells for t in _DARTS_TYPES]
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
        elif isinstance(space, NB301Space):
            kind, a = _darts_graphs(archs)
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
    encoding = [names[c] for c in preprocessed_order(len(names), zc_columns)[len(zc_columns) :]]
    graph = [i for i, n in enumerate(encoding) if n.startswith(PREFIX)]
    if not graph:
        return None
    if graph != list(range(len(encoding) - len(graph), len(encoding))):
        raise ValueError("the graph encoding must be the last encoding of the feature spec")
    node_cols = [n for n in encoding if n.startswith(f"{PREFIX}node")]
    n_nodes = len({n.split("=")[0] for n in node_cols})
    return n_nodes, len(node_cols) // n_nodes
