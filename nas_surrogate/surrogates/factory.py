"""The surrogate registry and the one way to build a surrogate from its name.

Kept apart from the package's ``__init__`` (which registers the surrogates) so that the
composite surrogates (``ensemble``, ``stack``, ``auto``), which build their members by
name, import this module and not the package that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sklearn.base import BaseEstimator

from nas_surrogate.errors import BadInputError
from nas_surrogate.registry import Registry, did_you_mean


@dataclass(frozen=True)
class SurrogateEntry:
    factory: Callable[..., BaseEstimator]
    description: str
    #: feature spec the surrogate is always given (baselines), or None: the user's spec
    fixed_features: Callable[[str], str] | None = None
    seeded: bool = True  # takes random_state
    #: Optuna search space {param: (kind, ...)}; None: nothing to tune
    tune_space: dict[str, tuple] | None = None
    #: ``(features, params) -> params`` completed from the feature matrix it is given
    #: (``encodings.Features``: the graph layout of ``gnn``, passed on to an ensemble's
    #: members), or None; ValueError when the features do not suit
    from_features: Callable[[object, dict], dict] | None = None


#: every surrogate, by name (filled by ``nas_surrogate.surrogates``)
SURROGATES: Registry[SurrogateEntry] = Registry("surrogate")


@dataclass(frozen=True)
class SurrogateSpec:
    """A surrogate as written (``xgb``, ``proxy:nwot``), parsed once: the registered
    name and the proxy a ``proxy:`` baseline ranks by ('' for every other surrogate)."""

    name: str
    proxy: str = ""

    @classmethod
    def parse(cls, text: str) -> SurrogateSpec:
        base, _, arg = text.partition(":")
        if base == "proxy" and not arg:
            raise BadInputError(f"surrogate {text!r}", "write proxy:NAME, e.g. proxy:nwot")
        if arg and base != "proxy":
            raise BadInputError(f"surrogate {text!r}", "only 'proxy' takes a ':' argument")
        return cls(base, arg)

    def __str__(self) -> str:
        return f"{self.name}:{self.proxy}" if self.proxy else self.name


def make_surrogate(
    name: str, random_state: int | None = None, features: object = None, **params: object
) -> BaseEstimator:
    """An unfitted surrogate. ``random_state`` seeds every random choice inside it;
    ``features`` (``encodings.Features``): the matrix it will be fit on, for a surrogate
    that reads its layout (``gnn``); ValueError if that matrix does not suit it."""
    entry = SURROGATES.get(SurrogateSpec.parse(name).name)
    if entry.seeded and random_state is not None:
        params = {**params, "random_state": random_state}
    if entry.from_features is not None and features is not None:
        params = entry.from_features(features, params)
    return entry.factory(**params)


def check_member_params(member_params: object, names: list[str], composite: str) -> None:
    """ValueError for a ``member_params`` key that names none of the composite's members
    (``{xbg: ...}`` for ``xgb`` would otherwise be ignored in silence)."""
    if not isinstance(member_params, dict):
        return
    for key in member_params:
        if key not in names:
            raise ValueError(
                f"{composite} member_params {str(key)[:40]!r}: not one of its members "
                f"({', '.join(names)}){did_you_mean(str(key), names)}"
            )


def learning_member(name: object, composite: str) -> SurrogateEntry:
    """The entry of a learning surrogate named as a member of the ``composite`` surrogate
    (``stack``, ``auto``, ``ensemble``: never itself); ValueError, as a scikit-learn
    estimator raises, for any other name (the CLI turns it into one line and exit 2)."""
    role = {"stack": "stack member", "auto": "auto candidate"}.get(composite, "ensemble base")
    if not isinstance(name, str):
        raise ValueError(f"{role}: expected a surrogate name, got {name!r}")
    try:
        entry = SURROGATES.get(name)
    except BadInputError as e:
        raise ValueError(f"{role} {name!r}: {e.why}") from None
    if name == composite:
        raise ValueError(f"{role} {name!r}: a {composite} cannot contain itself")
    if entry.fixed_features is not None:
        raise ValueError(f"{role} {name!r}: must be a learning surrogate")
    if entry.from_features is not None and composite == "stack":
        raise ValueError(
            f"{role} {name!r}: reads its layout from the feature spec; use it alone, as "
            "the base of an ensemble or as an auto candidate"
        )
    return entry
