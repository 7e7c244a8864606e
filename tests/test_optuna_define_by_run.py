"""``NASSampler`` without a space models the study's own ``suggest_*`` parameters:
jointly, with the conditions it sees, and never silently as random search."""

from __future__ import annotations

import math
import warnings

import optuna
import pytest

from nas_surrogate.errors import BadInputError
from nas_surrogate.optuna import NASSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: optuna.Trial) -> float:
    depth = trial.suggest_int("depth", 1, 8)
    width = trial.suggest_categorical("width_1", [8, 16, 32, 64])
    extra = trial.suggest_categorical("width_5", [8, 16, 32, 64]) if depth >= 5 else 0
    act = trial.suggest_categorical("act", ["relu", "gelu", "silu"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    bonus = 0.3 if act == "silu" else 0.0
    return 0.1 * depth + (width + extra) / 64 + bonus - abs(math.log10(lr) + 2)


def _study(sampler, n: int = 25) -> optuna.Study:
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=n)
    return study


def test_it_does_not_propose_what_random_sampling_proposes():
    """It used to propose exactly RandomSampler(seed)'s parameters, trial for trial."""
    ours = _study(NASSampler(searcher="evolution", seed=0))
    rand = _study(optuna.samplers.RandomSampler(seed=0))
    same = sum(a.params == b.params for a, b in zip(ours.trials, rand.trials))
    assert same <= 1  # the first trial (nothing known yet) may coincide
    assert ours.sampler.optimizer is not None
    assert len(ours.sampler.optimizer.history) >= 20
    assert ours.sampler.optimizer.best[1] == ours.best_value  # the last trial told too


def test_the_conditional_structure_is_inferred():
    study = _study(NASSampler(searcher="bo", seed=1), n=20)
    space = study.sampler.optimizer.space
    assert space.dimensions["width_5"].when.text.startswith("depth >=")
    assert space.dimensions["depth"].when is None


def test_bo_beats_random_sampling_over_seeds():
    wins = 0
    for seed in range(4):
        nas = _study(NASSampler(searcher="bo", seed=seed), n=40).best_value
        rand = _study(optuna.samplers.RandomSampler(seed=seed), n=40).best_value
        wins += nas > rand
    assert wins >= 3


def test_same_seed_same_trials():
    a = _study(NASSampler(searcher="bo", seed=3), n=15)
    b = _study(NASSampler(searcher="bo", seed=3), n=15)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_an_unmodelled_parameter_is_named_in_a_warning():
    def with_dynamic_range(trial):
        n = trial.suggest_int("n", 1, 4)
        x = trial.suggest_float(f"x{n}", 0.0, 1.0)  # noqa: F841 - appears in some trials
        y = trial.suggest_float("y", 0.0, float(trial.number % 2 + 1))  # range changes
        return n + y

    study = optuna.create_study(direction="maximize", sampler=NASSampler(searcher="random"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(with_dynamic_range, n_trials=8)
    text = " ".join(str(w.message) for w in caught)
    assert "'y'" in text and "changed its distribution" in text


def test_settings_are_checked_before_the_first_trial():
    with pytest.raises(BadInputError):
        NASSampler(searcher="nope")
    with pytest.raises(BadInputError, match="objectives"):
        NASSampler(searcher="bo", objectives=["a", "b"])


def test_a_declared_space_drives_the_same_objective():
    space = {
        "dimensions": {
            "depth": {"type": "int", "low": 1, "high": 8},
            "width_1": {"type": "choice", "values": [8, 16, 32, 64]},
            "width_5": {"type": "choice", "values": [8, 16, 32, 64], "when": "depth >= 5"},
            "act": {"type": "choice", "values": ["relu", "gelu", "silu"]},
            "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
        }
    }
    study = _study(NASSampler(space, "bo", seed=0), n=20)
    told = study.sampler.optimizer.history
    assert len(told) == 20  # every trial came from the searcher and was told at its end
    for config, _ in told:
        assert ("width_5" in config) == (config["depth"] >= 5)


def test_an_exhausted_space_is_said_not_silently_sampled_at_random():
    def tiny(trial):
        return trial.suggest_categorical("x", [1, 2])

    study = optuna.create_study(direction="maximize", sampler=NASSampler(searcher="random"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(tiny, n_trials=5)
    text = [str(w.message) for w in caught if "nothing left" in str(w.message)]
    assert len(text) == 1 and "RandomSampler" in text[0]


@pytest.mark.parametrize("space", [None, "nasbench201"])
def test_infinite_values_are_failed_trials_said_once_never_a_crash(space):
    """A trial returning +-inf is COMPLETE in Optuna; the next proposal used to raise out
    of ``study.optimize`` (issue 36 item 17). Now: told as failed, one warning."""
    from nas_surrogate.optuna import suggest_arch

    def lookup(trial):
        if space is None:
            value = objective(trial)
        else:
            arch = suggest_arch(trial, space)
            value = float(len(set(arch)))
        return {3: math.inf, 5: -math.inf}.get(trial.number, value)

    study = optuna.create_study(
        direction="maximize", sampler=NASSampler(space, searcher="evolution", seed=0)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(lookup, n_trials=15)
    said = [w for w in caught if "non-finite" in str(w.message)]
    assert len(said) == 1 and "trial 3" in str(said[0].message)
    assert len(study.trials) == 15
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    history = study.sampler.optimizer.history
    told = 13 if space is None else 12  # a benchmark space tells the last trial at the next ask
    assert len(history) == told and all(math.isfinite(v) for _, v in history)
