"""The search problem a searcher sees: candidate rows, their neighbourhoods, features,
and a ``query`` that returns ground truth and charges its cost. Searchers never read
files or the benchmark's accuracy arrays; they only call this object.

The table has one row per distinct network (cells with the same canonical form, NB101's
isomorphic graphs: the first row answers). What a searcher holds are *candidate ids*:

- on a full-space benchmark of an enumerable space (NB201's whole table), the ids are the
  space's cells (all 15,625 for NB201): searches move in the cell space with real
  single-edit mutations and neighbourhoods, each cell is scored and queried as the
  network it computes (``row_of``), and no network is queried twice;
- on a table that covers part of a space (the NAS-Bench-Suite-Zero subsets), the ids are
  the table's rows; a single edit rarely lands in the table (about 1 of 24 NB201
  neighbours), so the neighbours of a row are the tabulated rows nearest to it: smallest
  Hamming distance between the space's natural encodings.

Cost: each query charges ``train_seconds`` (an assumption: the benchmarks do not record
training time), and the first use of an architecture's ZC proxies charges their recorded
``time`` seconds, summed over the proxies a feature spec uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    rows = np.array(sorted(first.values()))
    return replace(bench.subset(rows), full_space=bench.full_space)


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
        self.n = self.bench.n_archs  # queryable networks
        space = self.bench.space
        if self.bench.full_space and hasattr(space, "all_archs"):
            self.cells = space.all_archs()
            self.cell_row = self.bench.index_of(self.cells)
            if (self.cell_row < 0).any():
                raise ValueError(f"{self.bench.id}: a full-space table lacks some networks")
            self._cell_of_code = np.full(space.n_codes, -1, dtype=np.int64)
            self._cell_of_code[space.encode_codes(self.cells)] = np.arange(len(self.cells))
        else:
            self.cells = self.bench.archs
            self.cell_row = np.arange(self.n)
            self._cell_of_code = None
        #: one representative id per network (its first cell), for scoring whole tables
        self.network_ids = np.unique(self.cell_row, return_index=True)[1]
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

    def row_of(self, ids: np.ndarray) -> np.ndarray:
        """Table row (network) of each candidate id."""
        return self.cell_row[np.asarray(ids, dtype=np.int64)]

    def queried(self, ids: np.ndarray) -> np.ndarray:
        """Whether the network of each id has been queried."""
        return self._queried[self.row_of(ids)]

    def unqueried(self) -> np.ndarray:
        """Ids whose network has not been queried."""
        return np.flatnonzero(~self._queried[self.cell_row])

    def distinct(self, ids: np.ndarray) -> np.ndarray:
        """``ids`` with one id per network (the first), order kept."""
        ids = np.asarray(ids, dtype=np.int64)
        first = np.unique(self.row_of(ids), return_index=True)[1]
        return ids[np.sort(first)]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` unqueried ids of distinct networks, uniformly over ids."""
        free = self.unqueried()
        if self._cell_of_code is None:  # ids are networks
            return rng.choice(free, size=min(n, len(free)), replace=False)
        return self.distinct(rng.permutation(free))[:n]

    def features(self, ids: np.ndarray) -> np.ndarray:
        """Raw features of ``ids``; the first use of a network's proxies is charged."""
        if self._X is None:
            raise BadInputError("search", "this searcher needs --features for its surrogate")
        rows = self.row_of(ids)
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

    def proxy_scores(self, ids: np.ndarray, proxy: str) -> np.ndarray:
        """Training-free scores of ``ids``; the first use of a network's proxies is charged."""
        rows = self.row_of(ids)
        values, cols = self._proxy_values(proxy)
        fresh = np.unique(rows[~self._charged[rows]])
        self.sim_seconds += float(
            np.nan_to_num(self.bench.proxy_seconds[np.ix_(fresh, cols)]).sum()
        )
        self._charged[fresh] = True
        return values[rows]

    def query(self, cand: int) -> float:
        """Ground-truth validation accuracy of the network of ``cand``; each network once."""
        if self.n_queried >= self.budget:
            raise BudgetExhausted
        cand = int(cand)
        row = int(self.cell_row[cand])
        if self._queried[row]:
            raise ValueError(f"network {row} queried twice")  # a searcher bug, not user input
        self._queried[row] = True
        self.sim_seconds += self.train_seconds
        value = float(self.bench.val_accuracy[row])
        self.trajectory.rows.append(cand)
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

    def neighbours(self, cand: int) -> np.ndarray:
        """Ids one edit away, one per network other than ``cand``'s (full space), or
        the nearest tabulated rows (tables)."""
        if self._cell_of_code is not None:
            space = self.bench.space
            codes = space.encode_codes(space.neighbours(self.cells[cand]))
            nbrs = self._cell_of_code[codes]
            nbrs = nbrs[nbrs >= 0]
            return self.distinct(nbrs[self.cell_row[nbrs] != self.cell_row[cand]])
        if self.bench.full_space:
            nbrs = self.bench.index_of(self.bench.space.neighbours(self.bench.archs[cand]))
            return nbrs[(nbrs >= 0) & (nbrs != cand)]
        row = cand
        dist = np.abs(self._codes - self._codes[row]).sum(axis=1)
        dist[row] = np.iinfo(np.int64).max
        return np.flatnonzero(dist == dist.min())

    def mutate(self, row: int, rng: np.random.Generator) -> int | None:
        """A random unqueried neighbour of ``row``: on tables, among the nearest
        unqueried rows; on full spaces, among unqueried single-edit neighbours (None if
        there are none)."""
        if self.bench.full_space:
            nbrs = self.neighbours(row)
            free = nbrs[~self.queried(nbrs)]
        else:
            dist = np.abs(self._codes - self._codes[row]).sum(axis=1).astype(float)
            dist[self._queried] = np.inf
            dist[row] = np.inf
            if not np.isfinite(dist).any():
                return None
            free = np.flatnonzero(dist == dist.min())
        return int(rng.choice(free)) if len(free) else None
