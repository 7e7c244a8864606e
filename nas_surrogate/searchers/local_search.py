"""``local_search``: hill climbing over the neighbourhood, with random restarts.

``mode="first"`` moves to the first improving neighbour (neighbours in random order, or
best-predicted first with ``local_search:guided``); ``mode="best"`` queries the whole
neighbourhood (one batch: as many parallel workers as neighbours) and moves to its best.
At a local optimum it restarts from a random (or ZC-warmed-up) unqueried architecture.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.searchers.base import Proposals, Searcher
from nas_surrogate.searchers.problem import SearchProblem


class LocalSearch(Searcher):
    supports_guided = True
    #: Optuna search space for ``tune --target search`` (format: experiments/tune.py)
    TUNE_SPACE = {"mode": ("categorical", ["first", "best"])}

    def __init__(self, mode: str = "first", guided: bool = False, **common) -> None:
        super().__init__(**common)
        self.mode = mode
        self.guided = guided

    def propose(self, problem: SearchProblem, rng: np.random.Generator) -> Proposals:
        if self.mode not in ("first", "best"):
            from nas_surrogate.errors import BadInputError

            raise BadInputError("local_search mode", f"must be first or best, got {self.mode!r}")
        warm = list(self.starting_rows(problem, 1, rng)) if self.zc_warmup else []
        while True:
            start = int(warm.pop(0)) if warm else int(problem.sample(1, rng)[0])
            current, value = start, (yield np.array([start]))[0]
            improved = True
            while improved:
                improved = False
                nbrs = problem.neighbours(current)
                nbrs = nbrs[~problem.queried(nbrs)]
                if len(nbrs) == 0:
                    break
                nbrs = self._order(problem, nbrs, rng)
                best_row, best_value = current, value
                if self.mode == "best":  # the whole neighbourhood at once
                    values = yield nbrs
                    i = int(np.argmax(values))
                    if values[i] > best_value:
                        best_row, best_value = int(nbrs[i]), values[i]
                for row in nbrs if self.mode == "first" else ():
                    v = (yield np.array([row]))[0]
                    if v > best_value:
                        best_row, best_value = int(row), v
                        break
                if best_value > value:
                    current, value, improved = best_row, best_value, True

    def _order(self, problem: SearchProblem, rows: np.ndarray, rng: np.random.Generator):
        if not self.guided or not problem.n_queried:  # no result yet: no surrogate to ask
            return rng.permutation(rows)
        predictor = self.fit_predictor(problem, rng)
        return rows[np.argsort(-predictor.predict(problem.features(rows)), kind="stable")]
