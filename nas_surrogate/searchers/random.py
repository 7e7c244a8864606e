"""``random``: uniform random search without repeats (the baseline every NAS paper owes)."""

from __future__ import annotations

import numpy as np

from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem


class RandomSearch(Searcher):
    multi_objective = True  # proposals ignore values: the same for any objectives

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        return self.starting_rows(problem, min(problem.budget, problem.n), rng)
