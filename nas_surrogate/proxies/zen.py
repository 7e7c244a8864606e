"""``zen``: Zen-score (Lin et al., ICCV 2021): log of the mean change of the pre-pooling
feature map under a small Gaussian perturbation of a Gaussian input, plus the log of
each BN layer's mean running scale, with BN in training mode."""

from __future__ import annotations

import math

import torch
from torch import nn


def score(net, batch) -> float:
    gen = torch.Generator(device="cpu").manual_seed(0)
    shape = batch.images.shape
    x = torch.randn(shape, generator=gen).to(batch.images.device)
    noise = torch.randn(shape, generator=gen).to(batch.images.device)
    net.train()
    with torch.no_grad():
        a = net.features(x)
        b = net.features(x + 1e-2 * noise)
        value = math.log(float((a - b).abs().mean()) + 1e-12)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d) and m.running_var is not None:
                value += math.log(math.sqrt(float(m.running_var.mean())) + 1e-12)
    return value
