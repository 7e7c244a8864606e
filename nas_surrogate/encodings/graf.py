"""``graf``: graph features of the effective cell (GRAF, Kadlecová et al., ICML 2024).

For a cell with one op per edge (NB201, TransNAS-Bench-101 micro), computed on the
*effective* cell (every op on no input-to-output path set to ``none``, the canonical
form), for each op the number of edges carrying it, and for each non-empty subset S of
the non-``none`` ops:

- the shortest and the longest input-to-output path using only edges whose op is in S
  (0 when there is none);
- the number of S-edges leaving the input and entering the output;
- the mean in-degree and mean out-degree of the intermediate nodes over S-edges.

NAS-Bench-101, NAS-Bench-301 and TransNAS-Bench-101 macro get their analogues
(``graf_graphs.py``). Columns that are constant, or duplicate an earlier column, over
every cell of the space (a fixed-seed sample of 4,000 for the spaces too large to
enumerate) are dropped once per space, so the feature set is a property of the space,
never of the data. Vectorised: all input-to-output paths of the complete cell DAG are
enumerated once, and a batch is a few boolean matrix products (all 15,625 NB201 cells in
~0.1 s).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np

from nas_surrogate.encodings.base import Encoding
from nas_surrogate.encodings.graf_graphs import macro_features, nb101_features, nb301_features
from nas_surrogate.spaces import SearchSpace
from nas_surrogate.spaces.base import EnumerableSpace
from nas_surrogate.spaces.nb201 import effective_cells


def _paths(edges: tuple[tuple[int, int], ...]) -> list[list[int]]:
    """Every input-to-output path of the DAG, as lists of edge indices."""
    nodes = sorted({v for e in edges for v in e})
    source, sink = nodes[0], nodes[-1]
    out: list[list[int]] = []

    def walk(node: int, used: list[int]) -> None:
        if node == sink:
            out.append(used)
            return
        for k, (i, j) in enumerate(edges):
            if i == node:
                walk(j, [*used, k])

    walk(source, [])
    return out


#: spaces whose graph features live in graf_graphs.py
_OTHER_GRAPHS = {
    "nasbench101": nb101_features,
    "nasbench301": nb301_features,
    "transbench101_macro": macro_features,
}
#: cells sampled (fixed seed) to find constant columns of a space too large to enumerate
SAMPLE = 4000


def _edge_cell(space: SearchSpace) -> bool:
    ops = getattr(space, "ops", ())
    return hasattr(space, "edges") and "none" in ops and isinstance(space, EnumerableSpace)


class GrafEncoding(Encoding):
    name = "graf"

    def applies_to(self, space: SearchSpace) -> bool:
        return _edge_cell(space) or space.name in _OTHER_GRAPHS

    @staticmethod
    def _raw(space: SearchSpace, archs: np.ndarray) -> tuple[np.ndarray, list[str]]:
        if not _edge_cell(space):
            return _OTHER_GRAPHS[space.name](archs)
        edges = space.edges  # type: ignore[attr-defined]
        ops = list(space.ops)  # type: ignore[attr-defined]
        none_op = ops.index("none")
        cells = effective_cells(archs, edges, none_op)
        real = [o for o in range(len(ops)) if o != none_op]
        nodes = sorted({v for e in edges for v in e})
        source, sink, middle = nodes[0], nodes[-1], nodes[1:-1]
        paths = _paths(edges)
        incidence = np.zeros((len(edges), len(paths)))
        for p, path in enumerate(paths):
            incidence[path, p] = 1.0
        lengths = incidence.sum(axis=0)
        cols, names = [], []
        for o in real:
            cols.append((cells == o).sum(axis=1))
            names.append(f"n_{ops[o]}")
        for size in range(1, len(real) + 1):
            for subset in combinations(real, size):
                tag = "+".join(ops[o] for o in subset)
                in_s = np.isin(cells, subset)
                ok = (in_s.astype(float) @ incidence) == lengths  # path uses only S-edges
                has = ok.any(axis=1)
                short = np.where(ok, lengths, np.inf).min(axis=1)
                long = np.where(ok, lengths, -np.inf).max(axis=1)
                cols += [np.where(has, short, 0.0), np.where(has, long, 0.0)]
                names += [f"shortest[{tag}]", f"longest[{tag}]"]
                leave = [k for k, (i, _) in enumerate(edges) if i == source]
                enter = [k for k, (_, j) in enumerate(edges) if j == sink]
                cols += [in_s[:, leave].sum(axis=1), in_s[:, enter].sum(axis=1)]
                names += [f"from_input[{tag}]", f"to_output[{tag}]"]
                ind = [in_s[:, [k for k, (_, j) in enumerate(edges) if j == v]].sum(axis=1)
                       for v in middle]  # fmt: skip
                outd = [in_s[:, [k for k, (i, _) in enumerate(edges) if i == v]].sum(axis=1)
                        for v in middle]  # fmt: skip
                cols += [np.mean(ind, axis=0), np.mean(outd, axis=0)]
                names += [f"mean_in_degree[{tag}]", f"mean_out_degree[{tag}]"]
        return np.column_stack(cols).astype(float), names

    @staticmethod
    @lru_cache(maxsize=8)
    def _kept(space: SearchSpace) -> tuple[int, ...]:
        """Columns that vary over the space and duplicate no earlier column."""
        archs = (
            space.all_archs()
            if isinstance(space, EnumerableSpace)
            else space.sample(SAMPLE, np.random.default_rng(0))
        )
        X, _ = GrafEncoding._raw(space, archs)
        keep: list[int] = []
        seen: set[bytes] = set()
        for j in range(X.shape[1]):
            col = X[:, j]
            if np.ptp(col) == 0 or col.tobytes() in seen:
                continue
            seen.add(col.tobytes())
            keep.append(j)
        return tuple(keep)

    def encode(self, space: SearchSpace, archs: np.ndarray) -> np.ndarray:
        X, _ = self._raw(space, np.atleast_2d(archs))
        return X[:, list(self._kept(space))]

    def feature_names(self, space: SearchSpace) -> list[str]:
        _, names = self._raw(space, space.sample(1, np.random.default_rng(0)))
        return [names[j] for j in self._kept(space)]
