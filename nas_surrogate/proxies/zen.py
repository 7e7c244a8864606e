"""``zen``: Zen-score (Lin et al., ICCV 2021): log of the mean change of the pre-pooling
feature map under a small Gaussian perturbation of a Gaussian input, plus the log of
each BN layer's mean running scale, with BN in training mode.

The feature map is ``net.features(x)`` where the network has that method or module (the
NB201 networks, torchvision's VGG and MobileNets), else the input of the last
``nn.Linear`` the forward pass calls: the features the classifier head sees, for any
network with a linear head.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nas_surrogate.proxies.base import BATCH_NORMS, ProxyNotApplicable

#: a ``features`` attribute of these types is no feature extractor (it has no forward)
CONTAINERS = (nn.ModuleList, nn.ModuleDict, nn.ParameterList, nn.ParameterDict)


def head_input(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of the last ``nn.Linear`` called in ``net(x)`` (a forward pre-hook)."""
    last: list[torch.Tensor] = []

    def keep(module, inputs) -> None:
        last[:] = [inputs[0]]

    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ProxyNotApplicable(
            "no features method and no nn.Linear head whose input could be the feature map"
        )
    handles = [m.register_forward_pre_hook(keep) for m in linears]
    try:
        net(x)
    finally:
        for h in handles:
            h.remove()
    if not last:
        raise ProxyNotApplicable("no nn.Linear module ran in the forward pass")
    return last[0]


def score(net, batch) -> float:
    gen = torch.Generator(device="cpu").manual_seed(0)
    shape = batch.images.shape
    x = torch.randn(shape, generator=gen).to(batch.images.device)
    noise = torch.randn(shape, generator=gen).to(batch.images.device)
    features = getattr(net, "features", None)
    if not callable(features) or isinstance(features, CONTAINERS):
        features = None
    net.train()
    with torch.no_grad():
        if features is not None:
            a = features(x)
            b = features(x + 1e-2 * noise)
        else:
            a = head_input(net, x)
            b = head_input(net, x + 1e-2 * noise)
        value = math.log(float((a - b).abs().mean()) + 1e-12)
        for m in net.modules():
            if isinstance(m, BATCH_NORMS) and m.running_var is not None:
                value += math.log(math.sqrt(float(m.running_var.mean())) + 1e-12)
    return value
