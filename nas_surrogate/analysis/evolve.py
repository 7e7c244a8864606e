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

import json
import operator
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.errors import BadInputError

OPERATORS = ("add", "sub", "mul", "div", "log", "sqrt", "abs", "neg", "min", "max")
BAD_FITNESS = -1.0


def _div(a, b):
    with np.errstate(all="ignore"):
        return np.where(np.abs(b) > 1e-9, a / np.where(np.abs(b) > 1e-9, b, 1.0), 1.0)


def _log(a):
    with np.errstate(all="ignore"):
        return np.log(np.abs(a) + 1e-9)


def _sqrt(a):
    return np.sqrt(np.abs(a))


_PRIMITIVES = {
    "add": (np.add, 2),
    "sub": (np.subtract, 2),
    "mul": (np.multiply, 2),
    "div": (_div, 2),
    "log": (_log, 1),
    "sqrt": (_sqrt, 1),
    "abs": (np.abs, 1),
    "neg": (np.negative, 1),
    "min": (np.minimum, 2),
    "max": (np.maximum, 2),
}


def rank_terminals(bench: Benchmark, proxies: list[str]) -> np.ndarray:
    """(n, p) proxy ranks scaled to [0, 1] over all rows; NaN -> 0.5."""
    cols = []
    for p in proxies:
        x = bench.proxy_columns([p])[:, 0]
        ok = np.isfinite(x)
        r = np.full(len(x), 0.5)
        if ok.sum() > 1:
            r[ok] = (stats.rankdata(x[ok]) - 1) / (ok.sum() - 1)
        cols.append(r)
    return np.column_stack(cols)


def primitive_set(terminals: list[str], ops: list[str]):
    from deap import gp

    unknown = [o for o in ops if o not in _PRIMITIVES]
    if unknown:
        raise BadInputError(f"--ops {unknown[0]}", f"unknown operator (use {', '.join(OPERATORS)})")
    pset = gp.PrimitiveSet("PROXY", len(terminals))
    pset.renameArguments(**{f"ARG{i}": name for i, name in enumerate(terminals)})
    for name in ops:
        fn, arity = _PRIMITIVES[name]
        pset.addPrimitive(fn, arity, name=name)
    return pset


def redundant(tree) -> bool:
    """x-x, x/x, min(x,x), max(x,x), neg(neg(x)), abs(abs(x)), abs(neg(x)) anywhere."""
    for i, node in enumerate(tree):
        name = getattr(node, "name", None)
        if getattr(node, "arity", 0) == 2 and name in ("sub", "div", "min", "max"):
            left = tree.searchSubtree(i + 1)
            right = tree.searchSubtree(left.stop)
            if str_slice(tree, left) == str_slice(tree, right):
                return True
        if name in ("neg", "abs") and i + 1 < len(tree):
            child = getattr(tree[i + 1], "name", None)
            if (name, child) in (("neg", "neg"), ("abs", "abs"), ("abs", "neg")):
                return True
    return False


def str_slice(tree, sl: slice) -> str:
    from deap import gp

    return str(gp.PrimitiveTree(tree[sl]))


@dataclass
class EvolveConfig:
    benchmark: str
    seed: int = 0
    sample: int = 50
    population: int = 200
    generations: int = 30
    ops: list[str] = field(default_factory=lambda: list(OPERATORS))
    parsimony: float = 0.002
    max_height: int = 8
    terminals: list[str] | None = None  # default: every proxy of the task


