"""``pareto_ls``: Pareto local search (Paquete et al., 2004).

Start from ``init`` random (or ZC-warmed-up) networks. Each step takes one unexplored
member of the current Pareto front (feasible members only, when constraints are set),
queries all of its unqueried neighbours (one batch: they need no result of each other),
and marks it explored. When every front member is explored, a random batch restarts the
walk. The front is that of every cell of the queried networks (``evaluated_points``), so a
cheaper equivalent cell of a queried network counts without a query.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.objectives import non_dominated
from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem


class ParetoLocalSearch(Searcher):
    PARAMETERS = {"init": ("int", 1)}
    multi_objective = True
    TUNE_SPACE = {"init": ("int", 1, 50, True)}

    def __init__(self, init: int = 10, **common) -> None:
        super().__init__(**common)
        self.init = init

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        state["explored"] = []  # networks (rows) whose neighbourhood was walked
        return self.starting_rows(problem, self.init, rng)

    def step(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, values, want: int
    ) -> np.ndarray:
        if problem.exhausted or not len(problem.unqueried()):
            return np.empty(0, dtype=np.int64)
        explored = state["explored"]
        ids, Y, feasible = problem.evaluated_points()
        ids, Y = ids[feasible], Y[feasible]
        front = ids[non_dominated(Y)] if len(ids) else ids
        rows = problem.row_of(front)
        todo = front[~np.isin(rows, explored)]
        batch = np.empty(0, dtype=np.int64)
        while len(todo) and not len(batch):
            pick = int(todo[rng.integers(len(todo))])
            explored.append(int(problem.row_of(np.array([pick]))[0]))
            todo = todo[todo != pick]
            nbrs = problem.neighbours(pick)
            batch = problem.distinct(nbrs[problem.unqueried_mask(nbrs)])
        if not len(batch):  # the whole front is explored: restart at random
            batch = problem.sample(max(self.init, want), rng)
        return batch
