"""``epe_nas``: per-class Jacobian correlation (Lopes et al., 2021): for each class, the
sum of log(|corr| + k) of its inputs' gradients; the score is the sum of the absolute
differences between classes' values, as in NASLib."""

from __future__ import annotations

import numpy as np

from nas_surrogate.proxies.base import input_jacobian


def score(net, batch) -> float:
    jac = input_jacobian(net, batch).cpu().numpy()
    labels = batch.labels.cpu().numpy()
    per_class = []
    for c in np.unique(labels):
        rows = jac[labels == c]
        if len(rows) < 2:
            continue
        with np.errstate(all="ignore"):
            corr = np.corrcoef(rows)
        if not np.isfinite(corr).all():  # a constant output: the proxy fails
            return float("nan")
        per_class.append(np.sum(np.log(np.abs(corr) + 1e-5)))
    values = np.array(per_class)
    return float(np.abs(values[:, None] - values[None, :]).sum() / 2) if len(values) else 0.0
