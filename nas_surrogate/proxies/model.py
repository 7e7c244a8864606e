"""ZC proxies of a user's own model family: any ``build(config, input_shape, n_classes)
-> nn.Module``, scored on a batch of the user's data (``model_batch``).

``ModelProxies(build, batch)`` does for a model family what ``compute_proxies`` does for
NB201 cells: a freshly seeded network per (config, proxy), so a proxy that changes
weights (synflow) cannot affect another, and the proxy's seconds measured. What is
specific to code we did not write:

- the builder and the model are checked once, before the first computation (``check``):
  a builder that returns no module, or logits that are not (B, n_classes), would
  otherwise be a NaN in every proxy; it is a ``BadInputError`` naming the cause instead;
- a proxy that fails on a network is NaN for it (as in NASLib), but its first failure
  is reported (``warnings.warn``, once per proxy): a proxy that can never score the
  model (nwot on a model without activation modules) must not be NaN in silence;
- scores are remembered per canonical config (``json.dumps(config, sort_keys=True)``),
  and with ``cache_dir`` on disk too: ``<cache_dir>/model-proxies/<digest>.jsonl``, one
  JSON object per (config, proxy), appended as computed. The digest covers everything
  the scores depend on that the config does not say: the batch, seed, proxy code
  version, the builder's qualified name and the user's ``version`` of it (bump it when
  the builder changes), the device and the host (a latency is the machine's).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import platform
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.base import Batch, ProxyNotApplicable
from nas_surrogate.proxies.live import MAX_CACHE_LINES, PROXY_CODE_VERSION
from nas_surrogate.proxies.torch_proxies import proxy_function
from nas_surrogate.proxy_names import PROXY_NAMES

#: ``build(config, input_shape, n_classes) -> nn.Module``
Builder = Callable[[dict, tuple[int, ...], int], nn.Module]
#: what a ``ModelProxies`` computes unless told: the 13 ZC proxies and the latency
DEFAULT_PROXIES: tuple[str, ...] = (*PROXY_NAMES, "latency")
#: failures that are a network's numbers, not the proxy's reach: NaN without a word
NUMERIC_FAILURES = (np.linalg.LinAlgError, FloatingPointError)


def _score_fn(name: str) -> Callable[..., float]:
    """The scoring function of a proxy, measure or ``lpz:FILE`` expression; an unknown
    name is a BadInputError."""
    return proxy_function(name)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def canonical(config: dict) -> str:
    """The cache key of a config: its JSON with sorted keys (numpy scalars as numbers)."""
    if not isinstance(config, dict):
        kind = type(config).__name__
        raise BadInputError(f"config {config!r}", f"a config is a dict, not {kind}")
    try:
        return json.dumps(config, sort_keys=True, default=_plain, allow_nan=True)
    except (TypeError, ValueError) as e:
        raise BadInputError(
            f"config {config!r}", f"not JSON-serialisable ({e}): its JSON is its cache key"
        ) from None


def builder_name(build: Callable) -> str:
    """``module.qualname`` of a builder (of the wrapped function of a ``partial``)."""
    fn = build.func if isinstance(build, functools.partial) else build
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{module}.{qualname}"


def model_digest(batch: Batch, seed: int, builder: str, version: str, device: str) -> str:
    """Cache key of a ``ModelProxies``: what its scores depend on besides the config."""
    h = hashlib.sha256()
    h.update(platform.node().encode())
    h.update(batch.images.detach().cpu().numpy().astype(np.float32).tobytes())
    h.update(batch.labels.detach().cpu().numpy().astype(np.int64).tobytes())
    key = [batch.n_classes, list(batch.images.shape), seed, PROXY_CODE_VERSION, builder,
           version, device]  # fmt: skip
    h.update(json.dumps(key).encode())
    return h.hexdigest()[:24]


def _labels(y: np.ndarray, n: int, n_classes: int | None) -> tuple[np.ndarray, int]:
    """Integer class indices and the class count, checked (``y`` of ``model_batch``)."""
    if y.ndim != 1 or len(y) != n:
        raise BadInputError("y", f"labels must be 1-D with one per row of x ({n}), got {y.shape}")
    if y.dtype.kind not in "biuf":
        raise BadInputError("y", f"labels must be integer class indices, got {y.dtype}")
    y = y.astype(np.float64)
    if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise BadInputError("y", "labels must be integer class indices 0..n_classes-1")
    labels = y.astype(np.int64)
    n_classes = int(labels.max()) + 1 if n_classes is None else int(n_classes)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise BadInputError("y", f"labels must lie in 0..{n_classes - 1} (n_classes {n_classes})")
    return labels, n_classes


def model_batch(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int | None = None,
    size: int = 64,
    seed: int = 0,
    device: str = "cpu",
) -> Batch:
    """A proxy batch from the user's arrays: ``size`` rows drawn with ``seed`` (all rows
    if there are fewer), inputs as float32 of any shape (B, ...), labels as int64.
    The inputs are used as given: scale them as the model will see them. ``n_classes``
    defaults to the largest label + 1 (pass it when the sample may miss a class)."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2 or x.dtype.kind not in "biuf":
        raise BadInputError("x", f"inputs must be numeric (N, ...), got {x.dtype} {x.shape}")
    if len(x) < 2:
        raise BadInputError("x", f"a proxy batch needs at least 2 rows, got {len(x)}")
    labels, n_classes = _labels(y, len(x), n_classes)
    rows = np.arange(len(x))
    if len(x) > size:
        rows = np.sort(np.random.default_rng(seed).choice(len(x), int(size), replace=False))
    inputs = x[rows].astype(np.float32)
    if not np.isfinite(inputs).all():
        raise BadInputError("x", "inputs hold NaN or infinite values")
    return Batch(
        torch.as_tensor(inputs, device=device),
        torch.as_tensor(labels[rows], device=device),
        n_classes,
    )


