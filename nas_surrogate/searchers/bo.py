"""``bo``: BANANAS-style Bayesian optimisation (White et al., 2021).

``init`` random (or ZC-warmed-up) queries, then each step: fit the surrogate (default a
bootstrap ensemble of XGBoost models) on all queries; candidates are ``n_mutations``
mutations of each of the ``top_k`` best queried architectures plus ``n_random`` random
unqueried ones (``candidates="mutation"``), or every unqueried network of the table
(``candidates="all"``: a 9,445-network table is cheap to score; on a table of more than
``MAX_POOL`` networks it falls back to mutation); the acquisition picks the ``batch`` best
to query before the next fit (``batch`` > 1: fewer fits, proposals for parallel workers;
an ``ask(k)`` for more than ``batch`` gets the ``k`` best):

- ``its``: independent Thompson sampling, one draw from N(mean, std) per candidate;
- ``ei``: expected improvement over the best value so far;
- ``ucb``: mean + ``kappa`` * std.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from nas_surrogate.config import ACQUISITIONS
from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem

CANDIDATES = ("mutation", "all")
#: largest table scored whole by ``candidates="all"``
MAX_POOL = 100_000


class BayesOpt(Searcher):
    PARAMETERS = {
        "acquisition": ("choice", ACQUISITIONS),
        "init": ("int", 1),
        "top_k": ("int", 1),
        "n_mutations": ("int", 1),
        "n_random": ("int", 0),
        "kappa": ("float", 0.0),
        "candidates": ("choice", CANDIDATES),
        "batch": ("int", 1),
    }
    #: Optuna search space for ``tune --target search`` (format: experiments/tune.py)
    TUNE_SPACE = {
        "acquisition": ("categorical", list(ACQUISITIONS)),
        "init": ("int", 2, 30, True),
        "top_k": ("int", 1, 20, True),
        "n_mutations": ("int", 1, 10),
        "n_random": ("int", 0, 100),
        "candidates": ("categorical", list(CANDIDATES)),
        "batch": ("int", 1, 20, True),
    }

    needs_surrogate = True
    needs_dist = True

    def __init__(
        self,
        acquisition: str = "its",
        init: int = 10,
        top_k: int = 10,
        n_mutations: int = 5,
        n_random: int = 50,
        kappa: float = 2.0,
        candidates: str = "mutation",
        batch: int = 5,
        **common,
    ) -> None:
        super().__init__(**common)
        self.acquisition = acquisition
        self.init = init
        self.top_k = top_k
        self.n_mutations = n_mutations
        self.n_random = n_random
        self.kappa = kappa
        self.candidates = candidates
        self.batch = batch

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        return self.starting_rows(problem, self.init, rng)

    def step(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, values, want: int
    ) -> np.ndarray:
        """Values are read in the problem's history: bo carries nothing between steps."""
        if not problem.n_queried:  # every evaluation so far failed: nothing to fit on
            return problem.sample(max(self.batch, want), rng)
        cand = self._candidates(problem, rng)
        if len(cand) == 0:
            return cand
        return self._best(problem, rng, self.fit_predictor(problem, rng), cand,
                          max(self.batch, want))  # fmt: skip

    def more(self, problem: SearchProblem, rng: np.random.Generator, state: dict, n: int):
        """Kriging believer: the surrogate refit as if each pending network scored its
        predicted mean, so the acquisition moves away from what is in flight. With live
        proxies it scores only networks whose proxies are known: a free worker should
        not wait for new proxy scores."""
        if not problem.n_queried or state.get("batch") is None:
            return None
        cand = problem.affordable(self._candidates(problem, rng), new=0)
        if not len(cand):
            return None
        predictor = self.fit_predictor(problem, rng)
        pending = problem.affordable(problem.pending(), new=0)
        if len(pending):
            believed = predictor.predict(problem.features(pending))
            predictor = self.fit_predictor(problem, rng, believed=(pending, believed))
        return self._best(problem, rng, predictor, cand, n)

    def _best(self, problem: SearchProblem, rng, predictor, cand: np.ndarray, n: int):
        """The ``n`` candidates the acquisition ranks highest under ``predictor``."""
        mean, std = predictor.predict_dist(problem.features(cand))
        return cand[np.argsort(-self._score(mean, std, problem, rng), kind="stable")[:n]]

    def _candidates(self, problem: SearchProblem, rng: np.random.Generator) -> np.ndarray:
        if self.candidates == "all" and problem.n <= MAX_POOL:
            ids = problem.network_ids
            return ids[~problem.queried(ids)]
        rows, values = problem.history()
        top = rows[np.argsort(-values, kind="stable")[: self.top_k]]
        mutants = {problem.mutate(int(r), rng) for r in top for _ in range(self.n_mutations)}
        mutants.discard(None)
        cand = mutants | {int(r) for r in problem.sample(self.n_random, rng)}
        cand = problem.distinct(np.array(sorted(cand), dtype=int))
        # live proxies: score what the proxy allowance covers, mutants of the best first
        return problem.affordable(cand, first=np.array(sorted(mutants), dtype=int))

    def _score(self, mean, std, problem: SearchProblem, rng: np.random.Generator) -> np.ndarray:
        if self.acquisition == "its":
            return rng.normal(mean, std)
        if self.acquisition == "ucb":
            return mean + self.kappa * std
        best = max(problem.trajectory.values)
        safe = np.maximum(std, 1e-12)
        z = (mean - best) / safe
        return (mean - best) * stats.norm.cdf(z) + safe * stats.norm.pdf(z)
