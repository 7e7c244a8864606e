"""GRAF-style graph features for the spaces whose cell is not "one op per edge of a
fixed DAG" (that case is ``graf.py``): NAS-Bench-101 (ops on nodes), NAS-Bench-301 /
DARTS (two cells of (input, op) edges) and TransNAS-Bench-101 macro (a stage sequence).

Each returns (matrix, names) for a batch, vectorised over it (loops only over the few
nodes, edges and op subsets of one cell):

- NB101, on the pruned graph (nodes on no input-output path removed, as the benchmark
  does): nodes and edges per op, out-degree of the input, in-degree of the output,
  mean in/out degree of the nodes of each op, the number of input-output paths; and for
  each non-empty subset S of the three ops, the shortest and longest input-output path
  and the number of paths through nodes whose op is in S (0 when there is none).
- NB301, per cell (normal, reduce): edges per op, edges leaving each cell input, the
  mean out-degree of the intermediate nodes (how many later nodes read them), the cell's
  depth; and for each S among the single ops and op pairs, the longest path from the
  cell inputs over S-edges, the S-edges leaving the inputs, and the intermediate nodes
  reachable from the inputs over S-edges only.
- TransNAS macro: number of stages, of channel doublings, of downsamplings, of blocks
  doing both, the first and last position of each kind, and the final channel and
  resolution factors.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np


def nb101_features(archs: np.ndarray) -> tuple[np.ndarray, list[str]]:
    from nas_surrogate.spaces.nb101 import N_NODES, live_nodes, split

    adj, ops = split(np.atleast_2d(archs))
    live = live_nodes(adj)
    a = adj.astype(bool) & live[:, :, None] & live[:, None, :]
    node_op = np.where(live, ops, -1)
    inner = [2, 3, 4]
    short_name = {2: "conv3x3", 3: "conv1x1", 4: "maxpool3x3"}
    indeg, outdeg = a.sum(axis=1), a.sum(axis=2)
    cols, names = [], []
    for o in inner:
        mask = node_op == o
        n = mask.sum(axis=1)
        cols += [n, (a & mask[:, :, None]).sum(axis=(1, 2))]
        names += [f"n_{short_name[o]}", f"edges_from_{short_name[o]}"]
        cols += [
            (indeg * mask).sum(1) / np.maximum(n, 1),
            (outdeg * mask).sum(1) / np.maximum(n, 1),
        ]
        names += [f"mean_in_degree[{short_name[o]}]", f"mean_out_degree[{short_name[o]}]"]
    cols += [a.sum(axis=(1, 2)), outdeg[:, 0], indeg[:, -1]]
    names += ["n_edges", "out_degree_input", "in_degree_output"]
    for size in range(1, len(inner) + 1):
        for subset in combinations(inner, size):
            allowed = np.isin(node_op, subset)
            allowed[:, 0] = allowed[:, -1] = True
            short, long, count = _dag_paths(a, allowed, N_NODES)
            tag = "+".join(short_name[o] for o in subset)
            cols += [short, long, count]
            names += [f"shortest[{tag}]", f"longest[{tag}]", f"n_paths[{tag}]"]
    _, _, total = _dag_paths(a, np.ones_like(live), N_NODES)
    cols.append(total)
    names.append("n_paths")
    return np.column_stack(cols).astype(float), names


def _dag_paths(a: np.ndarray, allowed: np.ndarray, n_nodes: int):
    """Shortest / longest path length and path count from node 0 to the last node through
    allowed nodes of upper-triangular DAGs (0 where there is no path)."""
    n = len(a)
    inf = np.inf
    short = np.full((n, n_nodes), inf)
    long = np.full((n, n_nodes), -inf)
    count = np.zeros((n, n_nodes))
    short[:, 0], long[:, 0], count[:, 0] = 0, 0, 1
    for j in range(1, n_nodes):
        for i in range(j):
            edge = a[:, i, j] & allowed[:, i] & allowed[:, j] & (count[:, i] > 0)
            short[:, j] = np.where(edge, np.minimum(short[:, j], short[:, i] + 1), short[:, j])
            long[:, j] = np.where(edge, np.maximum(long[:, j], long[:, i] + 1), long[:, j])
            count[:, j] += np.where(edge, count[:, i], 0)
    has = count[:, -1] > 0
    return np.where(has, short[:, -1], 0), np.where(has, long[:, -1], 0), count[:, -1]


def nb301_features(archs: np.ndarray) -> tuple[np.ndarray, list[str]]:
    from nas_surrogate.spaces.nb301 import N_EDGES, NB301_OPS, as_pairs

    pairs = as_pairs(archs)
    n_ops = len(NB301_OPS)
    subsets = [(o,) for o in range(n_ops)] + list(combinations(range(n_ops), 2))
    cols, names = [], []
    for c, cell in enumerate(("normal", "reduce")):
        inputs, ops = pairs[:, c, :, 0], pairs[:, c, :, 1]
        target = np.arange(N_EDGES) // 2 + 2  # node each edge feeds (0, 1: the cell inputs)
        for o in range(n_ops):
            cols.append((ops == o).sum(axis=1))
            names.append(f"{cell}:n_{NB301_OPS[o]}")
        for src in (0, 1):
            cols.append((inputs == src).sum(axis=1))
            names.append(f"{cell}:edges_from_input{src}")
        reads = np.stack([(inputs == node).sum(axis=1) for node in range(2, 6)], axis=1)
        cols.append(reads.mean(axis=1))
        names.append(f"{cell}:mean_out_degree")
        cols.append(_longest(inputs, target, np.ones_like(ops, dtype=bool)).max(axis=1))
        names.append(f"{cell}:depth")
        for subset in subsets:
            in_s = np.isin(ops, subset)
            depth = _longest(inputs, target, in_s)
            tag = "+".join(NB301_OPS[o] for o in subset)
            cols += [depth.max(axis=1), (in_s & (inputs < 2)).sum(axis=1), (depth > 0).sum(axis=1)]
            names += [f"{cell}:longest[{tag}]", f"{cell}:from_inputs[{tag}]",
                      f"{cell}:reached[{tag}]"]  # fmt: skip
    return np.column_stack(cols).astype(float), names


def _longest(inputs: np.ndarray, target: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """(n, 4) longest path (in edges) from a cell input to each intermediate node over
    usable edges (0: not reachable that way)."""
    n = len(inputs)
    depth = np.full((n, 6), -np.inf)
    depth[:, :2] = 0
    for k in range(inputs.shape[1]):
        src = depth[np.arange(n), inputs[:, k]]
        cand = np.where(usable[:, k], src + 1, -np.inf)
        depth[:, target[k]] = np.maximum(depth[:, target[k]], cand)
    return np.where(np.isfinite(depth[:, 2:]), depth[:, 2:], 0)


def macro_features(archs: np.ndarray) -> tuple[np.ndarray, list[str]]:
    archs = np.atleast_2d(archs)
    present = archs > 0
    double = np.isin(archs, (2, 4))
    down = np.isin(archs, (3, 4))
    both = archs == 4
    pos = np.arange(archs.shape[1])
    cols = [present.sum(1), double.sum(1), down.sum(1), both.sum(1)]
    names = ["n_stages", "n_double", "n_down", "n_both"]
    for tag, mask in (("double", double), ("down", down), ("basic", archs == 1)):
        first = np.where(mask.any(1), np.where(mask, pos, 99).min(1), -1)
        last = np.where(mask.any(1), np.where(mask, pos, -1).max(1), -1)
        cols += [first, last]
        names += [f"first_{tag}", f"last_{tag}"]
    cols += [2.0 ** double.sum(1), 0.5 ** down.sum(1)]
    names += ["channel_factor", "resolution_factor"]
    return np.column_stack(cols).astype(float), names
