"""NAS-Bench-201 cell: 6 edges, 5 ops, all 15,625 cells valid.

Edge order (1,2) (1,3) (1,4) (2,3) (2,4) (3,4); op indices as in NASLib and in the
NAS-Bench-Suite-Zero arch strings.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.spaces.product import ProductSpace

NB201_OPS: tuple[str, ...] = (
    "skip_connect",
    "none",
    "nor_conv_3x3",
    "nor_conv_1x1",
    "avg_pool_3x3",
)
#: (from_node, to_node) of each edge, nodes numbered 1..4 as in the data README.
NB201_EDGES: tuple[tuple[int, int], ...] = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
NONE_OP = NB201_OPS.index("none")


def effective_cells(
    archs: np.ndarray,
    edges: tuple[tuple[int, int], ...] = NB201_EDGES,
    none_op: int = NONE_OP,
) -> np.ndarray:
    """Each cell with every op that lies on no input-to-output path set to ``none``.

    Such an op computes something that never reaches the output (its edge starts at a
    node the input cannot reach, or ends at one that cannot reach the output, through
    non-``none`` edges), so the result is the same network: its canonical form. Edges
    must be listed in topological order of their nodes (they are, for NB201 and the
    TransNAS micro cell); vectorised over the batch."""
    archs = np.atleast_2d(np.asarray(archs, dtype=np.int64))
    live = archs != none_op
    nodes = sorted({v for e in edges for v in e})
    source, sink = nodes[0], nodes[-1]
    n = len(archs)
    reach = {v: np.full(n, v == source) for v in nodes}  # reachable from the input
    for k, (i, j) in enumerate(edges):
        reach[j] = reach[j] | (reach[i] & live[:, k])
    back = {v: np.full(n, v == sink) for v in nodes}  # reaches the output
    for k, (i, j) in reversed(list(enumerate(edges))):
        back[i] = back[i] | (back[j] & live[:, k])
    keep = np.column_stack([live[:, k] & reach[i] & back[j] for k, (i, j) in enumerate(edges)])
    return np.where(keep, archs, none_op)


class NB201Space(ProductSpace):
    default_encoding = "onehot"
    ops = NB201_OPS
    edges = NB201_EDGES

    def __init__(self) -> None:
        super().__init__("nasbench201", [len(NB201_OPS)] * len(NB201_EDGES))

    def network_codes(self, archs: np.ndarray) -> np.ndarray:
        """Code of each cell's canonical form (the 15,625 cells are 9,445 networks)."""
        return self.encode_codes(effective_cells(archs))
