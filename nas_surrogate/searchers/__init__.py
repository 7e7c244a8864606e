"""Searcher registry: the only list of searchers.

``NAME:guided`` turns on the surrogate-guided variant of evolution and local search.
"""

from __future__ import annotations

from nas_surrogate.errors import BadInputError
from nas_surrogate.registry import Registry
from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.bo import ACQUISITIONS, BayesOpt
from nas_surrogate.searchers.evolution import Evolution
from nas_surrogate.searchers.local_search import LocalSearch
from nas_surrogate.searchers.mobo import MultiObjectiveBO
from nas_surrogate.searchers.nsga2 import NSGA2
from nas_surrogate.searchers.pareto_local import ParetoLocalSearch
from nas_surrogate.searchers.problem import SearchProblem
from nas_surrogate.searchers.random import RandomSearch

SEARCHERS: Registry[type[Searcher]] = Registry("searcher")
SEARCHERS.register("random", RandomSearch)
SEARCHERS.register("evolution", Evolution)
SEARCHERS.register("local_search", LocalSearch)
SEARCHERS.register("bo", BayesOpt)
SEARCHERS.register("nsga2", NSGA2)
SEARCHERS.register("pareto_ls", ParetoLocalSearch)
SEARCHERS.register("mobo", MultiObjectiveBO)


def parse_searcher(name: str) -> tuple[str, bool]:
    """``evolution:guided`` -> (``evolution``, True)."""
    base, _, arg = name.partition(":")
    cls = SEARCHERS.get(base)
    if arg and (arg != "guided" or not cls.supports_guided):
        guided = [n for n, c in SEARCHERS.items() if c.supports_guided]
        raise BadInputError(f"searcher {name!r}", f"only {' and '.join(guided)} take ':guided'")
    return base, bool(arg)


def uses_surrogate(name: str) -> bool:
    base, guided = parse_searcher(name)
    return guided or SEARCHERS.get(base).needs_surrogate


def check_objectives(names: list[str], view) -> None:
    """Single-objective searchers run one evaluated, maximised objective within known
    constraints; anything else needs a multi-objective searcher (BadInputError)."""
    single = len(view.objectives) == 1 and len(view.evaluated) == 1
    single = single and not view.objectives[0].known and view.objectives[0].maximize
    mo = [n for n, c in SEARCHERS.items() if c.multi_objective]
    for name in names:
        base, _ = parse_searcher(name)
        if not SEARCHERS.get(base).multi_objective and not single:
            what = ", ".join(o.name for o in view.objectives)
            if len(view.objectives) == 1:
                what += " with evaluated constraints" if len(view.evaluated) > 1 else " (min)"
            raise BadInputError(
                f"searcher {name}",
                f"optimises one evaluated objective under known constraints; for {what} "
                f"use {', '.join(mo)}",
            )


def check_budget(name: str, params: dict, budget: int, where: str = "--budget") -> None:
    """A surrogate searcher whose budget is spent on its random initial queries would run
    random search under its own name: refused, saying what to change."""
    base, _ = parse_searcher(name)
    probe = make_searcher(name, **params)
    init = getattr(probe, "init", None)
    if probe.needs_surrogate and isinstance(init, int) and budget <= init:
        raise BadInputError(
            f"{where} {budget}",
            f"{name} spends its first {init} queries at random: with this budget it is "
            f"random search (raise the budget, or lower {base}'s init)",
        )


def make_searcher(name: str, **params) -> Searcher:
    base, guided = parse_searcher(name)
    if guided:
        params["guided"] = True
    try:
        searcher = SEARCHERS.get(base)(**params)
    except TypeError as e:
        raise BadInputError(f"searcher {name!r}", f"bad parameter ({e})") from None
    searcher.validate()
    return searcher


__all__ = [
    "ACQUISITIONS",
    "SEARCHERS",
    "SearchProblem",
    "Searcher",
    "check_objectives",
    "make_searcher",
    "parse_searcher",
    "uses_surrogate",
]
