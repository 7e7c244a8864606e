"""``SearchConfig``: every setting of ``search`` (CLI options, YAML keys, API arguments)
and where its objective tables come from, in a module of its own so the CLI builds its
options without importing what a search runs on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from nas_surrogate.config import (
    ACQUISITIONS,
    MAX_SEED,
    MAX_SEEDS,
    SEARCH_BUDGET,
    SEARCH_SEEDS,
    SPLIT_SEEDS,
)
from nas_surrogate.settings import (
    data_dir_setting,
    file_setting,
    list_setting,
    params_setting,
    setting,
    spec_list,
    yaml_specs,
)

#: the searcher whose ``acquisition`` parameter ``--acquisition`` sets (mobo's
#: acquisitions are its own parameter, set through ``searcher_params``)
ACQUISITION_OF = "bo"


@dataclass
class SearchConfig:
    """Every setting of ``search``: the CLI options, the YAML keys and the API arguments
    are these fields (``nas_surrogate.settings``)."""

    benchmarks: list[str] = list_setting(
        "Id(s), comma list or group.",
        flags=("--benchmark", "-b"),
    )
    searchers: list[str] = list_setting(
        "random, evolution, local_search, bo; evolution:guided, local_search:guided",
        flags=("--searcher",),
    )
    budget: int = setting(
        SEARCH_BUDGET, "Queries per run.", flags=("--budget", "-q"), low=1, high=10_000_000
    )
    seeds: int = setting(
        SEARCH_SEEDS, "Independent runs per searcher (search curves need more seeds than "
        "splits).", low=1, high=MAX_SEEDS,
    )  # fmt: skip
    base_seed: int = setting(
        0, "Base seed of every random choice.", flags=("--seed",), low=0, high=MAX_SEED
    )
    surrogate: str | None = setting(
        None, "Surrogate for bo / guided searchers.", flags=("--surrogate", "-s"),
        cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    features: list[str] = setting(
        help="Feature spec(s) for the surrogate (default: enc+zc where the benchmark has "
        "proxies, else enc).", flags=("--features", "-f"), cli_type=str,
        from_cli=spec_list, from_yaml=yaml_specs, default_factory=list,
    )  # fmt: skip
    acquisition: str = setting("its", "Acquisition of bo.", choices=ACQUISITIONS)
    train_seconds: float = setting(
        3600.0, "Simulated cost of one query (training).", low=0.0, cli_type=float
    )
    zc_warmup: str | None = setting(
        None,
        "Start from a pool ranked by PROXY or vote.",
        cli_type=Optional[str],  # noqa: UP045
    )
    warmup_pool: int = setting(100, "Pool ranked by the ZC warm-up.", low=1, high=10_000_000)
    searcher_params: dict[str, dict] = params_setting("searcher")
    surrogate_params: dict[str, dict] = params_setting("surrogate")
    data_dir: str | None = data_dir_setting()
    proxy_table: str | None = file_setting("CSV from `proxies compute`: computed ZC columns.")
    proxy_costs: str | None = file_setting(
        "YAML {proxy: seconds per arch}: charge these instead of the data's times."
    )
    objectives: list[str] = list_setting(
        "Several objectives (Pareto search), e.g. val_accuracy,pixel3_latency "
        "(NAME:max / NAME:min sets a direction); `benchmarks` lists each benchmark's.",
        default_factory=list,
    )
    constraints: list[str] = list_setting(
        'Constraint(s), comma list: "pixel3_latency<=5" (<=, <, >=, >).',
        flags=("--constraint",), default_factory=list,
    )  # fmt: skip
    objective_data: list[str] = list_setting(
        "Hardware / robustness CSV tables or folders (TASK=PATH names a table's "
        "dataset); default: the data dir.",
        default_factory=list,
    )

    def fingerprint(self) -> dict:
        from nas_surrogate.experiments.fingerprint import (
            evolved_files,
            input_fingerprint,
            source_inputs,
        )

        keep = ("base_seed", "budget", "acquisition", "train_seconds", "zc_warmup")
        return {
            **{k: getattr(self, k) for k in keep},
            "warmup_pool": self.warmup_pool,
            "searcher_params": self.searcher_params,
            "surrogate_params": self.surrogate_params,
            "proxy_table": self.proxy_table,
            "proxy_costs": self.proxy_costs,
            "objectives": self.objectives,
            "constraints": self.constraints,
            # multi-objective rows score the queried cells since this version: a folder
            # written under network scoring is refused, never extended with other numbers
            **({"scoring": "queried cells"} if self.objectives or self.constraints else {}),
            "inputs": input_fingerprint(
                self.benchmarks,
                self.data_dir,
                ([self.proxy_table] if self.proxy_table else [])
                + ([self.proxy_costs] if self.proxy_costs else [])
                + [str(p) for _, p in objective_files(self)]
                + evolved_files(
                    self.features,
                    [self.surrogate] if self.surrogate else [],
                    [self.zc_warmup, *(p.get("objective") for p in self.searcher_params.values())],
                )
                + source_inputs(self.features, self.data_dir),
            ),  # fmt: skip
        }


def objective_sources(config: SearchConfig) -> tuple[str, ...]:
    """Where objective tables are looked for: ``--objective-data``, else the data dir
    (only when objectives or constraints are asked for)."""
    from nas_surrogate.experiments.search_objectives import is_multi

    if not is_multi(config.objectives, config.constraints):
        return ()
    if config.objective_data:
        return tuple(config.objective_data)
    return (config.data_dir,) if config.data_dir else ()


def objective_files(config: SearchConfig) -> list:
    from nas_surrogate.objectives.tables import table_files

    return table_files(list(objective_sources(config)))


@dataclass
class DemoConfig:
    """Settings of ``demo``, the main job: evolution vs BO on one-hot vs BO on one-hot +
    ZC features on the whole NB201 CIFAR-10 table, a search whose other settings are
    fixed (``search_config``)."""

    data_dir: str | None = data_dir_setting()
    out: str = setting("out/demo", "Output folder (resumed if it exists).", flags=("--out", "-o"))
    seeds: int = setting(SPLIT_SEEDS, "A quick look, not a verdict.", low=1, high=MAX_SEEDS)
    budget: int = setting(
        SEARCH_BUDGET, "Queries per run.", flags=("--budget", "-q"), low=1, high=15_625
    )
    seed: int = setting(0, "Base seed of every random choice.", low=0, high=MAX_SEED)
    n_jobs: int = setting(
        2, "Parallel workers (2: the demo is sized for a 2-core machine).",
        flags=("--n-jobs", "-j"),
    )  # fmt: skip

    def search_config(self) -> SearchConfig:
        return SearchConfig(
            benchmarks=["nasbench201/cifar10"], searchers=["evolution", "bo"],
            budget=self.budget, seeds=self.seeds, base_seed=self.seed,
            features=["onehot", "onehot+zc"], data_dir=self.data_dir,
        )  # fmt: skip
