"""Proxy names and the single NaN policy for proxy scores.

NASLib wrote failed proxy evaluations as -1e8 in some files and +-1e9 in others, and a
few scores are +-inf. All of them mean "no score", so they become NaN here, once, and
every consumer imputes (on training rows only) or drops them explicitly.
"""

from __future__ import annotations

import numpy as np

#: The 13 zero-cost proxies of NAS-Bench-Suite-Zero, in its column order.
PROXY_NAMES: tuple[str, ...] = (
    "epe_nas",
    "fisher",
    "flops",
    "grad_norm",
    "grasp",
    "jacov",
    "l2_norm",
    "nwot",
    "params",
    "plain",
    "snip",
    "synflow",
    "zen",
)

#: Placeholder values NASLib writes instead of a score when a proxy failed.
FAILED_SCORE_SENTINELS: tuple[float, ...] = (-1e8, 1e8, -1e9, 1e9)


def sanitize_scores(scores: np.ndarray) -> np.ndarray:
    """Return a float copy with non-finite values and failure sentinels set to NaN."""
    out = np.array(scores, dtype=float, copy=True)
    bad = ~np.isfinite(out) | np.isin(out, FAILED_SCORE_SENTINELS)
    out[bad] = np.nan
    return out
