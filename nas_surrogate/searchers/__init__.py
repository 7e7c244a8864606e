"""Searcher registry: the only list of searchers.

``NAME:guided`` turns on the surrogate-guided variant of evolution and local search.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SearcherSpec:
    """A searcher as written in a command or config (``evolution:guided``), parsed once:
    the registered name and whether a surrogate guides it."""

    name: str
    guided: bool = False

    @classmethod
    def parse(cls, text: str) -> SearcherSpec:
        """BadInputError for an unknown searcher (did you mean) or a bad ``:`` suffix."""
        base, _, arg = text.partition(":")
        klass = SEARCHERS.get(base)
        if arg and (arg != "guided" or not klass.supports_guided):
            guided = [n for n, c in SEARCHERS.items() if c.supports_guided]
            raise BadInputError(f"searcher {text!r}", f"only {' and '.join(guided)} take ':guided'")
        return cls(base, bool(arg))

    @property
    def searcher_class(self) -> type[Searcher]:
        return SEARCHERS.get(self.name)

    @property
    def uses_surrogate(self) -> bool:
        """Whether the searcher fits a surrogate (bo, mobo, a guided variant)."""
        return self.guided or self.searcher_class.needs_surrogate

    def __str__(self) -> str:
        return f"{self.name}:guided" if self.guided else self.name


def check_objectives(names: list[str], view) -> None:
    """Single-objective searchers run one evaluated, maximised objective within known
    constraints; anything else needs a multi-objective searcher (BadInputError)."""
    single = len(view.objectives) == 1 and len(view.evaluated) == 1
    single = single and not view.objectives[0].known and view.objectives[0].maximize
    mo = [n for n, c in SEARCHERS.items() if c.multi_objective]
    for name in names:
        if not SearcherSpec.parse(name).searcher_class.multi_objective and not single:
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
    base = SearcherSpec.parse(name).name
    probe = make_searcher(name, **params)
    init = getattr(probe, "init", None)
    if probe.needs_surrogate and isinstance(init, int) and budget <= init:
        raise BadInputError(
            f"{where} {budget}",
            f"{name} spends its first {init} queries at random: with this budget it is "
            f"random search (raise the budget, or lower {base}'s init)",
        )


def make_searcher(name: str, **params) -> Searcher:
    """The searcher ``name`` (``NAME`` or ``NAME:guided``) with ``params``, checked."""
    spec = SearcherSpec.parse(name)
    if spec.guided:
        params["guided"] = True
    try:
        searcher = spec.searcher_class(**params)
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
    "SearcherSpec",
]
