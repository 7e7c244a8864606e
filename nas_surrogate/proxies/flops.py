"""``flops``: operations of one forward pass of a single input row, in millions, counted
as NAS-Bench-201's tables count them: multiply-adds of convolutions and linear layers,
k*k per output of an average pool, 2 per BN output, 1 per ReLU output, 1 per input of
global pooling. On NB201 cells this reproduces the published values up to a constant:
the published count is 0.001088 M higher on every arch (checked in tests; no module of
the network accounts for it).

Other networks are counted by the same rules, extended to every module type a plain
model is made of: convolutions of any dimension (transposed ones too), a linear layer
on sequences (once per position), pools of any dimension (max pools like average
pools), any activation module (1 per output), and LayerNorm / GroupNorm / InstanceNorm
(5 per output: BN's 2 for the affine plus 3 for the statistics they compute at
inference). Work done by functions inside ``forward`` (``F.relu``, ``x @ w``,
attention) is not counted: only modules can be hooked.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nas_surrogate.proxies.base import ACTIVATIONS, BATCH_NORMS

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
POOLS = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
GLOBAL_POOLS = (
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
)
NORMS = (nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)


def _window(module: nn.Module) -> int:
    """Inputs per output of a pool: the kernel's size in every spatial dimension."""
    k = module.kernel_size
    dims = 1 if "1d" in type(module).__name__ else 3 if "3d" in type(module).__name__ else 2
    return math.prod(k) if isinstance(k, tuple) else k**dims


def count(module: nn.Module, inputs: tuple, output: torch.Tensor) -> float:
    """Operations of one module call on a batch of one row (0 for unknown modules)."""
    if isinstance(module, CONVS):
        k = math.prod(module.kernel_size)
        return output[0].numel() * module.in_channels * k / module.groups
    if isinstance(module, TRANSPOSED):
        k = math.prod(module.kernel_size)
        return inputs[0][0].numel() * module.out_channels * k / module.groups
    if isinstance(module, nn.Linear):  # (1, F) or (1, L, F): once per position
        return output[0].numel() * module.in_features
    if isinstance(module, POOLS):
        return _window(module) * output[0].numel()
    if isinstance(module, ACTIVATIONS):
        return output[0].numel()
    if isinstance(module, BATCH_NORMS):
        return 2 * output[0].numel()
    if isinstance(module, NORMS):
        return 5 * output[0].numel()
    if isinstance(module, GLOBAL_POOLS):
        return inputs[0][0].numel()
    return 0


def score(net, batch) -> float:
    total = [0.0]

    def hook(module, inputs, output) -> None:
        if isinstance(output, torch.Tensor):
            total[0] += count(module, inputs, output)

    net.eval()  # a count of shapes: BatchNorm1d in training mode refuses one row
    handles = [m.register_forward_hook(hook) for m in net.modules()]
    try:
        with torch.no_grad():
            net(batch.images[:1])
    finally:
        for h in handles:
            h.remove()
    return total[0] / 1e6
