"""``NASSampler``: nas-surrogate's searchers as an Optuna sampler.

An Optuna user keeps writing a normal objective; the cell is suggested jointly (relative
sampling) by any searcher of the registry, ZC-augmented BO included:

    import numpy as np
import optuna
    from nas_surrogate.optuna import NASSampler, suggest_arch

    def objective(trial):
        arch = suggest_arch(trial, "nasbench201")   # "(2, 3, 0, 2, 0, 3)"
        return train_and_validate(arch)

    study = optuna.create_study(direction="maximize",
                                sampler=NASSampler("nasbench201", searcher="bo",
                                                   features="onehot+zc", proxies=fn, seed=0))
    study.optimize(objective, n_trials=100)

Parameter convention (``arch_distributions``): one categorical parameter per position of
the space's architecture, ``edge0`` ... ``edge5`` for the NB201 / TransNAS micro cell
(edges (1,2) (1,3) (1,4) (2,3) (2,4) (3,4), choices the op names, e.g. ``nor_conv_3x3``),
``pos0`` ... for other product spaces (choices the integer values). Other parameters of
the objective are sampled by Optuna's ``RandomSampler`` (seeded from ``seed``).

How trials reach the searcher: before each proposal the sampler reads the study's
finished trials. A trial it proposed is told its value (``FAIL`` and ``PRUNED``: failed,
see ``Optimizer.fail``); a finished trial it did not propose (``enqueue_trial``, a study
resumed from storage by a new sampler, another process) whose parameters name a whole
architecture is added as a known result. A RUNNING trial of another process (several
machines on one RDB study) is reserved: never proposed here, told when it finishes. With
one worker and a fixed seed the sampler proposes exactly what ``Optimizer`` and the
benchmark loop propose; a sampler whose first trial is not trial 0 (another process
joining the study) seeds its own stream from (seed, that trial's number).
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.samplers._base import _process_constraints_after_trial
from optuna.study import Study, StudyDirection
from optuna.study._constrained_optimization import _CONSTRAINTS_KEY as CONSTRAINTS_KEY
from optuna.trial import FrozenTrial, TrialState

from nas_surrogate.config import MAX_SEED
from nas_surrogate.errors import BadInputError
from nas_surrogate.objectives.spec import parse_objectives
from nas_surrogate.optimizer import Optimizer
from nas_surrogate.optuna_space import NonFinite, SpaceSampling
from nas_surrogate.space_optimizer import SpaceOptimizer, as_space
from nas_surrogate.spaces import SearchSpace, get_space
from nas_surrogate.spaces.product import ProductSpace
from nas_surrogate.spaces.space import Space

MAXIMIZE = StudyDirection.MAXIMIZE

#: trial system attribute holding the arch string the sampler proposed
ARCH_ATTR = "nas_surrogate:arch"
#: study system attribute holding the optimiser's state (digest-signed, as a state file)
#: after each proposal: a sampler made again on a stored study continues it exactly
STATE_ATTR = "nas_surrogate:state"


def _choices(space: SearchSpace) -> tuple[str, list[list]]:
    ops = getattr(space, "ops", None)
    if ops is not None and getattr(space, "edges", None) is not None:
        return "edge", [list(ops)] * space.arch_dim
    if not isinstance(space, ProductSpace):
        raise BadInputError(f"space {space.name}", "has no fixed list of categorical choices")
    values = [list(range(int(lo), int(lo + c))) for lo, c in zip(space.low, space.cardinalities)]
    return "pos", values


def arch_distributions(space: str | SearchSpace) -> dict[str, CategoricalDistribution]:
    """The Optuna parameters that make up one architecture of ``space`` (in order)."""
    space = get_space(space) if isinstance(space, str) else space
    prefix, choices = _choices(space)
    return {f"{prefix}{i}": CategoricalDistribution(c) for i, c in enumerate(choices)}


def params_to_arch(space: SearchSpace, params: dict[str, Any]) -> str | None:
    """The arch string named by a trial's parameters, or None if they do not name one."""
    dists = arch_distributions(space)
    if not all(name in params and params[name] in d.choices for name, d in dists.items()):
        return None
    if _choices(space)[0] == "pos":
        return space.format([params[n] for n in dists])
    return space.format([d.choices.index(params[n]) for n, d in dists.items()])


