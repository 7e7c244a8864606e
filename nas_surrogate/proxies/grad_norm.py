"""``grad_norm``: sum of the L2 norms of the loss gradients of the conv and linear
weights on one batch (Abdelfattah et al., 2021)."""

from __future__ import annotations

from nas_surrogate.proxies.base import loss_backward, weighted_layers


def score(net, batch) -> float:
    loss_backward(net, batch)
    layers = [m for m in weighted_layers(net) if m.weight.grad is not None]  # unused: none
    return float(sum(m.weight.grad.norm() for m in layers))
