"""Old public names kept importable for a release, with a DeprecationWarning naming the
new one: the commands' configs were ``*Settings``; the inner per-study and per-run
configs that held the names ``TuneConfig`` and ``EvolveConfig`` are now
``SurrogateTuneConfig`` and ``GPConfig``."""

from __future__ import annotations

import warnings


def renamed(module: str, old_names: dict[str, type]):
    """A module ``__getattr__`` serving each old name as its new class, with a
    DeprecationWarning naming the new one; AttributeError for anything else."""

    def __getattr__(name: str) -> type:
        if name not in old_names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new = old_names[name]
        warnings.warn(
            f"{module}.{name} is deprecated: use {new.__module__}.{new.__qualname__}",
            DeprecationWarning,
            stacklevel=2,
        )
        return new

    return __getattr__
