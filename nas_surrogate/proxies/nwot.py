"""``nwot``: neural architecture search without training (Mellor et al., ICML 2021): the
log-determinant of the kernel of binary activation codes across a batch.

The code of a unit is the sign of its pre-activation (``input > 0``), as Mellor et al.
take it for ReLU; every activation module is hooked (GELU, SiLU, Tanh, ... as well as
ReLU), so a network without ReLU is scored instead of getting the slogdet of an empty
kernel (-inf). On NB201 networks (ReLU only) the kernel is the same as before.
"""

from __future__ import annotations

import numpy as np
import torch

from nas_surrogate.proxies.base import ACTIVATIONS, ProxyNotApplicable

#: what the error names: a functional activation (``F.relu`` in ``forward``) has no module
NO_MODULES = (
    "no activation modules to hook (nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh, ...; an activation "
    "called as a function in forward, e.g. F.relu, cannot be hooked)"
)


def score(net, batch) -> float:
    n = len(batch.images)
    kernel = torch.zeros(n, n, dtype=torch.float64, device=batch.images.device)
    seen = [0]

    def count(module, inputs, output) -> None:
        x = inputs[0].detach()
        if x.ndim == 0 or x.shape[0] != n:  # not batch-first: no code per input row
            return
        codes = (x.reshape(n, -1) > 0).double()
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)
        seen[0] += 1

    hooked = [m for m in net.modules() if isinstance(m, ACTIVATIONS)]
    if not hooked:
        raise ProxyNotApplicable(NO_MODULES)
    handles = [m.register_forward_hook(count) for m in hooked]
    try:
        with torch.no_grad():
            net(batch.images)
    finally:
        for h in handles:
            h.remove()
    if not seen[0]:
        raise ProxyNotApplicable("no activation module saw a batch-first input in the forward pass")
    return float(np.linalg.slogdet(kernel.cpu().numpy())[1])
