"""NAS-Bench-201 networks in plain torch, built from a cell (Dong & Yang, ICLR 2020).

Skeleton: 3x3 conv stem (C = 16) + BN; three stages of ``n_cells`` = 5 cells at C = 16,
32, 64, joined by residual reduction blocks (stride 2); BN + ReLU, global average
pooling, linear head. A cell has 4 nodes; node j sums op(i -> j)(node i) over i < j, with
edges ordered (1,2) (1,3) (1,4) (2,3) (2,4) (3,4) and ops none / skip / ReLU-Conv-BN 1x1
and 3x3 / 3x3 average pooling, indexed as in NASLib and the NAS-Bench-Suite-Zero strings.
"""

from __future__ import annotations

import torch
from torch import nn

from nas_surrogate.spaces.nb201 import NB201_EDGES, NB201_OPS


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def make_op(name: str, channels: int) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, 1)
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, 0)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"unknown NB201 op {name!r}")


class Cell(nn.Module):
    def __init__(self, ops: tuple[int, ...], channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(make_op(NB201_OPS[o], channels) for o in ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = {1: x}
        for target in (2, 3, 4):
            nodes[target] = sum(
                self.edges[e](nodes[a]) for e, (a, b) in enumerate(NB201_EDGES) if b == target
            )
        return nodes[4]


class ResNetBasicBlock(nn.Module):
    """The reduction block between stages: two ReLU-Conv-BN and a pooled 1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(2, stride=2, padding=0), nn.Conv2d(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    def __init__(
        self,
        ops: tuple[int, ...],
        n_classes: int = 10,
        channels: int = 16,
        n_cells: int = 5,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        layers: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResNetBasicBlock(c, 2 * c))
                c *= 2
            layers += [Cell(tuple(ops), c) for _ in range(n_cells)]
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The feature map before pooling (what Zen-NAS measures)."""
        return self.lastact(self.cells(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


def build(
    arch, n_classes: int = 10, in_channels: int = 3, channels: int = 16, n_cells: int = 5
) -> NB201Network:
    """The NB201 network of ``arch`` (NAS-Bench-201's macro skeleton: 16 channels, 5 cells
    per stage by default; smaller ones train in seconds on small images)."""
    return NB201Network(
        tuple(int(o) for o in arch), n_classes, channels, n_cells, in_channels=in_channels
    )
