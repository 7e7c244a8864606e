"""The 13 zero-cost proxies computed from scratch in torch, one module each, one registry
(``torch_proxies``: ``PROXIES``, ``MEASURES``, ``compute_proxies``, ``load_batch``).

Those names load torch when first used, not when the package is imported: ``import
nas_surrogate`` and every command that computes no proxy start without torch.
"""

from __future__ import annotations

from typing import Any

#: names served by ``torch_proxies`` (imported on first access)
_TORCH_NAMES = ("PROXIES", "MEASURES", "compute_proxies", "load_batch", "synthetic_batch", "Batch")


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        from nas_surrogate.proxies import torch_proxies

        return getattr(torch_proxies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_TORCH_NAMES)
