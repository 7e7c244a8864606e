"""Content-hash keyed cache of parsed benchmarks.

Parsing the NAS-Bench-Suite-Zero JSON (and unpickling the package tables) is the slow
part of every command; the parsed arrays are pure functions of the source bytes, so they
are stored as ``.npz`` under a key made of the benchmark id, the parser version and the
SHA-256 of every source file. Change a byte of the source and the key changes.

Location: ``$NAS_SURROGATE_CACHE`` if set (``off`` disables caching), else the user
cache dir (``platformdirs``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.io import atomic_write
from nas_surrogate.spaces import get_space

#: Bump when a parser changes what it produces from the same bytes.
PARSER_VERSION = 4


def cache_dir() -> Path | None:
    setting = os.environ.get("NAS_SURROGATE_CACHE")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nas-surrogate")) / "benchmarks"


@lru_cache(maxsize=64)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    st = path.stat()
    return _digest(str(path.resolve()), st.st_mtime_ns, st.st_size)


def _cache_path(bench_id: str, sources: Sequence[Path]) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    h = hashlib.sha256(f"{bench_id}|{PARSER_VERSION}".encode())
    for src in sources:
        h.update(file_digest(src).encode())
    return root / f"{bench_id.replace('/', '--')}-{h.hexdigest()[:20]}.npz"


def _save(path: Path, bench: Benchmark) -> None:
    meta = {
        "id": bench.id,
        "space": bench.space.name,
        "proxy_names": list(bench.proxy_names),
        "source": bench.source,
        "full_space": bench.full_space,
        "cost_source": bench.cost_source,
        "extras": list(bench.extras),
    }
    arrays = {
        "archs": bench.archs,
        "val_accuracy": bench.val_accuracy,
        "proxy_scores": bench.proxy_scores,
        "proxy_seconds": bench.proxy_seconds,
        "meta": np.array(json.dumps(meta)),
    }
    if bench.test_accuracy is not None:
        arrays["test_accuracy"] = bench.test_accuracy
    arrays.update({f"extra__{k}": v for k, v in bench.extras.items()})
    atomic_write(path, lambda f: np.savez(f, **arrays))


def _load(path: Path) -> Benchmark:
    """The cached benchmark; any inconsistency (shapes, fields) raises, making it a miss."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return Benchmark(
            id=meta["id"],
            space=get_space(meta["space"]),
            archs=z["archs"],
            val_accuracy=z["val_accuracy"],
            proxy_names=tuple(meta["proxy_names"]),
            proxy_scores=z["proxy_scores"],
            proxy_seconds=z["proxy_seconds"],
            test_accuracy=z.get("test_accuracy"),
            extras={k: z[f"extra__{k}"] for k in meta["extras"]},
            source=meta["source"],
            full_space=meta["full_space"],
            cost_source=meta["cost_source"],
        )


def cached(bench_id: str, sources: Sequence[Path], build: Callable[[], Benchmark]) -> Benchmark:
    """``build()``'s benchmark, from the cache when the sources are unchanged."""
    path = _cache_path(bench_id, sources)
    if path is not None and path.exists():
        try:
            return _load(path)
        except Exception:  # truncated, wrong shape, wrong keys: a miss, rebuilt, never trusted
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    bench = build()
    if path is not None:
        with contextlib.suppress(OSError):  # a read-only cache dir only costs speed
            _save(path, bench)
    return bench
