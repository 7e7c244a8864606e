"""The search problem a searcher sees: candidate rows, their neighbourhoods, features,
and the bookkeeping of what was proposed and learned, with its cost. Searchers never
read files or the benchmark's accuracy arrays; they only call this object.

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

Proposing and learning a result are two steps (``take``, then ``record`` or ``fail``), so
the same problem serves the benchmark loop (``Searcher.run``: take, then record the
table's value, ``table_value``) and
``Optimizer.ask/tell``, where results arrive later from the user's own training. With
``live_proxies`` the table holds no proxy scores: they are computed on first use, for the
networks a searcher actually scores, and charged with their measured seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.encodings import ENCODINGS, build_features
from nas_surrogate.errors import BadInputError
from nas_surrogate.objectives import Constraint, Objective, ObjectiveView
from nas_surrogate.proxy_names import ProxySource
from nas_surrogate.spaces.base import EnumerableSpace


@dataclass
class Trajectory:
    rows: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    #: several objectives: every evaluated value of each result (``ObjectiveView.evaluated``)
    vectors: list[np.ndarray] = field(default_factory=list)

    def add(self, cand: int, value: float | np.ndarray, seconds: float) -> None:
        """One result: its id, its vector of evaluated values (the first is the scalar
        history) and the simulated seconds spent so far."""
        vector = np.atleast_1d(np.asarray(value, dtype=float))
        self.rows.append(int(cand))
        self.values.append(float(vector[0]))
        self.vectors.append(vector)
        self.seconds.append(seconds)

    def best(self) -> tuple[int, float]:
        values = np.array(self.values)
        i = int(values.argmax())
        return self.rows[i], float(values[i])

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.rows, dtype=int), np.array(self.values)

    def evaluated(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, values): every result, one row of ``width`` evaluated values each."""
        ids = np.array(self.rows, dtype=np.int64)
        if not len(ids):
            return ids, np.zeros((0, width))
        return ids, np.vstack(self.vectors)


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


def within_allowance(
    ids: np.ndarray, known: np.ndarray, first: np.ndarray | None, limit: int
) -> np.ndarray:
    """``ids`` whose proxies are ``known``, plus the first ``limit`` others (those in
    ``first`` before the rest), in the order given: what a surrogate step may score."""
    fresh = ids[~known]
    if first is not None:
        fresh = np.concatenate([fresh[np.isin(fresh, first)], fresh[~np.isin(fresh, first)]])
    keep = np.concatenate([ids[known], fresh[:limit]])
    return ids[np.isin(ids, keep)]


#: ``live_proxies(archs) -> (scores, seconds)``, both (len(archs), n_proxies) in the order
#: of the table's ``proxy_names``; NaN for a proxy that could not be computed
LiveProxies = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


