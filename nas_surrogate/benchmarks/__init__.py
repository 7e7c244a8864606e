"""Benchmark registry: every benchmark id, how to load it, and where its data lives.

Data dir resolution (one place): the ``data_dir`` argument (``--data-dir``), else
``$NAS_SURROGATE_DATA``, else none, in which case ``nasbench201/cifar10`` is served from
the embedded demo table (the whole NB201 space) and NAS-Bench-Suite-Zero ids say how to
get the files. A data dir may hold NB-Suite-Zero files (any names, either layout, see
``nbsz``) directly or in an ``nbsz/`` subfolder; the NB-Suite-Zero ids it offers are the
(space, task) pairs its files hold, registered ones (the 19 published tasks) or not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nas_surrogate.benchmarks.base import NOT_TABULATED, Benchmark
from nas_surrogate.benchmarks.demo import DEMO_ID, load_demo
from nas_surrogate.benchmarks.nasbench_graph import (
    GRAPH_DATASETS,
    graph_data_file,
    load_nasbench_graph,
)
from nas_surrogate.benchmarks.nb201_full import analog_data_file, load_nb201_full
from nas_surrogate.benchmarks.nbsz import NBSZ_TASKS, TaskSource, catalog, holds_data, load_task
from nas_surrogate.cache import cached
from nas_surrogate.errors import BadInputError
from nas_surrogate.registry import Registry

DATA_ENV = "NAS_SURROGATE_DATA"


@dataclass(frozen=True)
class BenchmarkEntry:
    """How to load one benchmark id; ``sources`` lists the files its cache key hashes."""

    id: str
    needs_data_dir: bool
    sources: Callable[[Path | None], list[Path]]
    build: Callable[[Path | None], Benchmark]
    #: an NB-Suite-Zero id: available where the data dir's files hold it
    in_files: bool = False

    def load(self, data_dir: Path | None) -> Benchmark:
        if self.needs_data_dir and data_dir is None:
            if self.id == DEMO_ID:
                return load_demo()
            raise BadInputError(
                self.id,
                f"needs the NAS-Bench-Suite-Zero files: pass --data-dir or set {DATA_ENV}",
            )
        sources = self.sources(data_dir)
        for src in sources:
            if not src.is_file():
                raise BadInputError(str(src), f"not found (needed for {self.id})")
        return cached(self.id, sources, lambda: self.build(data_dir))

    def available(self, data_dir: Path | None) -> bool:
        if self.needs_data_dir and data_dir is None:
            return self.id == DEMO_ID
        if self.in_files:
            return self.id in catalog(data_dir)  # type: ignore[arg-type]
        return all(p.is_file() for p in self.sources(data_dir))


BENCHMARKS: Registry[BenchmarkEntry] = Registry("benchmark")


def _task_source(data_dir: Path | None, bench_id: str) -> TaskSource:
    found = catalog(data_dir) if data_dir is not None else {}
    if bench_id not in found:
        held = ", ".join(found) or "none"
        raise BadInputError(bench_id, f"not in the files of {data_dir} (they hold: {held})")
    return found[bench_id]


def _nbsz_entry(bench_id: str) -> BenchmarkEntry:
    return BenchmarkEntry(
        id=bench_id,
        needs_data_dir=True,
        sources=lambda d: _task_source(d, bench_id).files(),
        build=lambda d: load_task(_task_source(d, bench_id)),
        in_files=True,
    )


def _register_graph(dataset: str) -> None:
    BENCHMARKS.register(
        f"nasbenchgraph/{dataset}",
        BenchmarkEntry(
            id=f"nasbenchgraph/{dataset}",
            needs_data_dir=False,
            sources=lambda _: [graph_data_file(dataset)],
            build=lambda _: load_nasbench_graph(dataset),
        ),
    )


for _space, _tasks in NBSZ_TASKS.items():
    for _task in _tasks:
        BENCHMARKS.register(f"{_space}/{_task}", _nbsz_entry(f"{_space}/{_task}"))
BENCHMARKS.register(
    "nasbench201_full/cifar10",
    BenchmarkEntry(
        id="nasbench201_full/cifar10",
        needs_data_dir=False,
        sources=lambda _: [analog_data_file()],
        build=lambda _: load_nb201_full(),
    ),
)
for _dataset in GRAPH_DATASETS:
    _register_graph(_dataset)


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The NB-Suite-Zero folder to read, or None for the embedded demo only."""
    where = "--data-dir"
    if data_dir is None or str(data_dir) == "":
        data_dir = os.environ.get(DATA_ENV) or None
        where = DATA_ENV
        if data_dir is None:
            return None
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise BadInputError(f"{where} {path}", "is not a directory")
    for candidate in (path, path / "nbsz"):
        if candidate.is_dir() and holds_data(candidate):
            return candidate.resolve()  # absolute: workers and kernels may run elsewhere
    raise BadInputError(f"{where} {path}", "holds no NAS-Bench-Suite-Zero .json or .zip files")


