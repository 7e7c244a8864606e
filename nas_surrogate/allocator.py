"""The memory allocator of a Dask worker process, made a plain process's again."""

from __future__ import annotations

import os
import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def roomy_malloc() -> bool:
    """Undo what Dask's nanny does to a worker's allocator, once per process.

    The nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; setting it turns
    off glibc's dynamic mmap threshold, so every tensor over 128 KiB is mapped and
    unmapped again and a training took 1.7x as long as in a plain process
    (``benchmarks/dask_allocator.py``). Raising the mmap threshold (``mallopt``)
    restores the plain speed. Only where that variable is set (a Dask
    worker), only with glibc; True if it was applied."""
    import ctypes
    import ctypes.util

    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
        return bool(
            libc.mallopt(m_mmap_threshold, 32 * 2**20)
            and libc.mallopt(m_trim_threshold, 64 * 2**20)
        )
    except (OSError, AttributeError):
        return False
