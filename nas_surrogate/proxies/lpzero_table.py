"""An LPZero proxy as a column of a benchmark table (``--features ...+lpz:FILE`` on
``evaluate`` / ``search``): the expression computed on every network of an NB201 table,
on the batch it was found with, and remembered on disk.

The cache file ``<cache dir>/lpz/<digest>.npy`` (a plain float array, read without
pickle) is keyed by the expression file's content, the batch, the networks' arch list
and the proxy code version, so an edited expression or another table is never served
these scores. Networks are computed in parallel processes, one torch thread each
(``n_jobs``, all cores by default): the scores do not depend on it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.lpzero import LPZeroProxy, proxy_from_name

#: the classes of each NB201 task's head
TASK_CLASSES = {"cifar100": 100, "ImageNet16-120": 120}


def _scores(keys: list[str], proxy: LPZeroProxy, spec: dict, n_classes: int) -> list[float]:
    import torch

    from nas_surrogate.proxies.base import synthetic_batch
    from nas_surrogate.proxies.network import build
    from nas_surrogate.spaces import get_space

    torch.set_num_threads(1)
    batch = synthetic_batch(spec["size"], n_classes, spec["seed"], shape=tuple(spec["shape"]))
    space = get_space("nasbench201")
    out = []
    for key in keys:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(proxy.seed)
            net = build(space.parse(key), n_classes, int(spec["shape"][0]))
        try:
            out.append(proxy.score(net, batch))
        except (RuntimeError, ValueError, FloatingPointError):
            out.append(float("nan"))  # as compute_proxies: a failed network has no score
    return out


def lpz_column(bench, name: str, n_jobs: int | None = None) -> np.ndarray:
    """The ``lpz:FILE`` proxy ``name`` on every row of ``bench`` (NaN where it failed)."""
    from joblib import Parallel, delayed

    from nas_surrogate.cache import cache_dir
    from nas_surrogate.proxies.live import PROXY_CODE_VERSION

    proxy = proxy_from_name(name)
    where = f"feature {name}"
    if bench.space.name != "nasbench201":
        raise BadInputError(
            where,
            f"computes on networks the project builds (NB201), not "
            f"{bench.space.name}; give a --proxy-table with this column",
        )
    spec = proxy.batch_spec
    if not spec or spec.get("kind") != "synthetic":
        raise BadInputError(
            where,
            "was found on a batch file: compute it with `proxies compute "
            f"--proxies {name} --batch FILE` and pass --proxy-table",
        )
    if proxy.genome.needs and any(p in ("head", "softmax") for p in proxy.genome.needs):
        raise BadInputError(where, "reads attention maps, which NB201 networks do not have")
    n_classes = TASK_CLASSES.get(bench.task, 10)
    keys = [bench.space.format(a) for a in bench.archs]
    h = hashlib.sha256(json.dumps([proxy.digest, spec, n_classes, PROXY_CODE_VERSION]).encode())
    h.update("\n".join(keys).encode())
    folder = cache_dir()
    path = None if folder is None else Path(folder) / "lpz" / f"{h.hexdigest()[:24]}.npy"
    if path is not None and path.is_file():
        try:
            column = np.load(path, allow_pickle=False)
            if column.shape == (len(keys),):
                return _said(column, name, keys)
        except (OSError, ValueError):
            pass  # a damaged cache file is recomputed
    jobs = n_jobs or max(1, (os.cpu_count() or 1))
    parts = [keys[i : i + 32] for i in range(0, len(keys), 32)]
    done = Parallel(n_jobs=jobs)(delayed(_scores)(p, proxy, spec, n_classes) for p in parts)
    column = np.array([v for part in done for v in part], dtype=float)
    column[~np.isfinite(column)] = np.nan
    if path is not None:
        from nas_surrogate.io import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: np.save(f, column, allow_pickle=False))
    return _said(column, name, keys)


def _said(column: np.ndarray, name: str, keys: list[str]) -> np.ndarray:
    """``column``, with one warning when the expression has no value on some networks
    (a failed pass or a non-finite result): they enter the features as missing values,
    imputed like a failed hand-crafted proxy, and the user is told how many."""
    bad = np.flatnonzero(np.isnan(column))
    if len(bad):
        import warnings

        warnings.warn(
            f"{name}: no finite value on {len(bad)} of {len(column)} networks (first: "
            f"{keys[bad[0]]}); they enter the features as missing values",
            RuntimeWarning,
            stacklevel=3,
        )
    return column


__all__ = ["lpz_column"]
