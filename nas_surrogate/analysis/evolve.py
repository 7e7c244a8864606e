"""Evolving a training-free proxy from the hand-crafted ones (genetic programming).

Expression trees over the task's proxies (rank-normalised to [0, 1] over all archs of
the task, which needs no labels; a missing score counts as 0.5) with configurable
operators: add, sub, mul, protected div, log|x|, sqrt|x|, abs, neg, min, max. DEAP
supplies the GP machinery (trees, ramped half-and-half, one-point crossover, uniform
subtree mutation, tournament selection, height limits). Fitness is Kendall tau between
the expression and accuracy on ``sample`` archs (the only labels the run sees), minus
``parsimony`` per node, as in the symbolic-regression proxy searches (Phan & Luong).

Rule-based pruning runs before fitness (the LPZero idea), and each rule is counted:

- ``redundant``: a tree with x - x, x / x, min(x, x), max(x, x), neg(neg(x)),
  abs(abs(x)) or abs(neg(x)) anywhere (syntactic, no evaluation);
- ``duplicate``: the same expression text was already evaluated (its fitness is reused);
- ``non_finite``: NaN or inf on the sample;
- ``constant``: fewer than 3 distinct values on the sample.

Pruned expressions get fitness -1 (duplicates their cached fitness) without computing
tau. The time saved is estimated as the pruned count times the mean cost of a full
evaluation measured in the same run.
"""

from __future__ import annotations

import operator
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.deprecation import renamed
from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.evolved import (
    OPERATORS,
    PRIMITIVES,
    EvolvedProxy,
    Node,
    evaluate_nodes,
    format_nodes,
    rank_terminals,
)

BAD_FITNESS = -1.0


def primitive_set(terminals: list[str], ops: list[str]):
    from deap import gp

    unknown = [o for o in ops if o not in PRIMITIVES]
    if unknown:
        raise BadInputError(f"--ops {unknown[0]}", f"unknown operator (use {', '.join(OPERATORS)})")
    pset = gp.PrimitiveSet("PROXY", len(terminals))
    pset.renameArguments(**{f"ARG{i}": name for i, name in enumerate(terminals)})
    for name in ops:
        fn, arity = PRIMITIVES[name]
        pset.addPrimitive(fn, arity, name=name)
    return pset


_DEAP_LOCK = threading.Lock()


@contextmanager
def own_deap_generator(seed: int) -> Iterator[None]:
    """Run DEAP on a ``random.Random(seed)`` of this run's own.

    DEAP's modules call the process-wide ``random`` functions. For the duration of one
    GP run they are pointed at a private generator (same sequence as ``random.seed``),
    under a lock, so concurrent runs in one process (dask's threaded workers) neither
    share nor disturb a generator, and nobody else's ``random`` state is touched."""
    import deap.algorithms
    import deap.gp
    import deap.tools.crossover
    import deap.tools.mutation
    import deap.tools.selection

    modules = (deap.algorithms, deap.gp, deap.tools.crossover, deap.tools.mutation,
               deap.tools.selection)  # fmt: skip
    with _DEAP_LOCK:
        saved = [m.random for m in modules]
        generator = random.Random(seed)
        for m in modules:
            m.random = generator
        try:
            yield
        finally:
            for m, original in zip(modules, saved):
                m.random = original


def deap_nodes(tree) -> list[Node]:
    """A DEAP tree as the prefix node list of ``proxies.evolved`` (no text, no compile)."""
    from deap import gp

    return [
        ("op", node.name, node.arity) if isinstance(node, gp.Primitive) else ("term", node.value, 0)
        for node in tree
    ]


def _subtree_end(nodes: list[Node], i: int) -> int:
    need = 1
    while need:
        need += nodes[i][2] - 1
        i += 1
    return i


def redundant(nodes: list[Node]) -> bool:
    """x-x, x/x, min(x,x), max(x,x), neg(neg(x)), abs(abs(x)), abs(neg(x)) anywhere."""
    for i, (_, name, arity) in enumerate(nodes):
        if arity == 2 and name in ("sub", "div", "min", "max"):
            mid = _subtree_end(nodes, i + 1)
            if nodes[i + 1 : mid] == nodes[mid : _subtree_end(nodes, mid)]:
                return True
        pair = (name, nodes[i + 1][1] if i + 1 < len(nodes) else "")
        if arity == 1 and pair in (("neg", "neg"), ("abs", "abs"), ("abs", "neg")):
            return True
    return False


