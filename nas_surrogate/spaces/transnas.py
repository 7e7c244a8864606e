"""TransNAS-Bench-101 micro (cell) and macro (skeleton) spaces.

Micro: the NB201-shaped cell with 4 ops (none, skip, conv1x1, conv3x3 in NASLib's order).
Macro: 4 to 6 stages, each a block choice 1..4 (bit 0: double channels, bit 1:
downsample), padded with 0 to length 6; at most 3 channel doublings and 4 downsamplings,
at least one of each. That gives the benchmark's 3,256 networks (checked in tests).
"""

from __future__ import annotations

import numpy as np

from nas_surrogate.spaces.nb201 import NB201_EDGES
from nas_surrogate.spaces.product import ProductSpace

MICRO_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
MACRO_BLOCKS: tuple[str, ...] = ("absent", "basic", "double_channels", "downsample", "both")


class TransNASMicroSpace(ProductSpace):
    default_encoding = "onehot"
    ops = MICRO_OPS
    edges = NB201_EDGES

    def __init__(self) -> None:
        super().__init__("transbench101_micro", [len(MICRO_OPS)] * len(NB201_EDGES))


class TransNASMacroSpace(ProductSpace):
    def __init__(self) -> None:
        super().__init__("transbench101_macro", [4, 4, 4, 4, 5, 5], low=[1, 1, 1, 1, 0, 0])

    def _valid_codes_mask(self, archs: np.ndarray) -> np.ndarray:
        present = archs > 0
        # stages are a prefix: no stage after an absent one
        prefix = ~(~present[:, :-1] & present[:, 1:]).any(axis=1)
        doubles = np.isin(archs, (2, 4)).sum(axis=1)
        downs = np.isin(archs, (3, 4)).sum(axis=1)
        return prefix & (doubles >= 1) & (doubles <= 3) & (downs >= 1) & (downs <= 4)
