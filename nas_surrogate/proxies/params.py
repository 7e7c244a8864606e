"""``params``: number of trainable parameters, in millions (NAS-Bench-201's count)."""

from __future__ import annotations


def score(net, batch) -> float:
    return sum(p.numel() for p in net.parameters()) / 1e6
