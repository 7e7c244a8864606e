"""Pareto fronts and their quality indicators, on minimisation arrays.

Every function takes an ``(n, m)`` array of objective vectors in *minimisation* form
(a maximised objective negated). The indicators follow EvoXBench's convention so figures
compare with the hardware-aware NAS literature: objectives are normalised between the
true front's ideal and nadir points, the reference point is (1, ..., 1), and the
hypervolume of a found set is reported as a fraction of the true front's.
"""

from __future__ import annotations

import numpy as np


def non_dominated(Y: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows no other row dominates (duplicates of a front point are
    all kept: two cells with the same objectives are both on the front)."""
    Y = np.asarray(Y, dtype=float)
    if len(Y) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort(Y.T[::-1])  # by the first objective, then the next ones
    keep = np.zeros(len(Y), dtype=bool)
    front: list[np.ndarray] = []
    for i in order:
        y = Y[i]
        if front:
            F = np.asarray(front)
            dominated = np.all(y >= F, axis=1) & np.any(y > F, axis=1)
            if dominated.any():
                continue
        keep[i] = True
        front.append(y)
    return keep


def pareto_ranks(Y: np.ndarray) -> np.ndarray:
    """Non-domination rank of each row (0: the front), as NSGA-II sorts a population."""
    Y = np.asarray(Y, dtype=float)
    ranks = np.full(len(Y), -1)
    left = np.arange(len(Y))
    rank = 0
    while len(left):
        mask = non_dominated(Y[left])
        ranks[left[mask]] = rank
        left = left[~mask]
        rank += 1
    return ranks


def crowding_distance(Y: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance within one front (boundary points: infinite)."""
    Y = np.asarray(Y, dtype=float)
    n, m = Y.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(Y[:, j], kind="stable")
        span = Y[order[-1], j] - Y[order[0], j]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (Y[order[2:], j] - Y[order[:-2], j]) / span
    return dist


def hypervolume(Y: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume dominated by ``Y`` and bounded by ``ref`` (points not strictly
    better than ``ref`` in every objective add nothing). Two objectives: a sweep;
    more: slicing along the last objective (fine for fronts of a few hundred points)."""
    Y = np.asarray(Y, dtype=float)
    ref = np.asarray(ref, dtype=float)
    Y = Y[np.all(ref > Y, axis=1)]
    if len(Y) == 0:
        return 0.0
    Y = Y[non_dominated(Y)]
    if Y.shape[1] == 1:
        return float(ref[0] - Y[:, 0].min())
    if Y.shape[1] == 2:
        Y = Y[np.argsort(Y[:, 0], kind="stable")]
        heights = np.minimum.accumulate(Y[:, 1])
        widths = np.diff(np.append(Y[:, 0], ref[0]))
        return float(np.sum(widths * (ref[1] - heights)))
    order = np.argsort(Y[:, -1], kind="stable")
    Y = Y[order]
    total = 0.0
    for i in range(len(Y)):
        top = Y[i + 1, -1] if i + 1 < len(Y) else ref[-1]
        depth = top - Y[i, -1]
        if depth > 0:
            total += depth * hypervolume(Y[: i + 1, :-1], ref[:-1])
    return total


def hvi_2d(candidates: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of each candidate point over ``front`` (two objectives,
    vectorised over the candidates: one pass over the front's staircase)."""
    C = np.asarray(candidates, dtype=float)
    ref = np.asarray(ref, dtype=float)
    F = np.asarray(front, dtype=float).reshape(-1, 2)
    F = F[np.all(ref > F, axis=1)]
    if len(F):
        F = F[non_dominated(F)]
        F = F[np.argsort(F[:, 0], kind="stable")]
    # staircase segments [x0, x1) with the front's height h over them (ref above it)
    starts = np.concatenate(([-np.inf], F[:, 0]))
    ends = np.concatenate((F[:, 0], [ref[0]]))
    heights = np.concatenate(([ref[1]], F[:, 1]))
    x0 = np.maximum(starts[None, :], C[:, :1])
    width = np.clip(np.minimum(ends[None, :], ref[0]) - x0, 0, None)
    height = np.clip(heights[None, :] - C[:, 1:2], 0, None)
    return (width * height).sum(axis=1)


def hvi(candidates: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of each candidate over ``front`` (any number of
    objectives; two go through the vectorised ``hvi_2d``)."""
    C = np.asarray(candidates, dtype=float)
    if C.shape[1] == 2:
        return hvi_2d(C, front, ref)
    if C.shape[1] == 1:
        best = np.min(front[:, 0]) if len(front) else ref[0]
        return np.clip(np.minimum(best, ref[0]) - C[:, 0], 0, None)
    base = hypervolume(front, ref)
    out = np.zeros(len(C))
    F = np.asarray(front, dtype=float)
    for i, c in enumerate(C):
        if np.all(c < ref) and not (len(F) and np.any(np.all(c >= F, axis=1))):
            out[i] = hypervolume(np.vstack([F, c[None]]), ref) - base
    return out


class FrontNormaliser:
    """Maps objective vectors into the unit box spanned by a true front's ideal and
    nadir points (EvoXBench): 0 at the ideal, 1 at the nadir, reference point 1."""

    def __init__(self, true_front: np.ndarray) -> None:
        F = np.asarray(true_front, dtype=float)
        self.front = F
        self.ideal = F.min(axis=0)
        self.nadir = F.max(axis=0)
        span = self.nadir - self.ideal
        self.span = np.where(span > 0, span, 1.0)
        # a one-point front along some objective: anything no worse counts fully
        self.ref = np.ones(F.shape[1]) + np.where(span > 0, 0.0, 1e-9)
        self.true_hv = hypervolume(self(F), self.ref)

    def __call__(self, Y: np.ndarray) -> np.ndarray:
        return (np.asarray(Y, dtype=float) - self.ideal) / self.span

    def hv_fraction(self, Y: np.ndarray) -> float:
        if len(Y) == 0 or self.true_hv <= 0:
            return 0.0
        return hypervolume(self(Y), self.ref) / self.true_hv

    def igd(self, Y: np.ndarray) -> float:
        """Mean distance from each true-front point to the nearest found point."""
        if len(Y) == 0:
            return float("inf")
        T, Z = self(self.front), self(Y)
        d = np.sqrt(((T[:, None, :] - Z[None, :, :]) ** 2).sum(axis=2))
        return float(d.min(axis=1).mean())
