"""Search-space registry: the only list of spaces that exist."""

from __future__ import annotations

from collections.abc import Callable

from nas_surrogate.registry import Registry
from nas_surrogate.spaces.base import SearchSpace
from nas_surrogate.spaces.nasbench_graph import NASBenchGraphSpace
from nas_surrogate.spaces.nb101 import NB101Space
from nas_surrogate.spaces.nb201 import NB201Space
from nas_surrogate.spaces.nb301 import NB301Space
from nas_surrogate.spaces.transnas import TransNASMacroSpace, TransNASMicroSpace

SPACES: Registry[Callable[[], SearchSpace]] = Registry("search space")
SPACES.register("nasbench201", NB201Space)
SPACES.register("nasbench101", NB101Space)
SPACES.register("nasbench301", NB301Space)
SPACES.register("transbench101_micro", TransNASMicroSpace)
SPACES.register("transbench101_macro", TransNASMacroSpace)
SPACES.register("nasbenchgraph", NASBenchGraphSpace)
SPACES.register("nasbenchgraph_proteins", lambda: NASBenchGraphSpace(proteins=True))

_instances: dict[str, SearchSpace] = {}


def get_space(name: str) -> SearchSpace:
    """The (shared, stateless) space instance for ``name``."""
    if name not in _instances:
        _instances[name] = SPACES.get(name)()
    return _instances[name]


__all__ = ["SPACES", "SearchSpace", "get_space"]
