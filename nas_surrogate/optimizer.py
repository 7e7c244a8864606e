"""``Optimizer``: every searcher driven from outside with ask/tell, on a problem of the
user's own.

    opt = Optimizer("nasbench201", searcher="bo", features="onehot+zc", proxies=fn, seed=0)
    archs = opt.ask(4)                      # arch strings, for 4 parallel workers
    opt.tell(archs, [train(a) for a in archs])
    opt.save("run.json")                    # after every tell: a crash loses nothing

It is the same code as the benchmark loop (``Searcher.run`` is a driver of the same
``propose`` generator), so a search validated on the tables runs unchanged here.

Where ZC proxies come from (``proxies``): nothing (features without ``zc``); a callable
``fn(arch_string) -> {proxy: score}`` (or an object with ``compute(archs, names)`` such as
``nas_surrogate.proxies.live.TorchProxies``) called once per network, the first time a
searcher scores it; or a ``Benchmark`` whose proxy table is read (its accuracies never
are), which also restricts the search to the table's rows. Without a table the space
must be enumerable (NB201, TransNAS-Bench-101): its networks are the candidates.

Policies, stated once:
- ``ask(k)``: ``k`` distinct, never-proposed networks; when the searcher needs results
  before proposing more, the rest come from its ``more`` (bo: kriging believer; evolution:
  children of further tournaments), random only for a searcher without one (see
  ``searchers/driver.py``);
- ``tell``: only archs asked and not yet told, finite values (ValueError naming the
  argument otherwise); a crashed evaluation is reported with ``fail(archs)``: it is
  never proposed again, the searcher sees it as the worst result, surrogates skip it;
- ``add(archs, values)``: results obtained elsewhere (a known network, another study):
  they join the surrogates' data and are never proposed;
- ``save``/``load``: a JSON file with the settings, the proxy scores computed so far and
  the optimiser's state itself (the searcher's population or walk, what was proposed and
  told, the random generators' states), not a log to replay: ``load`` takes the same
  time at result 300 as at result 3 and the loaded optimiser proposes exactly what the
  original would have; archs asked but never told are listed in ``pending``. No pickle.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from nas_surrogate.ask_tell import (
    MAX_ASK,
    MAX_STATE_BYTES,
    STATE_FORMAT,
    AskTell,
    _decode,
    _encode,
    read_state,
    searcher_of,
    settings_record,
    state_digest,
)
from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.encodings import parse_feature_spec
from nas_surrogate.errors import BadInputError
from nas_surrogate.objectives.spec import parse_objectives
from nas_surrogate.proxy_names import COST_COLUMNS, PROXY_NAMES
from nas_surrogate.searchers import SearcherSpec, check_objectives
from nas_surrogate.searchers.driver import Driver
from nas_surrogate.searchers.problem import SearchProblem
from nas_surrogate.spaces import SPACES, SearchSpace, get_space
from nas_surrogate.spaces.base import EnumerableSpace
from nas_surrogate.surrogates import check_features

#: formats of earlier versions (/1: no digest; /2: a log replayed on load), refused
#: with what to do
OLD_FORMATS = ("nas-surrogate-optimizer/1", "nas-surrogate-optimizer/2")
ProxyFn = Callable[[str], dict[str, float]]


def space_table(space: SearchSpace, proxy_names: Sequence[str]) -> Benchmark:
    """A table of every network of an enumerable space, no accuracies and no proxy
    scores yet (NaN): the candidates of a search on the user's own problem."""
    if not isinstance(space, EnumerableSpace):
        raise BadInputError(
            f"space {space.name}",
            "is not enumerable; pass proxies=<a Benchmark of it> to search its table's rows",
        )
    cells = space.all_archs()
    first = np.unique(space.network_codes(cells), return_index=True)[1]
    archs = cells[np.sort(first)]
    n, p = len(archs), len(proxy_names)
    return Benchmark(
        id=f"{space.name}/own",
        space=space,
        archs=archs,
        val_accuracy=np.full(n, np.nan),
        proxy_names=tuple(proxy_names),
        proxy_scores=np.full((n, p), np.nan),
        proxy_seconds=np.full((n, p), np.nan),
        full_space=True,
        source="the space's networks; results come from the user",
    )


