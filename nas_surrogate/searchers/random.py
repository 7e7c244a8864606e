"""``random``: uniform random search without repeats (the baseline every NAS paper owes).

On a table it proposes its whole budget at once; on a user ``Space`` (candidates made on
demand, ``problem.lazy``) it proposes ``CHUNK`` at a time, so an open-ended search of a
space of 10^12 configurations never draws more than it can use.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem

#: proposals per batch on a lazy problem
CHUNK = 256


class RandomSearch(Searcher):
    multi_objective = True  # proposals ignore values: the same for any objectives

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        n = min(problem.budget, problem.n)
        if getattr(problem, "lazy", False):
            n = min(n, max(CHUNK, want))
        return self.starting_rows(problem, n, rng)

    def step(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, values, want: int
    ) -> np.ndarray:
        if not getattr(problem, "lazy", False) or self.zc_warmup:
            return np.empty(0, dtype=np.int64)
        left = problem.budget - problem.n_queried - len(problem.failed)
        return problem.sample(min(max(CHUNK, want), max(left, 0)), rng)
