"""``latency``: the network's inference latency on this machine, in milliseconds: the
median of ``REPEATS`` batch-1 forward passes (eval mode, no gradients, after
``WARMUP`` untimed passes), on the thread count the caller set (one, in ``nas``).

Not a ZC proxy of accuracy but a measured cost, computed like one (per network, live,
cached): a *known* objective of ``nas --objectives val_accuracy,latency``. It depends on
the machine, so the live cache of a ``TorchProxies`` source is per host.
"""

from __future__ import annotations

import time

import numpy as np
import torch

WARMUP = 3
REPEATS = 15


def score(net, batch) -> float:
    net.eval()
    x = batch.images[:1]
    with torch.no_grad():
        for _ in range(WARMUP):
            net(x)
        times = []
        for _ in range(REPEATS):
            t = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000.0)
