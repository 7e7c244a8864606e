"""Optuna tuning of a surrogate's hyperparameters, nested so the test set is never seen.

The evaluation pool of the benchmark is split once (``--seed``) into a development part
and a held-out test part (``test_fraction``, default half). Tuning only ever touches the
development part: each of ``folds`` folds draws ``train_size`` training archs from it and
scores Kendall tau on the other development archs; the trial's value is the mean over
folds, reported fold by fold so the pruner (median or Hyperband) can stop bad trials.
The final report fits the best and the default parameters on ``report_seeds`` fresh
training sets drawn from the development part and scores both on the untouched test
part, so the tuned-vs-default gain is measured on archs no trial saw.

Studies live in an Optuna RDB storage (default ``sqlite:///OUT/study.db``): rerunning
continues the study, and several worker processes or machines can join one study. The
study records what it tunes (benchmark, surrogate, features, train size, seed) and
refuses to mix in trials of another setting.

One driver (``run_tuning``) serves both kinds of tuning; a ``Target`` holds what differs:
a surrogate's hyperparameters (``predictor_target``: nested folds, held-out test report)
or a searcher's own parameters (``search_target``: tuning seeds, fresh report seeds).

Search spaces are declared next to each surrogate as ``{param: (kind, ...)}``:
``("float", low, high[, log])``, ``("int", low, high[, log])``,
``("categorical", [choices])``; a YAML file can override or extend them.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nas_surrogate.config import PRUNERS, REPORT_SEEDS, TUNE_SEEDS
from nas_surrogate.deprecation import renamed
from nas_surrogate.encodings import check_usable, make_preprocessor
from nas_surrogate.errors import BadInputError, redact
from nas_surrogate.experiments.evaluate import _benchmark, _features, evaluation_pool
from nas_surrogate.metrics import prediction_metrics
from nas_surrogate.surrogates import (
    SURROGATES,
    Predictor,
    SurrogateSpec,
    check_features,
    make_surrogate,
)


@dataclass
class SurrogateTuneConfig:
    benchmark: str
    surrogate: str
    features: str
    train_size: int
    trials: int
    seed: int = 0
    folds: int = 3
    test_fraction: float = 0.5
    report_seeds: int = REPORT_SEEDS
    pruner: str = "median"
    zc_transform: str = "quantile"
    space: dict[str, tuple] = field(default_factory=dict)  # overrides of the declared space
    data_dir: str | None = None

    def identity(self) -> dict:
        """What a study tunes; a study of another setting must not receive these trials."""
        return {
            "benchmark": self.benchmark,
            "surrogate": self.surrogate,
            "features": self.features,
            "train_size": self.train_size,
            "seed": self.seed,
            "folds": self.folds,
            "test_fraction": self.test_fraction,
            "zc_transform": self.zc_transform,
        }


def search_space(config: SurrogateTuneConfig) -> dict[str, tuple]:
    declared = SURROGATES.get(SurrogateSpec.parse(config.surrogate).name).tune_space
    if declared is None:
        raise BadInputError(f"--surrogate {config.surrogate}", "has no hyperparameters to tune")
    space = {**declared, **config.space}
    for name, spec in space.items():
        ok = (
            isinstance(spec, (tuple, list))
            and len(spec) >= 2
            and spec[0] in ("float", "int", "categorical")
            and (spec[0] == "categorical" or len(spec) in (3, 4))
        )
        if not ok:
            raise BadInputError(
                f"search space {name!r}",
                f"expected (float|int, low, high[, log]) or (categorical, [choices]), got {spec!r}",
            )
    return space


def suggest(trial, space: dict[str, tuple]) -> dict:
    params = {}
    for name, spec in space.items():
        kind = spec[0]
        if kind == "categorical":
            params[name] = trial.suggest_categorical(name, list(spec[1]))
        elif kind == "int":
            params[name] = trial.suggest_int(
                name, int(spec[1]), int(spec[2]), log=bool(spec[3:4] and spec[3])
            )
        else:
            params[name] = trial.suggest_float(
                name, float(spec[1]), float(spec[2]), log=bool(spec[3:4] and spec[3])
            )
    return params


def dev_test_split(config: SurrogateTuneConfig) -> tuple[np.ndarray, np.ndarray]:
    pool = evaluation_pool(config.benchmark, config.data_dir, "scored")
    rng = np.random.default_rng([config.seed, 7919])
    perm = pool[rng.permutation(len(pool))]
    n_test = int(round(config.test_fraction * len(perm)))
    return perm[n_test:], perm[:n_test]


def _score(
    config: SurrogateTuneConfig, params: dict, train: np.ndarray, test: np.ndarray, seed: int
) -> float:
    feats = _features(config.benchmark, config.data_dir, config.features)
    bench = _benchmark(config.benchmark, config.data_dir)
    model = make_surrogate(config.surrogate, random_state=seed, features=feats, **params)
    predictor = Predictor(make_preprocessor(feats, config.zc_transform), model)
    predictor.fit(feats.X[train], bench.val_accuracy[train])
    pred = predictor.predict(feats.X[test])
    return prediction_metrics(bench.val_accuracy[test], pred)["kendall_tau"]


def validate(config: SurrogateTuneConfig) -> tuple[np.ndarray, np.ndarray]:
    if config.trials < 1:
        raise BadInputError("--trials", f"must be >= 1, got {config.trials}")
    if config.folds < 1:
        raise BadInputError("--folds", f"must be >= 1, got {config.folds}")
    if config.pruner not in PRUNERS:
        raise BadInputError("--pruner", f"must be one of {PRUNERS}, got {config.pruner!r}")
    if not 0 < config.test_fraction < 1:
        raise BadInputError("--test-fraction", f"must be in (0, 1), got {config.test_fraction}")
    search_space(config)
    feats = _features(config.benchmark, config.data_dir, config.features)
    check_features(config.surrogate, feats)
    dev, test = dev_test_split(config)
    check_usable(feats, dev)
    if config.train_size < 3 or config.train_size >= len(dev) - 2:
        raise BadInputError(
            f"--train-size {config.train_size}",
            f"must be in [3, {len(dev) - 3}]: the development part of {config.benchmark} "
            f"has {len(dev)} archs (the other {len(test)} are the held-out test set)",
        )
    return dev, test


#: a trial whose worker has not beaten for GRACE_SECONDS is marked FAIL
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 60


def _rdb_storage(url: str):
    """Optuna's RDB storage; SQLite waits for locks (several workers on one file)."""
    import optuna

    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    # a worker that dies leaves its trial RUNNING; heartbeats let the next worker fail it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return optuna.storages.RDBStorage(
            url,
            engine_kwargs=kwargs,
            heartbeat_interval=HEARTBEAT_SECONDS,
            grace_period=GRACE_SECONDS,
        )