def _entry(bench_id: str, data_dir: Path | None) -> BenchmarkEntry:
    """The registered entry, or one for an id only this data dir's files hold."""
    if bench_id not in BENCHMARKS and data_dir is not None and bench_id in catalog(data_dir):
        return _nbsz_entry(bench_id)
    return BENCHMARKS.get(bench_id)


def load_benchmark(bench_id: str, data_dir: str | Path | None = None) -> Benchmark:
    """Load one benchmark by id (see ``benchmark_ids()``), cached after the first parse."""
    resolved = resolve_data_dir(data_dir)
    return _entry(bench_id, resolved).load(resolved)


def source_files(bench_id: str, data_dir: str | Path | None = None) -> list[Path]:
    """The files a benchmark's numbers come from (the embedded demo file without a
    data dir): what a results folder's fingerprint hashes."""
    from importlib import resources

    from nas_surrogate.benchmarks.demo import DEMO_FILE

    resolved = resolve_data_dir(data_dir)
    entry = _entry(bench_id, resolved)
    if entry.needs_data_dir and resolved is None:
        ref = resources.files("nas_surrogate.benchmarks") / "demo_data" / DEMO_FILE
        return [Path(str(ref))]
    return entry.sources(resolved)


def benchmark_ids() -> list[str]:
    return BENCHMARKS.names()


def available_benchmarks(data_dir: str | Path | None = None) -> list[str]:
    """Ids loadable with this data dir (all registered ids whose files are present)."""
    resolved = resolve_data_dir(data_dir)
    ids = [name for name, entry in BENCHMARKS.items() if entry.available(resolved)]
    extra = [] if resolved is None else [b for b in catalog(resolved) if b not in BENCHMARKS]
    return ids + extra


def expand_benchmark_ids(spec: str, data_dir: str | Path | None = None) -> list[str]:
    """Ids from a comma list whose items are ids or groups.

    Groups: ``all`` (every available id), ``nbsz`` (the 19 NAS-Bench-Suite-Zero tasks),
    or a space prefix such as ``transbench101_micro`` or ``nasbenchgraph`` (its tasks).
    Unknown items get "did you mean".
    """
    ids: list[str] = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item == "all":
            group = available_benchmarks(data_dir)
        elif item == "nbsz":
            group = [b for b in BENCHMARKS if b.split("/")[0] in NBSZ_TASKS]
        elif "/" not in item and any(b.startswith(f"{item}/") for b in BENCHMARKS):
            group = [b for b in BENCHMARKS if b.startswith(f"{item}/")]
        else:
            _entry(item, resolve_data_dir(data_dir))
            group = [item]
        ids += [b for b in group if b not in ids]
    if not ids:
        raise BadInputError(f"--benchmark {spec!r}", "names no benchmark")
    return ids


__all__ = [
    "BENCHMARKS",
    "NOT_TABULATED",
    "Benchmark",
    "available_benchmarks",
    "benchmark_ids",
    "expand_benchmark_ids",
    "load_benchmark",
    "resolve_data_dir",
    "source_files",
]
