"""Several objectives and constraints in ``search``: checks before any work, the extra
columns of each trajectory row, and the summary against the table's true front.

Scoring (``ObjectiveView.score_ids``): the headline columns (``hv_fraction``, ``igd``,
``front_found``, ``best_feasible``, ``regret``) score the feasible cells queried so far,
the convention of Optuna, EvoXBench and every sampler that never maps a cell to its
network, so searchers compare on what they proposed. The ``*_networks`` columns are the
more generous convention, named as such: every feasible cell of the networks queried so
far (a network's accuracy is known once it is trained; its cheaper equivalent cells are
look-ups).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nas_surrogate.errors import BadInputError
from nas_surrogate.objectives import (
    ACCURACY,
    Constraint,
    Objective,
    ObjectiveView,
    parse_constraint,
    parse_objectives,
)
from nas_surrogate.searchers import check_objectives

#: per-step indicators written to results.csv (several objectives / single + constraints)
MO_METRICS = ("hv_fraction", "igd", "front_found", "hv_fraction_networks", "front_found_networks")
SO_METRICS = ("best_feasible", "regret")


def parsed(
    objectives: list[str], constraints: list[str]
) -> tuple[list[Objective], list[Constraint]]:
    objs = parse_objectives(objectives) if objectives else []
    return objs, [parse_constraint(c) for c in constraints]


def is_multi(objectives: list[str], constraints: list[str]) -> bool:
    """Whether a run needs the objectives machinery at all."""
    if constraints:
        return True
    return bool(objectives) and [o.strip() for o in objectives] not in (
        [ACCURACY],
        [f"{ACCURACY}:max"],
    )


def check_searchers(names: list[str], view: ObjectiveView) -> None:
    """``check_objectives`` with the CLI's option name."""
    try:
        check_objectives(names, view)
    except BadInputError as e:
        raise BadInputError(f"--{e.where}", e.why) from None


def step_rows(view: ObjectiveView, ids: np.ndarray, values: np.ndarray) -> list[dict]:
    """The objective columns and running indicators of each step of one run."""
    out = []
    cols = view.values(ids, values)
    feasible = view.feasible(ids, values)
    multi = len(view.objectives) > 1
    for step in range(len(ids)):
        row = {name: float(v[step]) for name, v in cols.items()}
        row["feasible"] = bool(feasible[step])
        cells = view.score_ids(ids[: step + 1])
        if multi:
            net = view.score_ids(ids[: step + 1], siblings=True)
            row.update({k: cells[k] for k in ("hv_fraction", "igd", "front_found")})
            row["hv_fraction_networks"] = net["hv_fraction"]
            row["front_found_networks"] = net["front_found"]
        else:
            row.update({k: cells[k] for k in SO_METRICS})
        out.append(row)
    return out


def _quartiles(values) -> dict:
    """Median and quartiles; a run with no feasible query has NaN best and infinite
    regret, so between two infinities the nearer order statistic is taken (linear
    interpolation would print a numpy warning and NaN)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        q = np.percentile(v, [25, 50, 75])
    nearest = np.percentile(v, [25, 50, 75], method="nearest")
    q = np.where(np.isnan(q) & ~np.isnan(nearest), nearest, q)
    return {"median": float(q[1]), "q25": float(q[0]), "q75": float(q[2])}


def summary_entry(view: ObjectiveView, curves: dict, marks: list[int]) -> dict:
    """Indicators at each checkpoint, median and IQR over seeds."""
    entry: dict = {
        "objectives": [f"{o.name}:{'max' if o.maximize else 'min'}" for o in view.objectives],
        "constraints": [str(c) for c in view.constraints],
        "n_candidates": int(view.allowed.sum()),
        "n_unmeasured": int((~view.measured).sum()),
        "true_front_size": int(len(view.true_front_ids)),
    }
    entry["queries_infeasible"] = _quartiles(
        [int((~c.feasible.astype(bool)).sum()) for c in curves.values()]
    )
    if len(view.objectives) > 1:
        for b in marks:
            at = [c.iloc[min(len(c), b) - 1] for c in curves.values()]
            entry[f"at_{b}"] = {
                "hv_fraction": _quartiles([r.hv_fraction for r in at]),
                "front_found": _quartiles([r.front_found for r in at]),
                "igd": _quartiles([r.igd for r in at]),
                "hv_fraction_networks": _quartiles([r.hv_fraction_networks for r in at]),
                "front_found_networks": _quartiles([r.front_found_networks for r in at]),
            }
    else:
        entry["constrained_optimum"] = view.optimum
        for b in marks:
            at = [c.iloc[min(len(c), b) - 1] for c in curves.values()]
            entry[f"at_{b}"] = {
                "best_feasible": _quartiles([r.best_feasible for r in at]),
                "regret": _quartiles([r.regret for r in at]),
                "optimum_found": float(np.mean([r.regret <= 1e-9 for r in at])),
            }
    return entry


def comparison_table(summary: list[dict], marks: list[int], label) -> str:
    """results.md for a multi-objective or constrained search."""
    multi = len(summary[0]["objectives"]) > 1
    if multi:
        head = [f"HV fraction @{b} median [IQR]" for b in marks] + [f"front found @{marks[-1]}"]
    else:
        head = [f"best feasible @{b} median [IQR]" for b in marks] + ["optimum found"]
    header = ["benchmark", "searcher", *head, "infeasible queries"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for e in summary:
        cells = [e["benchmark"], label(e)]
        for b in marks:
            s = e[f"at_{b}"]["hv_fraction" if multi else "best_feasible"]
            fmt = "{:.4f}" if multi else "{:.2f}"
            if np.isnan(s["median"]):  # no seed had a feasible query yet
                cells.append("none feasible")
                continue
            cells.append(
                f"{fmt.format(s['median'])} [{fmt.format(s['q25'])}, {fmt.format(s['q75'])}]"
            )
        final = e[f"at_{marks[-1]}"]
        if multi:
            cells.append(f"{final['front_found']['median']:.1f} of {e['true_front_size']}")
        else:
            cells.append(f"{100 * final['optimum_found']:.0f}%")
        cells.append(f"{e['queries_infeasible']['median']:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def objective_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in MO_METRICS + SO_METRICS if c in frame.columns]
