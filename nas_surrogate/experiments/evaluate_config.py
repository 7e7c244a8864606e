"""``EvaluateConfig``: every setting of ``evaluate`` (CLI options, YAML keys, API
arguments), in a module of its own so the CLI builds its options without importing
what an evaluation runs on (scikit-learn, pandas, the surrogates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from nas_surrogate.config import (
    ABLATIONS,
    MAX_SEED,
    MAX_SEEDS,
    POOLS,
    SPLIT_SEEDS,
    ZC_TRANSFORMS,
)
from nas_surrogate.settings import (
    data_dir_setting,
    file_setting,
    int_list,
    list_setting,
    params_setting,
    setting,
    spec_list,
    yaml_int_list,
    yaml_specs,
)


@dataclass
class EvaluateConfig:
    """Everything that decides the numbers of an evaluation (and where they go)."""

    benchmarks: list[str] = list_setting(
        "Id(s), comma list, or all.",
        flags=("--benchmark", "-b"),
    )
    surrogates: list[str] = list_setting(
        "xgb, lgbm, rf, gp, mlp, ensemble, stack, vote, proxy:NAME",
        flags=("--surrogate", "-s"),
    )
    features: list[str] = setting(
        help="Spec(s): onehot, zc, onehot+zc, graf+zc, enc+zc, zc:nwot,synflow",
        flags=("--features", "-f"), cli_type=str, from_cli=spec_list, from_yaml=yaml_specs,
    )  # fmt: skip
    train_sizes: list[int] = setting(
        help="N[,N...]", flags=("--train-size", "-n"), cli_type=str,
        from_cli=lambda text: int_list(text, "--train-size"), from_yaml=yaml_int_list,
    )  # fmt: skip
    seeds: int = setting(
        SPLIT_SEEDS, "Seeds (splits) per setting; few by default as splits are cheap to add "
        "later (a rerun with more seeds resumes), 10 for published tables.", low=1,
        high=MAX_SEEDS,
    )  # fmt: skip
    base_seed: int = setting(
        0, "Base seed of every random choice.", flags=("--seed",), low=0, high=MAX_SEED
    )
    test_size: int | None = setting(
        None,
        "Fixed test set size (default: the rest).",
        cli_type=Optional[int],  # noqa: UP045
    )
    zc_transform: str = setting(
        "quantile", "Transform of the ZC columns before fitting.", choices=ZC_TRANSFORMS
    )
    pool: str = setting("scored", "Networks split: every proxy scored, or all rows.", choices=POOLS)
    ablate: str = setting("none", "Proxy ablation of each feature spec.", choices=ABLATIONS)
    surrogate_params: dict[str, dict] = params_setting("surrogate")
    data_dir: str | None = data_dir_setting()
    metric: str = setting("kendall_tau", "Headline metric.")
    proxy_table: str | None = file_setting("CSV from `proxies compute`: computed ZC columns.")

    def fingerprint(self) -> dict:
        """Settings that change a unit's numbers without changing its key."""
        from nas_surrogate.experiments.fingerprint import (
            evolved_files,
            input_fingerprint,
            source_inputs,
        )

        return {
            "base_seed": self.base_seed,
            "test_size": self.test_size,
            "zc_transform": self.zc_transform,
            "pool": self.pool,
            "surrogate_params": self.surrogate_params,
            "proxy_table": self.proxy_table,
            "inputs": input_fingerprint(
                self.benchmarks,
                self.data_dir,
                ([self.proxy_table] if self.proxy_table else [])
                + evolved_files(self.features, self.surrogates)
                + source_inputs(self.features, self.data_dir),
            ),
        }