def make_pruner(name: str, max_resource: int):
    import optuna

    return {
        "median": optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
        "hyperband": optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_resource),
        "none": optuna.pruners.NopPruner(),
    }[name]


def _sampler_seed(seed: int, n_trials: int) -> int:
    return int(np.random.SeedSequence([seed, n_trials]).generate_state(1)[0])


def open_study(
    config: SurrogateTuneConfig | SearchTuneConfig, storage: str, study_name: str, pruner=None
):
    """Create or continue the study; refuse one that tunes another setting."""
    import optuna

    study = None
    for attempt in range(5):
        try:
            study = optuna.create_study(
                storage=_rdb_storage(storage),
                study_name=study_name,
                direction="maximize",
                load_if_exists=True,
                pruner=pruner,
            )
            break
        except Exception as e:  # a URL that cannot be opened: driver, path, permissions
            # two workers creating one fresh database race on its schema; the loser
            # finds it ready on the next attempt
            racing = any(m in str(e) for m in ("UNIQUE constraint", "already exists", "locked"))
            if attempt == 4 or not racing:
                why = f"cannot be opened ({type(e).__name__}: {str(e).splitlines()[0]})"
                raise BadInputError(f"--storage {storage}", why) from None
            time.sleep(0.5 * (attempt + 1))
    with warnings.catch_warnings():  # heartbeat API is "experimental" in Optuna 3/4
        warnings.simplefilter("ignore")
        optuna.storages.fail_stale_trials(study)  # trials of killed workers: FAIL, not RUNNING
    # A sampler seeded by (seed, trials already in the study): a resumed study or a second
    # worker continues with new draws instead of repeating the first run's sequence. With
    # one worker, the same command on the same storage history gives the same trials.
    started_at = len(study.trials)
    study.sampler = optuna.samplers.TPESampler(seed=_sampler_seed(config.seed, started_at))
    recorded = study.user_attrs.get("tunes")
    if recorded is None:
        study.set_user_attr("tunes", config.identity())
    elif recorded != config.identity():
        diff = sorted(k for k in recorded if recorded.get(k) != config.identity().get(k))
        raise BadInputError(
            f"--study-name {study_name}",
            f"exists in {storage} for another setting ({', '.join(diff)}: "
            f"{', '.join(str(recorded[k]) for k in diff)})",
        )
    return study