def _device(device: str) -> str:
    try:
        parsed = torch.device(device)
    except RuntimeError as e:
        raise BadInputError(f"device {device}", str(e)) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise BadInputError(f"device {device}", "no CUDA device is available")
    return str(parsed)


class ModelProxies:
    """ZC proxies of a user's own model family: ``ModelProxies(build, batch, proxies=None,
    seed=0, device="cpu", version="0", cache_dir=None)``.

    ``build(config: dict, input_shape: tuple[int, ...], n_classes: int) -> nn.Module``;
    ``batch``: a ``Batch`` (inputs of any shape (B, ...), labels (B,), n_classes), e.g.
    from ``model_batch``. ``self(config)`` is {proxy name: score} for ``proxies`` (the 13
    and ``latency`` by default); ``compute(configs, names)`` gives (scores, seconds)
    arrays, NaN where a proxy failed. ``hits`` and ``misses`` count (config, proxy)
    scores read from a cache and computed.
    """

    def __init__(
        self,
        build: Builder,
        batch: Batch,
        proxies: Sequence[str] | None = None,
        seed: int = 0,
        device: str = "cpu",
        version: str = "0",
        cache_dir: str | Path | None = None,
    ) -> None:
        if not callable(build):
            raise BadInputError("build", f"{type(build).__name__} is not callable")
        if not isinstance(batch, Batch):
            kind = type(batch).__name__
            raise BadInputError("batch", f"a proxies Batch (see model_batch), not {kind}")
        self.build = build
        self.builder = builder_name(build)
        self.names = tuple(DEFAULT_PROXIES if proxies is None else proxies)
        for name in self.names:
            _score_fn(name)  # an unknown name fails now, not after the first network
        self.seed, self.version, self.device = int(seed), str(version), _device(device)
        self.batch = Batch(batch.images.to(self.device), batch.labels.to(self.device).long(),
                           int(batch.n_classes))  # fmt: skip
        self.input_shape = tuple(int(s) for s in batch.images.shape[1:])
        self.digest = model_digest(self.batch, self.seed, self.builder, self.version, self.device)
        folder = None if cache_dir is None else Path(cache_dir) / "model-proxies"
        self.path = None if folder is None else folder / f"{self.digest}.jsonl"
        self._known: dict[tuple[str, str], tuple[float, float]] = {}
        self._checked = False
        self._warned: set[str] = set()
        self.hits = 0
        self.misses = 0
        if self.path is not None and self.path.exists():
            self._read()

    def _read(self) -> None:
        """Scores of an earlier run; a damaged line (a run killed mid-write) is skipped,
        and said once, so those scores are recomputed."""
        bad = 0
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f):
                if n >= MAX_CACHE_LINES:
                    break
                if not line.strip():
                    continue
                try:
                    e = json.loads(line)
                    key = (canonical(e["config"]), str(e["proxy"]))
                    score = math.nan if e["score"] is None else float(e["score"])
                    self._known[key] = (score if math.isfinite(score) else math.nan,
                                        float(e["seconds"]))  # fmt: skip
                except (ValueError, KeyError, TypeError, RecursionError):
                    bad += 1
        if bad:
            warnings.warn(
                f"{self.path}: {bad} corrupt line(s) skipped (those scores are recomputed)",
                stacklevel=3,
            )

    def _write(self, entry: dict) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
                f.flush()
        except OSError as e:
            warnings.warn(f"{self.path}: not writable ({e}); scores are kept in memory only",
                          stacklevel=4)  # fmt: skip
            self.path = None  # an unwritable cache is no cache, not a failure

    def _warn(self, name: str, message: str) -> None:
        if name not in self._warned:
            self._warned.add(name)
            warnings.warn(message, stacklevel=4)

    def _build(self, config: dict, key: str) -> nn.Module:
        """The network of ``config``, seeded, on the device; anything but a module (or an
        exception of the builder) is the user's to fix."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            try:
                net = self.build(dict(config), self.input_shape, self.batch.n_classes)
            except Exception as e:
                raise BadInputError(
                    f"build {self.builder}", f"failed on config {key}: {type(e).__name__}: {e}"
                ) from e
        if not isinstance(net, nn.Module):
            raise BadInputError(
                f"build {self.builder}",
                f"returned {type(net).__name__} for config {key}, not a torch nn.Module",
            )
        return net.to(self.device)

    def check(self, config: dict, names: Sequence[str] | None = None) -> None:
        """Build ``config`` and run the batch through it: the model must give logits of
        shape (B, n_classes). Done once before the first computation; a mistake here
        would otherwise be a NaN in every proxy of every config."""
        key = canonical(config)
        net = self._build(config, key)
        want = (len(self.batch.images), self.batch.n_classes)
        where = f"model of {self.builder}"
        net.eval()  # the shape only: no batch-statistics constraint on the batch
        try:
            with torch.no_grad():
                out = net(self.batch.images)
        except Exception as e:
            shape = tuple(self.batch.images.shape)
            raise BadInputError(
                where, f"forward pass on inputs of shape {shape} failed: {type(e).__name__}: {e}"
            ) from e
        if not isinstance(out, torch.Tensor) or not out.is_floating_point():
            raise BadInputError(where, f"model output is {type(out).__name__}, not float logits")
        if tuple(out.shape) != want:
            raise BadInputError(
                where, f"model output shape {tuple(out.shape)} does not match {want} "
                "(batch size, n_classes)"
            )  # fmt: skip
        self._check_primitives(net, self.names if names is None else names)
        self._checked = True

    def _check_primitives(self, net: nn.Module, names: Sequence[str]) -> None:
        """An ``lpz:FILE`` expression reading attention maps needs a model that has them."""
        from nas_surrogate.proxies.lpzero import attention_needs

        has_attention = any(isinstance(m, nn.MultiheadAttention) for m in net.modules())
        for name in names:
            need = attention_needs(name)
            if need and not has_attention:
                raise BadInputError(
                    f"proxy {name}", f"reads {', '.join(need)} (attention maps), which models "
                    f"of {self.builder} do not have (no nn.MultiheadAttention)",
                )  # fmt: skip

    def _score(self, config: dict, key: str, name: str) -> tuple[float, float]:
        """(score, seconds) of one proxy on a freshly built network of ``config``."""
        fn = _score_fn(name)
        net = self._build(config, key)
        t = time.perf_counter()
        cuda = torch.device(self.device)
        devices = [cuda.index or 0] if cuda.type == "cuda" else []
        try:
            # seeded like the build: dropout masks (and any other draw a proxy's forward
            # makes) depend on the config and the seed only, not on what ran before
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(self.seed)
                value = float(fn(net, self.batch))
        except NUMERIC_FAILURES:
            value = math.nan
        except ProxyNotApplicable as e:
            self._warn(name, f"proxy {name} cannot score models of {self.builder} ({e}): NaN")
            value = math.nan
        except Exception as e:
            self._warn(name, f"proxy {name} failed on config {key} ({type(e).__name__}: {e}): "
                             f"NaN (further failures of {name} are not reported)")  # fmt: skip
            value = math.nan
        seconds = time.perf_counter() - t
        return (value if math.isfinite(value) else math.nan), seconds

    def compute(
        self, configs: Sequence[dict], names: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, seconds), each (len(configs), len(names)); NaN where a proxy failed
        (a -inf or inf score too, as in ``compute_proxies``). Cached scores are charged
        the seconds measured when they were computed."""
        names = self.names if names is None else tuple(names)
        for name in names:
            _score_fn(name)
        from nas_surrogate.proxy_names import cache_key

        keys = [canonical(c) for c in configs]
        cached_as = {name: cache_key(name) for name in names}  # lpz:FILE by content
        for config, key in zip(configs, keys):
            for name in names:
                if (key, cached_as[name]) in self._known:
                    self.hits += 1
                    continue
                if not self._checked:
                    self.check(config, names)
                score, seconds = self._score(config, key, name)
                self._known[(key, cached_as[name])] = (score, seconds)
                self.misses += 1
                self._write({"config": json.loads(key), "proxy": cached_as[name],
                             "score": None if math.isnan(score) else score,
                             "seconds": seconds})  # fmt: skip
        shape = (len(keys), len(names))
        scores = np.array([[self._known[(k, cached_as[n])][0] for n in names] for k in keys],
                          dtype=float)  # fmt: skip
        seconds = np.array([[self._known[(k, cached_as[n])][1] for n in names] for k in keys],
                           dtype=float)  # fmt: skip
        return scores.reshape(shape), seconds.reshape(shape)

    def __call__(self, config: dict) -> dict[str, float]:
        """{proxy name: score} of one config for this object's proxies (NaN: failed)."""
        scores, _ = self.compute([config])
        return {name: float(s) for name, s in zip(self.names, scores[0])}


__all__ = ["DEFAULT_PROXIES", "ModelProxies", "model_batch"]
