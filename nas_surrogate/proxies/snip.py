"""``snip``: connection sensitivity, sum |w * dL/dw| (Lee et al., ICLR 2019)."""

from __future__ import annotations

from nas_surrogate.proxies.base import loss_backward, weighted_layers


def score(net, batch) -> float:
    loss_backward(net, batch)
    layers = [m for m in weighted_layers(net) if m.weight.grad is not None]  # unused: none
    return float(sum((m.weight.detach() * m.weight.grad).abs().sum() for m in layers))
