"""``TuneConfig``: every setting of ``tune`` (CLI options and API arguments), in a
module of its own so the CLI builds its options without importing Optuna, pandas or the
surrogates; ``run`` imports the tuner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from nas_surrogate.config import (
    MAX_SEED,
    MAX_SEEDS,
    PRUNERS,
    REPORT_SEEDS,
    SEARCH_BUDGET,
    TUNE_SEEDS,
    TUNE_TARGETS,
)
from nas_surrogate.deprecation import renamed
from nas_surrogate.errors import BadInputError
from nas_surrogate.settings import data_dir_setting, setting


def read_space(path: Any) -> dict[str, Any]:
    """``--space FILE``: {param: [kind, low, high, log]} overriding the declared space."""
    from nas_surrogate.config import load_yaml

    return {k: tuple(v) if isinstance(v, list) else v for k, v in load_yaml(Path(path)).items()}


@dataclass
class TuneConfig:
    """Every setting of ``tune`` (CLI options and API arguments alike); ``run`` builds the
    target's config (``SurrogateTuneConfig`` or ``SearchTuneConfig``) and tunes."""

    benchmark: str = setting(help="One benchmark id.", flags=("--benchmark", "-b"))
    trials: int = setting(
        help="Trials to add to the study.", flags=("--trials", "-t"), cli_type=int, low=1,
        high=1_000_000,
    )  # fmt: skip
    out: str = setting(help="Output folder.", flags=("--out", "-o"))
    surrogate: str | None = setting(
        None, "xgb, lgbm, rf, gp, mlp", flags=("--surrogate", "-s"),
        cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    features: str = setting("enc", "One feature spec.", flags=("--features", "-f"))
    train_size: int | None = setting(
        None, "Training archs (predictor).", flags=("--train-size", "-n"),
        cli_type=Optional[int],  # noqa: UP045
    )  # fmt: skip
    target: str = setting(
        "predictor", "Tune a surrogate (predictor) or a searcher (search).", choices=TUNE_TARGETS
    )
    searcher: str | None = setting(
        None,
        "For --target search.",
        cli_type=Optional[str],  # noqa: UP045
    )
    budget: int = setting(SEARCH_BUDGET, "For --target search.", flags=("--budget", "-q"), low=1,
                          high=10_000_000)  # fmt: skip
    tune_seeds: int = setting(
        TUNE_SEEDS, "Search runs per trial (--target search).", low=1, high=MAX_SEEDS
    )
    storage: str | None = setting(
        None,
        "Optuna RDB URL (default sqlite in --out).",
        cli_type=Optional[str],  # noqa: UP045
    )
    study_name: str | None = setting(None, "Study name.", cli_type=Optional[str])  # noqa: UP045
    seed: int = setting(0, "Split, folds and sampler seed.", low=0, high=MAX_SEED)
    folds: int = setting(3, "Validation folds per trial.", low=1, high=100)
    pruner: str = setting("median", "Optuna pruner (--target predictor).", choices=PRUNERS)
    report_seeds: int = setting(REPORT_SEEDS, "Seeds of the final report.", low=1, high=MAX_SEEDS)
    space: dict = setting(
        help="YAML {param: [kind, low, high, log]}", cli_type=Optional[Path],  # noqa: UP045
        from_cli=lambda p: read_space(p), default_factory=dict,
    )  # fmt: skip
    data_dir: str | None = data_dir_setting()
    n_jobs: int = setting(1, "Parallel trials.", flags=("--n-jobs", "-j"), low=1, high=256)

    def run(self) -> dict:
        """Tune; the summary (also in ``OUT/summary.json``)."""
        from nas_surrogate.experiments.tune import (
            SearchTuneConfig,
            SurrogateTuneConfig,
            tune,
            tune_search,
        )
        from nas_surrogate.settings import validate as check

        check(self)
        run_options = dict(storage=self.storage, study_name=self.study_name, n_jobs=self.n_jobs)
        if self.target == "search":
            if self.searcher is None:
                raise BadInputError("--searcher", "required with --target search")
            config = SearchTuneConfig(
                benchmark=self.benchmark, searcher=self.searcher, budget=self.budget,
                trials=self.trials, seed=self.seed, tune_seeds=self.tune_seeds,
                report_seeds=self.report_seeds, features=self.features,
                surrogate=self.surrogate, space=self.space, data_dir=self.data_dir,
            )  # fmt: skip
            return tune_search(config, Path(self.out), **run_options)
        if self.surrogate is None or self.train_size is None:
            raise BadInputError("--surrogate/--train-size", "required with --target predictor")
        config = SurrogateTuneConfig(
            benchmark=self.benchmark, surrogate=self.surrogate, features=self.features,
            train_size=self.train_size, trials=self.trials, seed=self.seed, folds=self.folds,
            pruner=self.pruner, report_seeds=self.report_seeds, space=self.space,
            data_dir=self.data_dir,
        )  # fmt: skip
        return tune(config, Path(self.out), **run_options)


#: the old names, importable with a DeprecationWarning
__getattr__ = renamed(__name__, {"TuneSettings": TuneConfig})
