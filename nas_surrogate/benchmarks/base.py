"""The one benchmark interface every source is loaded into.

A ``Benchmark`` is plain arrays over the tabulated architectures, so features, surrogates
and searchers never see a file format. ``full_space`` says whether the table covers the
whole search space; when it does not (the NAS-Bench-Suite-Zero subsets), a mutation or
neighbour outside the table simply has no ground truth, and ``index_of`` returns -1 for it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces import SearchSpace

NOT_TABULATED = -1


@dataclass(frozen=True, eq=False)
class ObjectiveColumn:
    """One objective beside accuracy, per *cell*: ``values[code]`` for the space's code of
    each cell (NaN where the table has none). ``known``: read for every candidate before
    any training (hardware look-ups); else it costs a query (robust accuracy).
    ``listed``: the cells the table has a row for; ``unmeasured``: cells whose value is
    the table's "not measured" marker (HW-NAS-Bench writes -1 for Edge TPU cells it
    could not compile)."""

    values: np.ndarray
    known: bool
    maximize: bool
    source: str
    listed: np.ndarray
    unmeasured: np.ndarray


@dataclass(frozen=True, eq=False)
class Benchmark:
    id: str
    space: SearchSpace
    archs: np.ndarray  # (n, space.arch_dim) int
    val_accuracy: np.ndarray  # (n,) the search target
    proxy_names: tuple[str, ...]
    proxy_scores: np.ndarray  # (n, p) float, NaN where missing
    proxy_seconds: np.ndarray  # (n, p) float, NaN where the source has no cost
    test_accuracy: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # latency, params, ...
    source: str = ""
    full_space: bool = False
    #: where ``proxy_seconds`` come from: "recorded" or the default that filled them
    cost_source: str = "recorded"
    #: objectives from hardware / robustness tables, by column name (``objectives``)
    objectives: dict[str, ObjectiveColumn] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.archs)
        p = len(self.proxy_names)
        if (
            self.archs.ndim != 2
            or self.val_accuracy.shape != (n,)
            or not self.proxy_scores.shape == self.proxy_seconds.shape == (n, p)
        ):
            raise ValueError(f"{self.id}: inconsistent array shapes")

    @property
    def n_archs(self) -> int:
        return len(self.archs)

    @cached_property
    def n_networks(self) -> int:
        """Distinct networks among the rows (cells with the same canonical form are one)."""
        return len(set(self.space.keys(self.archs)))

    @property
    def task(self) -> str:
        return self.id.split("/", 1)[1]

    @cached_property
    def _index(self) -> dict[Hashable, int]:
        index: dict[Hashable, int] = {}
        for i, key in enumerate(self.space.keys(self.archs)):
            index.setdefault(key, i)  # isomorphic duplicates (NB101): first row answers
        return index

    @cached_property
    def _exact_index(self) -> dict[tuple, int]:
        index: dict[tuple, int] = {}
        for i, arch in enumerate(self.archs.tolist()):
            index.setdefault(tuple(arch), i)
        return index

    def index_of(self, archs: np.ndarray, exact: bool = False) -> np.ndarray:
        """Row of each architecture's network in the table (the first row of that
        network), or -1 (``NOT_TABULATED``). ``exact=True``: the row of that very cell
        as tabulated, falling back to its network's row."""
        archs = np.atleast_2d(archs)
        keys = self.space.keys(archs)
        rows = np.array([self._index.get(k, NOT_TABULATED) for k in keys], dtype=np.int64)
        if exact:
            cells = [self._exact_index.get(tuple(a), -1) for a in archs.tolist()]
            rows = np.where(np.array(cells) >= 0, cells, rows)
        return rows

    def proxy_columns(self, names: Sequence[str] | None = None) -> np.ndarray:
        """Columns of ``proxy_scores`` for ``names`` (all present proxies if None)."""
        if names is None:
            return self.proxy_scores
        missing = [n for n in names if n not in self.proxy_names]
        if missing:
            raise BadInputError(
                f"proxies {','.join(missing)}",
                f"not present on {self.id} (it has: {', '.join(self.proxy_names)})",
            )
        return self.proxy_scores[:, [self.proxy_names.index(n) for n in names]]

    def subset(self, rows: np.ndarray) -> Benchmark:
        """The same benchmark restricted to ``rows`` (index array or boolean mask)."""
        rows = np.asarray(rows)

        def take(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[rows]

        return replace(
            self,
            archs=self.archs[rows],
            val_accuracy=self.val_accuracy[rows],
            proxy_scores=self.proxy_scores[rows],
            proxy_seconds=self.proxy_seconds[rows],
            test_accuracy=take(self.test_accuracy),
            extras={k: v[rows] for k, v in self.extras.items()},
            full_space=False,
        )

    def rows_with_proxies(self, names: Sequence[str] | None = None) -> np.ndarray:
        """Indices of rows where every named proxy has a score."""
        return np.flatnonzero(np.isfinite(self.proxy_columns(names)).all(axis=1))

    def scored_rows(self, names: Sequence[str] | None = None) -> np.ndarray:
        """Indices of rows where at least half of the named proxies have a score.

        The one rule for "an architecture the proxies describe": it keeps rows with a
        sporadic failed score (imputed later) and drops TransNAS micro's zen-only rows.
        """
        return np.flatnonzero(np.isfinite(self.proxy_columns(names)).mean(axis=1) >= 0.5)

    def describe(self) -> dict[str, object]:
        """The ``benchmarks`` listing row."""
        return {
            "id": self.id,
            "n_archs": self.n_archs,
            "n_networks": self.n_networks,
            "proxies": list(self.proxy_names),
            "val_accuracy_min": float(np.nanmin(self.val_accuracy)),
            "val_accuracy_max": float(np.nanmax(self.val_accuracy)),
            "has_test_accuracy": self.test_accuracy is not None,
            "full_space": self.full_space,
            "source": self.source,
            "proxy_costs": self.cost_source,
            "objectives": self.objective_kinds(),
        }

    def objective_kinds(self) -> dict[str, str]:
        """{objective: "known, min" / "evaluated, max"}: accuracy, the cost columns among
        the proxies (params, flops, latency) and every attached table column."""
        kinds = {"val_accuracy": "evaluated, max"}
        from nas_surrogate.proxy_names import COST_COLUMNS

        kinds.update({p: "known, min" for p in COST_COLUMNS if p in self.proxy_names})
        for name, col in self.objectives.items():
            kinds[name] = (
                f"{'known' if col.known else 'evaluated'}, {'max' if col.maximize else 'min'}"
            )
        return kinds