class SearchProblem:
    def __init__(
        self,
        bench: Benchmark,
        budget: int | None = None,
        train_seconds: float = 3600.0,
        features: str | None = None,
        live_proxies: LiveProxies | None = None,
        max_new_proxies: int | None = None,
        objectives: list[Objective] | None = None,
        constraints: list[Constraint] | None = None,
        objective_notes: list[str] = (),  # type: ignore[assignment]
        own_results: bool = False,
    ) -> None:
        self.bench = distinct_networks(bench)
        self.n = self.bench.n_archs  # queryable networks
        self.budget = self.n if budget is None else budget
        self.train_seconds = train_seconds
        self.live_proxies = live_proxies
        #: live proxies: at most this many networks get new proxy scores per surrogate
        #: step (a count, not seconds, so that a search is the same on any machine)
        self.max_new_proxies = max_new_proxies
        #: live proxies: [networks whose scores were asked again (known), computed]
        self.proxy_lookups = [0, 0]
        #: rows whose proxy scores are known (all of them on a table)
        self._has_zc = np.full(self.n, live_proxies is None)
        self._index_cells()
        #: several objectives or constraints: what a query returns, what is known up
        #: front, and which ids may be proposed at all (``ObjectiveView.allowed``)
        self.view: ObjectiveView | None = None
        self._allowed = np.ones(len(self.cells), dtype=bool)
        if objectives or constraints:
            self.view = ObjectiveView(
                self.bench, self.cells, self.cell_row, objectives or [], constraints or [],
                objective_notes, own_results=own_results,
            )  # fmt: skip
            self._allowed = self.view.allowed
        #: proxy columns the objectives read (live proxies compute them like the features')
        self._objective_cols = [
            self.bench.proxy_names.index(n) for n in (self.view.proxy_known if self.view else [])
        ]
        #: one representative id per network (its first proposable cell), for scoring
        #: whole tables
        allowed = np.flatnonzero(self._allowed)
        self.network_ids = allowed[np.unique(self.cell_row[allowed], return_index=True)[1]]
        self.feature_spec = features
        self._queried = np.zeros(self.n, dtype=bool)  # proposed (asked), told or not
        self._in_flight: dict[int, int] = {}  # row -> id proposed, not told or failed yet
        self.failed: list[int] = []
        self._charged = np.zeros(self.n, dtype=bool)
        self.trajectory = Trajectory()
        self.sim_seconds = 0.0
        self._X: np.ndarray | None = None
        self._zc_cost = np.zeros(self.n)
        self._zc_cols: list[int] = []
        self._proxy_cache: dict[str, tuple[np.ndarray, list[int]]] = {}
        if features is not None:
            self._attach_features(features)

    def _index_cells(self) -> None:
        """What ids mean: on a table of a whole enumerable space, every cell of the space
        (``cell_row``: the row of the network it computes); otherwise the table's rows."""
        space = self.bench.space
        if self.bench.full_space and isinstance(space, EnumerableSpace):
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

    def _attach_features(self, features: str) -> None:
        """The surrogate's feature matrix over every row, and which of its columns are ZC
        scores (charged on first use, filled in by live proxies)."""
        feats = build_features(features, self.bench)
        if self.live_proxies is not None and feats.spec.evolved:
            raise BadInputError(
                f"feature spec {features!r}", "evolved proxies need a table of proxy scores"
            )
        self._X = feats.X
        proxies = feats.spec.proxies_used(self.bench)
        if proxies:
            self._zc_cols = [self.bench.proxy_names.index(p) for p in proxies]
            self._zc_cost = self._cost_of(np.arange(self.n))
        #: feature columns of table proxies and the proxy column each reads (filled in
        #: by live proxies)
        self._feature_zc = feats.proxy_columns
        self._feature_proxies = [self.bench.proxy_names.index(p) for p in feats.proxies]
        self.preprocessor_spec = feats

    def _cost_of(self, rows: np.ndarray) -> np.ndarray:
        return np.nan_to_num(self.bench.proxy_seconds[np.ix_(rows, self._zc_cols)]).sum(axis=1)

    def _ensure_proxies(self, rows: np.ndarray) -> None:
        """Compute the proxy scores of ``rows`` that are not known yet (live proxies)."""
        todo = np.unique(rows[~self._has_zc[rows]])
        self.proxy_lookups[0] += len(np.unique(rows)) - len(todo)
        self.proxy_lookups[1] += len(todo)
        if not len(todo):
            return
        self._store_proxies(todo, *self.live_proxies(self.bench.archs[todo]))

    def _store_proxies(self, rows: np.ndarray, scores: np.ndarray, seconds: np.ndarray) -> None:
        self.bench.proxy_scores[rows] = scores
        self.bench.proxy_seconds[rows] = seconds
        self._has_zc[rows] = True
        if self._X is not None and len(self._feature_zc):
            self._X[np.ix_(rows, self._feature_zc)] = scores[:, self._feature_proxies]
        if self._zc_cols:
            self._zc_cost[rows] = self._cost_of(rows)

    def affordable(
        self, ids: np.ndarray, first: np.ndarray | None = None, new: int | None = None
    ) -> np.ndarray:
        """``ids`` a surrogate step may score: all whose proxies are known, plus at most
        ``new`` (default ``max_new_proxies``) new ones (``first`` before the others)."""
        ids = np.asarray(ids, dtype=np.int64)
        needs = self._zc_cols or self._objective_cols
        limit = self.max_new_proxies if new is None else new
        if self.live_proxies is None or limit is None or not needs:
            return ids
        return within_allowance(ids, self._has_zc[self.row_of(ids)], first, limit)

    def set_proxies(self, rows: np.ndarray, scores: np.ndarray, seconds: np.ndarray) -> None:
        """Live proxies known from elsewhere (a saved state): as if computed now."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(np.unique(rows)) < len(rows) or (
            len(rows) and not 0 <= rows.min() <= rows.max() < self.n
        ):
            raise ValueError("proxy rows out of range or listed twice")
        self._store_proxies(rows, scores, seconds)

    def snapshot(self) -> dict:
        """What was proposed, told and charged, as JSON values (``restore`` reads it)."""
        t = self.trajectory
        return {
            "queried": np.flatnonzero(self._queried).tolist(),
            "charged": np.flatnonzero(self._charged).tolist(),
            "failed": list(self.failed),
            "in_flight": list(self._in_flight.values()),
            "rows": list(t.rows),
            "vectors": [v.tolist() for v in t.vectors],
            "seconds": list(t.seconds),
            "sim_seconds": self.sim_seconds,
            "proxy_lookups": list(self.proxy_lookups),
        }

    def restore(self, snap: dict) -> None:
        """The state ``snapshot`` saved (KeyError / TypeError / ValueError if malformed)."""
        rows = {k: np.array(snap[k], dtype=np.int64).reshape(-1) for k in ("queried", "charged")}
        ids = np.array(snap["rows"] + snap["failed"] + snap["in_flight"], dtype=np.int64)
        for arr, n in (
            (rows["queried"], self.n),
            (rows["charged"], self.n),
            (ids, len(self.cells)),
        ):
            if len(arr) and (arr.min() < 0 or arr.max() >= n):
                raise ValueError("an id out of range")
        width = len(self.view.evaluated) if self.view is not None else 1
        vectors = [np.array(v, dtype=float).reshape(width) for v in snap["vectors"]]
        seconds = [float(x) for x in snap["seconds"]]
        if not len(vectors) == len(seconds) == len(snap["rows"]):
            raise ValueError("rows, vectors and seconds differ in length")
        self._queried[:] = False
        self._queried[rows["queried"]] = True
        self._charged[:] = False
        self._charged[rows["charged"]] = True
        self.failed = [int(i) for i in snap["failed"]]
        flying = [int(i) for i in snap["in_flight"]]
        self._in_flight = dict(zip(self.cell_row[flying].tolist(), flying))
        self.trajectory = Trajectory(
            rows=[int(i) for i in snap["rows"]],
            values=[float(v[0]) for v in vectors],
            seconds=seconds,
            vectors=vectors,
        )
        self.sim_seconds = float(snap["sim_seconds"])
        self.proxy_lookups = [int(x) for x in snap["proxy_lookups"]][:2]

    def known_proxies(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, scores, seconds) of the rows whose live proxies have been computed."""
        rows = np.flatnonzero(self._has_zc) if self.live_proxies else np.empty(0, dtype=int)
        return rows, self.bench.proxy_scores[rows], self.bench.proxy_seconds[rows]

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

    def unqueried_mask(self, ids: np.ndarray) -> np.ndarray:
        """Whether each id may still be proposed (not queried, no known constraint broken)."""
        ids = np.asarray(ids, dtype=np.int64)
        return ~self._queried[self.cell_row[ids]] & self._allowed[ids]

    def unqueried(self) -> np.ndarray:
        """Proposable ids whose network has not been queried."""
        return np.flatnonzero(~self._queried[self.cell_row] & self._allowed)

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
        if self.live_proxies is not None and self._zc_cols:
            self._ensure_proxies(rows)
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
        if self.live_proxies is not None:
            if proxy not in bench.proxy_names:
                raise BadInputError(
                    f"proxy {proxy!r}",
                    f"live proxies rank by one proxy computed on the fly (one of "
                    f"{', '.join(bench.proxy_names)}); vote and evolved need a table",
                )
            col = bench.proxy_names.index(proxy)
            return bench.proxy_scores[:, col], [col]  # a view: filled in as computed
        source = ProxySource.parse(proxy)
        if source.evolved_file:
            from nas_surrogate.proxies.evolved import EvolvedProxy

            evolved = EvolvedProxy.load(source.evolved_file)
            values = evolved.score(bench)
            values = np.where(np.isfinite(values), values, -np.inf)
            cols = [bench.proxy_names.index(t) for t in evolved.terminals]
        elif source.kind == "vote" or source.name in bench.proxy_names:
            vote = source.kind == "vote"
            cols = list(range(len(bench.proxy_names))) if vote else [bench.proxy_names.index(proxy)]
            from nas_surrogate.proxies.evolved import rank_terminals

            ranks = rank_terminals(bench, [bench.proxy_names[c] for c in cols])
            if not vote:
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
        if self.live_proxies is not None:
            self._ensure_proxies(rows)
        fresh = np.unique(rows[~self._charged[rows]])
        self.sim_seconds += float(
            np.nan_to_num(self.bench.proxy_seconds[np.ix_(fresh, cols)]).sum()
        )
        self._charged[fresh] = True
        if self.live_proxies is not None:
            return np.nan_to_num(values[rows], nan=-np.inf)
        return values[rows]

    # -- proposing and learning results ------------------------------------------------
    def take(self, ids: np.ndarray) -> None:
        """Mark the networks of ``ids`` as proposed: never proposed again."""
        rows = self.row_of(ids)
        if self._queried[rows].any() or len(np.unique(rows)) < len(rows):
            raise ValueError(f"a network proposed twice among ids {list(ids)}")  # a bug
        self._queried[rows] = True
        self._in_flight.update(zip(rows.tolist(), np.asarray(ids, dtype=np.int64).tolist()))

    def pending(self) -> np.ndarray:
        """Ids proposed and not yet told or failed (being evaluated), in proposal order."""
        return np.array(list(self._in_flight.values()), dtype=np.int64)

    def record(self, cand: int, value: float | np.ndarray) -> None:
        """The result of a proposed ``cand`` (a vector of ``view.evaluated`` values with
        several objectives; its first entry is the scalar history); charges
        ``train_seconds``."""
        self.sim_seconds += self.train_seconds
        self._in_flight.pop(int(self.cell_row[int(cand)]), None)
        self.trajectory.add(cand, value, self.sim_seconds)

    def fail(self, cand: int) -> None:
        """A proposed ``cand`` whose evaluation failed: no value, charged all the same."""
        self.sim_seconds += self.train_seconds
        self._in_flight.pop(int(self.cell_row[int(cand)]), None)
        self.failed.append(int(cand))

    def table_value(self, cand: int) -> float | np.ndarray:
        """The table's validation accuracy for the network of ``cand`` (with several
        objectives: every evaluated value, ``view.evaluated``)."""
        if self.view is not None:
            vector = self.view.truth_evaluated(np.array([int(cand)]))[0]
            return float(vector[0]) if len(vector) == 1 else vector
        return float(self.bench.val_accuracy[self.cell_row[int(cand)]])

    def objectives_ready(self, ids: np.ndarray) -> None:
        """Live proxies: compute the proxy columns the objectives read (latency, params,
        flops) for ``ids`` that lack them, before the view reads them."""
        if self.live_proxies is not None and self._objective_cols:
            self._ensure_proxies(self.row_of(np.asarray(ids, dtype=np.int64)))

    def points(self, ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(minimisation objectives, feasible) of ``ids`` with evaluated ``values``."""
        self.objectives_ready(ids)
        values = np.asarray(values, dtype=float).reshape(len(ids), -1)
        return self.view.minimisation(ids, values), self.view.feasible(ids, values)

    def evaluated_history(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, values): every result so far, one row of ``view.evaluated`` values each."""
        return self.trajectory.evaluated(len(self.view.evaluated) if self.view else 1)

    def evaluated_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, minimisation objectives, feasible) of every proposable cell whose
        network has a result: a network's other cells cost nothing more (their accuracy
        is the network's, their latency a look-up), so the front a searcher improves on
        holds the best cell of each network."""
        view = self.view
        ids, values = self.evaluated_history()
        if not len(ids):
            m = len(view.objectives)
            return ids, np.zeros((0, m)), np.zeros(0, dtype=bool)
        rows = self.row_of(ids)
        by_row = {int(r): v for r, v in zip(rows, values)}
        sib = view.siblings(rows)
        sib = sib[self._allowed[sib]]
        vals = np.vstack([by_row[int(r)] for r in self.cell_row[sib]])
        return (sib, *self.points(sib, vals))

    def ids_of(self, archs: np.ndarray) -> np.ndarray:
        """Candidate id of each architecture (a cell of an enumerable space, a row of a
        table), or -1 when it is not one of the problem's candidates."""
        archs = np.atleast_2d(np.asarray(archs, dtype=np.int64))
        space = self.bench.space
        if self._cell_of_code is not None:
            out = np.full(len(archs), -1, dtype=np.int64)
            ok = space.is_valid(archs)
            out[ok] = self._cell_of_code[space.encode_codes(archs[ok])]
            return out
        return self.bench.index_of(archs, exact=True)

    @property
    def exhausted(self) -> bool:
        """Every searchable architecture has been queried."""
        return bool(self._queried.all())

    def best(self) -> tuple[int, float]:
        return self.trajectory.best()

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        return self.trajectory.history()

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
            nbrs = nbrs[self._allowed[nbrs]]
            return self.distinct(nbrs[self.cell_row[nbrs] != self.cell_row[cand]])
        if self.bench.full_space:
            nbrs = self.bench.index_of(self.bench.space.neighbours(self.bench.archs[cand]))
            nbrs = nbrs[(nbrs >= 0) & (nbrs != cand)]
            return nbrs[self._allowed[nbrs]]
        row = cand
        dist = np.abs(self._codes - self._codes[row]).sum(axis=1)
        dist[row] = np.iinfo(np.int64).max
        dist[~self._allowed] = np.iinfo(np.int64).max
        if (dist == np.iinfo(np.int64).max).all():
            return np.empty(0, dtype=np.int64)
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
            dist[self._queried | ~self._allowed] = np.inf
            dist[row] = np.inf
            if not np.isfinite(dist).any():
                return None
            free = np.flatnonzero(dist == dist.min())
        return int(rng.choice(free)) if len(free) else None
