"""``Optimizer`` on a user ``Space``: configurations are plain dicts of the user's own
dimension names and values; nothing is registered into the package.

    space = ns.Space.from_yaml("my_space.yaml")
    opt = ns.Optimizer(space, "bo", features="enc+zc", proxies=ns.ModelProxies(build, batch))
    configs = opt.ask(4)                   # [{"depth": 3, "width_1": 32, ...}, ...]
    opt.tell(configs, [train(c) for c in configs])
    opt.save("run.json")                   # the space itself is stored in the state

``Optimizer(space, ...)`` builds one of these when ``space`` is a ``Space``, a mapping
(``Space.from_dict``) or a path to a ``.yaml`` file; ``Optimizer.load`` reads either
kind of state back. The searchers are the registry's own (random, evolution,
local_search, bo): they run on ``SpaceProblem``, whose candidates are made on demand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nas_surrogate.ask_tell import (
    STATE_FORMAT,
    AskTell,
    _decode,
    _encode,
    searcher_of,
    settings_record,
    state_digest,
)
from nas_surrogate.encodings import parse_feature_spec
from nas_surrogate.errors import BadInputError
from nas_surrogate.searchers import SearcherSpec
from nas_surrogate.searchers.driver import Driver
from nas_surrogate.searchers.space_problem import SpaceProblem
from nas_surrogate.spaces.space import Config, Space
from nas_surrogate.surrogates import check_features

#: searchers that run on a user space (the multi-objective ones need objective
#: tables, which user spaces do not have yet)
SPACE_SEARCHERS = ("random", "evolution", "local_search", "bo")


def as_space(space: object) -> Space | None:
    """``space`` as a user ``Space`` (a Space, a mapping, a ``.yaml`` path), or None for
    the name of a benchmark space."""
    if isinstance(space, Space):
        return space
    if isinstance(space, Mapping):
        return Space.from_dict(space)
    if isinstance(space, (str, Path)) and str(space).endswith((".yaml", ".yml")):
        return Space.from_yaml(space)
    return None


class SpaceOptimizer(AskTell):
    """ask/tell over a user ``Space`` (see the module docstring); maximises unless
    ``maximize=False``."""

    def __init__(
        self,
        space: Space | Mapping | str | Path,
        searcher: str = "bo",
        *,
        features: str | None = None,
        surrogate: str | None = None,
        seed: int = 0,
        proxies: object = None,
        searcher_params: dict | None = None,
        surrogate_params: dict | None = None,
        zc_warmup: str | None = None,
        maximize: bool = True,
        budget: int | None = None,
        max_new_proxies: int | None = None,
        objectives: Sequence[str] | None = None,
        constraints: Sequence[str] | None = None,
    ) -> None:
        user_space = _space(space)
        features = _check_settings(searcher, features, proxies, zc_warmup, objectives, constraints)
        spec = parse_feature_spec(features)
        self.config = settings_record(
            user_space.to_dict(), searcher, features, "none" if proxies is None else "function",
            surrogate=surrogate, seed=seed, searcher_params=searcher_params,
            surrogate_params=surrogate_params, zc_warmup=zc_warmup, maximize=maximize,
            budget=budget, max_new_proxies=max_new_proxies, objectives=[], constraints=[],
        )  # fmt: skip
        self.seed = self.config["seed"]
        guided = SearcherSpec.parse(searcher).uses_surrogate
        self._searcher = searcher_of(self.config)
        names = list(spec.proxies) if spec.proxies else None
        if spec.lpz:  # the source computes each lpz:FILE as one more proxy
            base = names if names is not None else (_source_names(proxies) if spec.uses_zc else [])
            names = base + [n for n in spec.lpz if n not in base]
        if zc_warmup and names is not None and zc_warmup not in names:
            names.append(zc_warmup)
        self.problem = SpaceProblem(
            user_space, spec if guided else None, budget=budget,
            proxies=proxies, proxy_names=names,
            max_new_proxies=max_new_proxies, seed=self.seed,
        )  # fmt: skip
        if guided and surrogate is not None:
            check_features(
                surrogate, self.problem.preprocessor_spec, self.config["surrogate_params"]
            )
        self._driver = Driver(self._searcher, self.problem, np.random.default_rng(self.seed))
        self._sign = 1.0 if maximize else -1.0
        self._pending: dict[int, None] = {}
        self._told: set[int] = set()

    @property
    def space(self) -> Space:
        return self.problem.space

    # -- configs <-> ids ---------------------------------------------------------------
    def _format(self, ids: np.ndarray) -> list[Config]:
        return [dict(self.problem.configs[int(i)]) for i in ids]

    def _ids(self, archs: Sequence, name: str = "configs") -> list[int]:
        if isinstance(archs, Mapping):
            archs = [archs]
        if isinstance(archs, (str, bytes)) or not isinstance(archs, Sequence):
            raise BadInputError(name, f"must be a list of configurations, got {archs!r}")
        checked = [self.space.check(c, f"{name}[{i}]") for i, c in enumerate(archs)]
        ids = [int(i) for i in self.problem.register(checked)]
        if len(set(ids)) < len(ids):
            raise BadInputError(name, "lists a configuration twice")
        return ids

    def known_values(self, arch: Any) -> dict[str, float]:
        return {}

    # -- state -----------------------------------------------------------------------------
    def state(self) -> dict:
        ids, scores, seconds = self.problem.known_proxies()
        doc = {
            "format": STATE_FORMAT,
            "config": self.config,
            "proxies": _encode(
                {"ids": ids.tolist(), "scores": scores.tolist(), "seconds": seconds.tolist()}
            ),
            "pending": list(self._pending),
            "told": sorted(self._told),
            "problem": _encode(self.problem.snapshot()),
            "driver": _encode(self._driver.snapshot()),
        }
        return {**doc, "digest": state_digest(doc)}

    def check_space(self, space: object, where: str) -> None:
        """BadInputError if ``space`` differs from the stored one (a rerun with another
        space file must not continue this state)."""
        given = as_space(space)
        if given is None or given.digest != self.space.digest:
            raise BadInputError(where, "holds a search over another space than the one given")

    def _restore_proxies(self, stored: Any, where: str) -> None:
        """Proxy scores are restored with the problem (ids need its configurations)."""
        self._stored_proxies = stored

    def _restore(self, doc: dict, where: str) -> None:
        """The problem (its configurations first: ids index them), the proxy scores, the
        driver and the pending and told ids, as saved."""
        field = "problem"
        try:
            self.problem.restore(_decode(doc["problem"]))
            n = len(self.problem.configs)
            field = "proxies"
            stored = getattr(self, "_stored_proxies", None) or {}
            if stored:
                self.problem.set_proxies(stored["ids"], stored["scores"], stored["seconds"])
            field = "pending"
            pending = [int(i) for i in doc["pending"]]
            field = "told"
            told = {int(i) for i in doc["told"]}
            if any(not 0 <= i < n for i in [*pending, *told]):
                raise ValueError("an id out of range")
            field = "driver"
            self._driver.restore(_decode(doc["driver"]))
        except (AttributeError, IndexError, KeyError, TypeError, ValueError, OverflowError) as e:
            why = e.why if isinstance(e, BadInputError) else repr(e)
            raise BadInputError(f"{where} {field}", f"unreadable ({why})") from None
        self._pending = dict.fromkeys(pending)
        self._told = told


def _space(space: object) -> Space:
    user_space = as_space(space)
    if user_space is None:
        raise BadInputError(f"space {space!r}", "not a Space, a mapping or a .yaml file")
    return user_space


def _source_names(proxies) -> list[str]:
    """The proxy names a source declares (``ModelProxies.names``), else none."""
    return [str(n) for n in getattr(proxies, "names", ()) if not str(n).startswith("lpz:")]


def _check_settings(searcher, features, proxies, zc_warmup, objectives, constraints) -> str:
    """The feature spec to use (``enc``, or ``enc+zc`` with proxies); BadInputError for
    a setting a user space does not support, before anything is built."""
    if objectives or constraints:
        raise BadInputError(
            "objectives" if objectives else "constraints",
            "several objectives and constraints need objective tables: on your own "
            "space, tell one value (e.g. a weighted score) for now",
        )
    base = SearcherSpec.parse(searcher).name
    if base not in SPACE_SEARCHERS:
        usable = ", ".join(SPACE_SEARCHERS)
        raise BadInputError(f"searcher {searcher!r}", f"on your own space use one of {usable}")
    if features is None:
        features = "enc" if proxies is None else "enc+zc"
    spec = parse_feature_spec(features)
    if spec.evolved or spec.sources or spec.encodings not in ((), ("enc",)):
        raise BadInputError(
            f"features {features!r}", "on your own space the features are enc, zc or enc+zc"
        )
    if (spec.uses_zc or spec.lpz or zc_warmup) and proxies is None:
        raise BadInputError(f"features {features!r}", "uses ZC proxies: give proxies=")
    return features
