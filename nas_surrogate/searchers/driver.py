"""Ask/tell over a searcher's ``propose`` generator: the one engine behind the benchmark
loop and ``Optimizer``.

A searcher yields a batch of ids it can propose without new results; the driver hands
them out one ``ask`` at a time and resumes the searcher (sending the batch's values) only
when every member of the batch has been told. Policy when ``ask(k)`` wants more than
the searcher can propose before it sees results (evolution and first-improvement local
search propose one at a time; bo ``max(batch, k)``): the rest are uniformly random
unproposed architectures, drawn from a generator spawned from the searcher's (the
searcher's own draws are untouched). Their results join the history every surrogate
fits on; they do not enter a population or a neighbourhood walk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem


class Driver:
    """Hands out a searcher's proposals and routes results back to it."""

    def __init__(self, searcher: Searcher, problem: SearchProblem, rng: np.random.Generator):
        self.problem = problem
        self._gen = searcher.propose(problem, rng)
        self._rng = rng
        self._fill_rng: np.random.Generator | None = None
        self._started = False
        self.done = False  # the searcher has nothing left to propose
        self._batch: list[int] = []  # the batch the searcher yielded last
        self._results: dict[int, float] = {}  # values told for that batch
        self._queue: deque[int] = deque()  # members of that batch not handed out yet
        self._told: dict[int, float] = {}  # every id told (value) or failed (-inf)

    def _resume(self, want: int) -> None:
        self.problem.want = want
        try:
            if not self._started:
                self._started = True
                ids = next(self._gen)
            else:
                ids = self._gen.send(self._batch_values())
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
        out: list[int] = []
        while len(out) < k:
            if self._queue:
                cand = self._queue.popleft()
                if not self.problem.queried(np.array([cand]))[0]:  # else added meanwhile
                    out.append(cand)
            elif self.done:
                break
            elif not self._waiting():
                self._resume(k - len(out))
            else:
                fill = self._fill(k - len(out), exclude=out)
                if not len(fill):
                    break
                out += fill
        ids = np.array(out, dtype=np.int64)
        self.problem.take(ids)
        return ids

    def _fill(self, n: int, exclude: Sequence[int]) -> list[int]:
        if self._fill_rng is None:
            self._fill_rng = self._rng.spawn(1)[0]
        rows = set(self.problem.row_of(np.array(exclude, dtype=np.int64)).tolist())
        ids = self.problem.sample(n + len(exclude), self._fill_rng)
        keep = [int(i) for i, r in zip(ids, self.problem.row_of(ids)) if r not in rows]
        return keep[:n]

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
