"""``nas-surrogate ask`` / ``tell``: an ``Optimizer`` driven from the shell, its state in
one JSON file (created by the first ``ask``, read back by every later call).

    nas-surrogate ask --state run.json --searcher bo --features onehot -k 2
    nas-surrogate tell --state run.json --arch "(3, 3, 4, 0, 1, 4)" --value 91.2
    nas-surrogate tell --state run.json --arch "(3, 1, 4, 1, 1, 3)" --fail

Settings are given once; a later call that names a setting differently is refused. Each
command's options come from its typed config (``AskConfig``, ``TellConfig``) like every
other command's; the optimiser's defaults are ``Optimizer``'s own.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import typer

from nas_surrogate.cli_common import OutputFormat, emit_json
from nas_surrogate.config import MAX_SEED
from nas_surrogate.errors import BadInputError
from nas_surrogate.io import exclusive
from nas_surrogate.settings import comma_list, data_dir_setting, setting

#: how ``ask`` prints an arch: the space's own string, or NAS-Bench-201's
ARCH_FORMATS = ("compact", "nb201")
#: the optimiser's settings an ``ask`` names (the first one fixes them)
OPTIMIZER_SETTINGS = ("space", "searcher", "features", "surrogate", "seed", "benchmark",
                      "objectives", "constraints", "objective_data")  # fmt: skip
STATE_HELP = "JSON state of the optimiser (created by the first ask)."


def _given(help: str, **kw: Any) -> Any:
    """An optimiser setting of ``ask``: None keeps the state's (or the default)."""
    return setting(None, help, cli_type=Optional[str], **kw)  # noqa: UP045


def _listed(help: str, **kw: Any) -> Any:
    return _given(help, from_cli=comma_list, **kw)


@dataclass
class AskConfig:
    """Settings of ``ask``: how many proposals and how to print them, and the optimiser's
    settings (fixed by the first ``ask`` of a state; None: as stored, or the default)."""

    state: Path = setting(help=STATE_HELP, cli_type=Path)
    k: int = setting(1, "Proposals wanted.", flags=("-k",), low=1, high=10_000)
    space: str | None = _given(
        "Search space: a benchmark space's name (default nasbench201) or your own space's "
        "YAML file (then each proposal prints as one JSON object per line)."
    )
    searcher: str | None = _given("random, evolution, local_search, bo, ... (default bo)")
    features: str | None = _given("Surrogate features (default enc, or enc+zc with --benchmark).")
    surrogate: str | None = _given("Surrogate of bo / guided searchers.")
    seed: int | None = setting(
        None, "Base seed (default 0).", low=0, high=MAX_SEED,
        cli_type=Optional[int],  # noqa: UP045
    )  # fmt: skip
    benchmark: str | None = _given(
        "Read ZC proxies from this benchmark's table (its accuracies are never read); the "
        "search stays in its rows."
    )
    objectives: list[str] | None = _listed(
        "Several objectives, comma list (NAME:min for a minimised one; known ones such as "
        "pixel3_latency come from --objective-data tables)."
    )
    constraints: list[str] | None = _listed(
        'e.g. "pixel3_latency<=5" (comma list)', flags=("--constraint",)
    )
    objective_data: list[str] | None = _listed(
        "Hardware / robustness tables for the --benchmark (comma list)."
    )
    arch_format: str = setting(
        "compact", "How archs print: compact is the space's own string (NB201's 6-tuple), "
        "nb201 NAS-Bench-201's |op~0|+|op~0|op~1|+... string (tell takes either).",
        choices=ARCH_FORMATS,
    )  # fmt: skip
    data_dir: str | None = data_dir_setting()

    def __post_init__(self) -> None:
        self.state = Path(self.state)

    def run(self) -> tuple[list[str], Any]:
        """(the archs to print, the optimiser after the ask, saved to ``state``)."""
        given = {k: getattr(self, k) for k in OPTIMIZER_SETTINGS}
        with exclusive(self.state):  # read, change, write: one process at a time
            opt = _open(self.state, self.data_dir, given)
            if self.arch_format == "nb201" and opt.space.name != "nasbench201":
                raise BadInputError(
                    "--arch-format nb201", f"is NAS-Bench-201's; this state's space is "
                    f"{opt.space.name}",
                )  # fmt: skip
            archs = opt.ask(self.k)
            opt.save(self.state)
        if self.arch_format == "nb201":
            from nas_surrogate.spaces.nb201 import format_nb201_string

            archs = [format_nb201_string(opt.space.parse(a)) for a in archs]
        return [a if isinstance(a, str) else json.dumps(a) for a in archs], opt


