"""Ask/tell over a searcher's ``propose`` generator: the one engine behind the benchmark
loop and ``Optimizer``.

A searcher yields a batch of ids it can propose without new results; the driver hands
them out one ``ask`` at a time and resumes the searcher (sending the batch's values) only
when every member of the batch has been told. Policy when ``ask(k)`` wants more than
the batch holds while its results are pending (parallel workers asking as each one
frees up): the searcher's ``more`` proposes them knowing what is in flight (bo: its
acquisition on a surrogate that believes each pending network scores its predicted
mean, the kriging believer; evolution: children of further tournaments on the current
population); a searcher without ``more`` (local search, or any before its first
results) gets uniformly random unproposed architectures. Either way they are drawn
from a generator spawned from the searcher's, so its own draws are untouched, and no
pending network is proposed again. Their results join the history every surrogate
fits on; they do not enter a population or a neighbourhood walk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nas_surrogate.searchers.problem import SearchProblem

if TYPE_CHECKING:  # the searcher is driven through its generator protocol only
    from nas_surrogate.searchers.base import Proposals, Searcher


class Driver:
    """Hands out a searcher's proposals and routes results back to it."""

    def __init__(self, searcher: Searcher, problem: SearchProblem, rng: np.random.Generator):
        self.problem = problem
        self._searcher = searcher
        #: what the searcher carries between batches (JSON values: saved by ``snapshot``)
        self.searcher_state: dict = {}
        #: the searcher's ``propose`` generator, made at the first ``ask`` (its first
        #: batch is sized by what that ask wants)
        self._gen: Proposals | None = None
        self._rng = rng
        self._fill_rng: np.random.Generator | None = None
        self._started = False
        self.done = False  # the searcher has nothing left to propose
        self._batch: list[int] = []  # the batch the searcher yielded last
        self._results: dict[int, float] = {}  # values told for that batch
        self._queue: deque[int] = deque()  # members of that batch not handed out yet
        self._told: dict[int, float] = {}  # every id told (value) or failed (-inf)

    def _proposals(self, want: int) -> Proposals:
        if self._gen is None:
            self._gen = self._searcher.propose(self.problem, self._rng, self.searcher_state, want)
        return self._gen

    def _resume(self, want: int) -> None:
        """The searcher's next batch; ``want``: how many proposals this ask still needs."""
        try:
            if not self._started:
                self._started = True
                ids = next(self._proposals(want))
            else:
                ids = self._proposals(want).send((self._batch_values(), want))
        except StopIteration:
            self.done = True
            return
        self._batch = [int(i) for i in np.atleast_1d(ids)]
        if not self._batch:
            self.done = True
            return
        self._results = {i: self._told[i] for i in self._batch if i in self._told}
        taken = self.problem.queried(np.array(self._batch))
        # an id proposed earlier (a random fill-in, a result added by the user) is not
        # handed out again: its value reaches the searcher when it is known
        self._queue.extend(i for i, t in zip(self._batch, taken) if not t)

    def _batch_values(self) -> np.ndarray:
        """Values of the last batch, in order; with several evaluated columns a failed
        evaluation (-inf) fills its whole row."""
        values = [self._results[i] for i in self._batch]
        width = max((np.size(v) for v in values), default=1)
        if width == 1:
            return np.array([float(np.ravel(v)[0]) for v in values])
        return np.vstack([np.broadcast_to(np.asarray(v, dtype=float), (width,)) for v in values])

    def _waiting(self) -> bool:
        return len(self._results) < len(self._batch)

    def ask(self, k: int) -> np.ndarray:
        """Up to ``k`` ids to evaluate next (fewer only when the space is exhausted or the
        searcher has stopped)."""
        out: list[int] = []  # each taken as it is chosen: nothing is handed out twice
        while len(out) < k:
            if self._queue:
                cand = self._pop()
                if cand is not None:
                    out.append(cand)
            elif self.done:
                break
            elif not self._waiting():
                self._resume(k - len(out))
            else:
                fill = self._more(k - len(out))
                if not len(fill):
                    break
                out += fill
                self.problem.take(np.array(fill, dtype=np.int64))
        return np.array(out, dtype=np.int64)

    def _pop(self) -> int | None:
        """The next queued member of the current batch (taken), if any is still free."""
        while self._queue:
            cand = self._queue.popleft()
            if not self.problem.queried(np.array([cand]))[0]:  # else added meanwhile
                self.problem.take(np.array([cand]))
                return cand
        return None

    def _more(self, n: int) -> list[int]:
        """``n`` proposals while the searcher waits on results: its own ``more`` (bo's
        kriging believer, evolution's next tournaments) or uniformly random ones, from
        the generator spawned for them (the searcher's own draws stay untouched)."""
        if self._fill_rng is None:
            self._fill_rng = self._rng.spawn(1)[0]
        ids = self._searcher.more(self.problem, self._fill_rng, self.searcher_state, n)
        if ids is None or not len(ids):
            ids = self.problem.sample(n, self._fill_rng)
        ids = self.problem.distinct(np.asarray(ids, dtype=np.int64))
        return [int(i) for i in ids[self.problem.unqueried_mask(ids)][:n]]

    def tell(self, ids: Sequence[int], values: Sequence) -> None:
        """Results of proposed ids (already checked by the caller); ``-inf`` = failed.
        With several objectives a value is the vector of ``problem.view.evaluated``."""
        for i, v in zip(ids, values):
            i = int(i)
            v = float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float)
            if np.all(np.isfinite(v)):
                self.problem.record(i, v)
            else:
                self.problem.fail(i)
            self._told[i] = v
            if i in self._batch and i not in self._results:
                self._results[i] = v

    # -- saving and restoring ---------------------------------------------------------
    def snapshot(self) -> dict:
        """Everything needed to continue exactly where this driver stands, as JSON
        values: the searcher's state (with the batch it waits on), what was told, and
        the random generators' states (not a log of what happened)."""
        return {
            "searcher": self.searcher_state,
            "started": self._started,
            "done": self.done,
            "results": [[i, _plain(v)] for i, v in self._results.items()],
            "queue": list(self._queue),
            "told": [[i, _plain(v)] for i, v in self._told.items()],
            "rng": self._rng.bit_generator.state,
            "fill_rng": None if self._fill_rng is None else self._fill_rng.bit_generator.state,
        }

    def restore(self, snap: dict) -> None:
        """Continue from ``snapshot()``'s output, on a problem restored to the same point
        (``SearchProblem.restore``). Raises KeyError / TypeError / ValueError on a
        malformed snapshot (the caller names the file)."""
        n = len(self.problem.cells)

        def ids(values) -> list[int]:
            out = [int(i) for i in values]
            if any(not 0 <= i < n for i in out) or any(not isinstance(i, int) for i in values):
                raise ValueError("a candidate id out of range")
            return out

        def told(pairs) -> dict[int, float | np.ndarray]:
            keys = ids([p[0] for p in pairs])
            return {k: _value(p[1]) for k, p in zip(keys, pairs)}

        _check_ids(snap["searcher"], n)
        self._rng.bit_generator.state = snap["rng"]
        if snap["fill_rng"] is not None:
            self._fill_rng = np.random.Generator(type(self._rng.bit_generator)())
            self._fill_rng.bit_generator.state = snap["fill_rng"]
        self._batch = ids(snap["searcher"].get("batch", [])) if snap["started"] else []
        self._results = told(snap["results"])
        self._queue = deque(ids(snap["queue"]))
        self._told = told(snap["told"])
        self.done = bool(snap["done"])
        self._started = bool(snap["started"])
        self.searcher_state.clear()
        self.searcher_state.update(snap["searcher"])
        if self._started and not self.done:
            again = next(self._proposals(1))  # the searcher yields the batch it waits on
            if [int(i) for i in again] != self._batch:
                raise ValueError("the searcher's state does not match its batch")


def _plain(value) -> float | list[float]:
    """A told value as JSON: a float, or a list for several evaluated columns."""
    return float(value) if np.ndim(value) == 0 else [float(x) for x in np.ravel(value)]


def _value(value) -> float | np.ndarray:
    if isinstance(value, list):
        return np.array([float(x) for x in value])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a value: {value!r}")
    return float(value)


def _check_ids(obj, n: int) -> None:
    """Every int in a searcher's state is a candidate id or a table row (``base.py``):
    all must be in range, so a saved state cannot index outside the problem."""
    if isinstance(obj, dict):
        for v in obj.values():
            _check_ids(v, n)
    elif isinstance(obj, list):
        for v in obj:
            _check_ids(v, n)
    elif isinstance(obj, int) and not isinstance(obj, bool) and not 0 <= obj < n:
        raise ValueError(f"id {obj} out of range")
    elif not isinstance(obj, (int, float, str, type(None))):
        raise TypeError(f"not a JSON value: {obj!r}")