def arch_to_params(space: SearchSpace, arch: str) -> dict[str, Any]:
    values = space.parse(arch)
    dists = arch_distributions(space)
    if _choices(space)[0] == "edge":
        return {n: d.choices[int(v)] for (n, d), v in zip(dists.items(), values)}
    return {n: int(v) for n, v in zip(dists, values)}


def trial_constraints(t: FrozenTrial) -> list[float] | None:
    """A finished trial's constraint values: ``constraints_func``'s list, or the
    ``trial.set_constraint`` keys (Optuna >= 5) in key order; None when it has none."""
    old = t.system_attrs.get(CONSTRAINTS_KEY)
    if old is not None:
        return [float(c) for c in old]
    prefix = f"{CONSTRAINTS_KEY}:"
    keyed = sorted((k, v) for k, v in t.system_attrs.items() if k.startswith(prefix))
    return [float(v) for _, v in keyed] or None


def suggest_arch(trial: optuna.Trial, space: str = "nasbench201") -> str:
    """Suggest every parameter of one architecture; returns its arch string."""
    sp = get_space(space)
    params = {n: trial.suggest_categorical(n, d.choices) for n, d in arch_distributions(sp).items()}
    arch = params_to_arch(sp, params)
    if arch is None or not sp.is_valid(sp.parse(arch))[0]:
        raise optuna.TrialPruned(f"parameters {params} are not a valid {space} architecture")
    return arch


#: a one-dimension space on which a define-by-run sampler's settings are checked up front
_PROBE_SPACE = {"dimensions": {"x": {"type": "int", "low": 0, "high": 1}}}


def _user_sampling(space, searcher, objectives, constraints_func, optimizer) -> SpaceSampling:
    """The engine of a sampler on a user space (declared, or the study's own parameters);
    its settings are checked now, not at the first trial."""
    if objectives or constraints_func is not None:
        raise BadInputError(
            "objectives" if objectives else "constraints_func",
            "several objectives and constraints run on benchmark spaces only (for now)",
        )
    declared = None if space is None else as_space(space)
    if space is not None and declared is None:
        raise BadInputError(f"space {space!r}", "not a Space, a mapping or a .yaml file")
    settings = {"searcher": searcher, **optimizer}
    SpaceOptimizer(declared or _PROBE_SPACE, **settings)
    return SpaceSampling(declared, settings)


#: tries to claim a network no other running trial holds, per trial
MAX_CLAIMS = 8


