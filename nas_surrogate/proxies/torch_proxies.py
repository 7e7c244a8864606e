"""The 13 zero-cost proxies computed from scratch in torch, one module each, one registry.

``compute_proxies(archs, proxies)`` builds a freshly seeded NB201 network per (arch,
proxy) and scores it on a batch: a seeded synthetic one by default (no downloads), or
the user's (``load_batch``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from nas_surrogate.proxies import (
    epe_nas,
    fisher,
    flops,
    grad_norm,
    grasp,
    jacov,
    l2_norm,
    latency,
    nwot,
    params,
    plain,
    snip,
    synflow,
    zen,
)
from nas_surrogate.proxies.base import Batch, synthetic_batch
from nas_surrogate.proxies.network import build
from nas_surrogate.proxy_names import sanitize_scores
from nas_surrogate.registry import Registry

PROXIES: Registry[Callable[..., float]] = Registry("proxy")
for _module in (epe_nas, fisher, flops, grad_norm, grasp, jacov, l2_norm, nwot, params, plain,
                snip, synflow, zen):  # fmt: skip
    PROXIES.register(_module.__name__.rsplit(".", 1)[1], _module.score)

#: measured costs computed like proxies (per network, live, cached): known objectives
MEASURES: Registry[Callable[..., float]] = Registry("measure")
MEASURES.register("latency", latency.score)


def proxy_function(name: str) -> Callable[..., float]:
    """The scoring function ``fn(net, batch) -> float`` of a measure, a registered proxy
    or an LPZero expression file (``lpz:FILE``); an unknown name is a BadInputError."""
    from nas_surrogate.proxies.lpzero import is_lpz, proxy_from_name

    if is_lpz(name):
        return proxy_from_name(name).score
    return MEASURES.get(name) if name in MEASURES else PROXIES.get(name)


_measure = proxy_function


def load_batch(
    path: str, n_classes: int = 10, size: int | None = None, device: str = "cpu"
) -> Batch:
    """A batch from ``.npz`` with ``images`` (N, 3, H, W) or (N, H, W, 3) and ``labels``,
    or ``x`` and ``y`` (the layout ``nas --dataset`` reads)."""
    from nas_surrogate.errors import BadInputError
    from nas_surrogate.npz import read_pair

    where = f"--batch {path}"
    _, images, labels = read_pair(path, (("images", "labels"), ("x", "y")), where)
    if images.ndim != 4:
        raise BadInputError(f"--batch {path}", f"images must be 4-D, got shape {images.shape}")
    if images.shape[-1] == 3 and images.shape[1] != 3:
        images = images.transpose(0, 3, 1, 2)
    images = images.astype(np.float32)
    if images.max() > 2:  # 0..255 pixels: scale and standardise per channel
        images = images / 255.0
    images = (images - images.mean(axis=(0, 2, 3), keepdims=True)) / (
        images.std(axis=(0, 2, 3), keepdims=True) + 1e-8
    )
    if size:
        images, labels = images[:size], labels[:size]
    return Batch(
        torch.as_tensor(images, device=device),
        torch.as_tensor(labels, device=device).long(),
        n_classes,
    )


def _check_nb201(archs: object) -> None:
    """BadInputError unless ``archs`` are NB201 cells (rows of six op indices 0..4)."""
    from nas_surrogate.errors import BadInputError

    try:
        cells = np.atleast_2d(np.asarray(archs))
        ok = cells.ndim == 2 and cells.shape[1] == 6 and np.issubdtype(cells.dtype, np.integer)
        ok = ok and bool(((cells >= 0) & (cells < 5)).all())
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise BadInputError(
            "compute_proxies archs", "builds NB201 cells (rows of six op indices 0..4); for "
            "a model of your own use nas_surrogate.ModelProxies(build, batch)",
        )  # fmt: skip


def compute_proxies(
    archs: np.ndarray,
    proxies: Sequence[str],
    batch: Batch | None = None,
    seed: int = 0,
    device: str = "cpu",
    network: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, seconds), each (n_archs, n_proxies). Networks are seeded per arch;
    ``network``: ``build`` arguments (``channels``, ``n_cells``) for a smaller skeleton;
    the input channels follow the batch. NB201 cells only: for a model of your own,
    ``ModelProxies``."""
    _check_nb201(archs)
    batch = batch or synthetic_batch(seed=seed, device=device)
    fns = [_measure(p) for p in proxies]
    scores = np.full((len(archs), len(proxies)), np.nan)
    seconds = np.full_like(scores, np.nan)
    for i, arch in enumerate(np.atleast_2d(archs)):
        for j, fn in enumerate(fns):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                net = build(
                    arch, batch.n_classes, int(batch.images.shape[1]), **(network or {})
                ).to(device)
            t = time.perf_counter()
            try:
                scores[i, j] = fn(net, batch)
            except (RuntimeError, ValueError, np.linalg.LinAlgError):
                scores[i, j] = np.nan  # a proxy that fails on an arch is missing, as in NASLib
            seconds[i, j] = time.perf_counter() - t
    return sanitize_scores(scores), seconds  # -inf/inf (a dead cell) -> NaN, as published


__all__ = ["PROXIES", "Batch", "compute_proxies", "load_batch", "synthetic_batch"]
