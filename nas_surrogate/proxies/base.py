"""What a proxy computation sees: a freshly initialised network and a batch.

Each proxy is one function ``score(net, batch) -> float`` in its own module, registered
in ``__init__.py``. The caller builds a new network (seeded) for every proxy, so a proxy
that changes weights (synflow takes their absolute values) cannot affect another.

Nothing here assumes NAS-Bench-201: a batch holds inputs of any shape (B, ...) (images
(B, C, H, W), sequences (B, C, L), tabular rows (B, F)) and the layer lists below name
every convolution, linear layer and activation module torch has, so the proxies score a
user's own ``nn.Module`` as they score an NB201 cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


class ProxyNotApplicable(ValueError):
    """A proxy that cannot score this network at all (it lacks the modules the proxy
    reads, e.g. nwot on a network without activation modules), as opposed to a proxy
    that failed numerically on one network: the caller reports it instead of a NaN."""


@dataclass
class Batch:
    images: torch.Tensor  # (B, ...): images (B, C, H, W), sequences (B, C, L), rows (B, F)
    labels: torch.Tensor  # (B,)
    n_classes: int


#: layers whose weights the weight-based proxies (snip, grad_norm, l2_norm, ...) read
WEIGHTED = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
    nn.Linear,
)

#: activation modules (nwot reads their inputs' signs; flops counts one op per output);
#: ReLU6 is a Hardtanh, so Hardtanh covers it
ACTIVATIONS = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Hardtanh,
    nn.Softplus,
    nn.Softsign,
    nn.Tanh,
    nn.Sigmoid,
    nn.LogSigmoid,
    nn.Tanhshrink,
    nn.Threshold,
)

#: batch norms (synflow removes them; zen reads their running scale)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def synthetic_batch(
    size: int = 16,
    n_classes: int = 10,
    seed: int = 0,
    device: str = "cpu",
    shape: tuple[int, ...] = (3, 32, 32),
) -> Batch:
    """Seeded Gaussian inputs of ``shape`` per row and uniform labels: the no-download
    default (CIFAR-sized images unless told otherwise)."""
    gen = torch.Generator().manual_seed(seed)
    images = torch.randn(size, *shape, generator=gen)
    labels = torch.randint(0, n_classes, (size,), generator=gen)
    return Batch(images.to(device), labels.to(device), n_classes)


def weighted_layers(net: nn.Module) -> list[nn.Module]:
    """Convolutions (any dimension, transposed too) and linear layers, in module order."""
    return [m for m in net.modules() if isinstance(m, WEIGHTED) and m.weight is not None]


def loss_backward(net: nn.Module, batch: Batch) -> torch.Tensor:
    net.zero_grad()
    loss = nn.functional.cross_entropy(net(batch.images), batch.labels)
    loss.backward()
    return loss


def input_jacobian(net: nn.Module, batch: Batch) -> torch.Tensor:
    """(B, prod(input shape)) gradient of the summed outputs w.r.t. each input row."""
    x = batch.images.clone().requires_grad_(True)
    net.zero_grad()
    net(x).sum().backward()
    if x.grad is None:  # the output does not depend on the input
        raise ValueError("the network's output does not depend on its input")
    return x.grad.detach().reshape(len(x), -1)
