"""``grasp``: gradient signal preservation, -w * (H g) summed (Wang et al., ICLR 2020),
with the Hessian-gradient product from double back-propagation. A layer the forward pass
does not use (no gradient) contributes nothing."""

from __future__ import annotations

import torch
from torch import nn

from nas_surrogate.proxies.base import weighted_layers


def score(net, batch) -> float:
    weights = [m.weight for m in weighted_layers(net)]
    net.zero_grad()
    loss = nn.functional.cross_entropy(net(batch.images), batch.labels)
    g = torch.autograd.grad(loss, weights, allow_unused=True)
    g = [t if t is None else t.detach() for t in g]
    loss = nn.functional.cross_entropy(net(batch.images), batch.labels)
    g2 = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    z = sum((a * b).sum() for a, b in zip(g2, g) if a is not None and b is not None)
    z.backward()
    return float(-sum((w.detach() * w.grad).sum() for w in weights if w.grad is not None))
