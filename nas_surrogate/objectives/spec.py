"""What a multi-objective or constrained search asks for, parsed once at the boundary.

``--objectives val_accuracy,pixel3_latency`` names objectives (``NAME:max`` / ``NAME:min``
overrides a direction); ``--constraint "pixel3_latency<=5"`` bounds one (``<=``, ``<``,
``>=``, ``>``; several allowed). Each name is resolved against a benchmark's objectives
(``Benchmark.objective_kinds``): accuracy and robust accuracy are *evaluated* (a query
gives them), hardware look-ups, params and flops are *known* for every candidate.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from dataclasses import dataclass

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.errors import BadInputError

ACCURACY = "val_accuracy"
_CONSTRAINT = re.compile(r"^\s*([A-Za-z0-9_@.\-]+?)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")
_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}


@dataclass(frozen=True)
class Objective:
    name: str
    maximize: bool | None = None  # None: the benchmark's direction for it

    def __str__(self) -> str:
        if self.maximize is None:
            return self.name
        return f"{self.name}:{'max' if self.maximize else 'min'}"


@dataclass(frozen=True)
class Constraint:
    name: str
    op: str
    bound: float

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.bound:g}"

    def holds(self, values: np.ndarray) -> np.ndarray:
        return _OPS[self.op](np.asarray(values, dtype=float), self.bound)


#: exact hypervolume grows exponentially with the objectives: a 200-point front takes
#: 0.7 s with 3, 11 s with 4 and 226 s with 5 (2 cores), and scoring and mobo compute it
#: after every query; past this count, constrain the rest (``--constraint``)
MAX_OBJECTIVES = 3


def parse_objectives(items: list[str]) -> list[Objective]:
    if len(items) > MAX_OBJECTIVES:
        raise BadInputError(
            f"--objectives {','.join(items)}",
            f"{len(items)} objectives; at most {MAX_OBJECTIVES} (exact hypervolume time grows "
            "exponentially with their number: 4 objectives take 11 s per evaluation of a "
            "200-point front); bound the others with --constraint",
        )
    out = []
    for item in items:
        name, _, direction = item.strip().partition(":")
        if direction not in ("", "max", "min"):
            raise BadInputError(f"--objectives {item!r}", "a direction is :max or :min")
        if not name:
            raise BadInputError(f"--objectives {item!r}", "empty objective name")
        out.append(Objective(name, None if not direction else direction == "max"))
    if len({o.name for o in out}) < len(out):
        raise BadInputError(f"--objectives {','.join(items)}", "an objective is named twice")
    return out


def parse_constraint(text: str) -> Constraint:
    m = _CONSTRAINT.match(text)
    if not m:
        raise BadInputError(
            f"--constraint {text!r}", "expected NAME<=VALUE (or <, >=, >), e.g. pixel3_latency<=5"
        )
    try:
        bound = float(m.group(3))
    except ValueError:
        raise BadInputError(f"--constraint {text!r}", f"bad number {m.group(3)!r}") from None
    if not math.isfinite(bound):
        raise BadInputError(f"--constraint {text!r}", "the bound must be a finite number")
    return Constraint(m.group(1), m.group(2), bound)


def _unknown(name: str, bench: Benchmark, where: str, notes: list[str]) -> BadInputError:
    names = list(bench.objective_kinds())
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    if notes:  # a table that could hold it but was not placed says why first
        return BadInputError(
            f"{where} {name!r}", f"{hint}not an objective of {bench.id}: {notes[0]}"
        )
    return BadInputError(
        f"{where} {name!r}",
        f"{hint}not an objective of {bench.id} (it has: {', '.join(names)})",
    )


@dataclass(frozen=True)
class ResolvedObjective:
    """An objective with its direction and kind settled on one benchmark."""

    name: str
    maximize: bool
    known: bool


def resolve(
    bench: Benchmark,
    objectives: list[Objective],
    constraints: list[Constraint],
    notes: list[str] = (),  # type: ignore[assignment]
    allow_evaluated: bool = False,
) -> tuple[list[ResolvedObjective], list[tuple[Constraint, bool]]]:
    """Directions and kinds on ``bench``; BadInputError naming an unknown name.
    ``allow_evaluated``: a name the table lacks is an evaluated objective of the user's
    (results come from outside: ``Optimizer``), maximised unless ``NAME:min``."""
    kinds = dict(bench.objective_kinds())
    if allow_evaluated:
        for name in [o.name for o in objectives] + [c.name for c in constraints]:
            if name not in kinds or name == ACCURACY:
                kinds[name] = "evaluated, max"
    out = []
    for o in objectives:
        if o.name not in kinds:
            raise _unknown(o.name, bench, "--objectives", list(notes))
        known = kinds[o.name].startswith("known")
        default_max = kinds[o.name].endswith("max")
        out.append(
            ResolvedObjective(o.name, default_max if o.maximize is None else o.maximize, known)
        )
    cons = []
    for c in constraints:
        if c.name not in kinds:
            raise _unknown(c.name, bench, "--constraint", list(notes))
        cons.append((c, kinds[c.name].startswith("known")))
    return out, cons
