"""``mobo``: Bayesian optimisation for several objectives and constraints, with
ZC-augmented surrogates.

``init`` random (or ZC-warmed-up) queries; then each step fits one surrogate per
evaluated objective and evaluated constraint column (accuracy, robust accuracy) on every
result so far, while known objectives (latency, energy, params, flops) are read, never
predicted. Candidates are every unqueried cell that breaks no known constraint (a
15,625-cell space is cheap to score; on a table of more than ``MAX_POOL`` candidates a
random ``MAX_POOL`` of them). The acquisition, in objectives normalised by the range of
the results so far:

- ``hvi`` (default): hypervolume improvement of the optimistic point (each evaluated
  objective's mean + ``kappa`` std towards better) over the current front;
- ``ehvi``: expected hypervolume improvement, ``n_samples`` Monte Carlo draws from each
  candidate's predictive distribution (the ensemble's mean and spread);
- ``parego``: ParEGO, a random augmented-Tchebycheff weighting per pick, minimised at
  the optimistic point.

Evaluated constraints multiply the acquisition by the predicted probability of
feasibility. A step proposes ``batch`` networks greedily: after each pick its predicted
mean joins the front (kriging believer), so the next pick improves on it. With one
objective, ``hvi`` is the optimistic improvement over the best feasible value.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from nas_surrogate.objectives import hvi, non_dominated
from nas_surrogate.searchers.base import Searcher
from nas_surrogate.searchers.problem import SearchProblem

ACQUISITIONS = ("hvi", "ehvi", "parego")
MAX_POOL = 100_000
#: ParEGO's augmentation weight (Knowles, 2006)
RHO = 0.05


class MultiObjectiveBO(Searcher):
    PARAMETERS = {
        "acquisition": ("choice", ACQUISITIONS),
        "init": ("int", 1),
        "batch": ("int", 1),
        "kappa": ("float", 0.0),
        "n_samples": ("int", 1),
    }
    needs_surrogate = True
    needs_dist = True
    multi_objective = True
    TUNE_SPACE = {
        "acquisition": ("categorical", list(ACQUISITIONS)),
        "init": ("int", 2, 30, True),
        "batch": ("int", 1, 20, True),
        "kappa": ("float", 0.0, 3.0),
        "n_samples": ("int", 1, 256, True),
    }

    def __init__(
        self,
        acquisition: str = "hvi",
        init: int = 10,
        batch: int = 5,
        kappa: float = 1.0,
        n_samples: int = 32,
        **common,
    ) -> None:
        super().__init__(**common)
        self.acquisition = acquisition
        self.init = init
        self.batch = batch
        self.kappa = kappa
        self.n_samples = n_samples

    def first(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, want: int
    ) -> np.ndarray:
        return self.starting_rows(problem, self.init, rng)

    def step(
        self, problem: SearchProblem, rng: np.random.Generator, state: dict, values, want: int
    ) -> np.ndarray:
        """Values are read in the problem's history: mobo carries nothing between steps."""
        want = max(self.batch, want)
        if not problem.n_queried:
            return problem.sample(want, rng)
        cand = problem.unqueried()
        if not len(cand):
            return cand
        if len(cand) > MAX_POOL:
            cand = np.sort(rng.choice(cand, size=MAX_POOL, replace=False))
        if problem.live_proxies is not None:
            # the networks already scored, plus ``max_new_proxies`` new random ones
            cand = np.sort(problem.affordable(rng.permutation(cand)))
            problem.objectives_ready(cand)
        return self._select(problem, cand, want, rng)

    # -- one step -------------------------------------------------------------------------
    def _predict(self, problem: SearchProblem, cand: np.ndarray, rng) -> tuple:
        """Predicted (mean, std) of every evaluated column on the candidates' networks."""
        view = problem.view
        _, values = problem.evaluated_history()
        rows = problem.row_of(cand)
        uniq, inverse = np.unique(rows, return_inverse=True)
        reps = cand[np.unique(rows, return_index=True)[1]]  # one id per network
        X = problem.features(reps)
        means, stds = [], []
        for j, _name in enumerate(view.evaluated):
            predictor = self.fit_predictor(problem, rng, values=values[:, j])
            mean, std = predictor.predict_dist(X)
            means.append(mean[inverse])
            stds.append(std[inverse])
        return np.column_stack(means), np.column_stack(stds)

    def _select(self, problem: SearchProblem, cand: np.ndarray, want: int, rng) -> np.ndarray:
        """``want`` candidates by the acquisition: each pick's believed point joins the
        front before the next (one cell per network)."""
        view = problem.view
        mean, std = self._predict(problem, cand, rng)
        pof = _probability_feasible(view, mean, std)
        point = _pointer(view, {n: view.column(n)[cand] for n in view.known})
        optimistic = point(mean + self.kappa * std * _directions(view))
        believed = point(mean)
        norm, front = _normaliser(problem, believed)
        samples = None
        if self.acquisition == "ehvi":
            draws = rng.normal(mean[None], std[None], size=(self.n_samples, *mean.shape))
            samples = [norm(point(d)) for d in draws]
        scores = _Scores(self.acquisition, norm(optimistic), samples, pof)
        return self._greedy(problem, cand, want, rng, scores, norm(believed), front)

    @staticmethod
    def _greedy(problem, cand, want, rng, scores, believed, F) -> np.ndarray:
        picks: list[int] = []
        free = np.ones(len(cand), dtype=bool)
        for _ in range(min(want, len(cand))):
            score = scores(F, free, rng)
            best = int(np.argmax(np.where(free, score, -np.inf)))
            picks.append(best)
            # no second cell of the same network, and the pick's believed point joins
            free &= problem.row_of(cand) != problem.row_of(cand[[best]])[0]
            if scores.pof[best] >= 0.5:
                F = np.vstack([F, believed[best : best + 1]])
            if not free.any():
                break
        return cand[np.array(picks, dtype=np.int64)]


