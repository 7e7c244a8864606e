"""``l2_norm``: sum of the L2 norms of the conv and linear weights at initialisation
(Abdelfattah et al., 2021)."""

from __future__ import annotations

from nas_surrogate.proxies.base import weighted_layers


def score(net, batch) -> float:
    return float(sum(m.weight.detach().norm() for m in weighted_layers(net)))
