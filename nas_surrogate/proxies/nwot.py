"""``nwot``: neural architecture search without training (Mellor et al., ICML 2021): the
log-determinant of the kernel of binary ReLU activation codes across a batch."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def score(net, batch) -> float:
    n = len(batch.images)
    kernel = torch.zeros(n, n, dtype=torch.float64, device=batch.images.device)

    def count(module, inputs, output) -> None:
        codes = (inputs[0].detach().reshape(n, -1) > 0).double()
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

    handles = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(batch.images)
    finally:
        for h in handles:
            h.remove()
    return float(np.linalg.slogdet(kernel.cpu().numpy())[1])
