"""Proxy names and the single NaN policy for proxy scores.

NASLib wrote failed proxy evaluations as -1e8 in some files and +-1e9 in others, and a
few scores are +-inf. All of them mean "no score", so they become NaN here, once, and
every consumer imputes (on training rows only) or drops them explicitly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
#: spaces whose networks the torch proxies build (``proxies/network.py``): the one list
SPACES_WITH_NETWORKS = ("nasbench201",)


def cache_key(name: str) -> str:
    """The name a proxy's scores are cached under: itself, or for ``lpz:FILE`` the
    digest of the file's content (an edited expression never reads the old scores)."""
    from nas_surrogate.proxies.lpzero import is_lpz, proxy_from_name

    if not is_lpz(name):
        return name

    return f"lpz@{proxy_from_name(name).digest}"


#: Proxy columns that are costs, not predictors: *known* objectives (minimised) of a
#: multi-objective search. ``latency`` is measured live (``proxies/latency.py``).
COST_COLUMNS: tuple[str, ...] = ("params", "flops", "latency")

#: Placeholder values NASLib writes instead of a score when a proxy failed.
FAILED_SCORE_SENTINELS: tuple[float, ...] = (-1e8, 1e8, -1e9, 1e9)


def sanitize_scores(scores: np.ndarray) -> np.ndarray:
    """Return a float copy with non-finite values and failure sentinels set to NaN."""
    out = np.array(scores, dtype=float, copy=True)
    bad = ~np.isfinite(out) | np.isin(out, FAILED_SCORE_SENTINELS)
    out[bad] = np.nan
    return out


#: Seconds charged per architecture for a proxy whose source records no ``time``: the
#: median recorded ``time`` of NAS-Bench-Suite-Zero's nasbench201/cifar10 file (725
#: archs, the authors' GPU), and for zen, which that file lacks, the median over the
#: TransNAS-Bench-101 micro zen archive. Printed by ``benchmarks/proxy_costs.py``.
DEFAULT_PROXY_SECONDS: dict[str, float] = {
    "epe_nas": 0.6492,
    "fisher": 0.6808,
    "flops": 0.4471,
    "grad_norm": 0.6502,
    "grasp": 1.3844,
    "jacov": 0.651,
    "l2_norm": 0.0556,
    "nwot": 0.5642,
    "params": 0.4426,
    "plain": 0.6555,
    "snip": 0.6567,
    "synflow": 0.4702,
    "zen": 4.0152,
}
DEFAULT_COST_SOURCE = (
    "default seconds per proxy (median recorded time of NAS-Bench-Suite-Zero "
    "nasbench201/cifar10; zen: TransNAS micro)"
)


def default_seconds(name: str) -> float:
    """Seconds charged per network for a proxy with no recorded time: the table above,
    or for an ``lpz:FILE`` expression the primitive pass its search measured."""
    if name in DEFAULT_PROXY_SECONDS:
        return DEFAULT_PROXY_SECONDS[name]
    from nas_surrogate.proxies.lpzero import is_lpz, proxy_from_name

    if is_lpz(name):
        seconds = proxy_from_name(name).seconds
        if math.isfinite(seconds):
            return seconds
    from nas_surrogate.errors import BadInputError

    raise BadInputError(f"proxy {name}", "has no recorded time and no default cost; give "
                        "--proxy-costs FILE")  # fmt: skip


def with_default_costs(bench):
    """``bench`` with every missing proxy time filled, so no proxy is free by silence.

    A proxy column with no recorded time at all takes ``DEFAULT_PROXY_SECONDS``; a
    column with some recorded times fills its gaps with their median. ``cost_source``
    says which proxies took the default."""
    from dataclasses import replace

    costs = np.array(bench.proxy_seconds, dtype=float, copy=True)
    filled = []
    for j, name in enumerate(bench.proxy_names):
        missing = ~np.isfinite(costs[:, j])
        if missing.all():
            costs[:, j] = default_seconds(name)
            filled.append(name)
        elif missing.any():
            costs[missing, j] = np.median(costs[~missing, j])
    source = f"{DEFAULT_COST_SOURCE}: {', '.join(filled)}" if filled else bench.cost_source
    return replace(bench, proxy_seconds=costs, cost_source=source)


def with_proxy_costs(bench, seconds: dict[str, float], source: str):
    """``bench`` charging the user's ``seconds`` per architecture for the named proxies
    (``--proxy-costs FILE``), whatever the data recorded."""
    from dataclasses import replace

    costs = np.array(bench.proxy_seconds, dtype=float, copy=True)
    for j, name in enumerate(bench.proxy_names):
        if name in seconds:
            costs[:, j] = seconds[name]
    return replace(bench, proxy_seconds=costs, cost_source=f"{source} (user-given)")


@dataclass(frozen=True)
class ProxySource:
    """A label-free ranking of networks named in text (``--zc-warmup``, evolution's
    training-free ``objective``, the ``proxy:`` baseline): ``vote`` (all proxies), one
    proxy by name, or ``evolved:FILE`` (an evolved expression). Parsed once, here."""

    kind: str  # "vote", "proxy" or "evolved"
    name: str  # the proxy's name, or the evolved file's path ("vote" for vote)

    EVOLVED = "evolved:"

    @classmethod
    def parse(cls, text: str) -> ProxySource:
        text = str(text)
        if text.startswith(cls.EVOLVED):
            return cls("evolved", text[len(cls.EVOLVED) :])
        return cls("vote", "vote") if text == "vote" else cls("proxy", text)

    @property
    def evolved_file(self) -> str | None:
        return self.name if self.kind == "evolved" else None

    @property
    def feature_spec(self) -> str:
        """The feature spec of the columns it reads (a baseline surrogate's features)."""
        return {"evolved": f"{self.EVOLVED}{self.name}", "vote": "zc"}.get(
            self.kind, f"zc:{self.name}"
        )

    def __str__(self) -> str:
        return f"{self.EVOLVED}{self.name}" if self.kind == "evolved" else self.name
