"""``fisher``: sum over layer outputs of 0.5 * mean over the batch of (sum over positions
of activation * gradient)^2 per channel (Theis et al. 2018, as used by Abdelfattah et
al., 2021).

The layers are the convolutions (any dimension; channels on dim 1, positions after it)
and the linear layers but the last one called, the classifier head, which the NB201
count leaves out (its features on the last dim, positions between). A multi-layer
perceptron is scored on its hidden layers as a CNN is on its convolutions.
"""

from __future__ import annotations

import torch
from torch import nn

from nas_surrogate.proxies.base import WEIGHTED


def _per_channel(module: nn.Module, a: torch.Tensor) -> torch.Tensor:
    """(B, channels): activation * gradient summed over the positions of each row."""
    g = a.detach() * a.grad
    if isinstance(module, nn.Linear):
        return g.reshape(len(g), -1, g.shape[-1]).sum(dim=1) if g.ndim > 2 else g
    return g.sum(dim=tuple(range(2, g.ndim)))


def score(net, batch) -> float:
    acts: list[tuple[nn.Module, torch.Tensor]] = []

    def keep(module, inputs, output) -> None:
        if isinstance(output, torch.Tensor) and output.requires_grad:
            output.retain_grad()
            acts.append((module, output))

    layers = [m for m in net.modules() if isinstance(m, WEIGHTED)]
    handles = [m.register_forward_hook(keep) for m in layers]
    try:
        net.zero_grad()
        nn.functional.cross_entropy(net(batch.images), batch.labels).backward()
    finally:
        for h in handles:
            h.remove()
    heads = [i for i, (m, _) in enumerate(acts) if isinstance(m, nn.Linear)]
    if heads:
        del acts[heads[-1]]  # the classifier head
    total = 0.0
    for module, a in acts:
        if a.grad is not None:
            per_channel = _per_channel(module, a)
            total += float(0.5 * per_channel.pow(2).mean(dim=0).sum())
    return total
