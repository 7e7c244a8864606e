"""The search problem a searcher sees: candidate rows, their neighbourhoods, features,
and a ``query`` that returns ground truth and charges its cost. Searchers never read
files or the benchmark's accuracy arrays; they only call this object.

Architectures are row ids of the benchmark table (one row per distinct network: NB101's
isomorphic duplicates are dropped first). On full-space benchmarks the table is the whole
space, and neighbours are the space's single-edit neighbours. On NAS-Bench-Suite-Zero
tasks only the tabulated archs can be queried, and a single edit rarely lands in the
table (about 1 of 24 NB201 neighbours), so the neighbours of a row are the tabulated rows
nearest to it: smallest Hamming distance between the space's natural encodings (one edit
where the table has one, else the closest it has).

Cost: each query charges ``train_seconds`` (an assumption: the benchmarks do not record
training time), and the first use of an architecture's ZC proxies charges their recorded
``time`` seconds, summed over the proxies a feature spec uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.encodings import ENCODINGS, build_features
from nas_surrogate.errors import BadInputError


class BudgetExhausted(Exception):
    """The query budget is spent, or every searchable architecture has been queried."""


@dataclass
class Trajectory:
    rows: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def distinct_networks(bench: Benchmark) -> Benchmark:
    """The benchmark with one row per network (first row of each canonical key)."""
    keys = bench.space.keys(bench.archs)
    first: dict = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    if len(first) == bench.n_archs:
        return bench
    return bench.subset(np.array(sorted(first.values())))


class SearchProblem:
    def __init__(
        self,
        bench: Benchmark,
        budget: int,
        train_seconds: float = 3600.0,
        features: str | None = None,
    ) -> None:
        self.bench = distinct_networks(bench)
        self.budget = budget
        self.train_seconds = train_seconds
        self.n = self.bench.n_archs
        self.feature_spec = features
        self._queried = np.zeros(self.n, dtype=bool)
        self._charged = np.zeros(self.n, dtype=bool)
        self.trajectory = Trajectory()
        self.sim_seconds = 0.0
        self._X: np.ndarray | None = None
        self._zc_cost = np.zeros(self.n)
        self._proxy_cache: dict[str, tuple[np.ndarray, list[int]]] = {}
        if features is not None:
            feats = build_features(features, self.bench)
            self._X = feats.X
            proxies = feats.spec.proxies_used(self.bench)
            if proxies:
                cols = [self.bench.proxy_names.index(p) for p in proxies]
                self._zc_cost = np.nan_to_num(self.bench.proxy_seconds[:, cols]).sum(axis=1)
            self.preprocessor_spec = feats

    # -- what a searcher may ask -----------------------------------------------------
    @property
    def n_queried(self) -> int:
        return len(self.trajectory.rows)

    def queried(self, rows: np.ndarray) -> np.ndarray:
        return self._queried[rows]

    def unqueried(self) -> np.ndarray:
        return np.flatnonzero(~self._queried)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` distinct unqueried rows, uniformly."""
        free = self.unqueried()
        return rng.choice(free, size=min(n, len(free)), replace=False)

    def features(self, rows: np.ndarray) -> np.ndarray:
        """Raw features of ``rows``; the first use of a row's proxies is charged."""
        if self._X is None:
            raise BadInputError("search", "this searcher needs --features for its surrogate")
        rows = np.asarray(rows)
        fresh = rows[~self._charged[rows]]
        self.sim_seconds += float(self._zc_cost[np.unique(fresh)].sum())
        self._charged[fresh] = True
        return self._X[rows]

    def _proxy_values(self, proxy: str) -> tuple[np.ndarray, list[int]]:
        """Label-free score of every row for ``proxy`` (a proxy name, ``vote`` or
        ``evolved:FILE``) and the proxy columns it reads; cached per name.

        Single proxies and vote are ranks over the whole table scaled to [0, 1] (a missing
        score ranks last for a single proxy and in the middle inside vote)."""
        if proxy in self._proxy_cache:
            return self._proxy_cache[proxy]
        bench = self.bench
        if proxy.startswith("evolved:"):
            from nas_surrogate.proxies.evolved import EvolvedProxy

            evolved = EvolvedProxy.load(proxy.split(":", 1)[1])
            values = evolved.score(bench)
            values = np.where(np.isfinite(values), values, -np.inf)
            cols = [bench.proxy_names.index(t) for t in evolved.terminals]
        elif proxy == "vote" or proxy in bench.proxy_names:
            cols = (
                list(range(len(bench.proxy_names)))
                if proxy == "vote"
                else [bench.proxy_names.index(proxy)]
            )
            from nas_surrogate.proxies.evolved import rank_terminals

            ranks = rank_terminals(bench, [bench.proxy_names[c] for c in cols])
            if proxy != "vote":
                ranks[~np.isfinite(bench.proxy_scores[:, cols])] = 0.0
            values = ranks.mean(axis=1)
        else:
            raise BadInputError(
                f"proxy {proxy!r}",
                f"not a proxy of {bench.id} (use vote, evolved:FILE or one of "
                f"{', '.join(bench.proxy_names)})",
            )
        self._proxy_cache[proxy] = (values, cols)
        return values, cols

    def proxy_scores(self, rows: np.ndarray, proxy: str) -> np.ndarray:
        """Training-free scores of ``rows``; the first use of a row's proxies is charged."""
        rows = np.asarray(rows)
        values, cols = self._proxy_values(proxy)
        fresh = np.unique(rows[~self._charged[rows]])
        self.sim_seconds += float(
            np.nan_to_num(self.bench.proxy_seconds[np.ix_(fresh, cols)]).sum()
        )
        self._charged[fresh] = True
        return values[rows]

    def query(self, row: int) -> float:
        """Ground-truth validation accuracy of ``row``; each row at most once."""
        if self.n_queried >= self.budget:
            raise BudgetExhausted
        row = int(row)
        if self._queried[row]:
            raise ValueError(f"row {row} queried twice")  # a searcher bug, not user input
        self._queried[row] = True
        self.sim_seconds += self.train_seconds
        value = float(self.bench.val_accuracy[row])
        self.trajectory.rows.append(row)
        self.trajectory.values.append(value)
        self.trajectory.seconds.append(self.sim_seconds)
        return value

    @property
    def exhausted(self) -> bool:
        """Every searchable architecture has been queried."""
        return bool(self._queried.all())

    def best(self) -> tuple[int, float]:
        values = np.array(self.trajectory.values)
        i = int(values.argmax())
        return self.trajectory.rows[i], float(values[i])

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.trajectory.rows, dtype=int), np.array(self.trajectory.values)

    # -- neighbourhoods ---------------------------------------------------------------
    @cached_property
    def _codes(self) -> np.ndarray:
        """Natural encoding of every row, as small ints, for Hamming distances."""
        enc = ENCODINGS.get(self.bench.space.default_encoding)
        return enc.encode(self.bench.space, self.bench.archs).astype(np.int8)

    def neighbours(self, row: int) -> np.ndarray:
        """Rows one edit away (full space), or the nearest tabulated rows (tables)."""
        if self.bench.full_space:
            nbrs = self.bench.index_of(self.bench.space.neighbours(self.bench.archs[row]))
            return nbrs[nbrs >= 0]
        dist = np.abs(self._codes - self._codes[row]).sum(axis=1)
        dist[row] = np.iinfo(np.int64).max
        return np.flatnonzero(dist == dist.min())

    def mutate(self, row: int, rng: np.random.Generator) -> int | None:
        """A random unqueried neighbour of ``row``: on tables, among the nearest
        unqueried rows; on full spaces, among unqueried single-edit neighbours (None if
        there are none)."""
        if self.bench.full_space:
            nbrs = self.neighbours(row)
            free = nbrs[~self._queried[nbrs]]
        else:
            dist = np.abs(self._codes - self._codes[row]).sum(axis=1).astype(float)
            dist[self._queried] = np.inf
            dist[row] = np.inf
            if not np.isfinite(dist).any():
                return None
            free = np.flatnonzero(dist == dist.min())
        return int(rng.choice(free)) if len(free) else None
