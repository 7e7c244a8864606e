"""What a proxy computation sees: a freshly initialised network and a batch.

Each proxy is one function ``score(net, batch) -> float`` in its own module, registered
in ``__init__.py``. The caller builds a new network (seeded) for every proxy, so a proxy
that changes weights (synflow takes their absolute values) cannot affect another.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Batch:
    images: torch.Tensor  # (B, 3, H, W)
    labels: torch.Tensor  # (B,)
    n_classes: int


def synthetic_batch(
    size: int = 16, n_classes: int = 10, seed: int = 0, device: str = "cpu"
) -> Batch:
    """Seeded Gaussian images and uniform labels: the no-download default."""
    gen = torch.Generator().manual_seed(seed)
    images = torch.randn(size, 3, 32, 32, generator=gen)
    labels = torch.randint(0, n_classes, (size,), generator=gen)
    return Batch(images.to(device), labels.to(device), n_classes)


def weighted_layers(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def loss_backward(net: nn.Module, batch: Batch) -> torch.Tensor:
    net.zero_grad()
    loss = nn.functional.cross_entropy(net(batch.images), batch.labels)
    loss.backward()
    return loss


def input_jacobian(net: nn.Module, batch: Batch) -> torch.Tensor:
    """(B, 3*H*W) gradient of the summed outputs w.r.t. each input image."""
    x = batch.images.clone().requires_grad_(True)
    net.zero_grad()
    net(x).sum().backward()
    return x.grad.detach().reshape(len(x), -1)
