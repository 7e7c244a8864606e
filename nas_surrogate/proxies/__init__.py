"""The 13 zero-cost proxies computed from scratch in torch, one module each, one registry
(``torch_proxies``: ``PROXIES``, ``MEASURES``, ``compute_proxies``, ``load_batch``), and
the same proxies on a user's own model family (``model``: ``ModelProxies``,
``model_batch``).

Those names load torch when first used, not when the package is imported: ``import
nas_surrogate`` and every command that computes no proxy start without torch.
"""

from __future__ import annotations

from typing import Any

#: names served by a torch module of this package (imported on first access)
_TORCH_NAMES = (
    "PROXIES",
    "MEASURES",
    "compute_proxies",
    "load_batch",
    "synthetic_batch",
    "Batch",
    "ModelProxies",
    "model_batch",
)
#: the module of each name not in ``torch_proxies``
_HOMES = {"ModelProxies": "model", "model_batch": "model"}


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        import importlib  # by name, as the package facade does: no import cycle to read

        module = importlib.import_module(f"{__name__}.{_HOMES.get(name, 'torch_proxies')}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_TORCH_NAMES)
