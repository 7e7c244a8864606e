"""LPZero's search: a steady-state genetic programme over expressions of primitive
statistics (``proxies.lpzero``), with rule-based pruning, resumable and deterministic.

The loop follows LPZero's code: a population of ``population`` valid expressions; each
iteration draws two parents uniformly from the better half, makes a child by uniform
crossover (each gene from either parent) and per-gene mutation, scores it, and lets it
replace the worst member when it is fitter and not already there. Fitness is Spearman's
rho (or Kendall's tau) between the expression's scores and the accuracies of the fitness
networks, whose primitives are computed once and kept (``PrimitiveTable``).

Pruning rules, applied in this order and each counted (``pruned``):

- ``disconnected``: both branches are dropped: nothing to score (static, no evaluation);
- ``constant``: every connected branch is a constant by construction: a whole-tensor
  operation (normalize, min_max, softmax, logsoftmax) after a reduction (static);
- ``undefined``: ``std`` of a number, NaN by definition (static);
- ``duplicate``: the expression computes what an evaluated one did (``no_op`` dropped,
  a dropped branch's contents ignored, sum and product unordered): its fitness reused;
- ``early_stop``: scored on the first ``early`` fitness networks only, it gives a NaN,
  an infinity or one value for all (LPZero's early stop): rejected without the rest;
- ``non_finite`` / ``constant_scores``: the same found on the whole fitness set.

Static rules and duplicates save a whole evaluation each, early stops the rest of one;
the seconds saved are estimated from the mean evaluation times measured in the run.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.lpzero import (
    BINARY_OPS,
    REDUCTIONS,
    UNARY_OPS,
    WHOLE_TENSOR,
    Genome,
    PrimitiveTable,
    evaluate,
)

#: LPZero's sampling weights: every unary operation alike, ``disconnect`` twice as likely
UNARY_WEIGHTS = np.array([2.0 if op == "disconnect" else 1.0 for op in UNARY_OPS])
#: LPZero's binary weights (sum 0.6, difference 0.3, product 0.05 + matmul's 0.05)
BINARY_WEIGHTS = np.array([0.6, 0.3, 0.1])
METRICS = ("spearman", "kendall")
RULES = (
    "disconnected",
    "constant",
    "undefined",
    "duplicate",
    "early_stop",
    "non_finite",
    "constant_scores",
)
BAD = -math.inf
N_UNARY = 2  # LPZero's chain length per branch


@dataclass
class GPSettings:
    """The search's settings (LPZero's defaults)."""

    population: int = 80
    iterations: int = 1000
    metric: str = "spearman"
    seed: int = 0
    early: int = 10
    mutation: float = 1 / 7  # per gene: two inputs, four unary operations, one binary

    def validate(self, n_fitness: int) -> None:
        if self.metric not in METRICS:
            raise BadInputError(f"--metric {self.metric}", f"use one of {', '.join(METRICS)}")
        if not 2 <= self.population <= 10_000:
            raise BadInputError(f"--population {self.population}", "must be in [2, 10000]")
        if not 0 <= self.iterations <= 1_000_000:
            raise BadInputError(f"--iterations {self.iterations}", "must be in [0, 1000000]")
        if n_fitness < 10:
            raise BadInputError("fitness set", f"needs at least 10 networks, has {n_fitness}")


def random_genome(rng: np.random.Generator, inputs: tuple[str, ...]) -> Genome:
    p = UNARY_WEIGHTS / UNARY_WEIGHTS.sum()
    ins = tuple(str(inputs[i]) for i in rng.integers(0, len(inputs), 2))
    chains = tuple(
        tuple(str(UNARY_OPS[i]) for i in rng.choice(len(UNARY_OPS), N_UNARY, p=p)) for _ in range(2)
    )
    binary = str(BINARY_OPS[rng.choice(len(BINARY_OPS), p=BINARY_WEIGHTS)])
    return Genome(ins, chains, binary)  # type: ignore[arg-type]


def _genes(g: Genome) -> list[str]:
    return [*g.inputs, *g.unary[0], *g.unary[1], g.binary]


def _from_genes(genes: list[str]) -> Genome:
    k = N_UNARY
    return Genome(
        (genes[0], genes[1]),
        (tuple(genes[2 : 2 + k]), tuple(genes[2 + k : 2 + 2 * k])),
        genes[2 + 2 * k],
    )


def crossover(rng: np.random.Generator, a: Genome, b: Genome) -> Genome:
    """Uniform crossover: each gene from either parent with probability 1/2."""
    ga, gb = _genes(a), _genes(b)
    take = rng.random(len(ga)) < 0.5
    return _from_genes([x if t else y for x, y, t in zip(ga, gb, take)])


def mutate(rng: np.random.Generator, g: Genome, inputs: tuple[str, ...], rate: float) -> Genome:
    """Each gene redrawn from its alphabet with probability ``rate``."""
    genes = _genes(g)
    fresh = _genes(random_genome(rng, inputs))
    hit = rng.random(len(genes)) < rate
    return _from_genes([f if h else x for x, f, h in zip(genes, fresh, hit)])


def static_rule(g: Genome) -> str | None:
    """The pruning rule that rejects ``g`` without evaluating it, if any."""
    live = [b for b in (0, 1) if g.branch_connected(b)]
    if not live:
        return "disconnected"
    constant, undefined = [], False
    for b in live:
        reduced = is_constant = False
        for op in g.unary[b]:
            if reduced and op in WHOLE_TENSOR:
                is_constant = True
            if reduced and op == "std" and not is_constant:
                undefined = True
            reduced = reduced or op in REDUCTIONS
        constant.append(is_constant)
    if undefined:
        return "undefined"
    return "constant" if all(constant) else None


def correlation(scores: np.ndarray, target: np.ndarray, metric: str) -> float:
    if metric == "kendall":
        return float(stats.kendalltau(scores, target).statistic)
    return float(stats.spearmanr(scores, target).statistic)


def _usable(scores: np.ndarray) -> str | None:
    if not np.isfinite(scores).all():
        return "non_finite"
    return "constant_scores" if np.ptp(scores) <= 1e-12 * max(1.0, np.abs(scores).max()) else None


def _finite(fitness: float) -> float | None:
    return fitness if math.isfinite(fitness) else None


def _fitness(value: object) -> float:
    """A stored fitness: null is a rejected expression (-inf)."""
    return BAD if value is None else float(value)  # type: ignore[arg-type]


@dataclass
class SearchState:
    """Everything a search needs to resume where it stopped (JSON: ``to_dict``)."""

    iteration: int = 0
    population: list[tuple[Genome, float]] = field(default_factory=list)
    cache: dict[str, float] = field(default_factory=dict)
    pruned: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    evaluated: int = 0
    rng_state: dict | None = None
    eval_seconds: float = 0.0
    early_seconds: float = 0.0
    early_evaluated: int = 0
    seconds: float = 0.0
    history: list[float] = field(default_factory=list)  # best fitness per checkpoint

    def to_dict(self) -> dict:
        """JSON-ready: a rejected expression's fitness (-inf) is written as null, which
        strict JSON writers (``io.write_json_atomic``) would otherwise make of it."""
        return {
            "iteration": self.iteration,
            "population": [[g.to_dict(), _finite(f)] for g, f in self.population],
            "cache": {k: _finite(v) for k, v in self.cache.items()},
            "pruned": self.pruned,
            "evaluated": self.evaluated,
            "rng_state": self.rng_state,
            "eval_seconds": self.eval_seconds,
            "early_seconds": self.early_seconds,
            "early_evaluated": self.early_evaluated,
            "seconds": self.seconds,
            "history": self.history,
        }

    @classmethod
    def from_dict(cls, doc: dict, where: str) -> SearchState:
        try:
            return cls(
                iteration=int(doc["iteration"]),
                population=[
                    (Genome.from_dict(g, where), _fitness(f)) for g, f in doc["population"]
                ],
                cache={str(k): _fitness(v) for k, v in doc["cache"].items()},
                pruned={r: int(doc["pruned"].get(r, 0)) for r in RULES},
                evaluated=int(doc["evaluated"]),
                rng_state=dict(doc["rng_state"]),
                eval_seconds=float(doc["eval_seconds"]),
                early_seconds=float(doc["early_seconds"]),
                early_evaluated=int(doc["early_evaluated"]),
                seconds=float(doc["seconds"]),
                history=[float(h) for h in doc["history"]],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise BadInputError(where, f"not a search state ({type(e).__name__}: {e})") from None


class LPZeroSearch:
    """The search over one fitness set: ``run(state, save)`` (``save(state)`` is called
    at every checkpoint, so a killed search resumes from its last one)."""

    def __init__(self, table: PrimitiveTable, accuracy: np.ndarray, settings: GPSettings) -> None:
        settings.validate(table.n)
        self.table, self.settings = table, settings
        self.accuracy = np.asarray(accuracy, dtype=float)
        if len(self.accuracy) != table.n or not np.isfinite(self.accuracy).all():
            raise BadInputError("fitness set", "every network needs a finite accuracy")
        if np.ptp(self.accuracy) == 0:
            raise BadInputError("fitness set", "accuracies are constant: nothing to rank")
        self.inputs = tuple(n for n in table.names if (table.flat[n].layers > 0).all())
        head = list(range(min(settings.early, table.n)))
        self.early = table.subset(head) if len(head) < table.n else None

    def fitness(self, g: Genome, state: SearchState) -> float:
        """Fitness of ``g`` after the pruning rules (``BAD`` when rejected)."""
        rule = static_rule(g)
        if rule is None and g.canonical() in state.cache:
            rule = "duplicate"
        if rule is not None:
            state.pruned[rule] += 1
            return state.cache.get(g.canonical(), BAD) if rule == "duplicate" else BAD
        if self.early is not None:
            t = time.perf_counter()
            head = evaluate(g, self.early)
            state.early_seconds += time.perf_counter() - t
            state.early_evaluated += 1
            if _usable(head) is not None:
                state.pruned["early_stop"] += 1
                state.cache[g.canonical()] = BAD
                return BAD
        t = time.perf_counter()
        scores = evaluate(g, self.table)
        why = _usable(scores)
        fit = BAD if why else correlation(scores, self.accuracy, self.settings.metric)
        state.eval_seconds += time.perf_counter() - t
        state.evaluated += 1
        if why:
            state.pruned[why] += 1
        fit = fit if math.isfinite(fit) else BAD
        state.cache[g.canonical()] = fit
        return fit

    def _initial(self, rng: np.random.Generator, state: SearchState) -> None:
        seen: set[str] = set()
        tries = 0
        while len(state.population) < self.settings.population:
            tries += 1
            if tries > 200 * self.settings.population:
                raise BadInputError(
                    "fitness set",
                    f"only {len(state.population)} of {self.settings.population} "
                    "random expressions score it (the primitives are degenerate)",
                )
            g = random_genome(rng, self.inputs)
            fit = self.fitness(g, state)
            if fit > BAD and g.canonical() not in seen:
                seen.add(g.canonical())
                state.population.append((g, fit))

    def step(self, rng: np.random.Generator, state: SearchState) -> None:
        pop = sorted(state.population, key=lambda p: -p[1])
        half = pop[: max(2, len(pop) // 2)]
        i, j = rng.integers(0, len(half), 2)
        child = mutate(
            rng, crossover(rng, half[i][0], half[j][0]), self.inputs, self.settings.mutation
        )
        fit = self.fitness(child, state)
        members = {g.canonical() for g, _ in pop}
        if fit > pop[-1][1] and child.canonical() not in members:
            pop[-1] = (child, fit)
        state.population = pop
        state.iteration += 1

    def run(self, state: SearchState | None = None, save=None, every: int = 50) -> SearchState:
        state = state or SearchState()
        rng = np.random.default_rng(self.settings.seed)
        if state.rng_state is not None:
            rng.bit_generator.state = state.rng_state
        t = time.perf_counter()
        if not state.population:
            self._initial(rng, state)
        while state.iteration < self.settings.iterations:
            self.step(rng, state)
            if state.iteration % every == 0 or state.iteration == self.settings.iterations:
                state.rng_state = rng.bit_generator.state
                state.seconds += time.perf_counter() - t
                t = time.perf_counter()
                state.history.append(max(f for _, f in state.population))
                if save is not None:
                    save(state)
        state.rng_state = rng.bit_generator.state
        state.seconds += time.perf_counter() - t
        return state

    @staticmethod
    def best(state: SearchState) -> tuple[Genome, float]:
        return max(state.population, key=lambda p: p[1])

    def seconds_saved(self, state: SearchState) -> dict[str, float]:
        """Estimated seconds each rule saved (mean evaluation times of this run)."""
        full = state.eval_seconds / max(state.evaluated, 1)
        early = state.early_seconds / max(state.early_evaluated, 1)
        saved = {
            r: state.pruned[r] * (full + early)
            for r in ("disconnected", "constant", "undefined", "duplicate")
        }
        saved["early_stop"] = state.pruned["early_stop"] * max(full - early, 0.0)
        return saved


__all__ = ["GPSettings", "LPZeroSearch", "SearchState", "correlation", "static_rule"]
