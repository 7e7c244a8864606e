"""``local_search``: hill climbing over the neighbourhood, with random restarts.

``mode="first"`` moves to the first improving neighbour (neighbours in random order, or
best-predicted first with ``local_search:guided``); ``mode="best"`` queries the whole
neighbourhood (one batch: as many parallel workers as neighbours) and moves to its best.
At a local optimum it restarts from a random (or ZC-warmed-up) unqueried architecture.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem


class LocalSearch(Searcher):
    PARAMETERS = {"mode": ("choice", ("first", "best")), "guided": ("bool",)}
    supports_guided = True
    #: Optuna search space for ``tune --target search`` (format: experiments/tune.py)
    TUNE_SPACE = {"mode": ("categorical", ["first", "best"])}

    def __init__(self, mode: str = "first", guided: bool = False, **common) -> None:
        super().__init__(**common)
        self.mode = mode
        self.guided = guided

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        state["warm"] = self.starting_rows(problem, 1, rng).tolist() if self.zc_warmup else []
        return self._restart(problem, rng, state)

    def step(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, values, want: int
    ) -> np.ndarray:
        """``state``: ``at`` (what the batch was: a start, a whole neighbourhood, one
        neighbour), ``current`` and ``value`` (where the walk stands) and, in first mode,
        ``rest`` (the neighbours not tried yet, in order)."""
        batch, at = state["batch"], state["at"]
        if at == "start":
            state.update(current=int(batch[0]), value=float(values[0]))
            return self._climb(problem, rng, state)
        if at == "best":
            i = int(np.argmax(values))
            if values[i] > state["value"]:
                state.update(current=int(batch[i]), value=float(values[i]))
                return self._climb(problem, rng, state)
            return self._restart(problem, rng, state)
        if values[0] > state["value"]:  # first mode: the first improving neighbour
            state.update(current=int(batch[0]), value=float(values[0]))
            return self._climb(problem, rng, state)
        if state["rest"]:
            return np.array([state["rest"].pop(0)])
        return self._restart(problem, rng, state)

    def _restart(self, problem: SearchProblem, rng: np.random.Generator, state: dict):
        warm = state["warm"]
        state["at"] = "start"
        return np.array([int(warm.pop(0)) if warm else int(problem.sample(1, rng)[0])])

    def _climb(self, problem: SearchProblem, rng: np.random.Generator, state: dict):
        """The neighbourhood of the current point, or a restart at a local optimum."""
        nbrs = problem.neighbours(state["current"])
        nbrs = nbrs[~problem.queried(nbrs)]
        if len(nbrs) == 0:
            return self._restart(problem, rng, state)
        nbrs = self._order(problem, nbrs, rng)
        if self.mode == "best":  # the whole neighbourhood at once
            state["at"] = "best"
            return nbrs
        state.update(at="neighbour", rest=[int(r) for r in nbrs[1:]])
        return nbrs[:1]

    def _order(self, problem: SearchProblem, rows: np.ndarray, rng: np.random.Generator):
        if not self.guided or not problem.n_queried:  # no result yet: no surrogate to ask
            return rng.permutation(rows)
        predictor = self.fit_predictor(problem, rng)
        return rows[np.argsort(-predictor.predict(problem.features(rows)), kind="stable")]
