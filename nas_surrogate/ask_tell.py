"""What every ask/tell optimiser shares, whatever its candidates are: checking told
values, handing proposals out through the driver, the history, the best result, and the
JSON state file (digest, non-finite floats as text, size cap).

``Optimizer`` (benchmark spaces: arch strings) and ``SpaceOptimizer`` (a user ``Space``:
configuration dicts) differ only in how a candidate is written (``_format``) and read
back (``_ids``), in the problem they search, and in what their state stores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nas_surrogate.config import MAX_SEED
from nas_surrogate.errors import BadInputError
from nas_surrogate.io import write_text_atomic

STATE_FORMAT = "nas-surrogate-optimizer/3"
#: largest state file read back (bounds what a file can make us allocate)
MAX_STATE_BYTES = 64 * 2**20
#: most proposals one ask may request
MAX_ASK = 10_000


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise BadInputError(name, f"must be an integer, got {value!r}")
    if not low <= int(value) <= high:
        raise BadInputError(name, f"must be in [{low}, {high}], got {value}")
    return int(value)


def settings_record(
    space: object, searcher: str, features: str, proxies: str, **given: Any
) -> dict:
    """The settings a state file records (``config``), checked: every optimiser's the same
    keys, so ``from_state`` rebuilds either kind from them."""
    counts = {k: given[k] for k in ("budget", "max_new_proxies")}
    return {
        "space": space,
        "searcher": searcher,
        "features": features,
        "surrogate": given["surrogate"],
        "seed": _int(given["seed"], "seed", 0, MAX_SEED),
        "searcher_params": dict(given["searcher_params"] or {}),
        "surrogate_params": dict(given["surrogate_params"] or {}),
        "zc_warmup": given["zc_warmup"],
        "maximize": bool(given["maximize"]),
        **{k: None if v is None else _int(v, k, 1, 10**9) for k, v in counts.items()},
        "proxies": proxies,
        "objectives": [str(o) for o in _names(given["objectives"], "objectives")],
        "constraints": [str(c) for c in _names(given["constraints"], "constraints")],
    }


def _names(value: object, key: str) -> list:
    """A list of names; a string is refused (``"a,b"`` would be read letter by letter)."""
    if isinstance(value, str):
        raise BadInputError(key, f"must be a list of names, e.g. {value.split(',')!r}, not "
                            f"the string {value[:60]!r}")  # fmt: skip
    return list(value or [])


def searcher_of(config: dict):
    """The registry's searcher a ``settings_record`` names, with its surrogate only where
    it uses one (bo, mobo, ``:guided``)."""
    from nas_surrogate.searchers import SearcherSpec, make_searcher

    guided = SearcherSpec.parse(config["searcher"]).uses_surrogate
    return make_searcher(
        config["searcher"], surrogate=config["surrogate"] if guided else None,
        zc_warmup=config["zc_warmup"], surrogate_params=dict(config["surrogate_params"]),
        **dict(config["searcher_params"]),
    )  # fmt: skip


class AskTell:
    """ask / tell / fail / add / reserve over ``self._driver`` and ``self.problem``;
    subclasses set them up and say how candidates are written (``_format``, ``_ids``)."""

    @property
    def evaluated(self) -> list[str]:
        """What ``tell`` takes per architecture: one value per evaluated objective and
        evaluated constraint column, in this order (a dict by name works too)."""
        view = self.problem.view
        return list(view.evaluated) if view is not None else ["value"]

    def _vectors(self, values: Sequence, n: int) -> list:
        """One value per evaluated column and architecture (a sequence or a dict by name
        each); a single column takes plain numbers as before."""
        names = self.evaluated
        if len(names) == 1:
            flat = [v[names[0]] if isinstance(v, dict) and names[0] in v else v for v in values]
            return self._values(flat, n)
        if isinstance(values, (str, bytes)) or len(values) != n:
            raise BadInputError("values", f"{len(values)} results for {n} archs")
        out = []
        for i, v in enumerate(values):
            if isinstance(v, dict):
                missing = [k for k in names if k not in v]
                extra = [k for k in v if k not in names]
                if missing or extra:
                    raise BadInputError(
                        f"values[{i}]", f"needs exactly {', '.join(names)} "
                        f"(missing {missing}, unknown {extra})",
                    )  # fmt: skip
                v = [v[k] for k in names]
            if isinstance(v, (str, bytes)) or not isinstance(v, (Sequence, np.ndarray)):
                raise BadInputError(
                    f"values[{i}]", f"expected {len(names)} values ({', '.join(names)})"
                )
            vals = self._values(list(v), len(names), f"values[{i}]")
            out.append(vals)
        return out

    @staticmethod
    def _values(values: Sequence, n: int, where: str = "values") -> list[float]:
        values = list(np.asarray(values, dtype=object).reshape(-1)) if len(values) else []
        if len(values) != n:
            what = "archs" if where == "values" else "evaluated columns"
            raise BadInputError(where, f"{len(values)} values for {n} {what}")
        out = []
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
                raise BadInputError(f"{where}[{i}]", f"not a number: {v!r}")
            try:
                finite = math.isfinite(float(v))
            except OverflowError:  # an int beyond every float
                finite = False
            if not finite:
                raise BadInputError(
                    f"{where}[{i}]",
                    f"{str(v)[:30]} is not a finite number (report a crashed evaluation with fail)",
                )
            out.append(float(v))
        return out

    # -- the interface ---------------------------------------------------------------
    def ask(self, k: int = 1) -> list[str]:
        """``k`` architectures to evaluate next (fewer only when the space runs out)."""
        k = _int(k, "k", 1, MAX_ASK)
        left = self.problem.budget - len(self._pending) - len(self._told)
        ids = self._driver.ask(min(k, left)) if left > 0 else np.empty(0, dtype=np.int64)
        self._pending.update(dict.fromkeys(ids.tolist()))
        return self._format(ids)

    def _check_pending(self, ids: list[int], archs: Sequence) -> None:
        for i, cand in enumerate(ids):
            if cand not in self._pending:
                why = "was already told" if cand in self._told else "was never asked"
                raise BadInputError(f"archs[{i}]", f"{archs[i]!r} {why} (results of other "
                                    "archs go in with add)")  # fmt: skip

    def tell(self, archs: Sequence, values: Sequence[float]) -> None:
        """Results of asked architectures (higher is better unless ``maximize=False``)."""
        ids = self._ids(archs)
        vals = self._vectors(values, len(ids))
        self._check_pending(ids, archs)
        self._finish(ids, [self._signed(v) for v in vals])

    def fail(self, archs: Sequence) -> None:
        """Asked architectures whose evaluation crashed (no value)."""
        ids = self._ids(archs)
        self._check_pending(ids, archs)
        self._finish(ids, [-math.inf] * len(ids))

    def reserve(self, archs: Sequence) -> None:
        """Architectures another worker is evaluating now (a RUNNING trial of another
        process): never proposed here; their results come later with ``tell`` or
        ``fail`` like those of asked ones."""
        ids = [i for i in self._ids(archs) if i not in self._pending and i not in self._told]
        ids = [i for i in ids if not self.problem.queried(np.array([i]))[0]]
        if not ids:
            return
        self.problem.take(np.array(ids))
        self._pending.update(dict.fromkeys(ids))

    def add(self, archs: Sequence, values: Sequence[float]) -> None:
        """Results obtained without asking; never proposed afterwards."""
        ids = self._ids(archs)
        vals = self._vectors(values, len(ids))
        for i, cand in enumerate(ids):
            if cand in self._pending or self.problem.queried(np.array([cand]))[0]:
                raise BadInputError(f"archs[{i}]", f"{archs[i]!r} was asked: tell its result")
        self.problem.take(np.array(ids))
        self._finish(ids, [self._signed(v) for v in vals])

    def _signed(self, value):
        """A told value as the searcher sees it: the sign of ``maximize`` for one value;
        a vector of raw values with objectives (their directions live in the view)."""
        return self._sign * value if np.ndim(value) == 0 else np.asarray(value, dtype=float)

    def _finish(self, ids: list[int], values: list) -> None:
        self._driver.tell(ids, values)
        for cand in ids:
            self._pending.pop(cand, None)
            self._told.add(cand)

    # -- what it knows ----------------------------------------------------------------
    @property
    def pending(self) -> list[str]:
        """Architectures asked and not told yet (after ``load``: evaluate them again)."""
        return self._format(np.array(list(self._pending), dtype=np.int64))

    @property
    def history(self) -> list[tuple[str, float]] | list[tuple[str, dict[str, float]]]:
        """(arch, value) of every result told or added, in order; with objectives
        (arch, {objective or constraint column: value}), known ones included."""
        if self.problem.view is not None:
            return list(zip(*self._results()))
        ids, values = self.problem.history()
        return list(zip(self._format(ids), (self._sign * values).tolist()))

    def _results(self) -> tuple[list[str], list[dict[str, float]]]:
        ids, values = self.problem.evaluated_history()
        self.problem.objectives_ready(ids)
        cols = self.problem.view.values(ids, values)
        rows = [{k: float(v[i]) for k, v in cols.items()} for i in range(len(ids))]
        return self._format(ids), rows

    @property
    def best(self) -> tuple[str, float] | list[tuple[str, dict[str, float]]] | None:
        """The best (arch, value) so far, or None before the first result. With several
        objectives: the Pareto set of the feasible results, [(arch, {name: value})]."""
        if not self.problem.n_queried:
            return (
                None if self.problem.view is None or len(self.problem.view.objectives) == 1 else []
            )
        view = self.problem.view
        if view is not None:
            from nas_surrogate.objectives import non_dominated

            ids, values = self.problem.evaluated_history()
            archs, rows = self._results()
            ok = view.feasible(ids, values)
            keep = np.flatnonzero(ok)
            keep = keep[non_dominated(view.minimisation(ids[keep], values[keep]))]
            front = [(archs[i], rows[i]) for i in keep]
            if len(view.objectives) > 1:
                return front
            return front[0] if front else None
        cand, value = self.problem.best()
        return self._format(np.array([cand]))[0], self._sign * value

    @property
    def proxy_seconds(self) -> float:
        """Seconds spent computing ZC proxies (measured for live proxies)."""
        return float(self.problem.sim_seconds)

    def save(self, path: str | Path) -> None:
        """Write the state atomically (a reader never sees half a file), compact: it is
        rewritten after every result."""
        write_text_atomic(Path(path), json.dumps(self.state(), separators=(",", ":")) + "\n")


def state_digest(doc: dict) -> str:
    """SHA-256 of a state's every field (settings, the searcher's state, the told values, stored
    proxy scores), canonical JSON: an edit anywhere changes it. A guard against edits and
    mixing, not a signature: whoever can write the file can write a digest."""
    import hashlib

    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_state(path: Path) -> Any:
    """The JSON document of a state file, size-capped; BadInputError if unreadable, or
    not a regular file (a FIFO, a device, a link to ``/dev/zero``)."""
    from nas_surrogate.io import read_regular

    raw = read_regular(Path(path), MAX_STATE_BYTES, "an optimiser state")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BadInputError(str(path), f"not an optimiser state ({e})") from None


_NON_FINITE = {"-inf": -math.inf, "inf": math.inf, "nan": math.nan}


def _encode(obj: Any) -> Any:
    """JSON values with each non-finite float written as the text ``-inf``/``inf``/``nan``."""
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if obj != obj else ("inf" if obj > 0 else "-inf")
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if isinstance(obj, str) and obj in _NON_FINITE:
        return _NON_FINITE[obj]
    return obj