@dataclass
class GPConfig:
    benchmark: str
    seed: int = 0
    sample: int = 50
    population: int = 200
    generations: int = 30
    ops: list[str] = field(default_factory=lambda: list(OPERATORS))
    parsimony: float = 0.002
    max_height: int = 8
    terminals: list[str] | None = None  # default: every proxy of the task

    def validate(self) -> None:
        """BadInputError for any setting outside its range, before any GP work."""
        import math

        bounds = {"population": (2, 100_000), "generations": (0, 10_000),
                  "max_height": (1, 30), "sample": (3, 10_000_000)}  # fmt: skip
        for name, (lo, hi) in bounds.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise BadInputError(f"--{name.replace('_', '-')} {value!r}",
                                    f"must be an integer in [{lo}, {hi}]")  # fmt: skip
        p = self.parsimony
        if (
            isinstance(p, bool)
            or not isinstance(p, (int, float))
            or not (math.isfinite(p) and p >= 0)
        ):
            raise BadInputError(f"--parsimony {p!r}", "must be a finite number >= 0")


def _checked_terminals(config: GPConfig, bench: Benchmark) -> tuple[list[str], np.ndarray]:
    """(the proxies the trees may use, the rows where they are all scored); BadInputError
    for too few, unknown ones, or a sample that leaves no row to test on."""
    terminals = list(config.terminals or bench.proxy_names)
    if len(terminals) < 3:
        raise BadInputError(bench.id, f"needs at least 3 usable proxies, has {len(terminals)}")
    missing = [t for t in terminals if t not in bench.proxy_names]
    if missing:
        raise BadInputError(f"terminal {missing[0]!r}", f"not a proxy of {bench.id}")
    scored = bench.scored_rows(terminals)
    if not 3 <= config.sample < len(scored):
        raise BadInputError(
            f"--sample {config.sample}", f"must be in [3, {len(scored) - 1}] on {bench.id}"
        )
    return terminals, scored


def _toolbox(pset, max_height: int):
    """DEAP's GP operators: ramped half-and-half trees, tournaments of 5, one-point
    crossover and uniform mutation, both kept under ``max_height``."""
    from deap import base, creator, gp, tools

    if not hasattr(creator, "ProxyFitness"):
        creator.create("ProxyFitness", base.Fitness, weights=(1.0,))
        creator.create("ProxyTree", gp.PrimitiveTree, fitness=creator.ProxyFitness)
    toolbox = base.Toolbox()
    toolbox.register("expr", gp.genHalfAndHalf, pset=pset, min_=1, max_=3)
    toolbox.register("individual", tools.initIterate, creator.ProxyTree, toolbox.expr)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    toolbox.register("select", tools.selTournament, tournsize=5)
    toolbox.register("mate", gp.cxOnePoint)
    toolbox.register("expr_mut", gp.genFull, min_=0, max_=2)
    toolbox.register("mutate", gp.mutUniform, expr=toolbox.expr_mut, pset=pset)
    limit = gp.staticLimit(key=operator.attrgetter("height"), max_value=max_height)
    toolbox.decorate("mate", limit)
    toolbox.decorate("mutate", limit)
    return toolbox


class _Fitness:
    """Kendall tau on the sample minus a parsimony cost per node, with the rule-based
    pruning counted before any evaluation: repeats, redundant forms, non-finite and
    constant outputs."""

    def __init__(self, columns: dict, y: np.ndarray, parsimony: float) -> None:
        self.columns, self.y, self.parsimony = columns, y, parsimony
        self.pruned = {"redundant": 0, "duplicate": 0, "non_finite": 0, "constant": 0}
        self.cache: dict[str, float] = {}
        self.eval_seconds: list[float] = []

    def __call__(self, ind) -> tuple[float]:
        nodes = deap_nodes(ind)
        key = format_nodes(nodes)
        if key in self.cache:
            self.pruned["duplicate"] += 1
            return (self.cache[key],)
        if redundant(nodes):
            self.pruned["redundant"] += 1
            self.cache[key] = BAD_FITNESS
            return (BAD_FITNESS,)
        t = time.perf_counter()
        values = evaluate_nodes(nodes, self.columns, len(self.y))
        if not np.isfinite(values).all():
            self.pruned["non_finite"] += 1
            value = BAD_FITNESS
        elif len(np.unique(np.round(values, 12))) < 3:
            self.pruned["constant"] += 1
            value = BAD_FITNESS
        else:
            tau = stats.kendalltau(values, self.y).statistic
            value = float(tau) - self.parsimony * len(ind)
            self.eval_seconds.append(time.perf_counter() - t)
        self.cache[key] = value
        return (value,)


