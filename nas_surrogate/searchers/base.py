"""The searcher interface and the pieces every searcher shares: an optional surrogate
over the problem's features, and an optional ZC warm-up.

A searcher holds its hyperparameters (set in ``__init__``, like an estimator). Its
algorithm is a generator, ``propose(problem, rng)``: it yields a batch of candidate ids it
can propose without new results and receives their values with how many proposals the
driver wants next (``values, want = yield ids``), so
nothing in it knows who evaluates: the benchmark loop (``run``: table look-ups up to the
budget) and ``Optimizer.ask/tell`` (the user's training) are two drivers of the same
code, walking the same architectures for the same seed.

The generator is a thin loop over two methods a searcher writes: ``first`` (the first
batch) and ``step`` (the next batch, given the last one's values); both receive ``want``,
the driver's hint of how many proposals it can use at once (1 in the benchmark loop, the
free workers of a parallel ``ask(k)``: bo and evolution propose that many). Everything a searcher
carries from one batch to the next lives in a ``state`` dict (its population, its walk,
its queue) made of JSON values, with one rule: an ``int`` in it is a candidate id or a
table row, a ``float`` a value. So ``Optimizer.save`` stores the searcher itself, not a
log to replay, and ``load`` continues from it in constant time: ``propose`` given a saved
state yields the saved batch again and goes on as the original would.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator

import numpy as np

from nas_surrogate.encodings import make_preprocessor
from nas_surrogate.errors import BadInputError
from nas_surrogate.searchers.problem import SearchProblem
from nas_surrogate.surrogates import Predictor, dist_surrogates, has_dist, make_surrogate

#: what ``propose`` is: yields candidate ids, receives their values and the next ``want``
Proposals = Generator[np.ndarray, tuple[np.ndarray, int], None]


class Searcher(ABC):
    """``run`` queries until the budget is spent; the problem records the trajectory."""

    #: whether this searcher needs a surrogate to work at all (bo)
    needs_surrogate = False
    #: whether its surrogate must give a predictive distribution (``predict_dist``: every
    #: acquisition of bo and mobo), checked before any query
    needs_dist = False
    #: whether ``NAME:guided`` (a surrogate picks children / orders neighbours) exists
    supports_guided = False
    #: whether it handles several objectives and evaluated constraints (the others
    #: optimise one evaluated objective, within the known constraints)
    multi_objective = False
    #: Optuna search space of the searcher's own parameters (None: nothing to tune)
    TUNE_SPACE: dict[str, tuple] | None = None

    def __init__(
        self,
        surrogate: str | None = None,
        surrogate_params: dict | None = None,
        zc_warmup: str | None = None,
        warmup_pool: int = 100,
    ) -> None:
        self.surrogate = surrogate
        self.surrogate_params = surrogate_params or {}
        self.zc_warmup = zc_warmup
        self.warmup_pool = warmup_pool

    #: largest integer a searcher parameter may take (bounds what a config can allocate)
    MAX_INT = 1_000_000
    #: every constructor parameter's type and range, checked by ``validate`` in one place
    #: (scikit-learn's ``_parameter_constraints``): ``("int", low)``, ``("float", low,
    #: high)``, ``("choice", options)``, ``("bool",)``, ``("str?",)`` (a string or None),
    #: ``("dict",)``; subclasses add their own to the shared ones
    PARAMETERS: dict[str, tuple] = {
        "surrogate": ("str?",),
        "surrogate_params": ("dict",),
        "zc_warmup": ("str?",),
        "warmup_pool": ("int", 1),
    }

    @classmethod
    def parameters(cls) -> dict[str, tuple]:
        """The declared constraints of this searcher and its bases."""
        out: dict[str, tuple] = {}
        for klass in reversed(cls.__mro__):
            out.update(vars(klass).get("PARAMETERS", {}))
        return out

    def validate(self) -> None:
        """BadInputError for a parameter of the wrong type or range, or a surrogate
        without the predictive distribution the acquisition needs, before any query."""
        where = type(self).__name__
        for name, spec in self.parameters().items():
            bad = _violation(getattr(self, name), spec, self.MAX_INT)
            if bad:
                raise BadInputError(f"{where} parameter {name}={getattr(self, name)!r}", bad)
        # a surrogate without predict_dist would fail at the first fit, after queries
        if (
            self.needs_dist
            and self.surrogate is not None
            and not has_dist(make_surrogate(self.surrogate, **self.surrogate_params))
        ):
            raise BadInputError(
                f"--surrogate {self.surrogate}",
                f"{where}'s acquisition needs a predictive distribution: use "
                f"{', '.join(dist_surrogates())}",
            )

    def run(self, problem: SearchProblem, rng: np.random.Generator) -> None:
        """The benchmark loop: one proposal at a time, answered from the table, until the
        budget is spent or the searcher has nothing left to propose."""
        from nas_surrogate.searchers.driver import Driver

        driver = Driver(self, problem, rng)
        while problem.n_queried < problem.budget:
            ids = driver.ask(1)
            if not len(ids):
                return
            driver.tell(ids, [problem.table_value(ids[0])])

    def propose(
        self,
        problem: SearchProblem,
        rng: np.random.Generator,
        state: dict | None = None,
        want: int = 1,
    ) -> Proposals:
        """Yield batches of candidate ids; each ``yield`` returns ``(values, want)``: the
        batch's values in order (``-inf`` for a failed evaluation) and how many proposals
        the driver wants next (``want`` is the first batch's). ``state``: the dict the
        searcher keeps its progress in (the caller may save it between batches); a saved
        one resumes."""
        self.validate()  # a searcher made without make_searcher is checked all the same
        state = {} if state is None else state
        if "batch" in state:  # resumed: the batch it was waiting for, once more
            batch = np.asarray(state["batch"], dtype=np.int64)
        else:
            batch = np.asarray(self.first(problem, rng, state, want), dtype=np.int64)
        while len(batch):
            state["batch"] = batch.tolist()
            values, want = yield batch
            batch = np.asarray(
                self.step(problem, rng, state, np.asarray(values), want), dtype=np.int64
            )

    @abstractmethod
    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        """The first batch (parameters are checked before, in ``propose``); ``want``: how
        many proposals the driver can use at once (a hint; more or fewer are fine)."""

    def step(
        self,
        problem: SearchProblem,
        rng: np.random.Generator,
        state: dict,
        values: np.ndarray,
        want: int,
    ) -> np.ndarray:
        """The next batch, given the values of ``state["batch"]``; empty: nothing left to
        propose. The default proposes nothing after the first batch."""
        return np.empty(0, dtype=np.int64)

    def more(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, n: int
    ) -> np.ndarray | None:
        """Up to ``n`` proposals while ``state["batch"]`` is still being evaluated
        (``problem.pending()`` lists what is in flight), drawn with ``rng`` only and
        without changing ``state``; None: the driver proposes random ones."""
        return None

    # -- shared pieces -------------------------------------------------------------
    def starting_rows(self, problem: SearchProblem, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` first rows: random, or the top of a random pool ranked by a ZC proxy."""
        if not self.zc_warmup:
            return problem.sample(n, rng)
        pool = problem.sample(max(self.warmup_pool, n), rng)
        scores = problem.proxy_scores(pool, self.zc_warmup)
        return pool[np.argsort(-scores, kind="stable")[:n]]

    def fit_predictor(
        self,
        problem: SearchProblem,
        rng: np.random.Generator,
        values: np.ndarray | None = None,
        believed: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Predictor:
        """A surrogate fit on everything queried so far (features charged on first use);
        ``values``: another target for the same queries (one evaluated objective);
        ``believed``: (ids, values) fantasised for networks still being evaluated."""
        rows, history = problem.history()
        values = history if values is None else values
        if believed is not None:
            rows = np.concatenate([rows, believed[0]])
            values = np.concatenate([values, believed[1]])
        model = make_surrogate(
            self.surrogate or "ensemble",
            random_state=int(rng.integers(2**31 - 1)),
            features=problem.preprocessor_spec,
            **self.surrogate_params,
        )
        predictor = Predictor(make_preprocessor(problem.preprocessor_spec), model)
        return predictor.fit(problem.features(rows), values)


def _violation(value, spec: tuple, max_int: int) -> str | None:
    """Why ``value`` breaks the constraint ``spec`` (None when it does not)."""
    kind = spec[0]
    if kind == "choice":
        return None if value in spec[1] else f"must be one of {', '.join(map(str, spec[1]))}"
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "str?":
        return None if value is None or isinstance(value, str) else "must be a string"
    if kind == "dict":
        return None if isinstance(value, dict) else "must be a mapping"
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            return "must be an integer"
        return None if spec[1] <= value <= max_int else f"must be in [{spec[1]}, {max_int}]"
    # float
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return "must be a number"
    low, high = spec[1], spec[2] if len(spec) > 2 else np.inf
    if not np.isfinite(value) or not low <= value <= high:
        return f"must be a finite number in [{low}, {high}]"
    return None