@dataclass
class TellConfig:
    """Settings of ``tell``: results (or failures) of architectures, into ``state``."""

    state: Path = setting(help=STATE_HELP, cli_type=Path)
    arch: list[str] = setting(
        help="An arch string (repeat).", cli_type=Optional[list[str]],  # noqa: UP045
        default_factory=list,
    )  # fmt: skip
    config: list[str] = setting(
        help="On your own space: a configuration as a JSON object (repeat), as ask prints it.",
        cli_type=Optional[list[str]], default_factory=list,  # noqa: UP045
    )  # fmt: skip
    value: list[float] | None = setting(
        None, "Its result (repeat, in order); with objectives, one per evaluated objective "
        "of each arch, arch by arch.", cli_type=Optional[list[float]],  # noqa: UP045
    )  # fmt: skip
    fail: bool = setting(False, "The evaluations crashed: no values.")
    add: bool = setting(False, "Results of archs never asked (known elsewhere).")
    data_dir: str | None = data_dir_setting()

    def __post_init__(self) -> None:
        self.state = Path(self.state)

    def run(self) -> Any:
        """The optimiser after the results, saved to ``state``."""
        if not self.state.is_file():
            raise BadInputError(f"--state {self.state}", "does not exist; start with ask")
        if self.fail and self.value:
            raise BadInputError("--fail", "takes no --value")
        if bool(self.arch) == bool(self.config):
            raise BadInputError("tell", "give --arch (benchmark spaces) or --config (your "
                                "own space), one of the two")  # fmt: skip
        archs = self.arch or [_json_config(c, i) for i, c in enumerate(self.config)]
        with exclusive(self.state):  # concurrent tells of one state keep every result
            opt = _open(self.state, self.data_dir, dict.fromkeys(OPTIMIZER_SETTINGS))
            if isinstance(opt.config["space"], dict) != bool(self.config):
                flag = "--config" if self.config else "--arch"
                raise BadInputError(flag, f"does not fit {self.state}: use --arch for a "
                                    "benchmark space, --config for your own")  # fmt: skip
            values = _per_arch(list(self.value or []), archs, opt.evaluated, self.fail)
            if self.fail:
                opt.fail(archs)
            elif self.add:
                opt.add(archs, values)
            else:
                opt.tell(archs, values)
            opt.save(self.state)
        return opt


def _json_config(text: str, i: int) -> dict:
    """One ``--config`` value: a JSON object (data, never evaluated)."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise BadInputError(f"--config[{i}] {text!r}", f"not JSON ({e})") from None
    if not isinstance(doc, dict):
        raise BadInputError(f"--config[{i}] {text!r}", "must be a JSON object")
    return doc


def _per_arch(values: list[float], archs: list[str], evaluated: list[str], fail: bool) -> list:
    """Values as ``tell`` takes them: one per arch, or one list per arch with objectives."""
    m = len(evaluated)
    if m <= 1 or fail:
        return values
    if len(values) != m * len(archs):
        raise BadInputError(
            "--value", f"{len(values)} values for {len(archs)} archs x {m} evaluated "
            f"columns ({', '.join(evaluated)})",
        )  # fmt: skip
    return [values[i * m : (i + 1) * m] for i in range(len(archs))]


def optimizer_defaults() -> dict[str, Any]:
    """What a new state gets for a setting ``ask`` does not name: ``Optimizer``'s own
    defaults (defined there once), and no table."""
    from nas_surrogate.optimizer import Optimizer

    params = inspect.signature(Optimizer.__init__).parameters
    return {k: params[k].default if k in params else None for k in OPTIMIZER_SETTINGS}


def _table(benchmark: str | None, data_dir: str | None, objective_data: list[str] | None = None):
    if benchmark is None:
        if objective_data:
            raise BadInputError("--objective-data", "attaches to a --benchmark table")
        return None
    from nas_surrogate.benchmarks import load_benchmark

    bench = load_benchmark(benchmark, data_dir)
    if objective_data:
        from nas_surrogate.objectives import attach_tables

        bench = attach_tables(bench, objective_data, explicit=True)[0]
    return bench


def _stored_tables(kind: str) -> tuple[str | None, list[str] | None]:
    """(benchmark id, objective tables) from a state's ``config.proxies``."""
    from nas_surrogate.optimizer import ProxiesSource

    source = ProxiesSource.parse(kind)
    return source.benchmark, list(source.objective_tables) or None