def predictor_objective(config: SurrogateTuneConfig, dev: np.ndarray, space: dict[str, tuple]):
    """Mean Kendall tau over ``folds`` development folds, reported fold by fold so the
    pruner can stop a bad trial early."""
    import optuna

    def objective(trial) -> float:
        params = suggest(trial, space)
        scores = []
        for fold in range(config.folds):
            rng = np.random.default_rng([config.seed, 104729, fold])
            perm = dev[rng.permutation(len(dev))]
            train, val = perm[: config.train_size], perm[config.train_size :]
            tau = _score(config, params, train, val, seed=config.seed * 1000 + fold)
            scores.append(tau if np.isfinite(tau) else -1.0)
            trial.report(float(np.mean(scores)), fold)
            if trial.should_prune():
                raise optuna.TrialPruned
        return float(np.mean(scores))

    return objective


def report(config: SurrogateTuneConfig, best_params: dict) -> pd.DataFrame:
    """Default vs tuned Kendall tau on the held-out test part, over ``report_seeds``."""
    dev, test = dev_test_split(config)
    rows = []
    for seed in range(config.report_seeds):
        rng = np.random.default_rng([config.seed, 15485863, seed])
        train = dev[rng.permutation(len(dev))[: config.train_size]]
        for label, params in (("default", {}), ("tuned", best_params)):
            tau = _score(config, params, train, test, seed=seed)
            rows.append({"seed": seed, "parameters": label, "kendall_tau": tau})
    return pd.DataFrame(rows)


def write_study_outputs(out: Path, study, best_yaml: dict, summary: dict) -> dict:
    """best_params.yaml, trials.csv, summary.json and Optuna's plots, all atomic."""
    import yaml

    from nas_surrogate import plots
    from nas_surrogate.io import write_json_atomic, write_text_atomic

    write_text_atomic(out / "best_params.yaml", yaml.safe_dump(best_yaml, sort_keys=False))
    write_text_atomic(out / "trials.csv", study.trials_dataframe().to_csv(index=False))
    write_json_atomic(out / "summary.json", summary)
    plots.optuna_plots(study, out / "plots")
    return summary


@dataclass
class Target:
    """What one tuning run optimises: the two kinds (a surrogate's hyperparameters, a
    searcher's own parameters) differ only in these pieces; ``run_tuning`` is shared."""

    config: SurrogateTuneConfig | SearchTuneConfig
    kind: str  # "predictor" or "search"
    value_name: str  # what a trial's value is
    study_name: str
    pruner: Any
    objective: Callable[[Any], float]
    #: best params -> (summary entries, best_params.yaml); may write files into ``out``
    report: Callable[[dict, Path], tuple[dict, dict]]