@dataclass
class EvolvedProxy:
    """A stored expression: enough to evaluate it on any benchmark with its proxies."""

    expression: str
    terminals: list[str]
    ops: list[str]
    evolved_on: str
    seed: int
    tau_sample: float
    tau_rest: float
    size: int
    pruned: dict[str, int]
    evaluated: int
    seconds: float
    seconds_saved_estimate: float

    def save(self, path: Path) -> None:
        from nas_surrogate.io import write_json_atomic

        write_json_atomic(path, asdict(self))

    @classmethod
    def load(cls, path: str | Path) -> EvolvedProxy:
        try:
            doc = json.loads(Path(path).read_text())
            return cls(**doc)
        except OSError as e:
            raise BadInputError(str(path), f"cannot be read ({e.strerror})") from None
        except (json.JSONDecodeError, TypeError) as e:
            raise BadInputError(str(path), f"not an evolved-proxy file ({e})") from None

    def score(self, bench: Benchmark) -> np.ndarray:
        """The expression on every row of ``bench`` (needs its terminal proxies)."""
        from deap import gp

        missing = [t for t in self.terminals if t not in bench.proxy_names]
        if missing:
            raise BadInputError(
                f"evolved proxy {self.expression!r}",
                f"needs {', '.join(missing)}, which {bench.id} does not have",
            )
        pset = primitive_set(self.terminals, self.ops)
        fn = gp.compile(gp.PrimitiveTree.from_string(self.expression, pset), pset)
        X = rank_terminals(bench, self.terminals)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*X.T), dtype=float) * np.ones(len(X))
        return out


def evolve(config: EvolveConfig, bench: Benchmark) -> EvolvedProxy:
    """One seeded GP run on ``config.sample`` labelled archs of ``bench``."""
    from deap import algorithms, base, creator, gp, tools

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
    pset = primitive_set(terminals, config.ops)
    X = rank_terminals(bench, terminals)
    rng = np.random.default_rng([config.seed, 2718])
    perm = rng.permutation(scored)
    sample, rest = perm[: config.sample], perm[config.sample :]
    y_sample = bench.val_accuracy[sample]
    Xs = X[sample].T

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
    limit = gp.staticLimit(key=operator.attrgetter("height"), max_value=config.max_height)
    toolbox.decorate("mate", limit)
    toolbox.decorate("mutate", limit)

    pruned = {"redundant": 0, "duplicate": 0, "non_finite": 0, "constant": 0}
    cache: dict[str, float] = {}
    eval_seconds: list[float] = []

    def fitness(ind) -> tuple[float]:
        key = str(ind)
        if key in cache:
            pruned["duplicate"] += 1
            return (cache[key],)
        if redundant(ind):
            pruned["redundant"] += 1
            cache[key] = BAD_FITNESS
            return (BAD_FITNESS,)
        t = time.perf_counter()
        with np.errstate(all="ignore"):
            values = np.asarray(gp.compile(ind, pset)(*Xs), dtype=float) * np.ones(len(sample))
        if not np.isfinite(values).all():
            pruned["non_finite"] += 1
            value = BAD_FITNESS
        elif len(np.unique(np.round(values, 12))) < 3:
            pruned["constant"] += 1
            value = BAD_FITNESS
        else:
            tau = stats.kendalltau(values, y_sample).statistic
            value = float(tau) - config.parsimony * len(ind)
            eval_seconds.append(time.perf_counter() - t)
        cache[key] = value
        return (value,)

    toolbox.register("evaluate", fitness)
    state = random.getstate()  # DEAP draws from `random`: seed it, then restore it
    random.seed(config.seed)
    started = time.perf_counter()
    try:
        pop = toolbox.population(n=config.population)
        hof = tools.HallOfFame(1)
        algorithms.eaSimple(
            pop, toolbox, cxpb=0.5, mutpb=0.3, ngen=config.generations,
            halloffame=hof, verbose=False,
        )  # fmt: skip
    finally:
        random.setstate(state)
    seconds = time.perf_counter() - started
    best = hof[0]
    fn = gp.compile(best, pset)
    with np.errstate(all="ignore"):
        values = np.asarray(fn(*X.T), dtype=float) * np.ones(len(X))
    tau_sample = float(stats.kendalltau(values[sample], y_sample).statistic)
    tau_rest = float(stats.kendalltau(values[rest], bench.val_accuracy[rest]).statistic)
    mean_eval = float(np.mean(eval_seconds)) if eval_seconds else 0.0
    return EvolvedProxy(
        expression=str(best),
        terminals=terminals,
        ops=list(config.ops),
        evolved_on=bench.id,
        seed=config.seed,
        tau_sample=tau_sample,
        tau_rest=tau_rest,
        size=len(best),
        pruned=pruned,
        evaluated=len(eval_seconds),
        seconds=seconds,
        seconds_saved_estimate=mean_eval * sum(pruned.values()),
    )


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


__all__ = ["OPERATORS", "EvolveConfig", "EvolvedProxy", "evolve", "transfer_table"]
