"""The embedded demo benchmark: a 500-architecture subset of NAS-Bench-Suite-Zero's
``nasbench201/cifar10`` (NASLib, Apache-2.0), so every command works with no data dir.

``write_demo_data`` regenerates the shipped file from a real data dir (seeded subset);
``load_demo`` reads it. The subset keeps the proxies' published scores and seconds.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.benchmarks.nbsz import load_nbsz
from nas_surrogate.io import atomic_write
from nas_surrogate.spaces import get_space

DEMO_ID = "nasbench201/cifar10"
DEMO_FILE = "nb201_cifar10_demo.npz"
DEMO_SIZE = 500
DEMO_SOURCE = (
    "embedded demo: 500 of the 725 NAS-Bench-Suite-Zero nasbench201/cifar10 archs "
    "(NASLib, Apache-2.0); pass --data-dir for the full files"
)


def write_demo_data(data_dir: Path, out: Path, seed: int = 0) -> Path:
    full = load_nbsz(data_dir, "nasbench201", "cifar10")
    rows = np.sort(np.random.default_rng(seed).choice(full.n_archs, DEMO_SIZE, replace=False))
    sub = full.subset(rows)
    arrays = {
        "archs": sub.archs.astype(np.int8),
        "val_accuracy": sub.val_accuracy,
        "proxy_scores": sub.proxy_scores,
        "proxy_seconds": sub.proxy_seconds.astype(np.float32),
        "proxy_names": np.array(json.dumps(list(sub.proxy_names))),
    }
    atomic_write(out, lambda f: np.savez_compressed(f, **arrays))
    return out


def load_demo() -> Benchmark:
    ref = resources.files("nas_surrogate.benchmarks") / "demo_data" / DEMO_FILE
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
        return Benchmark(
            id=DEMO_ID,
            space=get_space("nasbench201"),
            archs=z["archs"].astype(np.int64),
            val_accuracy=z["val_accuracy"],
            proxy_names=tuple(json.loads(str(z["proxy_names"]))),
            proxy_scores=z["proxy_scores"],
            proxy_seconds=z["proxy_seconds"].astype(float),
            source=DEMO_SOURCE,
            full_space=False,
        )
