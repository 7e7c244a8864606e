"""Objectives beside accuracy: hardware costs and robustness tables, their parsing,
Pareto fronts and the indicators a multi-objective search is scored with."""

from nas_surrogate.objectives.pareto import (
    FrontNormaliser,
    crowding_distance,
    hvi,
    hypervolume,
    non_dominated,
    pareto_ranks,
)
from nas_surrogate.objectives.spec import (
    ACCURACY,
    Constraint,
    Objective,
    parse_constraint,
    parse_objectives,
)
from nas_surrogate.objectives.tables import attach_tables
from nas_surrogate.objectives.view import ObjectiveView

__all__ = [
    "ACCURACY",
    "Constraint",
    "FrontNormaliser",
    "Objective",
    "ObjectiveView",
    "attach_tables",
    "crowding_distance",
    "hvi",
    "hypervolume",
    "non_dominated",
    "parse_constraint",
    "parse_objectives",
    "pareto_ranks",
]