def predictor_target(config: SurrogateTuneConfig) -> Target:
    """Tune a surrogate: nested folds on the development part, report on the test part."""
    from nas_surrogate.benchmarks import expand_benchmark_ids
    from nas_surrogate.io import write_text_atomic

    ids = expand_benchmark_ids(config.benchmark, config.data_dir)
    if len(ids) != 1:
        raise BadInputError(f"--benchmark {config.benchmark}", "tune takes exactly one id")
    dev, _ = validate(config)

    def report_on_test(best_params: dict, out: Path) -> tuple[dict, dict]:
        final = report(config, best_params)
        write_text_atomic(out / "report.csv", final.to_csv(index=False))
        stats = final.groupby("parameters").kendall_tau.agg(["mean", "std"])
        entries = {
            "test_kendall_tau": {
                label: {
                    "mean": float(stats.loc[label, "mean"]),
                    "std": float(stats.loc[label, "std"]),
                }
                for label in ("default", "tuned")
            },  # fmt: skip
        }
        best_yaml = {"surrogate": SurrogateSpec.parse(config.surrogate).name, "params": best_params,
                     "tuned_on": config.identity()}  # fmt: skip
        return entries, best_yaml

    return Target(
        config, "predictor", "kendall_tau",
        f"{config.benchmark}|{config.surrogate}|{config.features}|n{config.train_size}",
        make_pruner(config.pruner, config.folds),
        predictor_objective(config, dev, search_space(config)),
        report_on_test,
    )  # fmt: skip


def run_tuning(
    target: Target,
    out: Path,
    storage: str | None = None,
    study_name: str | None = None,
    n_jobs: int = 1,
    started: float | None = None,
) -> dict:
    """Create or continue the study, add the trials, report the best against the
    defaults, write best_params.yaml, trials.csv, summary.json and plots."""
    import optuna

    started = time.perf_counter() if started is None else started
    from nas_surrogate.io import make_out_dir

    out = make_out_dir(Path(out), [getattr(target.config, "data_dir", None)])
    own_storage = storage is None
    storage = storage or f"sqlite:///{(out / 'study.db').resolve()}"
    study_name = study_name or target.study_name
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from nas_surrogate.store import _lock

    lock = _lock(out / "study.lock") if own_storage else None  # one process per folder
    try:
        study = open_study(target.config, storage, study_name, target.pruner)
        if own_storage:  # nobody else writes this study: a RUNNING trial was killed
            fail_running_trials(study)
        return _optimize_and_report(target, out, study, storage, study_name, n_jobs, started)
    finally:
        if lock is not None:
            lock.close()


def fail_running_trials(study) -> int:
    """Mark every RUNNING trial FAIL (a study only this process writes: its RUNNING
    trials belong to a killed run, whatever the delay); returns how many."""
    from optuna.trial import TrialState

    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for t in running:
        study._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
    return len(running)


def _optimize_and_report(target, out, study, storage, study_name, n_jobs, started) -> dict:
    study.optimize(target.objective, n_trials=target.config.trials, n_jobs=n_jobs,
                   gc_after_trial=False)  # fmt: skip
    states = pd.Series([t.state.name for t in study.trials])
    if not (states == "COMPLETE").any():
        raise BadInputError("--trials", "no trial completed (all pruned or failed)")
    best = study.best_trial
    entries, best_yaml = target.report(best.params, out)
    best_yaml[f"validation_{target.value_name}"] = best.value
    summary = {
        "command": "tune",
        "target": target.kind,
        "config": asdict(target.config),
        "storage": redact(storage),
        "study_name": study_name,
        "n_trials": len(study.trials),
        "n_complete": int((states == "COMPLETE").sum()),
        "n_pruned": int((states == "PRUNED").sum()),
        "n_failed": int((states == "FAIL").sum()),
        "best_value_validation": best.value,
        "best_params": best.params,
        **entries,
        "report_seeds": target.config.report_seeds,
        "elapsed_seconds": time.perf_counter() - started,
    }
    return write_study_outputs(out, study, best_yaml, summary)


def tune(
    config: SurrogateTuneConfig,
    out: Path,
    storage: str | None = None,
    study_name: str | None = None,
    n_jobs: int = 1,
) -> dict:
    """Tune a surrogate's hyperparameters (``predictor_target``)."""
    started = time.perf_counter()
    return run_tuning(predictor_target(config), out, storage, study_name, n_jobs, started)


