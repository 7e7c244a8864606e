"""``jacov``: Jacobian covariance of the inputs' gradients across a batch (Mellor et al.,
2020, v1): -sum(log(v + k) + 1 / (v + k)) over the eigenvalues v of their correlation."""

from __future__ import annotations

import numpy as np

from nas_surrogate.proxies.base import input_jacobian


def score(net, batch) -> float:
    jac = input_jacobian(net, batch).cpu().numpy()
    with np.errstate(all="ignore"):
        corr = np.corrcoef(jac)
    if not np.isfinite(corr).all():  # a constant output: no Jacobian to compare
        return float("nan")
    v = np.linalg.eigvalsh(corr)
    k = 1e-5
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))
