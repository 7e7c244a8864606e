"""``evolve-proxy --from primitives``: LPZero's search on networks with known accuracy.

Where the fitness networks come from (each has an accuracy and a network to build):

- ``-b TASK`` a benchmark table of a space whose networks the project builds (NB201):
  ``--sample`` networks drawn with the seed are the fitness set, ``--holdout`` others
  (never seen by the search) score the result;
- ``--results DIR`` a ``nas`` results folder: the networks it trained and their
  validation accuracies. On NB201 the skeleton and data of the run are read from its
  ``run.json``; on a space of the user's own, the model is imported only from
  ``--model`` (never from a name in a file), and the folder's configurations are built
  with it.

The primitives are computed once per network (``primitives.primitive_pass``) on the
batch the user names (``--batch``: an ``.npz`` with ``images``/``labels`` or ``x``/``y``),
else on the run's own data (``--results``), else on a seeded synthetic batch, and kept
in memory for the whole search. Writes ``DIR/proxy.json`` (the contract), a resumable
``DIR/state.json``, ``results.md`` and ``summary.json``.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.io import write_json_atomic, write_text_atomic
from nas_surrogate.npz import read_pair

#: fitness networks at least (LPZero used 50-100), and most networks read from a folder
MIN_FITNESS = 10


@dataclass
class Networks:
    """Networks with known accuracy: ``build(i)`` gives network ``i`` (seeded)."""

    keys: list[str]
    accuracy: np.ndarray
    build: Any  # picklable callable: key -> nn.Module
    batch: Any  # proxies.base.Batch
    describe: str
    batch_describe: str
    batch_spec: dict | None = None  # a synthetic batch's recipe (scores anywhere alike)


def _nb201_build(key: str, n_classes: int, in_channels: int, channels: int, n_cells: int):
    from nas_surrogate.proxies.network import build
    from nas_surrogate.spaces import get_space

    arch = get_space("nasbench201").parse(key)
    return build(arch, n_classes, in_channels, channels=channels, n_cells=n_cells)


def _user_build(key: str, model: str, input_shape: tuple[int, ...], n_classes: int):
    from nas_surrogate.models import load_builder

    return load_builder(model)(json.loads(key), input_shape, n_classes)


def read_batch(path: str, size: int, n_classes: int | None, seed: int):
    """A batch from an ``.npz``: ``images``/``labels`` (``proxies compute``'s layout) or
    ``x``/``y`` (``nas``'s); ``size`` rows drawn with ``seed``."""
    from nas_surrogate.proxies.model import model_batch

    where = f"--batch {path}"
    _, x, y = read_pair(path, (("images", "labels"), ("x", "y")), where)
    try:
        return model_batch(x, y, n_classes, size=size, seed=seed)
    except BadInputError as e:
        raise BadInputError(f"{where}: {e.where}", e.why) from None


def _synthetic(size: int, n_classes: int, seed: int, shape: tuple[int, ...]):
    from nas_surrogate.proxies.base import synthetic_batch

    return synthetic_batch(size, n_classes, seed, shape=shape)


def from_benchmark(config) -> tuple[Networks, np.ndarray, np.ndarray, Any]:
    """(networks, fitness rows, held-out rows, the benchmark) of ``-b TASK``."""
    from nas_surrogate.benchmarks import load_benchmark

    bench = load_benchmark(config.benchmark, config.data_dir)
    if bench.space.name != "nasbench201":
        raise BadInputError(
            f"--benchmark {config.benchmark}",
            f"networks of space {bench.space.name} are not "
            "built by the project (NB201 is); use --results with a nas run of your own space",
        )
    from nas_surrogate.proxies.lpzero_table import TASK_CLASSES

    n_classes = TASK_CLASSES.get(bench.task, 10)
    if config.batch:
        batch = read_batch(config.batch, config.batch_size, n_classes, config.seed)
        told = f"{config.batch} ({len(batch.images)} rows, seed {config.seed})"
    else:
        batch = _synthetic(config.batch_size, n_classes, config.seed, (3, 32, 32))
        told = f"synthetic Gaussian 3x32x32, {config.batch_size} rows, seed {config.seed}"
    in_channels = int(batch.images.shape[1])
    build = functools.partial(
        _nb201_build, n_classes=batch.n_classes, in_channels=in_channels, channels=16, n_cells=5
    )
    keys = [bench.space.format(a) for a in bench.archs]
    fit, held = split(bench.val_accuracy, config, f"on {bench.id}")
    spec = (
        None
        if config.batch
        else {
            "kind": "synthetic",
            "size": config.batch_size,
            "seed": config.seed,
            "shape": [3, 32, 32],
        }
    )
    nets = Networks(keys, bench.val_accuracy, build, batch, bench.id, told, spec)
    return nets, fit, held, bench


def _results_frame(folder: Path):
    import pandas as pd

    csv, record = folder / "results.csv", folder / "run.json"
    if not csv.is_file() or not record.is_file():
        raise BadInputError(
            f"--results {folder}", "not a nas results folder (needs results.csv and run.json)"
        )
    try:
        run = json.loads(record.read_text())
        settings = run["settings"]
        frame = pd.read_csv(csv)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BadInputError(f"--results {folder}", f"cannot be read ({e})") from None
    if run.get("command") != "nas" or not isinstance(settings, dict):
        raise BadInputError(f"--results {folder}", "run.json is not a nas run's")
    for col in ("arch", "val_accuracy"):
        if col not in frame.columns:
            raise BadInputError(f"--results {folder}/results.csv", f"has no {col!r} column")
    return frame, settings


def from_results(config) -> tuple[Networks, np.ndarray, np.ndarray, None]:
    """(networks, fitness rows, held-out rows, None) of ``--results DIR``."""
    import torch

    from nas_surrogate.proxies.base import Batch
    from nas_surrogate.training import load_dataset

    folder = Path(config.results)
    frame, settings = _results_frame(folder)
    acc = frame["val_accuracy"].to_numpy(dtype=float)
    keys = [str(a) for a in frame["arch"]]
    own = str(settings.get("space", "")).endswith((".yaml", ".yml"))
    if own and not config.model:
        raise BadInputError(
            "--model",
            f"{folder} is a run on your own space: name the model "
            "that builds its configurations (--model package.module:function)",
        )
    data = load_dataset(str(settings.get("dataset", "digits")), any_shape=own)
    if config.batch:
        batch = read_batch(config.batch, config.batch_size, data.n_classes, config.seed)
        told = f"{config.batch} ({len(batch.images)} rows, seed {config.seed})"
    else:
        gen = torch.Generator().manual_seed(int(settings.get("seed", 0)))
        rows = torch.randperm(len(data.x_train), generator=gen)[: config.batch_size]
        batch = Batch(data.x_train[rows], data.y_train[rows], data.n_classes)
        told = f"{len(rows)} training rows of {data.name} (the run's data)"
    shape = tuple(int(s) for s in batch.images.shape[1:])
    if own:
        from nas_surrogate.models import load_builder

        load_builder(config.model)  # a wrong name fails now, before any pass
        build = functools.partial(
            _user_build, model=config.model, input_shape=shape, n_classes=batch.n_classes
        )
    else:
        build = functools.partial(
            _nb201_build,
            n_classes=batch.n_classes,
            in_channels=shape[0],
            channels=int(settings.get("channels", 16)),
            n_cells=int(settings.get("cells", 5)),
        )
    fit, held = split(acc, config, f"for {folder}")
    return Networks(keys, acc, build, batch, str(folder), told), fit, held, None


def split(accuracy: np.ndarray, config, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(fitness rows, held-out rows): ``--sample`` networks with a finite accuracy drawn
    with the seed, then at most ``--holdout`` of the others. Networks without one (failed
    trainings) are left out, and said."""
    ok = np.flatnonzero(np.isfinite(accuracy))
    if len(accuracy) > len(ok):
        import warnings

        warnings.warn(
            f"{len(accuracy) - len(ok)} network(s) {where} without a finite accuracy (failed "
            "trainings) are left out", stacklevel=3,
        )  # fmt: skip
    if not MIN_FITNESS <= config.sample < len(ok):
        raise BadInputError(
            f"--sample {config.sample}", f"must be in [{MIN_FITNESS}, {len(ok) - 1}] {where} "
            f"({len(ok)} networks with an accuracy; some must stay out of the fitness set)",
        )  # fmt: skip
    order = np.random.default_rng(config.seed).permutation(ok)
    return np.sort(order[: config.sample]), np.sort(order[config.sample :][: config.holdout])


def _passes(keys: list[str], build, batch, max_bytes: int, seed: int, device: str = "cpu"):
    """Primitives of each network (one torch thread: the same numbers for any -j)."""
    import torch

    from nas_surrogate.proxies.base import Batch
    from nas_surrogate.proxies.primitives import primitive_pass

    torch.set_num_threads(1)
    batch = Batch(batch.images.to(device), batch.labels.to(device), batch.n_classes)
    out = []
    for key in keys:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = build(key)
        out.append(primitive_pass(net.to(device), batch, max_bytes=max_bytes, seed=seed))
    return out


def primitives_of(
    keys: list[str],
    build,
    batch,
    *,
    max_bytes: int,
    seed: int,
    n_jobs: int = 1,
    device: str = "cpu",
) -> list:
    """The primitives of the networks ``build(key)``, in order: in ``n_jobs`` processes
    of one torch thread each on the CPU (the same numbers for any ``n_jobs``), or one
    after another on a GPU ``device``."""
    from joblib import Parallel, delayed

    parts = [keys[i : i + 16] for i in range(0, len(keys), 16)]
    if n_jobs == 1 or device != "cpu":
        results = [_passes(p, build, batch, max_bytes, seed, device) for p in parts]
    else:
        results = Parallel(n_jobs=n_jobs)(
            delayed(_passes)(p, build, batch, max_bytes, seed) for p in parts
        )
    return [p for part in results for p in part]


def compute_primitives(nets: Networks, rows: np.ndarray, config) -> list:
    """The primitives of networks ``rows`` of ``nets`` under ``config``'s settings."""
    keys = [nets.keys[i] for i in rows]
    return primitives_of(keys, nets.build, nets.batch, max_bytes=config.max_bytes,
                         seed=config.seed, n_jobs=config.n_jobs)  # fmt: skip


def _fingerprint(config, nets: Networks) -> dict:
    from nas_surrogate.experiments.fingerprint import file_digests, input_fingerprint

    files = [config.batch] if config.batch else []
    if config.results:
        files += [str(Path(config.results) / "results.csv"), str(Path(config.results) / "run.json")]
    if config.model:
        from nas_surrogate.experiments.nas_space import source_digest
        from nas_surrogate.models import load_builder

        files_model = {"model": config.model, "source": source_digest(load_builder(config.model))}
    else:
        files_model = {}
    inputs = (
        input_fingerprint([config.benchmark], config.data_dir, files)
        if config.benchmark
        else {"files": file_digests(files)}
    )
    settings = {k: getattr(config, k) for k in PRIMITIVE_SETTINGS}
    return {"from": "primitives", **settings, "inputs": inputs, **files_model}


#: the settings of ``evolve-proxy --from primitives`` that change its result
PRIMITIVE_SETTINGS = (
    "benchmark",
    "results",
    "sample",
    "holdout",
    "population",
    "iterations",
    "metric",
    "seed",
    "batch",
    "batch_size",
    "max_bytes",
)


def _table_baselines(bench, held: np.ndarray) -> list[dict]:
    """Kendall tau of each published proxy of the table on the held-out networks."""
    from nas_surrogate.analysis.lpzero_search import correlation

    rows = []
    for j, name in enumerate(bench.proxy_names):
        x = bench.proxy_scores[held, j]
        ok = np.isfinite(x)
        if ok.sum() > 2:
            y = bench.val_accuracy[held][ok]
            rows.append(
                {
                    "proxy": name,
                    "kendall": correlation(x[ok], y, "kendall"),
                    "spearman": correlation(x[ok], y, "spearman"),
                }
            )
    return sorted(rows, key=lambda r: -r["kendall"])


def _heldout(genome, nets: Networks, held: np.ndarray, config) -> dict:
    from nas_surrogate.analysis.lpzero_search import correlation
    from nas_surrogate.proxies.lpzero import PrimitiveTable, evaluate

    if not len(held):
        return {"networks": 0}
    scores = evaluate(genome, PrimitiveTable(compute_primitives(nets, held, config)))
    ok = np.isfinite(scores)
    y = nets.accuracy[held][ok]
    return {
        "networks": int(len(held)),
        "scored": int(ok.sum()),
        "kendall": correlation(scores[ok], y, "kendall"),
        "spearman": correlation(scores[ok], y, "spearman"),
    }


def evolve_from_primitives(config) -> dict:
    """Run (or resume) the search of ``config`` (an ``EvolveConfig`` with ``source``
    ``primitives``); returns the summary also written to ``summary.json``."""
    from nas_surrogate.analysis.lpzero_search import GPSettings, LPZeroSearch
    from nas_surrogate.experiments.runner import prepare_out_dir
    from nas_surrogate.proxies.lpzero import FILE_KIND, PrimitiveTable

    started = time.perf_counter()
    if bool(config.benchmark) == bool(config.results):
        raise BadInputError(
            "--benchmark / --results",
            "give exactly one source of fitness "
            "networks: -b TASK (a table NB201 builds) or --results DIR (a nas run)",
        )
    nets, fit, held, bench = from_benchmark(config) if config.benchmark else from_results(config)
    gp = GPSettings(population=config.population, iterations=config.iterations,
                    metric=config.metric, seed=config.seed)  # fmt: skip
    gp.validate(len(fit))
    y = nets.accuracy[fit]
    if np.ptp(y) == 0:
        raise BadInputError("fitness set", "accuracies are constant: nothing to rank")
    _passes(nets.keys[fit[0] : fit[0] + 1], nets.build, nets.batch, config.max_bytes, config.seed)
    out = Path(config.out)
    prepare_out_dir(out, "evolve-proxy", _fingerprint(config, nets))
    t = time.perf_counter()
    table = PrimitiveTable(compute_primitives(nets, fit, config))
    pass_seconds = (time.perf_counter() - t) / len(fit)
    search, state, resumed = _run_search(out, LPZeroSearch(table, y, gp))
    genome, fitness = search.best(state)
    heldout = _heldout(genome, nets, held, config)
    baselines = _table_baselines(bench, held) if bench is not None and len(held) else []
    doc = {
        "kind": FILE_KIND, "version": 1, "expression": genome.to_dict(), "readable": str(genome),
        "pass": {"max_bytes": config.max_bytes, "seed": config.seed, "batch": nets.batch_describe,
                 "seconds_per_network": pass_seconds, "batch_spec": nets.batch_spec},
        "fitness": {"metric": config.metric, "value": fitness, "networks": int(len(fit)),
                    "source": nets.describe},
        "heldout": heldout,
        "search": _search_record(search, state),
    }  # fmt: skip
    write_json_atomic(out / "proxy.json", doc)
    summary = {
        "command": "evolve-proxy", "from": "primitives", "proxy": str(out / "proxy.json"),
        "readable": str(genome), "fitness": fitness, "heldout": heldout,
        "table_proxies_heldout": baselines[:3], "resumed": resumed,
        "pass_seconds_per_network": pass_seconds, "search_seconds": state.seconds,
        "pruned": state.pruned, "evaluated": state.evaluated,
        "elapsed_seconds": time.perf_counter() - started,
    }  # fmt: skip
    write_json_atomic(out / "summary.json", summary)
    write_text_atomic(out / "results.md", _report(summary, doc))
    return summary


def _run_search(out: Path, search):
    """(search, final state, resumed): the search from ``out/state.json`` if a killed
    run left one, its state saved there at every checkpoint."""
    from nas_surrogate.analysis.lpzero_search import SearchState

    state_path = out / "state.json"
    state = None
    resumed = state_path.exists()
    if resumed:
        state = SearchState.from_dict(json.loads(state_path.read_text()), str(state_path))
    state = search.run(state, save=lambda s: write_json_atomic(state_path, s.to_dict()))
    write_json_atomic(state_path, state.to_dict())
    return search, state, resumed


def _search_record(search, state) -> dict:
    gp = search.settings
    return {"population": gp.population, "iterations": gp.iterations, "seed": gp.seed,
            "evaluated": state.evaluated, "pruned": state.pruned,
            "seconds_saved": search.seconds_saved(state), "seconds": state.seconds,
            "history": state.history}  # fmt: skip


def _report(summary: dict, doc: dict) -> str:
    h = summary["heldout"]
    lines = [
        "# evolve-proxy --from primitives",
        "",
        f"Proxy: `{summary['readable']}` ({doc['fitness']['metric']} "
        f"{summary['fitness']:.4f} on {doc['fitness']['networks']} fitness networks of "
        f"{doc['fitness']['source']}; batch: {doc['pass']['batch']}).",
        "",
    ]
    if h.get("networks"):
        lines += [
            f"Held-out ({h['scored']} of {h['networks']} networks never seen by the "
            f"search): Kendall tau {h['kendall']:.4f}, Spearman rho {h['spearman']:.4f}.",
            "",
        ]
    if summary["table_proxies_heldout"]:
        best = summary["table_proxies_heldout"]
        lines += ["Published proxies of the table on the same held-out networks (Kendall tau):", ""]
        lines += [f"- {r['proxy']}: {r['kendall']:.4f}" for r in best]
        lines.append("")
    lines += [
        f"Search: {doc['search']['evaluated']} expressions evaluated in "
        f"{summary['search_seconds']:.1f} s; primitives {summary['pass_seconds_per_network']:.3f} "
        f"s per network; pruned {summary['pruned']}.",
        "",
        f"Use it: `--features enc+zc+lpz:{summary['proxy']}` or "
        f"`--proxies lpz:{summary['proxy']}`.",
    ]
    return "\n".join(lines) + "\n"
