"""``nas-surrogate ask`` / ``tell``: an ``Optimizer`` driven from the shell, its state in
one JSON file (created by the first ``ask``, replayed by every later call).

    nas-surrogate ask --state run.json --searcher bo --features onehot -k 2
    nas-surrogate tell --state run.json --arch "(2, 3, 0, 2, 0, 3)" --value 91.2
    nas-surrogate tell --state run.json --arch "(0, 1, 1, 4, 2, 3)" --fail

Settings are given once; a later call that names a setting differently is refused.
(No ``from __future__ import annotations`` here: Typer reads the option types of the
commands defined inside ``register`` at definition time.)
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from nas_surrogate.config import MAX_SEED
from nas_surrogate.errors import BadInputError

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
}


def _table(benchmark: str | None, data_dir: Path | None):
    if benchmark is None:
        return None
    from nas_surrogate.benchmarks import load_benchmark

    return load_benchmark(benchmark, data_dir)


def _open(state: Path, data_dir: Path | None, given: dict[str, Any]):
    """The optimiser of ``state``: made from ``given`` settings if the file does not exist,
    else loaded, refusing a setting that differs from the one it was made with."""
    from nas_surrogate.optimizer import Optimizer, read_state

    if state.is_dir():
        raise BadInputError(f"--state {state}", "is a directory; give a .json file")
    if not state.exists():
        settings = {k: (DEFAULTS[k] if v is None else v) for k, v in given.items()}
        bench = _table(settings.pop("benchmark"), data_dir)
        return Optimizer(**settings, proxies=bench)
    doc = read_state(state)  # size-capped, one line on a bad file
    try:
        config = doc["config"]
        kind = str(config["proxies"])
    except (KeyError, TypeError):
        raise BadInputError(f"--state {state}", "not an optimiser state file") from None
    stored = {k: config.get(k) for k in given if k != "benchmark"}
    stored["benchmark"] = kind.split(":")[1] if kind.startswith("table:") else None
    for name, value in given.items():
        if value is not None and value != stored[name]:
            raise BadInputError(
                f"--{name}",
                f"{value!r} differs from {stored[name]!r} in {state}; use a new --state",
            )
    return Optimizer.from_state(doc, _table(stored["benchmark"], data_dir), where=str(state))


def register(app: typer.Typer, data_dir_opt: Any, format_opt: Any) -> None:
    """Add ``ask`` and ``tell`` to the CLI (the option types come from cli.py)."""
    from nas_surrogate.cli import OutputFormat, emit_json

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
        data_dir: data_dir_opt = None,
        fmt: format_opt = OutputFormat.table,
    ) -> None:
        """Propose the next architectures to evaluate (one arch string per line)."""
        given = {"space": space, "searcher": searcher, "features": features,
                 "surrogate": surrogate, "seed": seed, "benchmark": benchmark}  # fmt: skip
        opt = _open(state, data_dir, given)
        archs = opt.ask(k)
        opt.save(state)
        if fmt is OutputFormat.json:
            emit_json({"archs": archs, "pending": opt.pending})
            return
        for arch in archs:
            typer.echo(arch)

    @app.command("tell")
    def tell_cmd(
        state: StateOpt,
        arch: Annotated[list[str], typer.Option("--arch", help="An arch string (repeat).")],
        value: Annotated[
            list[float] | None, typer.Option("--value", help="Its result (repeat, in order).")
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
        opt = _open(state, data_dir, dict.fromkeys(DEFAULTS))
        if fail:
            opt.fail(arch)
        elif add:
            opt.add(arch, value or [])
        else:
            opt.tell(arch, value or [])
        opt.save(state)
        best = opt.best
        if fmt is OutputFormat.json:
            emit_json({"n_told": len(opt.history), "best": best, "pending": opt.pending})
            return
        n = len(opt.history)
        typer.echo(f"{n} results; best {best[1]:g} {best[0]}" if best else "no results")
