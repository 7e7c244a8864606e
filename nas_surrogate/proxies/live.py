"""Live ZC proxies: computed for the networks a searcher actually scores, when it scores
them, and remembered on disk.

``TorchProxies(batch)`` is a proxy source for ``Optimizer`` / ``nas``: ``compute(archs,
names)`` returns (scores, seconds) for NB201 cells, computing only what its cache lacks,
in parallel (joblib, one torch thread per worker). The cache is keyed by (arch, proxy,
batch digest): the digest covers the batch's images and labels, the network skeleton,
the seed and the proxy code version, so another batch or skeleton never reads these
scores. Cached scores are charged their seconds as measured when they were computed.

Cache file: ``<cache dir>/live-proxies/<digest>.jsonl``, one JSON object per (arch, proxy),
appended as computed (a run killed mid-write loses at most its last line).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.base import Batch
from nas_surrogate.proxy_names import SPACES_WITH_NETWORKS
from nas_surrogate.spaces import get_space

#: bump when a proxy's code changes what it computes
PROXY_CODE_VERSION = 1
#: most cache lines read back (bounds what a cache file can make us allocate)
MAX_CACHE_LINES = 5_000_000


def batch_digest(batch: Batch, seed: int, network: dict) -> str:
    """Cache key of a source: the batch, skeleton, seed, proxy code version and host (a
    latency measured here is no latency of another machine)."""
    import platform

    h = hashlib.sha256()
    h.update(platform.node().encode())
    h.update(batch.images.detach().cpu().numpy().astype(np.float32).tobytes())
    h.update(batch.labels.detach().cpu().numpy().astype(np.int64).tobytes())
    h.update(json.dumps([batch.n_classes, list(batch.images.shape), seed, sorted(network.items()),
                         PROXY_CODE_VERSION]).encode())  # fmt: skip
    return h.hexdigest()[:24]


def _work(archs: np.ndarray, names: list[str], batch: Batch, seed: int, network: dict):
    import torch

    from nas_surrogate.allocator import roomy_malloc
    from nas_surrogate.proxies import compute_proxies

    roomy_malloc()  # on a Dask worker: the allocator a plain process has
    torch.set_num_threads(1)  # one thread per worker; workers run side by side
    device = str(batch.images.device)
    return compute_proxies(archs, names, batch=batch, seed=seed, network=network, device=device)


class TorchProxies:
    """Proxy source computing NB201 proxies from scratch on ``batch``; counts ``hits``
    (scores read from the cache) and ``misses`` (computed now) per (arch, proxy)."""

    def __init__(
        self,
        batch: Batch,
        *,
        space: str = "nasbench201",
        seed: int = 0,
        network: dict | None = None,
        n_jobs: int = 1,
        cache: Path | None | str = "default",
    ) -> None:
        if space not in SPACES_WITH_NETWORKS:
            raise BadInputError(
                f"space {space}",
                f"live proxies need the space's networks: implemented for "
                f"{', '.join(SPACES_WITH_NETWORKS)}",
            )
        self.space = get_space(space)
        self.batch = batch
        self.seed = seed
        self.network = dict(network or {})
        self.n_jobs = n_jobs
        #: a dask.distributed client: chunks are computed on its workers (``nas
        #: --workers``), ahead of queued trainings; the scores do not depend on where
        self.client = None
        self.digest = batch_digest(batch, seed, self.network)
        if cache == "default":
            from nas_surrogate.cache import cache_dir

            root = cache_dir()
            cache = None if root is None else root / "live-proxies"
        self.path = None if cache is None else Path(cache) / f"{self.digest}.jsonl"
        self._known: dict[tuple[str, str], tuple[float, float]] = {}
        self.hits = 0
        self.misses = 0
        self.seconds_computed = 0.0
        self._per_proxy: dict[str, list[float]] = {}  # seconds of scores computed now
        if self.path is not None and self.path.exists():
            self._read()

    def _read(self) -> None:
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f):
                if n >= MAX_CACHE_LINES:
                    break
                try:
                    e = json.loads(line)
                    key = (str(e["arch"]), str(e["proxy"]))
                    score = math.nan if e["score"] is None else float(e["score"])
                    self._known[key] = (score, float(e["seconds"]))
                except (ValueError, KeyError, TypeError, RecursionError):
                    continue  # a line cut by a kill, or damage: recomputed when needed

    def _write(self, entries: list[dict]) -> None:
        if self.path is None or not entries:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = "".join(json.dumps(e) + "\n" for e in entries)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            self.path = None  # an unwritable cache is no cache, not a failure

    def seconds_per_arch(self) -> dict[str, float]:
        """Mean measured seconds per network of each proxy computed by this object."""
        return {p: float(np.mean(v)) for p, v in self._per_proxy.items()}

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else math.nan

    def compute(self, archs: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(scores, seconds), each (len(archs), len(names)); NaN for a failed proxy."""
        from nas_surrogate.proxy_names import cache_key

        archs = np.atleast_2d(np.asarray(archs, dtype=np.int64))
        texts = [self.space.format(a) for a in archs]
        keys = [cache_key(p) for p in names]  # lpz:FILE by its content's digest
        todo = sorted({t for t in texts for p in keys if (t, p) not in self._known})
        n_cached = sum((t, p) in self._known for t in texts for p in keys)
        if todo:
            rows = self.space.parse_many(todo)
            n_workers = max(1, min(self.n_jobs if self.n_jobs > 0 else os.cpu_count() or 1,
                                   len(todo)))  # fmt: skip
            if self.client is not None:  # small chunks: a worker busy training joins late
                n_workers = min(len(todo), 4 * n_workers)
            chunks = [rows[i::n_workers] for i in range(n_workers)]
            order = [todo[i::n_workers] for i in range(n_workers)]
            if self.client is not None:  # on the cluster the networks train on, first
                futures = self.client.map(
                    _work, chunks, names=list(names), batch=self.batch, seed=self.seed,
                    network=self.network, pure=False, priority=10,
                )  # fmt: skip
                results = self.client.gather(futures)
            elif n_workers == 1:
                results = [_work(rows, list(names), self.batch, self.seed, self.network)]
            else:
                from joblib import Parallel, delayed

                results = Parallel(n_jobs=n_workers)(
                    delayed(_work)(c, list(names), self.batch, self.seed, self.network)
                    for c in chunks
                )
            entries = []
            for texts_c, (scores, seconds) in zip(order, results):
                for t, s_row, sec_row in zip(texts_c, scores, seconds):
                    for p, s, sec in zip(keys, s_row, sec_row):
                        if (t, p) in self._known:
                            continue
                        self._known[(t, p)] = (float(s), float(sec))
                        self.seconds_computed += float(sec)
                        self._per_proxy.setdefault(p, []).append(float(sec))
                        entries.append({"arch": t, "proxy": p,
                                        "score": None if math.isnan(s) else float(s),
                                        "seconds": float(sec)})  # fmt: skip
            self._write(entries)
            self.misses += len(entries)
        self.hits += n_cached
        scores = np.array([[self._known[(t, p)][0] for p in keys] for t in texts])
        seconds = np.array([[self._known[(t, p)][1] for p in keys] for t in texts])
        return scores.reshape(len(texts), len(names)), seconds.reshape(len(texts), len(names))
