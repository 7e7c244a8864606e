"""NAS-Bench-201 cell: 6 edges, 5 ops, all 15,625 cells valid.

Edge order (1,2) (1,3) (1,4) (2,3) (2,4) (3,4); op indices as in NASLib and in the
NAS-Bench-Suite-Zero arch strings.
"""

from __future__ import annotations

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


class NB201Space(ProductSpace):
    default_encoding = "onehot"
    ops = NB201_OPS
    edges = NB201_EDGES

    def __init__(self) -> None:
        super().__init__("nasbench201", [len(NB201_OPS)] * len(NB201_EDGES))