def _per_arch(fn: ProxyFn, space: SearchSpace, names: Sequence[str]):
    """Adapt ``fn(arch_string) -> {proxy: score}`` to the batch form the problem calls:
    scores in ``names`` order (missing -> NaN), the call's measured seconds split evenly."""

    def compute(archs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = np.full((len(archs), len(names)), np.nan)
        seconds = np.zeros_like(scores)
        for i, arch in enumerate(archs):
            t = time.perf_counter()
            got = fn(space.format(arch))
            seconds[i] = (time.perf_counter() - t) / max(len(names), 1)
            if not isinstance(got, dict):
                raise BadInputError("proxies", f"must return a dict of scores, got {got!r}")
            for j, name in enumerate(names):
                value = got.get(name, math.nan)
                if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                    raise BadInputError(f"proxies score {name}", f"not a number: {value!r}")
                scores[i, j] = float(value)
        scores[~np.isfinite(scores)] = np.nan
        return scores, seconds

    return compute


@dataclass(frozen=True)
class ProxiesSource:
    """What ``proxies=`` was, as a state file records it (``config.proxies``): none, a
    function, or a table (its id, size and the objective tables attached). Written and
    read here only: ``str`` gives the stored text, ``parse`` reads it back."""

    kind: str  # "none", "function" or "table"
    benchmark: str | None = None
    n_archs: int | None = None
    objective_tables: tuple[str, ...] = ()
    #: the content digest of each objective table (a state is read only with the same)
    digests: tuple[str, ...] = ()

    @classmethod
    def of(cls, proxies: object) -> ProxiesSource:
        if proxies is None:
            return cls("none")
        if isinstance(proxies, Benchmark):
            tables = tuple(sorted({c.source for c in proxies.objectives.values()}))
            return cls("table", proxies.id, proxies.n_archs, tables, tuple(map(_digest, tables)))
        return cls("function")

    @classmethod
    def parse(cls, text: str) -> ProxiesSource:
        if not text.startswith("table:"):
            return cls(text)
        parts = text.split(":", 3)
        entries = parts[3].split(":", 1)[1].split("|") if len(parts) > 3 else ()
        tables = tuple(e.rsplit("@", 1)[0] if "@" in e else e for e in entries)
        digests = tuple(e.rsplit("@", 1)[1] if "@" in e else "" for e in entries)
        return cls("table", parts[1], int(parts[2]), tables, digests)

    def changed_table(self, other: ProxiesSource) -> str | None:
        """The objective table whose content differs between two records of the same
        tables (a state written before digests were recorded has none to compare)."""
        if self.objective_tables != other.objective_tables:
            return None
        return next((t for t, a, b in zip(self.objective_tables, self.digests, other.digests)
                     if a and b and a != b), None)  # fmt: skip

    def __str__(self) -> str:
        if self.kind != "table":
            return self.kind
        digests = self.digests or ("",) * len(self.objective_tables)
        entries = [f"{t}@{d}" if d else t for t, d in zip(self.objective_tables, digests)]
        extra = f":objectives:{'|'.join(entries)}" if entries else ""
        return f"table:{self.benchmark}:{self.n_archs}{extra}"


def _digest(path: str) -> str:
    """The first 16 hex digits of a table file's sha256 ("" when it is no file)."""
    from nas_surrogate.cache import file_digest

    try:
        return file_digest(Path(path))[:16]
    except OSError:
        return ""


class Optimizer(AskTell):
    """A searcher of the registry driven by ``ask``/``tell``; maximises unless
    ``maximize=False``. ``budget``: the evaluations planned, if known: ``ask`` proposes no
    more, and searchers that plan for it (random search with a ZC warm-up ranks a pool
    of the budget's size, training-free evolution) use it; None: the space's size.
    ``max_new_proxies``: with a proxy function, at most this many networks get new proxy
    scores per surrogate step (bo scores mutants of the best first)."""

    def __new__(cls, space: object = "nasbench201", *args: Any, **kwargs: Any) -> Any:
        """A user ``Space`` (or a mapping, or a ``.yaml`` path) makes a ``SpaceOptimizer``:
        the same ask/tell, with configurations as dicts."""
        if cls is Optimizer and not (isinstance(space, str) and space in SPACES):
            from nas_surrogate.space_optimizer import SpaceOptimizer, as_space

            named = isinstance(space, str) and not space.endswith((".yaml", ".yml"))
            if not named and as_space(space) is not None:  # an unknown name: __init__ says
                return SpaceOptimizer(space, *args, **kwargs)  # type: ignore[return-value]
        return super().__new__(cls)

    def __init__(
        self,
        space: str = "nasbench201",
        searcher: str = "bo",
        *,
        features: str | None = None,
        surrogate: str | None = None,
        seed: int = 0,
        proxies: ProxyFn | Benchmark | None = None,
        searcher_params: dict | None = None,
        surrogate_params: dict | None = None,
        zc_warmup: str | None = None,
        maximize: bool = True,
        budget: int | None = None,
        max_new_proxies: int | None = None,
        objectives: Sequence[str] | None = None,
        constraints: Sequence[str] | None = None,
    ) -> None:
        if space not in SPACES:
            raise BadInputError(f"space {space!r}", f"unknown (use {', '.join(SPACES.names())})")
        if features is None:
            features = "enc" if proxies is None else "enc+zc"
        spec = parse_feature_spec(features)
        self.config = settings_record(
            space, searcher, features, self._describe(proxies), surrogate=surrogate, seed=seed,
            searcher_params=searcher_params, surrogate_params=surrogate_params,
            zc_warmup=zc_warmup, maximize=maximize, budget=budget,
            max_new_proxies=max_new_proxies, objectives=objectives, constraints=constraints,
        )  # fmt: skip
        self.seed = self.config["seed"]
        objs, cons = self._objectives(self.config, maximize)
        guided = SearcherSpec.parse(searcher).uses_surrogate
        self._searcher = searcher_of(self.config)
        bench, live = self._candidates(proxies, spec, objectives or [], constraints or [])
        self.problem = SearchProblem(
            bench, budget=budget, train_seconds=0.0, live_proxies=live, objectives=objs,
            features=features if guided else None, constraints=cons,
            max_new_proxies=max_new_proxies, own_results=True,
        )  # fmt: skip
        self._check_problem(searcher, surrogate if guided else None)
        self._driver = Driver(self._searcher, self.problem, np.random.default_rng(self.seed))
        self._sign = 1.0 if maximize else -1.0
        self._pending: dict[int, None] = {}  # asked, not told: insertion-ordered
        self._told: set[int] = set()

    def _check_problem(self, searcher: str, surrogate: str | None) -> None:
        """The searcher suits the objectives, its surrogate the features (BadInputError)."""
        if self.problem.view is not None:
            check_objectives([searcher], self.problem.view)
        if surrogate is not None and self.problem.feature_spec is not None:
            params = self.config["surrogate_params"]
            check_features(surrogate, self.problem.preprocessor_spec, params)

    def _candidates(self, proxies, spec, objectives: Sequence[str], constraints: Sequence[str]):
        """(the table searched, the live proxy function or None); with ``source:TASK``
        features, each network's accuracy on that task's table joins it (transfer: the
        table must hold every candidate network; ``TASK@DIR`` reads another folder)."""
        bench, live = self._table(proxies, spec, objectives, constraints)
        if spec.sources:
            from nas_surrogate.benchmarks.transfer import attach_sources

            bench = attach_sources(bench, spec.sources, None)
        return bench, live

    def _table(self, proxies, spec, objectives: Sequence[str], constraints: Sequence[str]):
        """The ``proxies`` Benchmark itself, or every network of the space with the proxy
        columns the features, the warm-up and the cost objectives read (filled in by
        ``proxies``), and the live proxy function or None."""
        space, features = self.config["space"], self.config["features"]
        zc_warmup = self.config["zc_warmup"]
        if isinstance(proxies, Benchmark):
            if proxies.space.name != space:
                raise BadInputError(
                    "proxies", f"{proxies.id} is a {proxies.space.name} table, not {space}"
                )
            return proxies, None
        names = list(spec.proxies or ()) or list(PROXY_NAMES)
        names += [n for n in spec.lpz if n not in names]
        if space == "nasbench201":  # the live source builds NB201 cells: no attention
            from nas_surrogate.proxies.lpzero import refuse_on_nb201

            for name in spec.lpz:
                refuse_on_nb201(name, f"features {features!r}")
        if zc_warmup and zc_warmup not in names:
            names.append(zc_warmup)
        # cost objectives (latency, params, flops) come from the same proxy source
        wanted = [o.name for o in parse_objectives([str(o) for o in objectives])]
        wanted += [str(c) for c in constraints]
        if wanted and not spec.uses_zc:  # only what the objectives read
            names = [zc_warmup] if zc_warmup else []
        costs = [c for c in COST_COLUMNS if any(w.startswith(c) for w in wanted)]
        names += [c for c in costs if c not in names]
        if proxies is None and (spec.uses_zc or spec.lpz or zc_warmup):
            raise BadInputError(
                f"features {features!r}",
                "uses ZC proxies: give their source (proxies= in Python, --benchmark for "
                "ask/tell; the nas command computes them live)",
            )
        bench = space_table(get_space(space), names if proxies is not None else [])
        if proxies is None:
            return bench, None
        if hasattr(proxies, "compute"):
            return bench, lambda archs: proxies.compute(archs, list(bench.proxy_names))
        if callable(proxies):
            return bench, _per_arch(proxies, bench.space, bench.proxy_names)
        raise BadInputError("proxies", f"not a function or a Benchmark: {proxies!r}")

    @staticmethod
    def _objectives(config: dict, maximize: bool) -> tuple[list, list]:
        """Parsed ``objectives`` / ``constraints`` (none: one value per result, as ever)."""
        from nas_surrogate.objectives import parse_constraint, parse_objectives

        for key in ("objectives", "constraints"):
            items = config[key]
            if not all(isinstance(v, str) for v in items):
                raise BadInputError(key, f"must be a list of strings, got {items!r}")
        if not config["objectives"] and not config["constraints"]:
            return [], []
        if not maximize:
            raise BadInputError("maximize", "with objectives, directions go in NAME:min")
        objs = parse_objectives(config["objectives"]) if config["objectives"] else []
        return objs, [parse_constraint(c) for c in config["constraints"]]

    @staticmethod
    def _describe(proxies: object) -> str:
        return str(ProxiesSource.of(proxies))

    # -- archs <-> ids ---------------------------------------------------------------
    @property
    def space(self) -> SearchSpace:
        return self.problem.bench.space

    def _format(self, ids: np.ndarray) -> list[str]:
        return [self.space.format(self.problem.cells[i]) for i in ids]

    def _ids(self, archs: Sequence, name: str = "archs") -> list[int]:
        if isinstance(archs, (str, bytes)) or not isinstance(archs, (Sequence, np.ndarray)):
            raise BadInputError(name, f"must be a list of architectures, got {archs!r}")
        out = []
        for i, arch in enumerate(archs):
            try:
                a = (
                    self.space.parse(arch)
                    if isinstance(arch, str)
                    else np.asarray(arch, dtype=np.int64).reshape(-1)
                )
            except (BadInputError, TypeError, ValueError, OverflowError) as e:
                why = e.why if isinstance(e, BadInputError) else str(e)
                raise BadInputError(f"{name}[{i}] {arch!r}", why) from None
            cand = int(self.problem.ids_of(a[None, :])[0]) if len(a) == self.space.arch_dim else -1
            if cand < 0:
                raise BadInputError(f"{name}[{i}]", f"{arch!r} is not a candidate of this search")
            out.append(cand)
        if len(set(out)) < len(out):
            raise BadInputError(name, "lists an architecture twice")
        return out

    def known_values(self, arch: str) -> dict[str, float]:
        """The known objectives of one architecture (latency, params, a hardware look-up),
        computed by the proxy source if need be; {} without objectives."""
        view = self.problem.view
        if view is None or not view.known:
            return {}
        ids = np.array(self._ids([arch]), dtype=np.int64)
        self.problem.objectives_ready(ids)
        return {n: float(view.column(n)[ids[0]]) for n in view.known}

    # -- state --------------------------------------------------------------------------
    def state(self) -> dict:
        rows, scores, seconds = self.problem.known_proxies()
        doc = {
            "format": STATE_FORMAT,
            "config": self.config,
            "proxies": _encode(
                {
                    "names": list(self.problem.bench.proxy_names),
                    "archs": [self.space.format(a) for a in self.problem.bench.archs[rows]],
                    "scores": scores.tolist(),  # NaN: a proxy that could not be computed
                    "seconds": seconds.tolist(),
                }
            ),
            "pending": list(self._pending),
            "told": sorted(self._told),
            # a failed evaluation's -inf as the text "-inf" (NaN, inf alike): the file
            # stays standard JSON
            "problem": _encode(self.problem.snapshot()),
            "driver": _encode(self._driver.snapshot()),
        }
        return {**doc, "digest": state_digest(doc)}

    @classmethod
    def load(cls, path: str | Path, proxies: ProxyFn | Benchmark | None = None) -> Optimizer:
        """The optimiser saved in ``path``, as it stood. ``proxies``: the same source as
        when it was made (a function may be left out if no new network needs scores)."""
        path = Path(path)
        doc = read_state(path)
        return cls.from_state(doc, proxies, where=str(path))

    @classmethod
    def from_state(
        cls, doc: Any, proxies: ProxyFn | Benchmark | None = None, where: str = "state"
    ) -> Optimizer:
        if isinstance(doc, dict) and doc.get("format") in OLD_FORMATS:
            raise BadInputError(
                where, f"written by an older version ({doc['format']}): start a new state "
                "with the same settings and add its results with add/--add",
            )  # fmt: skip
        if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
            raise BadInputError(where, f"not a {STATE_FORMAT} file")
        body = {k: v for k, v in doc.items() if k != "digest"}
        if doc.get("digest") != state_digest(body):
            raise BadInputError(
                where, "was edited (its digest does not match what it holds): a state file "
                "is written only by ask/tell/save",
            )  # fmt: skip
        config = doc.get("config")
        keys = {
            "space", "searcher", "features", "surrogate", "seed", "searcher_params",
            "surrogate_params", "zc_warmup", "maximize", "budget",
            "max_new_proxies", "proxies", "objectives", "constraints",
        }  # fmt: skip
        if isinstance(config, dict):  # states written before objectives existed
            config = {"objectives": [], "constraints": [], **config}
        if not isinstance(config, dict) or set(config) != keys:
            raise BadInputError(f"{where} config", f"must have exactly the keys {sorted(keys)}")
        kind = config["proxies"]
        stored_source, now = ProxiesSource.parse(str(kind)), ProxiesSource.of(proxies)
        changed = stored_source.changed_table(now) if now.kind == "table" else None
        if changed:
            raise BadInputError(
                f"{where} config.proxies", f"objective table {changed} changed since the state "
                "was saved; use a new --state (or restore the file)",
            )  # fmt: skip
        undigested = stored_source.kind == "table" and not any(stored_source.digests)
        same = kind == str(now) or (undigested and kind == str(replace(now, digests=())))
        if not same and not (kind == "function" and proxies is None):
            raise BadInputError(
                f"{where} config.proxies", f"saved with {kind}, loaded with "
                f"{cls._describe(proxies)}"
            )  # fmt: skip
        stored = _decode(doc.get("proxies") or {})
        settings = {k: v for k, v in config.items() if k != "proxies"}
        if kind == "function" and proxies is None:
            proxies = _StoredOnly()
        opt = cls(**settings, proxies=proxies)
        if kind == "function":
            opt._restore_proxies(stored, where)
        opt._restore(doc, where)
        return opt

    def _restore_proxies(self, stored: Any, where: str) -> None:
        names = list(self.problem.bench.proxy_names)
        try:
            if stored.get("names") != names:
                raise ValueError(f"proxy names {stored.get('names')} != {names}")
            archs = self.space.parse_many(list(stored["archs"]))
            scores = np.array(stored["scores"], dtype=float).reshape(len(archs), len(names))
            seconds = np.array(stored["seconds"], dtype=float).reshape(len(archs), len(names))
            rows = self.problem.bench.index_of(archs, exact=True) if len(archs) else []
            if np.any(np.asarray(rows) < 0):
                raise ValueError("an arch that is no network of this space")
            self.problem.set_proxies(np.asarray(rows, dtype=np.int64), scores, seconds)
        except (AttributeError, KeyError, TypeError, ValueError, BadInputError) as e:
            raise BadInputError(f"{where} proxies", f"unreadable ({e})") from None

    def _restore(self, doc: dict, where: str) -> None:
        """The problem, the driver (searcher state, random generators) and the pending
        and told archs, as saved: no step is replayed, no surrogate refit."""
        field = "pending"
        try:
            n = len(self.problem.cells)
            pending = [int(i) for i in doc["pending"]]
            field = "told"
            told = {int(i) for i in doc["told"]}
            if any(not 0 <= i < n for i in [*pending, *told]):
                raise ValueError("an id out of range")
            field = "problem"
            self.problem.restore(_decode(doc["problem"]))
            field = "driver"
            self._driver.restore(_decode(doc["driver"]))
        except (AttributeError, IndexError, KeyError, TypeError, ValueError, OverflowError) as e:
            raise BadInputError(f"{where} {field}", f"unreadable ({e!r})") from None
        self._pending = dict.fromkeys(pending)
        self._told = told


class _StoredOnly:
    """Proxy source of a loaded optimiser whose function was not passed again: the
    stored scores serve; a network never scored before cannot be."""

    def compute(self, archs: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        raise BadInputError(
            "proxies", "this state was made with a proxy function: pass it to load()"
        )


__all__ = ["MAX_ASK", "MAX_STATE_BYTES", "Optimizer", "read_state", "state_digest"]
