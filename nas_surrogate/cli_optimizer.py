"""``nas-surrogate ask`` / ``tell``: an ``Optimizer`` driven from the shell, its state in
one JSON file (created by the first ``ask``, read back by every later call).

    nas-surrogate ask --state run.json --searcher bo --features onehot -k 2
    nas-surrogate tell --state run.json --arch "(3, 3, 4, 0, 1, 4)" --value 91.2
    nas-surrogate tell --state run.json --arch "(3, 1, 4, 1, 1, 3)" --fail

Settings are given once; a later call that names a setting differently is refused.
(No ``from __future__ import annotations`` here: Typer reads the option types of the
commands defined inside ``register`` at definition time.)
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from nas_surrogate.config import MAX_SEED
from nas_surrogate.errors import BadInputError
from nas_surrogate.io import exclusive

StateOpt = Annotated[
    Path, typer.Option("--state", help="JSON state of the optimiser (created by the first ask).")
]
DEFAULTS: dict[str, Any] = {
    "space": "nasbench201",
    "searcher": "bo",
    "features": None,
    "surrogate": None,
    "seed": 0,
    "benchmark": None,
    "objectives": None,
    "constraints": None,
    "objective_data": None,
}
#: how ``ask`` prints an arch: the space's own string, or NAS-Bench-201's
ARCH_FORMATS = ("compact", "nb201")
#: settings of the optimiser that the CLI gives as comma lists
LISTS = ("objectives", "constraints", "objective_data")


def _table(benchmark: str | None, data_dir: Path | None, objective_data: list[str] | None = None):
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
    if not kind.startswith("table:"):
        return None, None
    parts = kind.split(":", 3)
    tables = parts[3].split(":", 1)[1].split("|") if len(parts) > 3 else None
    return parts[1], tables


def _open(state: Path, data_dir: Path | None, given: dict[str, Any]):
    """The optimiser of ``state``: made from ``given`` settings if the file does not exist,
    else loaded, refusing a setting that differs from the one it was made with."""
    from nas_surrogate.optimizer import Optimizer, read_state

    if state.is_dir():
        raise BadInputError(f"--state {state}", "is a directory; give a .json file")
    if not state.exists():
        settings = {k: (DEFAULTS[k] if v is None else v) for k, v in given.items()}
        tables = settings.pop("objective_data")
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
    for name, value in given.items():
        if name == "objective_data" and value is not None:
            value = sorted(str(Path(v).resolve()) for v in value)
        if value is not None and value != stored.get(name, []):
            raise BadInputError(
                f"--{name}",
                f"{value!r} differs from {stored[name]!r} in {state}; use a new --state",
            )
    bench = _table(stored["benchmark"], data_dir, tables)
    return Optimizer.from_state(doc, bench, where=str(state))


def register(app: typer.Typer, data_dir_opt: Any, format_opt: Any) -> None:
    """Add ``ask`` and ``tell`` to the CLI (the option types come from cli.py)."""
    from nas_surrogate.cli_output import OutputFormat, emit_json

    @app.command("ask")
    def ask_cmd(
        state: StateOpt,
        k: Annotated[int, typer.Option("-k", min=1, max=10_000, help="Proposals wanted.")] = 1,
        space: Annotated[str | None, typer.Option("--space", help="Search space.")] = None,
        searcher: Annotated[
            str | None, typer.Option("--searcher", help="random, evolution, local_search, bo")
        ] = None,
        features: Annotated[
            str | None,
            typer.Option(
                "--features", help="Surrogate features (default enc, or enc+zc with --benchmark)."
            ),  # fmt: skip
        ] = None,
        surrogate: Annotated[str | None, typer.Option("--surrogate")] = None,
        seed: Annotated[int | None, typer.Option("--seed", min=0, max=MAX_SEED)] = None,
        benchmark: Annotated[
            str | None,
            typer.Option(
                "--benchmark",
                help="Read ZC proxies from this benchmark's table (its "
                "accuracies are never read); the search stays in its rows.",
            ),  # fmt: skip
        ] = None,
        objectives: Annotated[
            str | None,
            typer.Option(
                "--objectives",
                help="Several objectives, comma list (NAME:min for a minimised one; known "
                "ones such as pixel3_latency come from --objective-data tables).",
            ),  # fmt: skip
        ] = None,
        constraint: Annotated[
            str | None, typer.Option("--constraint", help='e.g. "pixel3_latency<=5" (comma list)')
        ] = None,
        objective_data: Annotated[
            str | None,
            typer.Option(
                "--objective-data",
                help="Hardware / robustness tables for the --benchmark (comma list).",
            ),  # fmt: skip
        ] = None,
        arch_format: Annotated[
            str,
            typer.Option(
                "--arch-format",
                help="compact (the space's own string, e.g. NB201's 6-tuple) or nb201 "
                "(NAS-Bench-201's |op~0|+|op~0|op~1|+... string; tell takes either).",
            ),  # fmt: skip
        ] = "compact",
        data_dir: data_dir_opt = None,
        fmt: format_opt = OutputFormat.table,
    ) -> None:
        """Propose the next architectures to evaluate (one arch string per line)."""
        from nas_surrogate.settings import comma_list

        if arch_format not in ARCH_FORMATS:
            raise BadInputError(
                f"--arch-format {arch_format!r}", f"expected one of {', '.join(ARCH_FORMATS)}"
            )

        lists = {"objectives": objectives, "constraints": constraint,
                 "objective_data": objective_data}  # fmt: skip
        given = {"space": space, "searcher": searcher, "features": features,
                 "surrogate": surrogate, "seed": seed, "benchmark": benchmark,
                 **{k: None if v is None else comma_list(v) for k, v in lists.items()}}  # fmt: skip
        with exclusive(state):  # read, change, write: one process at a time
            opt = _open(state, data_dir, given)
            if arch_format == "nb201" and opt.space.name != "nasbench201":
                raise BadInputError(
                    "--arch-format nb201", f"is NAS-Bench-201's; this state's space is "
                    f"{opt.space.name}",
                )  # fmt: skip
            archs = opt.ask(k)
            opt.save(state)
        if arch_format == "nb201":
            from nas_surrogate.spaces.nb201 import format_nb201_string

            archs = [format_nb201_string(opt.space.parse(a)) for a in archs]
        if fmt is OutputFormat.json:
            emit_json({"archs": archs, "pending": opt.pending, "tell": opt.evaluated})
            return
        for arch in archs:
            typer.echo(arch)

    @app.command("tell")
    def tell_cmd(
        state: StateOpt,
        arch: Annotated[list[str], typer.Option("--arch", help="An arch string (repeat).")],
        value: Annotated[
            list[float] | None,
            typer.Option(
                "--value",
                help="Its result (repeat, in order); with objectives, one per evaluated "
                "objective of each arch, arch by arch.",
            ),  # fmt: skip
        ] = None,
        fail: Annotated[
            bool, typer.Option("--fail", help="The evaluations crashed: no values.")
        ] = False,
        add: Annotated[
            bool, typer.Option("--add", help="Results of archs never asked (known elsewhere).")
        ] = False,
        data_dir: data_dir_opt = None,
        fmt: format_opt = OutputFormat.table,
    ) -> None:
        """Report results of asked architectures."""
        if not state.is_file():
            raise BadInputError(f"--state {state}", "does not exist; start with ask")
        if fail and value:
            raise BadInputError("--fail", "takes no --value")
        with exclusive(state):  # concurrent tells of one state keep every result
            opt = _open(state, data_dir, dict.fromkeys(DEFAULTS))
            values = list(value or [])
            m = len(opt.evaluated)
            if m > 1 and not fail:
                if len(values) != m * len(arch):
                    raise BadInputError(
                        "--value", f"{len(values)} values for {len(arch)} archs x {m} evaluated "
                        f"columns ({', '.join(opt.evaluated)})",
                    )  # fmt: skip
                values = [values[i * m : (i + 1) * m] for i in range(len(arch))]
            if fail:
                opt.fail(arch)
            elif add:
                opt.add(arch, values)
            else:
                opt.tell(arch, values)
            opt.save(state)
        best = opt.best
        if fmt is OutputFormat.json:
            emit_json({"n_told": len(opt.history), "best": best, "pending": opt.pending})
            return
        n = len(opt.history)
        if isinstance(best, list):
            typer.echo(f"{n} results; Pareto set of {len(best)}:")
            for a, vals in best:
                typer.echo(f"  {a}  " + " ".join(f"{k}={v:g}" for k, v in vals.items()))
            return
        if isinstance(best, tuple) and isinstance(best[1], dict):
            best = (best[0], next(iter(best[1].values())))
        typer.echo(f"{n} results; best {best[1]:g} {best[0]}" if best else "no results")