def evolve(config: GPConfig, bench: Benchmark) -> EvolvedProxy:
    """One seeded GP run on ``config.sample`` labelled archs of ``bench``."""
    from deap import algorithms, tools

    terminals, scored = _checked_terminals(config, bench)
    pset = primitive_set(terminals, config.ops)
    X = rank_terminals(bench, terminals)
    rng = np.random.default_rng([config.seed, 2718])
    perm = rng.permutation(scored)
    sample, rest = perm[: config.sample], perm[config.sample :]
    y_sample = bench.val_accuracy[sample]
    fitness = _Fitness(dict(zip(terminals, X[sample].T)), y_sample, config.parsimony)
    toolbox = _toolbox(pset, config.max_height)
    toolbox.register("evaluate", fitness)
    started = time.perf_counter()
    with own_deap_generator(config.seed):
        pop = toolbox.population(n=config.population)
        hof = tools.HallOfFame(1)
        algorithms.eaSimple(
            pop, toolbox, cxpb=0.5, mutpb=0.3, ngen=config.generations,
            halloffame=hof, verbose=False,
        )  # fmt: skip
    seconds = time.perf_counter() - started
    best_nodes = deap_nodes(hof[0])
    values = evaluate_nodes(best_nodes, dict(zip(terminals, X.T)), len(X))
    mean_eval = float(np.mean(fitness.eval_seconds)) if fitness.eval_seconds else 0.0
    return EvolvedProxy(
        expression=format_nodes(best_nodes), terminals=terminals, ops=list(config.ops),
        evolved_on=bench.id, seed=config.seed,
        tau_sample=float(stats.kendalltau(values[sample], y_sample).statistic),
        tau_rest=float(stats.kendalltau(values[rest], bench.val_accuracy[rest]).statistic),
        size=len(hof[0]), pruned=fitness.pruned, evaluated=len(fitness.eval_seconds),
        seconds=seconds, seconds_saved_estimate=mean_eval * sum(fitness.pruned.values()),
    )  # fmt: skip


def transfer_table(proxy: EvolvedProxy, benches: list[Benchmark]) -> list[dict]:
    """The evolved proxy on every task next to the best hand-crafted proxy and vote.

    All three are scored with Kendall tau on the same rows of each task (rows with most
    proxies scored). The best hand-crafted proxy is chosen per task with its labels,
    which flatters the baseline.
    """
    from nas_surrogate.surrogates.baselines import VoteSurrogate

    rows = []
    for bench in benches:
        rows_ok = bench.scored_rows()
        y = bench.val_accuracy[rows_ok]
        entry: dict = {"task": bench.id, "n": len(rows_ok)}
        try:
            entry["evolved"] = float(stats.kendalltau(proxy.score(bench)[rows_ok], y).statistic)
        except BadInputError:
            entry["evolved"] = None
        best_name, best_tau = None, -np.inf
        for j, name in enumerate(bench.proxy_names):
            x = bench.proxy_scores[rows_ok, j]
            ok = np.isfinite(x)
            tau = stats.kendalltau(x[ok], y[ok]).statistic if ok.sum() > 2 else np.nan
            if np.isfinite(tau) and tau > best_tau:
                best_name, best_tau = name, float(tau)
        entry["best_proxy"] = best_name
        entry["best_proxy_tau"] = best_tau
        filled = np.where(np.isfinite(bench.proxy_scores[rows_ok]), bench.proxy_scores[rows_ok],
                          np.nanmedian(bench.proxy_scores[rows_ok], axis=0))  # fmt: skip
        vote = VoteSurrogate(orient=False).fit(filled, y).predict(filled)
        entry["vote_tau"] = float(stats.kendalltau(vote, y).statistic)
        entry["evolved_beats_all"] = entry["evolved"] is not None and entry["evolved"] > best_tau
        rows.append(entry)
    return rows


__all__ = ["OPERATORS", "GPConfig", "EvolvedProxy", "evolve", "transfer_table"]


#: the old names, importable with a DeprecationWarning
__getattr__ = renamed(__name__, {"EvolveConfig": GPConfig})
