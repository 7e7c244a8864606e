"""``nsga2``: NSGA-II-style evolution for several objectives (Deb et al., 2002).

A population of ``population`` random (or ZC-warmed-up) networks; each generation breeds
``population`` children, each from two binary tournaments (lower non-domination rank,
then larger crowding distance), a uniform crossover of the parents' cells (with
probability ``crossover``; on tables, where a crossover child is rarely tabulated, the
first parent) and one single-edit mutation (always when the child is already queried or
breaks a known constraint, else with probability ``mutation``). Parents and children
are then cut back to ``population`` by rank and crowding. Evaluated constraints follow
Deb's rule: a feasible network beats an infeasible one. Known constraints never cost a
query: infeasible cells are not candidates at all.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.objectives import crowding_distance, pareto_ranks
from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem


def rank_and_crowding(Y: np.ndarray, feasible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rank, crowding) of each member: fronts of the feasible members first, then the
    infeasible ones' fronts after them."""
    rank = np.zeros(len(Y), dtype=np.int64)
    crowd = np.zeros(len(Y))
    offset = 0
    for group in (np.flatnonzero(feasible), np.flatnonzero(~feasible)):
        if not len(group):
            continue
        r = pareto_ranks(Y[group])
        rank[group] = r + offset
        for k in np.unique(r):
            members = group[r == k]
            crowd[members] = crowding_distance(Y[members])
        offset += int(r.max()) + 1
    return rank, crowd


class NSGA2(Searcher):
    PARAMETERS = {
        "population": ("int", 2),
        "crossover": ("float", 0.0, 1.0),
        "mutation": ("float", 0.0, 1.0),
    }
    multi_objective = True
    TUNE_SPACE = {
        "population": ("int", 4, 100, True),
        "crossover": ("float", 0.0, 1.0),
        "mutation": ("float", 0.0, 1.0),
    }

    def __init__(
        self, population: int = 20, crossover: float = 0.9, mutation: float = 0.5, **common
    ) -> None:
        super().__init__(**common)
        self.population = population
        self.crossover = crossover
        self.mutation = mutation

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        state["at"] = "population"
        return self.starting_rows(problem, self.population, rng)

    def step(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, values, want: int
    ) -> np.ndarray:
        """``state``: ``at`` (the batch was a population or its children) and, with
        children, ``pop`` / ``vals`` (the parents and their evaluated values)."""
        batch = np.asarray(state["batch"], dtype=np.int64)
        vals = np.asarray(values, dtype=float).reshape(len(batch), -1)
        if state["at"] == "population":
            pop = batch
        else:  # parents and children, cut back to ``population`` by rank and crowding
            width = vals.shape[1]
            parents = np.asarray(state["vals"], dtype=float).reshape(-1, width)
            pop = np.concatenate([np.asarray(state["pop"], dtype=np.int64), batch])
            vals = np.vstack([parents, vals])
            ok = np.all(np.isfinite(vals), axis=1)
            pop, vals = pop[ok], vals[ok]
            rank, crowd = rank_and_crowding(*problem.points(pop, vals))
            keep = np.lexsort((-crowd, rank))[: self.population]
            pop, vals = pop[keep], vals[keep]
        ok = np.all(np.isfinite(vals), axis=1)  # failed evaluations leave
        pop, vals = pop[ok], vals[ok]
        if not len(pop):
            state["at"] = "population"
            return problem.sample(self.population, rng)
        rank, crowd = rank_and_crowding(*problem.points(pop, vals))
        children = self._children(problem, pop, rank, crowd, rng, max(self.population, want))
        state.update(at="children", pop=pop.tolist(), vals=vals.tolist())
        return children

    def _children(self, problem, pop, rank, crowd, rng, n: int) -> np.ndarray:
        """``n`` distinct children of binary tournaments (random ones if none breeds)."""

        def tournament() -> int:
            a, b = rng.integers(len(pop), size=2)
            if (rank[a], -crowd[a]) <= (rank[b], -crowd[b]):
                return int(pop[a])
            return int(pop[b])

        out: list[int] = []
        rows: set[int] = set()
        for _ in range(n * 4):
            if len(out) >= n:
                break
            child = self._breed(problem, tournament(), tournament(), rng)
            if child is None:
                continue
            row = int(problem.row_of(np.array([child]))[0])
            if row not in rows:
                rows.add(row)
                out.append(child)
        if not out:
            return problem.sample(n, rng)
        return np.array(out, dtype=np.int64)

    def _breed(self, problem: SearchProblem, a: int, b: int, rng) -> int | None:
        child = a
        if problem.bench.full_space and rng.random() < self.crossover:
            cells = problem.cells
            mask = rng.random(cells.shape[1]) < 0.5
            arch = np.where(mask, cells[a], cells[b])
            cid = int(problem.ids_of(arch[None])[0])
            if cid >= 0:
                child = cid
        free = problem.unqueried_mask(np.array([child]))[0]
        if free and rng.random() >= self.mutation:
            return child
        mutant = problem.mutate(child, rng)
        if mutant is None and not free:
            mutant = problem.mutate(a, rng)
        return mutant if mutant is not None else (child if free else None)
