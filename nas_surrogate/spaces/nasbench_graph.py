"""NAS-Bench-Graph: a GNN of 4 layers, a link pattern (one of 9) and one op per layer.

An architecture is ``(link_index, op0, op1, op2, op3)``. Many op/link combinations
compute the same network; the package's own canonicalisation (``Arch.check_isomorph``)
decides which form is stored, and we map every code to that form once, so mutation and
neighbours always land on a tabulated, canonical architecture.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces.base import literal
from nas_surrogate.spaces.product import ProductSpace


def _package():
    from nas_bench_graph import architecture

    return architecture


class NASBenchGraphSpace(ProductSpace):
    def __init__(self, proteins: bool = False) -> None:
        arch = _package()
        self.proteins = proteins
        self.ops = tuple(arch.gnn_list_proteins if proteins else arch.gnn_list)
        self.links = tuple(tuple(lk) for lk in arch.link_list)
        name = "nasbenchgraph_proteins" if proteins else "nasbenchgraph"
        super().__init__(name, [len(self.links)] + [len(self.ops)] * 4)

    def to_package_arch(self, arch: np.ndarray):
        return _package().Arch(list(self.links[arch[0]]), [self.ops[o] for o in arch[1:]])

    def package_hash(self, arch: np.ndarray) -> int:
        """The key the package's ``.bench`` files use for this (canonical) architecture.

        The proteins file is keyed by the full 9-op hash too (checked: all 2,021 match),
        not by the package's ``use_proteins=True`` variant.
        """
        return int(self.to_package_arch(arch).hash_arch())

    @cached_property
    def _canonical_table(self) -> np.ndarray:
        archs = self.decode_codes(np.arange(self.n_codes))
        op_index = {name: i for i, name in enumerate(self.ops)}
        link_index = {lk: i for i, lk in enumerate(self.links)}
        table = np.full(self.n_codes, -1, dtype=np.int64)
        for code, arch in enumerate(archs):
            if (arch[1:] == op_index["skip"]).all():
                continue  # the package excludes the all-skip network
            pkg = self.to_package_arch(arch)
            pkg.move_skip_op()
            pkg.equalpart_sort()
            canon = [link_index[tuple(pkg.link)]] + [op_index[o] for o in pkg.ops]
            table[code] = self.encode_codes(np.array(canon))[0]
        return table

    def canonical_codes(self, codes: np.ndarray) -> np.ndarray:
        return self._canonical_table[codes]

    def parse(self, text: str) -> np.ndarray:
        value = literal(text, self.name)
        where = f"{self.name} arch string {text!r}"
        if not (isinstance(value, (tuple, list)) and len(value) == 2):
            raise BadInputError(where, "expected ([link...], [op names...])")
        link, ops = value
        if not isinstance(link, (list, tuple)) or not isinstance(ops, (list, tuple)):
            raise BadInputError(where, "expected ([link...], [op names...])")
        if tuple(link) not in self.links:
            raise BadInputError(where, f"link pattern must be one of {list(self.links)}")
        if len(ops) != 4 or any(op not in self.ops for op in ops):
            raise BadInputError(where, f"expected 4 ops from {list(self.ops)}")
        arch = np.array([self.links.index(tuple(link))] + [self.ops.index(o) for o in ops])
        if not self.is_valid(arch)[0]:
            raise BadInputError(where, "not the canonical form of a tabulated network")
        return arch

    def format(self, arch: np.ndarray) -> str:
        return str((list(self.links[arch[0]]), [self.ops[o] for o in arch[1:]]))
