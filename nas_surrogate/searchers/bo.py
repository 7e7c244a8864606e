"""``bo``: BANANAS-style Bayesian optimisation (White et al., 2021).

``init`` random (or ZC-warmed-up) queries, then each step: fit the surrogate (default a
bootstrap ensemble of XGBoost models) on all queries; candidates are ``n_mutations``
mutations of each of the ``top_k`` best queried architectures plus ``n_random`` random
unqueried ones; the acquisition picks one to query:

- ``its``: independent Thompson sampling, one draw from N(mean, std) per candidate;
- ``ei``: expected improvement over the best value so far;
- ``ucb``: mean + ``kappa`` * std.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from nas_surrogate.errors import BadInputError
from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem

ACQUISITIONS = ("its", "ei", "ucb")


class BayesOpt(Searcher):
    #: Optuna search space for ``tune --target search`` (format: experiments/tune.py)
    TUNE_SPACE = {
        "acquisition": ("categorical", list(ACQUISITIONS)),
        "init": ("int", 2, 30, True),
        "top_k": ("int", 1, 20, True),
        "n_mutations": ("int", 1, 10),
        "n_random": ("int", 0, 100),
    }

    needs_surrogate = True

    def __init__(
        self,
        acquisition: str = "its",
        init: int = 10,
        top_k: int = 10,
        n_mutations: int = 5,
        n_random: int = 50,
        kappa: float = 2.0,
        **common,
    ) -> None:
        super().__init__(**common)
        self.acquisition = acquisition
        self.init = init
        self.top_k = top_k
        self.n_mutations = n_mutations
        self.n_random = n_random
        self.kappa = kappa

    def _run(self, problem: SearchProblem, rng: np.random.Generator) -> None:
        if self.acquisition not in ACQUISITIONS:
            raise BadInputError(
                "--acquisition", f"unknown {self.acquisition!r} (use {', '.join(ACQUISITIONS)})"
            )
        for row in self.starting_rows(problem, self.init, rng):
            problem.query(row)
        while True:
            cand = self._candidates(problem, rng)
            if len(cand) == 0:
                return
            predictor = self.fit_predictor(problem, rng)
            self.check_dist(predictor, self.acquisition)
            mean, std = predictor.predict_dist(problem.features(cand))
            problem.query(cand[int(np.argmax(self._score(mean, std, problem, rng)))])

    def _candidates(self, problem: SearchProblem, rng: np.random.Generator) -> np.ndarray:
        rows, values = problem.history()
        top = rows[np.argsort(-values, kind="stable")[: self.top_k]]
        cand = {problem.mutate(int(r), rng) for r in top for _ in range(self.n_mutations)}
        cand |= {int(r) for r in problem.sample(self.n_random, rng)}
        cand.discard(None)
        return np.array(sorted(cand), dtype=int)

    def _score(self, mean, std, problem: SearchProblem, rng: np.random.Generator) -> np.ndarray:
        if self.acquisition == "its":
            return rng.normal(mean, std)
        if self.acquisition == "ucb":
            return mean + self.kappa * std
        best = max(problem.trajectory.values)
        safe = np.maximum(std, 1e-12)
        z = (mean - best) / safe
        return (mean - best) * stats.norm.cdf(z) + safe * stats.norm.pdf(z)