def _open(state: Path, data_dir: str | None, given: dict[str, Any]):
    """The optimiser of ``state``: made from ``given`` settings if the file does not exist,
    else loaded, refusing a setting that differs from the one it was made with."""
    from nas_surrogate.optimizer import Optimizer, read_state

    if state.is_dir():
        raise BadInputError(f"--state {state}", "is a directory; give a .json file")
    if not state.exists():
        defaults = optimizer_defaults()
        settings = {k: (defaults[k] if v is None else v) for k, v in given.items()}
        tables = settings.pop("objective_data")
        if _is_space_file(settings["space"]) and settings["benchmark"] is not None:
            raise BadInputError("--benchmark", "reads a benchmark table; your own space "
                                f"{settings['space']} has none")  # fmt: skip
        bench = _table(settings.pop("benchmark"), data_dir, tables)
        return Optimizer(**settings, proxies=bench)
    doc = read_state(state)  # size-capped, one line on a bad file
    try:
        config = doc["config"]
        kind = str(config["proxies"])
    except (KeyError, TypeError):
        raise BadInputError(f"--state {state}", "not an optimiser state file") from None
    stored = {k: config.get(k) for k in given if k not in ("benchmark", "objective_data")}
    stored["benchmark"], tables = _stored_tables(kind)
    stored["objective_data"] = tables
    if _is_space_file(given.get("space")) and isinstance(stored.get("space"), dict):
        _same_space(given.pop("space"), stored["space"], state)
    for name, value in given.items():
        if name == "objective_data" and value is not None:  # the tables it names (a folder)
            from nas_surrogate.optimizer import ProxiesSource

            probe = _table(stored["benchmark"], data_dir, list(value))
            value = list(ProxiesSource.of(probe).objective_tables) if probe is not None else value
        if value is not None and value != stored.get(name, []):
            raise BadInputError(
                f"--{name.replace('_', '-')}",
                f"{value!r} differs from {stored[name]!r} in {state}; use a new --state",
            )
    bench = _table(stored["benchmark"], data_dir, tables)
    return Optimizer.from_state(doc, bench, where=str(state))


def _is_space_file(space: object) -> bool:
    return isinstance(space, str) and space.endswith((".yaml", ".yml"))


def _same_space(path: str, stored: dict, state: Path) -> None:
    """BadInputError unless the space file declares the space the state was made with."""
    from nas_surrogate.spaces.space import Space

    if Space.from_yaml(path) != Space.from_dict(stored, where=f"{state} config.space"):
        raise BadInputError(
            f"--space {path}", f"differs from the space stored in {state}; use a new --state"
        )


def ask_cmd(**values: Any) -> None:
    """Propose the next architectures to evaluate (one arch string per line)."""
    from nas_surrogate.settings import from_cli, validate

    fmt = values.pop("fmt")
    config = from_cli(AskConfig, values)
    validate(config)
    archs, opt = config.run()
    if fmt is OutputFormat.json:
        emit_json({"archs": archs, "pending": opt.pending, "tell": opt.evaluated})
        return
    for arch in archs:
        typer.echo(arch)


def tell_cmd(**values: Any) -> None:
    """Report results of asked architectures."""
    from nas_surrogate.settings import from_cli

    fmt = values.pop("fmt")
    opt = from_cli(TellConfig, values).run()
    best, n = opt.best, len(opt.history)
    if fmt is OutputFormat.json:
        emit_json({"n_told": n, "best": best, "pending": opt.pending})
        return
    if isinstance(best, list):
        typer.echo(f"{n} results; Pareto set of {len(best)}:")
        for a, vals in best:
            typer.echo(f"  {a}  " + " ".join(f"{k}={v:g}" for k, v in vals.items()))
        return
    if isinstance(best, tuple) and isinstance(best[1], dict):
        best = (best[0], next(iter(best[1].values())))
    if best and isinstance(best[0], dict):
        best = (json.dumps(best[0]), best[1])
    typer.echo(f"{n} results; best {best[1]:g} {best[0]}" if best else "no results")