# -- tuning a searcher's own parameters ---------------------------------------------------
@dataclass
class SearchTuneConfig:
    """Tune a searcher on mean best-found validation accuracy at ``budget`` over
    ``tune_seeds`` runs; report tuned vs default on ``report_seeds`` other seeds (a
    tabular benchmark has no held-out architectures for search, so fresh seeds are the
    honest test)."""

    benchmark: str
    searcher: str
    budget: int
    trials: int
    seed: int = 0
    tune_seeds: int = TUNE_SEEDS
    report_seeds: int = REPORT_SEEDS
    features: str = "enc"
    surrogate: str | None = None
    space: dict[str, tuple] = field(default_factory=dict)
    data_dir: str | None = None

    def identity(self) -> dict:
        keep = ("benchmark", "searcher", "budget", "seed", "tune_seeds", "features", "surrogate")
        return {"target": "search", **{k: getattr(self, k) for k in keep}}


def _search_score(config: SearchTuneConfig, params: dict, seeds: range) -> float:
    from nas_surrogate.experiments.search import NONE, SearchConfig, SearchUnit, run_unit
    from nas_surrogate.searchers import SearcherSpec

    searcher = SearcherSpec.parse(config.searcher)
    guided = searcher.uses_surrogate
    sconfig = SearchConfig(
        benchmarks=[config.benchmark],
        searchers=[config.searcher],
        budget=config.budget,
        base_seed=config.seed,
        surrogate=config.surrogate,
        features=[config.features],
        searcher_params={searcher.name: params},
        data_dir=config.data_dir,
    )
    best = []
    for s in seeds:
        unit = SearchUnit(
            config.benchmark,
            config.searcher,
            (config.surrogate or "ensemble") if guided else NONE,
            config.features if guided else NONE,
            s,
        )
        best.append(max(r["val_accuracy"] for r in run_unit(unit, sconfig)))
    return float(np.mean(best))


def search_target(config: SearchTuneConfig) -> Target:
    """Tune a searcher: mean best accuracy over ``tune_seeds`` runs; report tuned vs
    default on ``report_seeds`` other seeds."""
    from nas_surrogate.experiments.search import SearchConfig, plan_units
    from nas_surrogate.searchers import SearcherSpec

    if config.trials < 1:
        raise BadInputError("--trials", f"must be >= 1, got {config.trials}")
    searcher = SearcherSpec.parse(config.searcher)
    declared = searcher.searcher_class.TUNE_SPACE
    if not declared:
        raise BadInputError(f"--searcher {config.searcher}", "has no parameters to tune")
    space = {**declared, **config.space}
    plan_units(  # every check of `search` before any work
        SearchConfig(
            benchmarks=[config.benchmark], searchers=[config.searcher], budget=config.budget,
            surrogate=config.surrogate, features=[config.features], data_dir=config.data_dir,
        )
    )  # fmt: skip
    tune_seeds = range(config.tune_seeds)

    def objective(trial) -> float:
        return _search_score(config, suggest(trial, space), tune_seeds)

    def report_on_fresh_seeds(best_params: dict, out: Path) -> tuple[dict, dict]:
        seeds = range(10_000, 10_000 + config.report_seeds)
        default = _search_score(config, {}, seeds)
        tuned = _search_score(config, best_params, seeds)
        entries = {"report_best_val_accuracy": {"default": default, "tuned": tuned}}
        return entries, {
            "searcher": searcher.name,
            "params": best_params,
            "tuned_on": config.identity(),
        }

    return Target(
        config, "search", "mean_best_val_accuracy",
        f"{config.benchmark}|{config.searcher}|q{config.budget}", make_pruner("none", 1),
        objective, report_on_fresh_seeds,
    )  # fmt: skip


def tune_search(
    config: SearchTuneConfig,
    out: Path,
    storage: str | None = None,
    study_name: str | None = None,
    n_jobs: int = 1,
) -> dict:
    """Tune a searcher's own parameters (``search_target``)."""
    started = time.perf_counter()
    return run_tuning(search_target(config), out, storage, study_name, n_jobs, started)


#: the old names, importable with a DeprecationWarning
__getattr__ = renamed(__name__, {"TuneConfig": SurrogateTuneConfig})
