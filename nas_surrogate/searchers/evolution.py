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
    PARAMETERS = {
        "population": ("int", 1),
        "sample_size": ("int", 1),
        "guided": ("bool",),
        "n_children": ("int", 1),
        "objective": ("str?",),
        "proxy_steps": ("int", 0),
    }
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

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        if self.objective:
            state["at"] = "ranked"
            return self._training_free(problem, rng)
        state["at"] = "population"
        return self.starting_rows(problem, self.population, rng)

    def step(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, values, want: int
    ) -> np.ndarray:
        if self.objective:  # the visited set is smaller than the budget: random after it
            if state["at"] == "ranked":
                state["at"] = "random"
                return problem.sample(problem.budget, rng)
            return np.empty(0, dtype=np.int64)
        # state["pop"]: [id, value] of each member, oldest first
        told = [[int(i), float(v)] for i, v in zip(state["batch"], values)]
        pop = told if state["at"] == "population" else (state["pop"] + told)[-self.population :]
        state.update(at="children", pop=pop)
        # one child per wanted proposal, each from its own tournament (asynchronous
        # evolution with parallel workers); one at a time in the benchmark loop
        return self._children(problem, pop, max(1, want), rng)

    def more(self, problem: SearchProblem, rng: np.random.Generator, state: dict, n: int):
        """Asynchronous evolution: a free worker gets a child of a new tournament on the
        current population (pending children are not in it yet, and never proposed)."""
        if self.objective or state.get("at") != "children":
            return None
        return self._children(problem, state["pop"], n, rng)

    def _children(self, problem: SearchProblem, pop: list, n: int, rng) -> np.ndarray:
        """One child per tournament of ``sample_size`` members of ``pop``."""
        children = []
        for _ in range(n):
            idx = rng.choice(len(pop), size=min(self.sample_size, len(pop)), replace=False)
            parent = max((pop[i] for i in idx), key=lambda rv: rv[1])[0]
            children.append(self._child(problem, parent, rng))
        return problem.distinct(np.array(children, dtype=np.int64))

    def _training_free(self, problem: SearchProblem, rng: np.random.Generator) -> np.ndarray:
        """Aging evolution on the proxy's score; the visited networks, best-proxy first."""
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
        return problem.distinct(np.array(ranked, dtype=np.int64))  # one cell per network

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
