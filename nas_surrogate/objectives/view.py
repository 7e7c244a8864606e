"""The objectives of one search problem, per candidate id: what a query reveals, what is
known up front, what is feasible, and the true front to score a run against.

Candidate ids are cells (a full-space NB201 table: all 15,625) or table rows. Evaluated
objectives (accuracy, robust accuracy) are properties of the *network* a cell computes
(the table's row); known ones (latency, energy) of the *cell* itself. Once a network has
been queried, each of its cells is an evaluated point at no further cost (its accuracy is
the network's, its latency a look-up): deploying the cheapest equivalent cell is free.
That is how found sets and true fronts are built, for the project's searchers and for
any baseline scored by ``score_ids``.
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.errors import BadInputError
from nas_surrogate.objectives.pareto import FrontNormaliser, non_dominated
from nas_surrogate.objectives.spec import (
    ACCURACY,
    Constraint,
    Objective,
    resolve,
)
from nas_surrogate.spaces.product import ProductSpace


class ObjectiveView:
    def __init__(
        self,
        bench: Benchmark,
        cells: np.ndarray,
        cell_row: np.ndarray,
        objectives: list[Objective],
        constraints: list[Constraint] = (),  # type: ignore[assignment]
        notes: list[str] = (),  # type: ignore[assignment]
        own_results: bool = False,
    ) -> None:
        """``own_results``: the results come from the user (``Optimizer``), not the table:
        an objective the table lacks is evaluated (maximised unless ``NAME:min``), and
        there is no true front to score against."""
        self.bench = bench
        self.cell_row = np.asarray(cell_row, dtype=np.int64)
        self.own_results = own_results
        self.objectives, resolved_cons = resolve(
            bench, list(objectives) or [Objective(ACCURACY)], list(constraints), notes,
            allow_evaluated=own_results,
        )  # fmt: skip
        self.constraints = [c for c, _ in resolved_cons]
        if not any(not o.known for o in self.objectives):
            raise BadInputError(
                "--objectives", "needs at least one evaluated objective (e.g. val_accuracy)"
            )
        space = bench.space
        self._cell_codes = space.encode_codes(cells) if isinstance(space, ProductSpace) else None
        self._row_codes = (
            space.encode_codes(bench.archs) if isinstance(space, ProductSpace) else None
        )
        #: what a query returns: evaluated objectives, then evaluated constraint columns
        self.evaluated = [o.name for o in self.objectives if not o.known]
        self.evaluated += [
            c.name for c, known in resolved_cons if not known and c.name not in self.evaluated
        ]
        self.known = [o.name for o in self.objectives if o.known]
        self.known += [c.name for c, known in resolved_cons if known and c.name not in self.known]
        self._cache: dict[str, np.ndarray] = {}
        n = len(cells)
        #: ids with a measured value of every known objective and constraint column
        self.measured = np.ones(n, dtype=bool)
        for name in self.known:
            if name in bench.objectives:
                self.measured &= ~bench.objectives[name].unmeasured[self._cell_codes]
        #: known columns read from the proxy table (params, flops, latency): with live
        #: proxies they are filled as networks get scored (``SearchProblem`` does it)
        self.proxy_known = [n for n in self.known if n not in bench.objectives]
        self._check_columns()
        #: ids a search may propose at all: measured, and every known constraint holds
        self.allowed = self.feasible(np.arange(n), None) & self.measured
        if own_results:
            if not self.allowed.any():
                raise BadInputError(
                    f"constraints {','.join(map(str, self.constraints))}",
                    f"no network of {bench.space.name} satisfies them",
                )
            return
        self._true_front(n)

    def _check_columns(self) -> None:
        """Every column the search reads has values; with the user's results, a proxy
        column (computed per network as it is scored) cannot bound the candidates."""
        for name in self.known if self.own_results else self.evaluated + self.known:
            if self.own_results and name in self.proxy_known:
                continue  # the user's proxy source fills these
            self._check(name, self.column(name))
        if not self.own_results:
            return
        for c in self.constraints:
            if c.name in self.proxy_known and not np.isfinite(self.column(c.name)).all():
                raise BadInputError(
                    f"constraint {c}", f"{c.name} is computed per network as the search "
                    "scores it: it cannot bound the candidates up front (make it an "
                    "objective, or read it from a table)",
                )  # fmt: skip

    def _true_front(self, n: int) -> None:
        """The table's feasible ids and their true Pareto front (what a search's
        hypervolume is scored against)."""
        ok = self.feasible(np.arange(n), self.truth_evaluated(np.arange(n))) & self.measured
        if self.constraints and not ok.any():
            raise BadInputError(
                f"--constraint {','.join(map(str, self.constraints))}",
                f"no network of {self.bench.id} satisfies it",
            )
        self.true_feasible = ok & self.measured
        ids = np.flatnonzero(ok)
        Y = self.minimisation(ids, self.truth_evaluated(ids))
        front = non_dominated(Y)
        self.true_front_ids = ids[front]
        self.normaliser = FrontNormaliser(Y[front])

    # -- values -------------------------------------------------------------------------
    def column(self, name: str) -> np.ndarray:
        """Values of ``name`` for every candidate id (proxy columns read afresh: live
        proxies fill them in as the search goes)."""
        if name in self._cache:
            return self._cache[name]
        if name in self.bench.proxy_names and name not in self.bench.objectives:
            return self.bench.proxy_scores[self.cell_row, self.bench.proxy_names.index(name)]
        bench = self.bench
        if name == ACCURACY:
            values = bench.val_accuracy[self.cell_row]
        elif name in bench.objectives:
            col = bench.objectives[name]
            if self._cell_codes is None:
                raise BadInputError(name, f"{bench.space.name} cells have no codes for tables")
            codes = self._cell_codes if col.known else self._row_codes[self.cell_row]
            values = col.values[codes]
        else:  # a user's evaluated objective: no values in the table
            values = np.full(len(self.cell_row), np.nan)
        self._cache[name] = values
        return values

    def _check(self, name: str, values: np.ndarray) -> None:
        """Every candidate needs a finite value (known costs also >= 0), else the table
        is refused naming the file, the column and one cell."""
        col = self.bench.objectives.get(name)
        where = f"{col.source}: {name}" if col is not None else name
        used = self.measured
        if col is not None:
            codes = self._cell_codes if col.known else self._row_codes[self.cell_row]
            unlisted = ~col.listed[codes] & used
            if unlisted.any():
                cell = self._cell_text(int(np.flatnonzero(unlisted)[0]))
                raise BadInputError(
                    where, f"the table has no row for cell {cell} "
                    f"({int(unlisted.sum())} of {len(values)} candidate cells missing)",
                )  # fmt: skip
        bad = ~np.isfinite(values) & used
        if bad.any():
            cell = self._cell_text(int(np.flatnonzero(bad)[0]))
            raise BadInputError(where, f"no finite value for cell {cell} ({int(bad.sum())} cells)")
        negative = (values < 0) & used
        if name in self.known and negative.any():
            cell = self._cell_text(int(np.flatnonzero(negative)[0]))
            raise BadInputError(where, f"negative cost {values[negative][0]:g} for cell {cell}")

    def _cell_text(self, i: int) -> str:
        space = self.bench.space
        if self._cell_codes is not None:
            return space.format(space.decode_codes(self._cell_codes[i : i + 1])[0])
        return space.format(self.bench.archs[self.cell_row[i]])

    def truth_evaluated(self, ids: np.ndarray) -> np.ndarray:
        """The table's evaluated values of ``ids``: what querying them returns."""
        ids = np.asarray(ids, dtype=np.int64)
        return np.column_stack([self.column(n)[ids] for n in self.evaluated])

    def values(self, ids: np.ndarray, evaluated: np.ndarray) -> dict[str, np.ndarray]:
        """Every objective and constraint column of ``ids`` given their evaluated values."""
        ids = np.asarray(ids, dtype=np.int64)
        out = {n: np.asarray(evaluated)[:, j] for j, n in enumerate(self.evaluated)}
        out.update({n: self.column(n)[ids] for n in self.known})
        return out

    def minimisation(self, ids: np.ndarray, evaluated: np.ndarray) -> np.ndarray:
        """(len(ids), n_objectives) in minimisation form (maximised ones negated)."""
        vals = self.values(ids, evaluated)
        cols = [(-1 if o.maximize else 1) * vals[o.name] for o in self.objectives]
        return np.column_stack(cols) if cols else np.zeros((len(ids), 0))

    def feasible(self, ids: np.ndarray, evaluated: np.ndarray | None) -> np.ndarray:
        """Whether every constraint holds (``evaluated`` None: the known ones only)."""
        ids = np.asarray(ids, dtype=np.int64)
        ok = np.ones(len(ids), dtype=bool)
        for c in self.constraints:
            if c.name in self.known:
                ok &= c.holds(self.column(c.name)[ids])
            elif evaluated is not None:
                ok &= c.holds(np.asarray(evaluated)[:, self.evaluated.index(c.name)])
        return ok

    # -- scoring a run ------------------------------------------------------------------
    def ids_of_cells(self, cells: np.ndarray) -> np.ndarray:
        """Candidate id of each cell (-1 when it is none)."""
        codes = self.bench.space.encode_codes(cells)
        lookup = dict(zip(self._cell_codes.tolist(), range(len(self._cell_codes))))
        return np.array([lookup.get(c, -1) for c in codes.tolist()], dtype=np.int64)

    def siblings(self, rows: np.ndarray) -> np.ndarray:
        """Every candidate id whose network is one of ``rows``."""
        return np.flatnonzero(np.isin(self.cell_row, np.asarray(rows, dtype=np.int64)))

    def score_ids(self, ids: np.ndarray, siblings: bool = False) -> dict[str, float]:
        """Front quality of the queried cells ``ids`` (any order, repeats allowed):
        hypervolume fraction, IGD, true-front members found, and for a single objective
        the best feasible value and regret to the constrained optimum. The default scores
        the cells queried, the peers' convention; ``siblings=True`` credits every cell of
        their networks too (the generous convention, reported as such)."""
        ids = np.asarray(ids, dtype=np.int64)
        found = self.siblings(np.unique(self.cell_row[ids])) if siblings else np.unique(ids)
        found = found[self.true_feasible[found]]
        Y = self.minimisation(found, self.truth_evaluated(found))
        out = {
            "hv_fraction": self.normaliser.hv_fraction(Y),
            "igd": self.normaliser.igd(Y),
            "front_found": float(np.isin(self.true_front_ids, found).sum()),
        }
        if len(self.objectives) == 1:
            sign = -1.0 if self.objectives[0].maximize else 1.0
            best_true = sign * float(self.normaliser.front[:, 0].min())
            best = sign * float(Y[:, 0].min()) if len(Y) else float("nan")
            out["best_feasible"] = best
            out["regret"] = abs(best_true - best) if len(Y) else float("inf")
        return out

    @property
    def optimum(self) -> float:
        """The constrained optimum of a single objective (its natural sign)."""
        sign = -1.0 if self.objectives[0].maximize else 1.0
        return sign * float(self.normaliser.front[:, 0].min())
