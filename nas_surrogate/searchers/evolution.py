"""``evolution``: regularised (aging) evolution, Real et al. (2019).

A population of ``population`` random (or ZC-warmed-up) architectures; each step, the
best of ``sample_size`` random members is the parent, its mutation is queried, joins
the population, and the oldest member leaves. ``evolution:guided`` (predictor-guided
evolution) mutates the parent ``n_children`` times, scores the children with the
surrogate fit on all queries so far, and queries only the best-predicted child.

``objective=PROXY`` (a proxy name, ``vote`` or ``evolved:FILE``) makes it training-free:
the same aging evolution runs ``proxy_steps`` steps on the proxy's score instead of
accuracy (paying only proxy seconds), and the query budget then trains the visited
architectures best-proxy-first.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem


class Evolution(Searcher):
    supports_guided = True
    #: Optuna search space for ``tune --target search`` (format: experiments/tune.py)
    TUNE_SPACE = {
        "population": ("int", 5, 100, True),
        "sample_size": ("int", 2, 25, True),
    }

    def __init__(
        self,
        population: int = 20,
        sample_size: int = 5,
        guided: bool = False,
        n_children: int = 10,
        objective: str | None = None,
        proxy_steps: int = 1000,
        **common,
    ) -> None:
        super().__init__(**common)
        self.population = population
        self.sample_size = sample_size
        self.guided = guided
        self.n_children = n_children
        self.objective = objective
        self.proxy_steps = proxy_steps

    def _run(self, problem: SearchProblem, rng: np.random.Generator) -> None:
        if self.objective:
            self._run_training_free(problem, rng)
            return
        pop: deque[tuple[int, float]] = deque()
        for row in self.starting_rows(problem, self.population, rng):
            pop.append((int(row), problem.query(row)))
        while True:
            idx = rng.choice(len(pop), size=min(self.sample_size, len(pop)), replace=False)
            parent = max((pop[i] for i in idx), key=lambda rv: rv[1])[0]
            child = self._child(problem, parent, rng)
            pop.append((child, problem.query(child)))
            if len(pop) > self.population:
                pop.popleft()

    def _run_training_free(self, problem: SearchProblem, rng: np.random.Generator) -> None:
        objective = str(self.objective)

        def score(row: int) -> float:
            return float(problem.proxy_scores(np.array([row]), objective)[0])

        start = self.starting_rows(problem, self.population, rng)
        pop: deque[tuple[int, float]] = deque((int(r), score(r)) for r in start)
        seen = {r: v for r, v in pop}
        for _ in range(self.proxy_steps):
            idx = rng.choice(len(pop), size=min(self.sample_size, len(pop)), replace=False)
            parent = max((pop[i] for i in idx), key=lambda rv: rv[1])[0]
            nbrs = problem.neighbours(parent)
            child = int(rng.choice(nbrs)) if len(nbrs) else int(problem.sample(1, rng)[0])
            seen.setdefault(child, score(child))
            pop.append((child, seen[child]))
            if len(pop) > self.population:
                pop.popleft()
        ranked = sorted(seen, key=lambda r: -seen[r])
        for row in problem.distinct(np.array(ranked, dtype=np.int64)):  # one cell per network
            problem.query(row)
        for row in problem.sample(problem.budget, rng):  # visited set smaller than budget
            problem.query(row)

    def _child(self, problem: SearchProblem, parent: int, rng: np.random.Generator) -> int:
        if not self.guided:
            child = problem.mutate(parent, rng)
            return child if child is not None else int(problem.sample(1, rng)[0])
        children = {problem.mutate(parent, rng) for _ in range(self.n_children)} - {None}
        if not children:
            return int(problem.sample(1, rng)[0])
        cand = np.array(sorted(children))
        predictor = self.fit_predictor(problem, rng)
        return int(cand[np.argmax(predictor.predict(problem.features(cand)))])
