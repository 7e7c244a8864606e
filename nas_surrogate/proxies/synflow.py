"""``synflow``: iterative synaptic flow (Tanaka et al., NeurIPS 2020): with batch norm
removed (as NASLib does for this proxy), every weight replaced by its absolute value and
an all-ones input in double precision, the sum of |w * dR/dw| where R is the summed
output. Reported as log(1 + sum), the published scale."""

from __future__ import annotations

import math

import torch
from torch import nn

from nas_surrogate.proxies.base import BATCH_NORMS, weighted_layers


def _drop_batchnorm(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, BATCH_NORMS):
            setattr(module, name, nn.Identity())
        else:
            _drop_batchnorm(child)


def score(net, batch) -> float:
    _drop_batchnorm(net)
    net = net.double()
    with torch.no_grad():
        for p in net.state_dict().values():
            if p.is_floating_point():
                p.abs_()
    net.zero_grad()
    x = torch.ones((1, *batch.images.shape[1:]), dtype=torch.float64, device=batch.images.device)
    net(x).sum().backward()
    total = sum(
        float((m.weight.detach() * m.weight.grad).abs().sum())
        for m in weighted_layers(net)
        if m.weight.grad is not None  # a layer the forward pass does not use
    )
    return math.log1p(total)
