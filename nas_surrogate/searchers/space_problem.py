"""The search problem of a user ``Space``: the same interface searchers call on a
benchmark table (``SearchProblem``), with candidates made on demand instead of listed.

A candidate id is the position of a configuration in the order it was first made (drawn,
mutated, taken as a neighbour, told): ids are assigned lazily, one per distinct
configuration (``Space.key``: inactive dimensions dropped), so nothing scales with the
size of the space. Random search, evolution, local search and bo run unchanged on it:
bo's candidate pool is ``n_random`` fresh draws plus mutations of the best, scored by the
surrogate, never the whole space (an enumerable space with ``candidates="all"`` is
listed once, as a table would be).

Features: the space's own encoding (``Space.encode``) and, with ``zc``, the proxy
scores of a user source (a callable ``config -> {proxy: score}`` or an object with
``compute(configs, names)`` such as ``ModelProxies``), computed the first time a
searcher scores a configuration and charged their measured seconds.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nas_surrogate.encodings.features import DEFAULT_ENC, Features, FeatureSpec
from nas_surrogate.errors import BadInputError
from nas_surrogate.searchers.problem import Trajectory, within_allowance
from nas_surrogate.spaces.space import Config, Space

#: a budget for "no budget": ask stops at the user's will, not at the space's size
NO_BUDGET = 10**9
#: draws per requested configuration before ``sample`` settles for fewer (a space almost
#: exhausted by the search)
DRAW_FACTOR = 20
#: most configurations one ``sample`` makes (a searcher asking for "the budget" of an
#: open-ended search gets this many, more later: memory stays bounded)
MAX_SAMPLE = 10_000


class SpaceProblem:
    """What a searcher sees of a search over a user ``Space`` (see the module docstring)."""

    #: candidates are made on demand: a random search proposes in chunks
    lazy = True
    view = None  # several objectives are not supported on user spaces yet

    def __init__(
        self,
        space: Space,
        spec: FeatureSpec | None = None,
        budget: int | None = None,
        proxies: object = None,
        proxy_names: Sequence[str] | None = None,
        max_new_proxies: int | None = None,
        seed: int = 0,
    ) -> None:
        self.space = space
        self.budget = NO_BUDGET if budget is None else int(budget)
        size = space.size()
        self.n = int(min(size, NO_BUDGET)) if math.isfinite(size) else NO_BUDGET
        self.train_seconds = 0.0
        self.max_new_proxies = max_new_proxies
        self.proxy_lookups = [0, 0]
        self._seed = int(seed)
        self.configs: list[Config] = []
        self._id: dict[str, int] = {}
        self._queried: list[bool] = []
        self._in_flight: dict[int, None] = {}
        self.failed: list[int] = []
        self.trajectory = Trajectory()
        self.sim_seconds = 0.0
        self._spec = spec
        self.feature_spec = spec.text if spec is not None else None
        self._source = proxies
        #: proxy columns: fixed by the spec, or the names the source's first answer gives
        self.proxy_names: list[str] | None = list(proxy_names) if proxy_names else None
        self._scores: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id -> (scores, seconds)
        self._charged: set[int] = set()
        self._enc: dict[int, np.ndarray] = {}
        self._missing_warned: set[str] = set()

    # -- ids ---------------------------------------------------------------------------
    @property
    def cells(self) -> list[Config]:
        """Every configuration made so far, by id (what a driver's ids index)."""
        return self.configs

    def register(self, configs: Sequence[Config]) -> np.ndarray:
        """The id of each (checked) configuration, made on first sight."""
        out = []
        for c in configs:
            k = self.space.key(c)
            i = self._id.get(k)
            if i is None:
                i = self._id[k] = len(self.configs)
                self.configs.append(dict(c))
                self._queried.append(False)
            out.append(i)
        return np.array(out, dtype=np.int64)

    def ids_of(self, configs: Sequence[Config]) -> np.ndarray:
        return self.register(configs)

    def row_of(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(ids, dtype=np.int64)

    def queried(self, ids: np.ndarray) -> np.ndarray:
        q = self._queried
        return np.array([q[int(i)] for i in np.atleast_1d(ids)], dtype=bool)

    def unqueried_mask(self, ids: np.ndarray) -> np.ndarray:
        return ~self.queried(ids)

    def distinct(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        return ids[np.sort(np.unique(ids, return_index=True)[1])]

    @property
    def network_ids(self) -> np.ndarray:
        """Every configuration of an enumerable space (bo's ``candidates="all"``)."""
        if not self.space.enumerable:
            raise BadInputError("bo candidates='all'", "the space is too large to list")
        return self.register(self.space.all_configs())

    @property
    def exhausted(self) -> bool:
        return self.n_queried + len(self.failed) + len(self._in_flight) >= self.n

    # -- making candidates ----------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` (at most ``MAX_SAMPLE``) distinct unqueried configurations, drawn
        from the space."""
        n = min(int(n), MAX_SAMPLE)
        out: dict[int, None] = {}
        for _ in range(DRAW_FACTOR):
            need = n - len(out)
            if need <= 0:
                break
            for i in self.register(self.space.sample(need, rng)):
                if not self._queried[int(i)]:
                    out.setdefault(int(i), None)
        return np.array(list(out)[:n], dtype=np.int64)

    def mutate(self, row: int, rng: np.random.Generator) -> int | None:
        """An unqueried configuration one mutation from ``row`` (None after 20 tries)."""
        for _ in range(20):
            child = self.space.mutate(self.configs[int(row)], rng)
            i = int(self.register([child])[0])
            if i != row and not self._queried[i]:
                return i
        return None

    def neighbours(self, cand: int) -> np.ndarray:
        """Ids one edit away; dimensions an edit activates are drawn from a generator
        seeded by the configuration, so the neighbourhood of a point is always the same."""
        key = self.space.key(self.configs[int(cand)])
        seed = int.from_bytes(hashlib.sha256(f"{self._seed}:{key}".encode()).digest()[:8], "big")
        nbrs = self.space.neighbours(self.configs[int(cand)], np.random.default_rng(seed))
        return self.register(nbrs)

    # -- features and proxies ---------------------------------------------------------------
    @property
    def uses_zc(self) -> bool:
        return self._spec is not None and (self._spec.uses_zc or bool(self._spec.lpz))

    def _wanted(self, names: list[str]) -> list[str]:
        """The proxy columns of the features: ``zc`` (its list, else the source's names)
        then each ``lpz:FILE``."""
        spec = self._spec
        if spec is None:
            return names
        wanted = (list(spec.proxies) or list(names)) if spec.uses_zc else []
        return wanted + [n for n in spec.lpz if n not in wanted]

    def _compute(self, ids: list[int]) -> None:
        """Proxy scores of ``ids`` not known yet, from the user's source."""
        todo = [i for i in ids if i not in self._scores]
        self.proxy_lookups[0] += len(set(ids)) - len(todo)
        self.proxy_lookups[1] += len(todo)
        if not todo:
            return
        if self._source is None:
            raise BadInputError("proxies", "the features use ZC proxies: give proxies=")
        configs = [self.configs[i] for i in todo]
        if hasattr(self._source, "compute"):
            names = self.proxy_names or list(getattr(self._source, "names", []))
            if not names:
                raise BadInputError("proxies", "name the proxies (zc:NAME,...) for this source")
            self.proxy_names = list(names)
            scores, seconds = self._source.compute(configs, list(names))
            for i, s, t in zip(todo, np.asarray(scores, float), np.asarray(seconds, float)):
                self._scores[i] = (np.where(np.isfinite(s), s, np.nan), t)
            return
        if not callable(self._source):
            raise BadInputError("proxies", f"not a function or a proxy source: {self._source!r}")
        for i, config in zip(todo, configs):
            t0 = time.perf_counter()
            got = self._source(dict(config))
            took = time.perf_counter() - t0
            if not isinstance(got, dict) or not got:
                raise BadInputError("proxies", f"must return a dict of scores, got {got!r}")
            if self.proxy_names is None:
                self.proxy_names = [str(k) for k in got]
            row = np.full(len(self.proxy_names), np.nan)
            for j, name in enumerate(self.proxy_names):
                if name not in got:
                    if name not in self._missing_warned:
                        self._missing_warned.add(name)
                        warnings.warn(f"proxies: no score for {name!r} (first missing for "
                                      f"{config}); it counts as missing", stacklevel=3)  # fmt: skip
                    continue
                value = got[name]
                if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                    raise BadInputError(f"proxies score {name}", f"not a number: {value!r}")
                row[j] = float(value) if math.isfinite(float(value)) else np.nan
            self._scores[i] = (row, np.full(len(row), took / max(len(row), 1)))

    def _charge(self, ids: Sequence[int], cols: list[int] | None = None) -> None:
        for i in dict.fromkeys(ids):
            if i not in self._charged and i in self._scores:
                secs = self._scores[i][1]
                self.sim_seconds += float(np.nansum(secs if cols is None else secs[cols]))
                self._charged.add(i)

    def _zc_rows(self, ids: list[int]) -> np.ndarray:
        names = self.proxy_names or []
        wanted = self._wanted(names)
        missing = [p for p in wanted if p not in names]
        if missing:
            raise BadInputError("features", f"the proxy source gives no {missing[0]!r} "
                                f"(it gives {', '.join(names)})")  # fmt: skip
        cols = [names.index(p) for p in wanted]
        return (
            np.vstack([self._scores[i][0][cols] for i in ids]) if ids else np.zeros((0, len(cols)))
        )

    def features(self, ids: np.ndarray) -> np.ndarray:
        """Raw features of ``ids``: the space's encoding, then the proxy scores (NaN where
        a proxy failed); the first use of a configuration's proxies is charged."""
        if self._spec is None:
            raise BadInputError("search", "this searcher needs features for its surrogate")
        ids = [int(i) for i in np.atleast_1d(ids)]
        for i in ids:
            if i not in self._enc:
                self._enc[i] = self.space.encode([self.configs[i]])[0]
        blocks = [np.vstack([self._enc[i] for i in ids]) if ids else np.zeros((0, self._enc_width))]
        if self.uses_zc:
            self._compute(ids)
            self._charge(ids)
            blocks.append(self._zc_rows(ids))
        return np.hstack(blocks)

    @property
    def _enc_width(self) -> int:
        return len(self.space.feature_names)

    def _known_names(self) -> list[str]:
        """The source's proxy names: declared (``zc:a,b``, a source's ``names``) or, for a
        plain function, those its first answer gives (computed for a told configuration,
        which the surrogate's fit needs anyway)."""
        if self.proxy_names is None and hasattr(self._source, "names"):
            self.proxy_names = list(self._source.names)
        if self.proxy_names is None and self.trajectory.rows:
            self._compute([self.trajectory.rows[0]])
        return list(self.proxy_names or [])

    @property
    def preprocessor_spec(self) -> Features:
        """Column layout for the surrogate's preprocessor (ZC columns imputed)."""
        enc = self._enc_width
        names = list(self.space.feature_names)
        n_zc = 0
        if self.uses_zc:
            known = self._known_names() if self._spec.uses_zc and not self._spec.proxies else []  # type: ignore[union-attr]
            wanted = self._wanted(known)
            n_zc = len(wanted)
            names += [f"zc:{p}" for p in wanted]
        zc = np.arange(enc, enc + n_zc)
        blocks = {DEFAULT_ENC: np.arange(enc)}
        if n_zc:
            blocks["zc"] = zc
        return Features(self._spec, np.zeros((0, len(names))), names, zc, blocks=blocks)  # type: ignore[arg-type]

    def proxy_scores(self, ids: np.ndarray, proxy: str) -> np.ndarray:
        """One proxy's raw score of each id (a ZC warm-up ranks by it); -inf if missing."""
        ids = [int(i) for i in np.atleast_1d(ids)]
        self._compute(ids)
        names = self.proxy_names or []
        if proxy not in names:
            raise BadInputError(f"zc_warmup {proxy!r}", f"not a proxy of the source "
                                f"({', '.join(names)})")  # fmt: skip
        col = names.index(proxy)
        self._charge(ids, [col])
        values = np.array([self._scores[i][0][col] for i in ids])
        return np.nan_to_num(values, nan=-np.inf)

    def affordable(self, ids: np.ndarray, first: np.ndarray | None = None, new: int | None = None):
        """``ids`` whose proxies are known, plus at most ``new`` (``max_new_proxies``) more."""
        ids = np.asarray(ids, dtype=np.int64)
        limit = self.max_new_proxies if new is None else new
        if not self.uses_zc or limit is None:
            return ids
        known = np.array([int(i) in self._scores for i in ids], dtype=bool)
        return within_allowance(ids, known, first, limit)

    def known_proxies(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, scores, seconds) of the configurations whose proxies are known."""
        ids = np.array(sorted(self._scores), dtype=np.int64)
        width = len(self.proxy_names or [])
        scores = np.array([self._scores[i][0] for i in ids.tolist()]).reshape(len(ids), width)
        seconds = np.array([self._scores[i][1] for i in ids.tolist()]).reshape(len(ids), width)
        return ids, scores, seconds

    def set_proxies(self, ids: Sequence[int], scores: Sequence, seconds: Sequence) -> None:
        width = len(self.proxy_names or [])
        for i, s, t in zip(ids, scores, seconds):
            if not 0 <= int(i) < len(self.configs):
                raise ValueError("proxy id out of range")
            s, t = (
                np.asarray(s, dtype=float).reshape(width),
                np.asarray(t, dtype=float).reshape(width),
            )
            self._scores[int(i)] = (s, t)

    # -- proposing and learning ---------------------------------------------------------------
    @property
    def n_queried(self) -> int:
        return len(self.trajectory.rows)

    def take(self, ids: np.ndarray) -> None:
        ids = [int(i) for i in np.atleast_1d(ids)]
        if any(self._queried[i] for i in ids) or len(set(ids)) < len(ids):
            raise ValueError(f"a configuration proposed twice among ids {ids}")  # a bug
        for i in ids:
            self._queried[i] = True
            self._in_flight[i] = None

    def pending(self) -> np.ndarray:
        return np.array(list(self._in_flight), dtype=np.int64)

    def record(self, cand: int, value: Any) -> None:
        self._in_flight.pop(int(cand), None)
        self.trajectory.add(cand, value, self.sim_seconds)

    def fail(self, cand: int) -> None:
        self._in_flight.pop(int(cand), None)
        self.failed.append(int(cand))

    def best(self) -> tuple[int, float]:
        return self.trajectory.best()

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        return self.trajectory.history()

    def evaluated_history(self) -> tuple[np.ndarray, np.ndarray]:
        return self.trajectory.evaluated(1)

    def objectives_ready(self, ids: np.ndarray) -> None:
        return None

    # -- saving -------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        t = self.trajectory
        return {
            "configs": [dict(c) for c in self.configs],
            "queried": [i for i, q in enumerate(self._queried) if q],
            "charged": sorted(self._charged),
            "failed": list(self.failed),
            "in_flight": list(self._in_flight),
            "rows": list(t.rows),
            "values": list(t.values),
            "seconds": list(t.seconds),
            "sim_seconds": self.sim_seconds,
            "proxy_lookups": list(self.proxy_lookups),
            "proxy_names": self.proxy_names,
        }

    def restore(self, snap: dict) -> None:
        """The state ``snapshot`` saved; each configuration is checked against the space
        (KeyError / TypeError / ValueError if malformed)."""
        configs = snap["configs"]
        if not isinstance(configs, list):
            raise TypeError("configs must be a list")
        self.configs, self._id, self._queried = [], {}, []
        ids = self.register([self.space.check(c, f"configs[{i}]") for i, c in enumerate(configs)])
        if len(set(ids.tolist())) != len(configs):
            raise ValueError("a configuration listed twice")
        n = len(self.configs)

        def idlist(key: str) -> list[int]:
            out = [int(i) for i in snap[key]]
            if any(not 0 <= i < n for i in out):
                raise ValueError(f"{key}: an id out of range")
            return out

        for i in idlist("queried"):
            self._queried[i] = True
        self._charged = set(idlist("charged"))
        self.failed = idlist("failed")
        self._in_flight = dict.fromkeys(idlist("in_flight"))
        rows = idlist("rows")
        values = [float(v) for v in snap["values"]]
        seconds = [float(s) for s in snap["seconds"]]
        if not len(rows) == len(values) == len(seconds):
            raise ValueError("rows, values and seconds differ in length")
        self.trajectory = Trajectory(rows=rows, values=values, seconds=seconds,
                                     vectors=[np.array([v]) for v in values])  # fmt: skip
        self.sim_seconds = float(snap["sim_seconds"])
        self.proxy_lookups = [int(x) for x in snap["proxy_lookups"]][:2]
        names = snap["proxy_names"]
        if names is not None and not all(isinstance(x, str) for x in names):
            raise TypeError("proxy_names must be strings")
        self.proxy_names = names


ProxySource = Callable[[Config], dict[str, float]]
