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

from nas_surrogate.searchers.base import Proposals, Searcher
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

    def propose(self, problem: SearchProblem, rng: np.random.Generator) -> Proposals:
        if self.objective:
            yield from self._propose_training_free(problem, rng)
            return
        start = self.starting_rows(problem, self.population, rng)
        values = yield start
        pop: deque[tuple[int, float]] = deque(zip(start.tolist(), values))
        while True:
            # one child per wanted proposal, each from its own tournament (asynchronous
            # evolution with parallel workers); one at a time in the benchmark loop
            children = []
            for _ in range(max(1, problem.want)):
                idx = rng.choice(len(pop), size=min(self.sample_size, len(pop)), replace=False)
                parent = max((pop[i] for i in idx), key=lambda rv: rv[1])[0]
                children.append(self._child(problem, parent, rng))
            children = problem.distinct(np.array(children, dtype=np.int64))
            values = yield children
            for child, value in zip(children.tolist(), values):
                pop.append((child, value))
                if len(pop) > self.population:
                    pop.popleft()

    def _propose_training_free(self, problem: SearchProblem, rng: np.random.Generator) -> Proposals:
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
        yield problem.distinct(np.array(ranked, dtype=np.int64))  # one cell per network
        yield problem.sample(problem.budget, rng)  # the visited set is smaller than the budget

    def _child(self, problem: SearchProblem, parent: int, rng: np.random.Generator) -> int:
        if not self.guided:
            child = problem.mutate(parent, rng)
            return child if child is not None else int(problem.sample(1, rng)[0])
        children = {problem.mutate(parent, rng) for _ in range(self.n_children)} - {None}
        if not children:
            return int(problem.sample(1, rng)[0])
        cand = np.array(sorted(children))
        if not problem.n_queried:  # every evaluation failed so far: no surrogate to ask
            return int(rng.choice(cand))
        predictor = self.fit_predictor(problem, rng)
        return int(cand[np.argmax(predictor.predict(problem.features(cand)))])
