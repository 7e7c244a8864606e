"""The ``Space`` an Optuna study defines by running: its ``suggest_*`` parameters as
dimensions, and when a parameter appears in only some trials, the condition it follows.

Optuna learns the search space from finished trials (``trial.distributions``). A
parameter every trial has is a plain dimension. A parameter some trials lack is
conditional: its ``when`` is inferred from a parameter every trial has and whose value
separates the trials with it from those without (``act in [relu, silu]``, ``depth >=
5``). What cannot be modelled is named once in a warning and left to Optuna's random
sampling (never a silent fallback): a parameter whose distribution changed between
trials, a categorical with values other than strings, numbers and booleans, or a
conditional parameter no single parameter explains.
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Iterable

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial

from nas_surrogate.spaces.conditions import Clause, Rule
from nas_surrogate.spaces.space import Dimension, Space


def to_distribution(dim: Dimension) -> BaseDistribution:
    """The Optuna distribution of a dimension (what ``trial.suggest_*`` declares)."""
    if dim.type == "choice":
        return CategoricalDistribution(list(dim.values))
    if dim.type == "int":
        return IntDistribution(int(dim.low), int(dim.high), log=dim.log, step=int(dim.step or 1))
    return FloatDistribution(dim.low, dim.high, log=dim.log, step=dim.step)


def to_dimension(name: str, dist: BaseDistribution) -> Dimension | None:
    """The dimension of an Optuna distribution, or None when it has no equivalent."""
    if isinstance(dist, CategoricalDistribution):
        ok = all(isinstance(v, (str, int, float, bool)) for v in dist.choices)
        return Dimension(name, "choice", values=tuple(dist.choices)) if ok else None
    if isinstance(dist, IntDistribution):
        return Dimension(name, "int", low=dist.low, high=dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, FloatDistribution):
        return Dimension(name, "float", low=dist.low, high=dist.high, step=dist.step, log=dist.log)
    return None


def _rule(parent: str, present: list, absent: list, dist: BaseDistribution) -> Rule | None:
    """A condition on ``parent`` true for every value in ``present``, false for every
    one in ``absent``, or None."""
    if isinstance(dist, CategoricalDistribution):
        values = list(dict.fromkeys(present))
        if any(v in absent for v in values):
            return None
        clause = Clause(parent, "in", tuple(values))
    else:
        if max(absent) < min(present):
            clause = Clause(parent, ">=", min(present))
        elif max(present) < min(absent):
            clause = Clause(parent, "<=", max(present))
        else:
            return None
    text = f"{clause.name} {clause.op} {json.dumps(clause.value)}"
    return Rule(text, ((clause,),))


class StudySpace:
    """Infers the study's space from its finished trials (see the module docstring);
    warns once per parameter it cannot model."""

    def __init__(self) -> None:
        self.warned: set[str] = set()

    def _warn(self, name: str, why: str) -> None:
        if name not in self.warned:
            self.warned.add(name)
            warnings.warn(
                f"NASSampler: parameter {name!r} {why}; Optuna's RandomSampler samples it",
                stacklevel=4,
            )

    def infer(self, trials: Iterable[FrozenTrial]) -> Space | None:
        """The space of ``trials`` (None before any trial has a parameter)."""
        trials = [t for t in trials if t.distributions]
        if not trials:
            return None
        dists: dict[str, BaseDistribution] = {}
        bad: set[str] = set()
        for t in trials:
            for name, dist in t.distributions.items():
                if name in dists and dists[name] != dist:
                    bad.add(name)
                dists.setdefault(name, dist)
        for name in sorted(bad):
            self._warn(name, "changed its distribution between trials")
        always = [n for n in dists if n not in bad and all(n in t.params for t in trials)]
        dims: list[Dimension] = []
        for name, dist in dists.items():
            if name in bad:
                continue
            dim = to_dimension(name, dist)
            if dim is None:
                self._warn(name, f"has a distribution NASSampler does not model ({dist})")
                continue
            if name not in always:
                when = self._condition(name, trials, always, dists)
                if when is None:
                    self._warn(name, "appears in some trials only, and no single parameter "
                               "every trial has tells when")  # fmt: skip
                    continue
                dim = Dimension(name, dim.type, dim.values, dim.low, dim.high, dim.step,
                                dim.log, when)  # fmt: skip
            dims.append(dim)
        if not dims:
            return None
        return Space(dims, name="study")

    @staticmethod
    def _condition(name: str, trials: list[FrozenTrial], always: list[str], dists) -> Rule | None:
        for parent in always:
            present = [t.params[parent] for t in trials if name in t.params]
            absent = [t.params[parent] for t in trials if name not in t.params]
            rule = _rule(parent, present, absent, dists[parent])
            if rule is not None:
                return rule
        return None


#: trial system attribute holding the configuration the sampler proposed (JSON)
CONFIG_ATTR = "nas_surrogate:config"


class NonFinite:
    """Optuna stores a trial that returned +-inf (or whose constraints are infinite) as
    COMPLETE; a surrogate cannot learn from it and ``tell`` refuses it. Such a trial is
    told to the searcher as failed, and the first one is said once (a warning naming the
    trial and the value), never a crash out of ``study.optimize``."""

    def __init__(self) -> None:
        self.warned = False

    def check(self, value, trial_number: int):
        """``value`` (a number or a dict of numbers), or None when one is not finite."""
        numbers = value.values() if isinstance(value, dict) else [value]
        bad = [v for v in numbers if v is not None and not math.isfinite(float(v))]
        if not bad:
            return value
        if not self.warned:
            self.warned = True
            warnings.warn(
                f"trial {trial_number} returned {bad[0]}: a non-finite value is told to the "
                "searcher as a failed evaluation (so is every later one)",
                RuntimeWarning,
                stacklevel=2,
            )
        return None


class SpaceSampling:
    """``NASSampler``'s engine on a user space: a declared ``Space``, or (``space`` None)
    the one the study's own ``suggest_*`` calls define, inferred again whenever a
    finished trial changes it (the optimiser is then rebuilt from the study's results)."""

    def __init__(self, space: Space | None, settings: dict) -> None:
        self.declared = space
        self.settings = settings  # SpaceOptimizer's keyword arguments, space excluded
        self.inferred = StudySpace()
        self.opt = None
        self._synced: set[int] = set()
        self._space: Space | None = space

    def search_space(self, study) -> dict[str, BaseDistribution]:
        from optuna.trial import TrialState

        if self.declared is None:
            finished = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
            space = self.inferred.infer(study.get_trials(deepcopy=False, states=finished))
            if space is not None and (self._space is None or space != self._space):
                self._space, self.opt, self._synced = space, None, set()
        if self._space is None:
            return {}
        return {n: to_distribution(d) for n, d in self._space.dimensions.items()}

    def config_of(self, params: dict) -> dict | None:
        """The configuration a trial's parameters name (inactive ones dropped), or None."""
        space = self._space
        out: dict = {}
        for name in space.order:  # type: ignore[union-attr]
            if space.active(name, out):  # type: ignore[union-attr]
                if name not in params:
                    return None
                out[name] = params[name]
        try:
            return space.check(out)  # type: ignore[union-attr]
        except ValueError:
            return None

    def sample(self, study, trial: FrozenTrial, result) -> dict:
        """Parameters for ``trial``: the optimiser's next configuration, and a draw for
        every inactive dimension (used only if the objective suggests it after all)."""
        import numpy as np

        from nas_surrogate.space_optimizer import SpaceOptimizer

        if self.opt is None:
            self.opt = SpaceOptimizer(self._space, **self.settings)
        self._sync(study, result)
        configs = self.opt.ask(1)
        if not configs:  # said once, never a silent switch to random sampling
            self.inferred._warn("(every one)", "cannot be proposed: the searcher has nothing "
                                "left (space exhausted or budget spent)")  # fmt: skip
            return {}
        config = configs[0]
        study._storage.set_trial_system_attr(trial._trial_id, CONFIG_ATTR, json.dumps(config))
        rng = np.random.default_rng([int(self.settings.get("seed", 0)), trial.number])
        rest = {n: d.sample(rng) for n, d in self._space.dimensions.items() if n not in config}  # type: ignore[union-attr]
        return {**config, **rest}

    def finished(self, trial: FrozenTrial, value: float | None) -> None:
        """A trial this sampler proposed has just ended (``after_trial``): told (or
        failed) at once rather than at the next sample."""
        asked = trial.system_attrs.get(CONFIG_ATTR)
        if self.opt is None or not isinstance(asked, str) or trial.number in self._synced:
            return
        key = self._space.key(json.loads(asked))  # type: ignore[union-attr]
        pending = {self._space.key(c): c for c in self.opt.pending}  # type: ignore[union-attr]
        if key not in pending:
            return
        self._synced.add(trial.number)
        if value is None:
            self.opt.fail([pending[key]])
        else:
            self.opt.tell([pending[key]], [value])

    def _sync(self, study, result) -> None:
        """Tell the optimiser every finished trial it has not seen: its own proposals
        (told or failed), others' (added as known results when they name a configuration)."""
        from optuna.trial import TrialState

        opt = self.opt
        finished = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
        pending = {self._space.key(c): c for c in opt.pending}  # type: ignore[union-attr]
        told = {self._space.key(c) for c, _ in opt.history}  # type: ignore[union-attr]
        for t in study.get_trials(deepcopy=False, states=finished):
            if t.number in self._synced:
                continue
            self._synced.add(t.number)
            value = result(t) if t.state == TrialState.COMPLETE else None
            asked = t.system_attrs.get(CONFIG_ATTR)
            key = self._space.key(json.loads(asked)) if isinstance(asked, str) else None  # type: ignore[union-attr]
            if key in pending:
                if value is None:
                    opt.fail([pending.pop(key)])
                else:
                    opt.tell([pending.pop(key)], [value])
                told.add(key)
                continue
            config = self.config_of(t.params)
            if value is not None and config is not None and self._space.key(config) not in told:  # type: ignore[union-attr]
                with contextlib.suppress(ValueError):  # proposed and running elsewhere
                    opt.add([config], [value])
                told.add(self._space.key(config))  # type: ignore[union-attr]
