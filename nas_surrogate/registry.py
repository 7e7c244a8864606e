"""One tiny registry, reused by every pluggable concept.

Benchmarks, spaces, encodings (and later surrogates, searchers, proxies) each own one
``Registry``; a new implementation is one module plus one ``register`` call, and the
registry is the only list of what exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from nas_surrogate.errors import BadInputError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str]) -> str:
    """A short suffix suggesting the closest known names, or ''."""
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=3)]
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


class Registry(Generic[T]):
    """Name -> object, with 'did you mean' errors for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def decorator(self, name: str) -> Callable[[T], T]:
        def wrap(item: T) -> T:
            return self.register(name, item)

        return wrap

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            hint = did_you_mean(name, list(self._items))
            raise BadInputError(self.kind, f"unknown name {name!r}{hint}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def names(self) -> list[str]:
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())
