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


#: NAS-Bench-201's own string lists the edges by their target node:
#: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` = (1,2) | (1,3) (2,3) | (1,4) (2,4) (3,4);
#: position k of that string is edge ``NB201_STRING_EDGES[k]`` of the 6-tuple
NB201_STRING_EDGES: tuple[int, ...] = (0, 1, 3, 2, 4, 5)


def parse_nb201_string(text: str) -> tuple[int, ...] | None:
    """``|nor_conv_3x3~0|+|...|`` (NAS-Bench-201, NATS-Bench, HW-NAS-Bench) -> the 6-tuple
    of op indices; None when ``text`` is not of that form (BadInputError when it is, but
    names an unknown op or the wrong node)."""
    from nas_surrogate.errors import BadInputError

    text = text.strip()
    if not text.startswith("|"):
        return None
    nodes = [n.strip("|").split("|") for n in text.split("+")]
    if [len(n) for n in nodes] != [1, 2, 3]:
        raise BadInputError(
            f"nasbench201 arch string {text!r}", "expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2|"
        )
    flat = []
    for node in nodes:
        for source, item in enumerate(node):
            op, _, src = item.partition("~")
            if op not in NB201_OPS or src != str(source):
                raise BadInputError(
                    f"nasbench201 arch string {text!r}",
                    f"{item!r}: expected OP~{source} with OP one of {', '.join(NB201_OPS)}",
                )
            flat.append(NB201_OPS.index(op))
    arch = [0] * 6
    for position, edge in enumerate(NB201_STRING_EDGES):
        arch[edge] = flat[position]
    return tuple(arch)


def format_nb201_string(arch) -> str:
    """The 6-tuple as NAS-Bench-201's own string (the inverse of ``parse_nb201_string``)."""
    ops = [NB201_OPS[int(arch[edge])] for edge in NB201_STRING_EDGES]
    return f"|{ops[0]}~0|+|{ops[1]}~0|{ops[2]}~1|+|{ops[3]}~0|{ops[4]}~1|{ops[5]}~2|"


class NB201Space(ProductSpace):
    default_encoding = "onehot"
    ops = NB201_OPS
    edges = NB201_EDGES

    def __init__(self) -> None:
        super().__init__("nasbench201", [len(NB201_OPS)] * len(NB201_EDGES))

    def parse(self, text: str) -> np.ndarray:
        """The compact 6-tuple ``(2, 2, 0, 2, 2, 2)`` or NAS-Bench-201's own string."""
        ops = parse_nb201_string(text) if isinstance(text, str) else None
        return super().parse(str(ops) if ops is not None else text)

    def network_codes(self, archs: np.ndarray) -> np.ndarray:
        """Code of each cell's canonical form (the 15,625 cells are 9,445 networks)."""
        return self.encode_codes(effective_cells(archs))