def _probability_feasible(view, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Probability that each candidate meets every evaluated constraint (Gaussian)."""
    pof = np.ones(len(mean))
    for c in view.constraints:
        if c.name in view.evaluated:
            j = view.evaluated.index(c.name)
            z = (c.bound - mean[:, j]) / np.maximum(std[:, j], 1e-9)
            pof *= stats.norm.cdf(z) if c.op in ("<=", "<") else stats.norm.cdf(-z)
    return pof


def _pointer(view, known: dict[str, np.ndarray]):
    """``point(ev)``: the candidates' minimisation objectives given evaluated values."""
    signs = np.array([-1.0 if o.maximize else 1.0 for o in view.objectives])

    def point(ev: np.ndarray) -> np.ndarray:
        cols = []
        for o, s in zip(view.objectives, signs):
            v = known[o.name] if o.known else ev[:, view.evaluated.index(o.name)]
            cols.append(s * v)
        return np.column_stack(cols)

    return point


def _directions(view) -> np.ndarray:
    """+1 / -1 per evaluated column: the optimistic side of each objective."""
    direction = np.ones(len(view.evaluated))
    for o in view.objectives:
        if not o.known:
            direction[view.evaluated.index(o.name)] = 1.0 if o.maximize else -1.0
    return direction


def _normaliser(problem: SearchProblem, believed: np.ndarray):
    """(``norm``: points scaled by the current front's range, the believed points' where
    it has none; the current feasible front, scaled)."""
    ids, Y, feasible = problem.evaluated_points()
    front = Y[feasible]
    front = front[non_dominated(front)] if len(front) else front
    lo = believed.min(axis=0)
    lo = np.minimum(front.min(axis=0), lo) if len(front) else lo
    hi = front.max(axis=0) if len(front) > 1 else believed.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)

    def norm(P: np.ndarray) -> np.ndarray:
        return (P - lo) / span

    return norm, norm(front) if len(front) else np.zeros((0, believed.shape[1]))


class _Scores:
    """The acquisition of every candidate against the current (scaled) front ``F``:
    hypervolume improvement of the optimistic point, its expectation over posterior
    draws (ehvi), or a random Chebyshev scalarisation (ParEGO); times the probability of
    feasibility. Where nothing improves, closeness to the front."""

    def __init__(self, acquisition: str, optimistic, samples, pof: np.ndarray) -> None:
        self.acquisition, self.optimistic, self.samples, self.pof = (
            acquisition, optimistic, samples, pof,
        )  # fmt: skip
        self.ref = np.ones(optimistic.shape[1]) * 1.1  # a little beyond the front's nadir

    def __call__(self, F: np.ndarray, free: np.ndarray, rng) -> np.ndarray:
        if self.acquisition == "parego":
            w = rng.dirichlet(np.ones(self.optimistic.shape[1]))
            Z = self.optimistic * w
            score = -(Z.max(axis=1) + RHO * Z.sum(axis=1))
            score = score - score.min() + 1e-12
        elif self.acquisition == "ehvi":
            score = np.mean([hvi(S, F, self.ref) for S in self.samples], axis=0)
        else:
            score = hvi(self.optimistic, F, self.ref)
        score = score * self.pof
        if not (score[free] > 0).any():  # nothing improves: closest to the front
            score = (
                -np.min(self.optimistic[:, None, :] - F[None], axis=(1, 2))
                if len(F)
                else rng.random(len(self.optimistic))
            )
            score = score - score[free].min() + 1e-12
        return score
