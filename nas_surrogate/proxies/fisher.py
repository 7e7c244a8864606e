"""``fisher``: sum over conv outputs of 0.5 * mean over the batch of
(sum over positions of activation * gradient)^2 per channel (Theis et al. 2018, as used
by Abdelfattah et al., 2021)."""

from __future__ import annotations

import torch
from torch import nn


def score(net, batch) -> float:
    acts: list[torch.Tensor] = []

    def keep(module, inputs, output) -> None:
        output.retain_grad()
        acts.append(output)

    handles = [m.register_forward_hook(keep) for m in net.modules() if isinstance(m, nn.Conv2d)]
    try:
        net.zero_grad()
        nn.functional.cross_entropy(net(batch.images), batch.labels).backward()
    finally:
        for h in handles:
            h.remove()
    total = 0.0
    for a in acts:
        if a.grad is not None:
            per_channel = (a.detach() * a.grad).sum(dim=(2, 3))  # (B, C)
            total += float(0.5 * per_channel.pow(2).mean(dim=0).sum())
    return total