class NASSampler(BaseSampler):
    """Relative sampling of a whole architecture by an ``Optimizer``; its arguments are
    ``Optimizer``'s (``maximize`` comes from the study's direction).

    Several objectives: ``objectives`` names the study's values in order (one name per
    direction, e.g. ``["val_accuracy", "pixel3_latency"]``; the directions come from the
    study). A name the proxy table knows as a known objective (a hardware look-up) is read
    from it, not learnt from the trial. ``constraints_func`` as in Optuna's samplers: it
    returns ``n_constraints`` values per trial, feasible when <= 0 (or, Optuna >= 5, the
    objective sets them with ``trial.set_constraint``: pass ``n_constraints``, ordered by
    their keys); they are stored where
    Optuna's own samplers store them, so ``study.best_trials`` is the feasible front."""

    def __init__(
        self,
        space: str | Space | dict | None = None,
        searcher: str = "bo",
        *,
        objectives: list[str] | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        n_constraints: int | None = None,
        **optimizer: Any,
    ):
        if "maximize" in optimizer:
            raise BadInputError("maximize", "comes from the study's direction")
        self._seed = int(optimizer.get("seed", 0))
        self._random = RandomSampler(seed=self._seed)
        self._user: SpaceSampling | None = None
        self._constraints_func = constraints_func
        self._lock = threading.Lock()
        self._non_finite = NonFinite()
        if space is None or not isinstance(space, str) or space.endswith((".yaml", ".yml")):
            self._user = _user_sampling(space, searcher, objectives, constraints_func, optimizer)
            return
        if n_constraints is None:
            n_constraints = 1 if constraints_func is not None else 0
        if isinstance(n_constraints, bool) or not isinstance(n_constraints, int):
            raise BadInputError("n_constraints", f"must be an integer, got {n_constraints!r}")
        if not 0 <= n_constraints <= 100:
            raise BadInputError("n_constraints", f"must be in [0, 100], got {n_constraints}")
        if objectives is not None and (
            isinstance(objectives, str) or not all(isinstance(o, str) for o in objectives)
        ):
            raise BadInputError("objectives", f"must be a list of names, got {objectives!r}")
        self._space = get_space(space)
        self._names = [o.name for o in parse_objectives(list(objectives or []))]
        self._constraints_func = constraints_func
        self._n_constraints = n_constraints
        self._kwargs = {"space": space, "searcher": searcher, **optimizer}
        Optimizer(**self._settings(None))  # bad settings fail here, not at the first trial
        self._opt: Optimizer | None = None
        self._synced: set[int] = set()  # trial numbers already told / added
        self._lock = threading.Lock()

    def _settings(self, directions: list[StudyDirection] | None) -> dict[str, Any]:
        """Optimizer settings for a study with these directions (None: just checking)."""
        kwargs = dict(self._kwargs)
        cons = [f"constraint_{k}<=0" for k in range(self._n_constraints)]
        names = self._names or (["value"] if cons else [])
        if directions is not None and names and len(directions) != len(names):
            raise BadInputError(
                "study", f"has {len(directions)} directions, NASSampler was given "
                f"{len(names)} objectives ({', '.join(names)})",
            )  # fmt: skip
        if directions is not None and not names and len(directions) != 1:
            raise BadInputError(
                "study", f"has {len(directions)} directions: name them, "
                "NASSampler(objectives=[...]) one per direction",
            )  # fmt: skip
        if not names:
            return {**kwargs, "maximize": directions is None or directions[0] == MAXIMIZE}
        dirs = directions or [MAXIMIZE] * len(names)
        kwargs["objectives"] = [
            f"{n}:{'max' if d == MAXIMIZE else 'min'}" for n, d in zip(names, dirs)
        ]
        kwargs["constraints"] = list(kwargs.get("constraints") or []) + cons
        return kwargs

    @property
    def optimizer(self) -> Optimizer | None:
        """The ``Optimizer`` behind the sampler (None before the first trial)."""
        return self._user.opt if self._user is not None else self._opt

    def reseed_rng(self) -> None:  # Optuna calls this in each worker process
        self._random.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if self._user is not None:
            return self._user.search_space(study)
        return dict(arch_distributions(self._space))

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        fixed = trial.system_attrs.get("fixed_params", {})
        if all(name in fixed for name in search_space):
            return {}  # an enqueued architecture: added when it finishes
        if self._user is not None:
            with self._lock:
                self._user.settings["maximize"] = study.direction == MAXIMIZE
                return self._user.sample(
                    study, trial, lambda t: self._non_finite.check(t.value, t.number)
                )
        with self._lock:
            opt = self._optimizer(study, trial)
            self._sync(study, opt)
            archs = opt.ask(1)
            # claim it, then look again: a process that proposed the same network in the
            # same moment (neither saw the other's claim) makes one of the two ask again;
            # the later claim always sees the earlier one, so at most one keeps it
            for _ in range(MAX_CLAIMS):
                if not archs:
                    break
                study._storage.set_trial_system_attr(trial._trial_id, ARCH_ATTR, archs[0])
                if not self._claimed_elsewhere(study, trial, archs[0]):
                    break
                archs = opt.ask(1)  # the other trial's result reaches us as a pending one
            self._save(study, opt)
        if not archs:
            return {}  # every network proposed: Optuna's random sampling takes over
        return arch_to_params(self._space, archs[0])

    def _claimed_elsewhere(self, study: Study, trial: FrozenTrial, arch: str) -> bool:
        """Whether another running trial holds ``arch``'s network."""
        space = self._space
        key = space.key(space.parse(arch))
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            other = t.system_attrs.get(ARCH_ATTR)
            if t._trial_id != trial._trial_id and other is not None:
                with contextlib.suppress(BadInputError):
                    if space.key(space.parse(other)) == key:
                        return True
        return False

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    # -- internals ----------------------------------------------------------------------
    def _optimizer(self, study: Study, trial: FrozenTrial) -> Optimizer:
        """The optimiser, made at the first trial this sampler samples. Its random stream
        is the seed's own when that is trial 0 (one process: exactly ``Optimizer``'s
        proposals), else seeded by (seed, that trial's number): the same script started on
        N machines with one seed proposes N different networks."""
        if self._opt is None:
            settings = self._settings(list(study.directions))
            self._opt = self._resumed(study, trial, settings)
            if self._opt is not None:
                return self._opt
            if trial.number > 0:
                mixed = np.random.SeedSequence([self._seed, trial.number]).generate_state(1)[0]
                settings["seed"] = int(mixed) % (MAX_SEED + 1)
            self._opt = Optimizer(**settings)
        return self._opt

    def _resumed(self, study: Study, trial: FrozenTrial, settings: dict) -> Optimizer | None:
        """The optimiser a previous sampler of this study saved, if it was made with the
        same seed and settings and no other trial is running (a process running beside
        this one keeps its own stream): its population, neighbourhood walk and random
        streams go on where they stopped. Saved with other settings: said once, and this
        sampler starts from the study's trials as known results."""
        saved = study._storage.get_study_system_attrs(study._study_id).get(STATE_ATTR)
        if not isinstance(saved, dict) or saved.get("base_seed") != self._seed:
            return None
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if any(t._trial_id != trial._trial_id for t in running):
            return None
        try:
            opt = Optimizer.from_state(saved.get("state"), settings.get("proxies"), STATE_ATTR)
        except BadInputError as e:
            warnings.warn(f"the study's saved NASSampler state is not used: {e}", stacklevel=3)
            return None
        fresh = {k: v for k, v in Optimizer(**settings).config.items() if k != "seed"}
        if {k: v for k, v in opt.config.items() if k != "seed"} != fresh:
            warnings.warn(
                "the study holds a NASSampler state made with other settings "
                f"({opt.config['searcher']}, features {opt.config['features']}): this "
                "sampler starts from the study's trials as known results",
                stacklevel=3,
            )
            return None
        return opt

    def _save(self, study: Study, opt: Optimizer) -> None:
        state = {"base_seed": self._seed, "state": opt.state()}
        study._storage.set_study_system_attr(study._study_id, STATE_ATTR, state)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._constraints_func is not None:
            _process_constraints_after_trial(self._constraints_func, study, trial, state)
        if self._user is not None:  # told now: the optimiser's best is the study's
            with self._lock:
                value = values[0] if state == TrialState.COMPLETE and values else None
                self._user.finished(trial, self._non_finite.check(value, trial.number))

    def _result(self, t: FrozenTrial, opt: Optimizer) -> Any:
        """What ``opt.tell`` takes for a finished trial (None: no usable result)."""
        if not self._names and not self._n_constraints:
            return self._non_finite.check(t.value, t.number)
        got = dict(zip(self._names or ["value"], t.values))
        cons = trial_constraints(t) if self._n_constraints else ()
        if self._n_constraints and cons is not None and len(cons) != self._n_constraints:
            raise BadInputError(
                "n_constraints", f"is {self._n_constraints}, but trial {t.number} has "
                f"{len(cons)} constraint values: pass n_constraints={len(cons)}",
            )  # fmt: skip
        if self._n_constraints and cons is None:
            return None  # constraints_func failed on this trial: Optuna records no values
        got.update({f"constraint_{k}": float(c) for k, c in enumerate(cons or ())})
        return self._non_finite.check({name: got[name] for name in opt.evaluated}, t.number)

    def _sync(self, study: Study, opt: Optimizer) -> None:
        finished = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
        # networks other processes are evaluating right now: never proposed here
        pending, told = set(opt.pending), {a for a, _ in opt.history}
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            asked = t.system_attrs.get(ARCH_ATTR)
            if asked is not None and asked not in pending and asked not in told:
                with contextlib.suppress(BadInputError):  # not a candidate here
                    opt.reserve([asked])
        for t in study.get_trials(deepcopy=False, states=finished):
            if t.number in self._synced:
                continue
            self._synced.add(t.number)
            asked = t.system_attrs.get(ARCH_ATTR)
            pending = asked is not None and asked in set(opt.pending)
            result = self._result(t, opt) if t.state == TrialState.COMPLETE else None
            if pending and result is not None:
                opt.tell([asked], [result])
            elif pending:
                opt.fail([asked])
            elif result is not None:
                arch = params_to_arch(self._space, t.params)
                if arch is not None and arch not in {a for a, _ in opt.history}:
                    # not a candidate (outside a table) or proposed already: nothing to learn
                    with contextlib.suppress(BadInputError):
                        opt.add([arch], [result])
