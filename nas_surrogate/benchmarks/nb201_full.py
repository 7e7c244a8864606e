"""``nasbench201_full/cifar10``: all 15,625 NAS-Bench-201 cells from ``analog-nasbench``.

The package's ``data.py`` does ``import pkg_resources`` for one ``resource_filename``
call, and setuptools >= 81 no longer ships ``pkg_resources``. Rather than pin an old
setuptools, ``import_analognasbench`` installs a two-line stand-in module (built on
``importlib.resources``) only when the real one is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from importlib import resources
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.spaces import get_space

SOURCE = (
    "analog-nasbench (PyPI; a separate training run of the NB201 cells, not "
    "NAS-Bench-201's accuracies): baseline_accuracy of all 15,625 cells on CIFAR-10"
)


def _resource_filename(package: str, resource: str) -> str:
    return str(resources.files(package) / resource)


def ensure_pkg_resources() -> None:
    """Make ``import pkg_resources`` work (real module if installed, else a stand-in)."""
    try:
        spec = importlib.util.find_spec("pkg_resources")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        return
    shim = types.ModuleType("pkg_resources")
    shim.resource_filename = _resource_filename  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = shim


def import_analognasbench() -> types.ModuleType:
    ensure_pkg_resources()
    return importlib.import_module("analognasbench")


def analog_data_file() -> Path:
    spec = importlib.util.find_spec("analognasbench")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "data.anb"


def load_nb201_full() -> Benchmark:
    bench = import_analognasbench().AnalogNASBench()
    space = get_space("nasbench201")
    archs = space.all_archs()
    keys = [tuple(int(v) for v in a) for a in archs]
    missing = [k for k in keys if k not in bench.data]
    if missing:  # the space and the package must agree on the cell indexing
        raise RuntimeError(f"analog-nasbench lacks {len(missing)} NB201 cells, e.g. {missing[0]}")
    val = np.array([float(bench.data[k].baseline_accuracy) for k in keys])
    n = len(archs)
    return Benchmark(
        id="nasbench201_full/cifar10",
        space=space,
        archs=archs,
        val_accuracy=val,
        proxy_names=(),
        proxy_scores=np.empty((n, 0)),
        proxy_seconds=np.empty((n, 0)),
        source=SOURCE,
        full_space=True,
    )
