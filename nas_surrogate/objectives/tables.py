"""Objective tables (hardware costs, robust accuracy) -> per-cell arrays on a benchmark.

A table is a CSV with one row per cell of a space: one column of arch strings and
numeric columns of per-cell values (HW-NAS-Bench's ``hw_DATASET.csv``: latency in ms and
energy in mJ on six devices; the NB201 robustness dataset: accuracy under attack). It is
recognised by its content, never by its name:

- the arch column is the one whose every value parses as a cell of the benchmark's
  space; a table with no such column does not belong to that benchmark;
- a table with a column that *is* the benchmark's accuracy (the same value for every
  shared network, within 0.05 points) holds **evaluated** objectives (each costs a query,
  like accuracy) and belongs to that task; its columns are maximised. A column equal
  to the accuracy on most shared networks but not all is refused, naming the first cell
  that differs: a damaged accuracy column is never taken for a cost;
- any other table holds **known** costs (available for every candidate before any
  training). Its values do not say which dataset they were measured for: that comes from
  an explicit ``TASK=PATH`` or from a ``_``-separated token of the file name equal to the
  task (``hw_cifar10.csv``). Known columns are minimised (``...intensity``: maximised).

A known value of exactly -1 is HW-NAS-Bench's "not measured" marker (4,699 Edge TPU cells):
such cells are no candidates of a search on that objective (counted in its summary).
Values stay per *cell*: two cells of one network may differ in latency (a dead-edge op
still runs unless pruned), while accuracy is a property of the network. Policies: a cell
listed twice, a NaN, or a negative cost in a used column is refused naming the file,
column and cell; a file over ``MAX_TABLE_BYTES`` is refused before it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark, ObjectiveColumn
from nas_surrogate.errors import BadInputError
from nas_surrogate.objectives.spec import ACCURACY
from nas_surrogate.spaces.product import ProductSpace

MAX_TABLE_BYTES = 256 << 20
MAX_COLUMNS = 1000
#: most CSV files looked at in one objective-data folder
MAX_FILES = 200
#: the accuracy column of an evaluated table must match the benchmark's this closely
ACCURACY_TOLERANCE = 0.05
#: a column equal to the accuracy on this share of networks but not all is refused: a
#: damaged accuracy column, never silently a cost
NEAR_MATCH = 0.5
#: HW-NAS-Bench's value for a cell a device could not run (every other negative is refused)
NOT_MEASURED = -1.0


@dataclass(frozen=True)
class RawTable:
    path: str
    task: str | None  # explicit TASK=PATH
    header: tuple[str, ...]
    columns: dict[str, np.ndarray]  # numeric columns
    text_columns: dict[str, list[str]]


def split_source(item: str) -> tuple[str | None, Path]:
    """``TASK=PATH`` or ``PATH``."""
    task, sep, path = item.partition("=")
    if sep and "/" not in task and task:
        return task, Path(path).expanduser()
    return None, Path(item).expanduser()


def table_files(sources: list[str]) -> list[tuple[str | None, Path]]:
    """Every CSV named by ``sources`` (files, or folders searched two levels deep)."""
    out: list[tuple[str | None, Path]] = []
    for item in sources:
        task, path = split_source(item)
        if path.is_dir():
            found = sorted(path.glob("*.csv")) + sorted(path.glob("*/*.csv"))
            out += [(task, p.resolve()) for p in found[:MAX_FILES] if p.is_file()]
        elif path.is_file():
            out.append((task, path.resolve()))
        else:
            raise BadInputError(f"--objective-data {item}", "no such file or folder")
    return out


#: longest header line read (1,000 columns of 64-character names fit several times)
MAX_HEADER_BYTES = 256 << 10


def _check_header(path: str) -> None:
    """The header's length, column count and distinct names, before pandas parses the
    file: a data JSON passed as a table took 280 s to reach "179455 columns", and a
    header repeating one name 40,000 times 16.5 s (pandas de-duplicates quadratically)."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as f:
            line = f.readline(MAX_HEADER_BYTES + 1)
    except (OSError, UnicodeDecodeError) as e:
        raise BadInputError(path, f"not a CSV table ({type(e).__name__})") from None
    if len(line) > MAX_HEADER_BYTES:
        raise BadInputError(path, f"first line longer than {MAX_HEADER_BYTES} characters: "
                            "not a CSV table's header")  # fmt: skip
    try:
        names = next(csv.reader([line]), [])
    except csv.Error as e:
        raise BadInputError(path, f"not a CSV table ({e})") from None
    if len(names) > MAX_COLUMNS:
        raise BadInputError(path, f"{len(names)} columns (at most {MAX_COLUMNS})")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise BadInputError(path, f"column {name[:60]!r} is named twice")
        seen.add(name)


@lru_cache(maxsize=16)
def _read(path: str, size: int, mtime: float) -> tuple[tuple[str, ...], dict, dict]:
    import pandas as pd

    _check_header(path)
    try:
        frame = pd.read_csv(path, nrows=1_000_000)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise BadInputError(path, f"not a CSV table ({str(e).splitlines()[0][:120]})") from None
    if frame.shape[1] > MAX_COLUMNS:
        raise BadInputError(path, f"{frame.shape[1]} columns (at most {MAX_COLUMNS})")
    if len(frame) == 0:
        raise BadInputError(path, "has a header but no rows")
    numeric, text = {}, {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype.kind in "if":
            numeric[str(name)] = col.to_numpy(dtype=float)
            continue
        _refuse_mostly_numeric(path, str(name), col)
        text[str(name)] = col.astype(str).tolist()
    return tuple(map(str, frame.columns)), numeric, text


def _refuse_mostly_numeric(path: str, name: str, col) -> None:
    """A column of numbers with a few stray words is a damaged cost column, not text: it
    used to vanish, and asking for it said "did you mean". Name the row and value."""
    import pandas as pd

    as_numbers = pd.to_numeric(col, errors="coerce")
    parsed = as_numbers.notna() | col.isna()
    if parsed.mean() >= 0.5 and not parsed.all():
        i = int(np.flatnonzero(~parsed.to_numpy())[0])
        raise BadInputError(
            f"{path}: column {name}",
            f"line {i + 2} holds {str(col.iloc[i])[:40]!r}, not a number",
        )


def read_table(path: Path, task: str | None = None) -> RawTable:
    if not path.is_file():
        raise BadInputError(str(path), "not a regular file")
    stat = path.stat()
    if stat.st_size > MAX_TABLE_BYTES:
        raise BadInputError(str(path), f"{stat.st_size} bytes (at most {MAX_TABLE_BYTES})")
    header, numeric, text = _read(str(path), stat.st_size, stat.st_mtime)
    return RawTable(str(path), task, header, numeric, text)


def _arch_codes(table: RawTable, bench: Benchmark) -> np.ndarray | None:
    """Space code of each row's cell, from the one column that parses in the space."""
    space = bench.space
    if not isinstance(space, ProductSpace):
        return None
    for values in table.text_columns.values():
        try:
            archs = space.parse_many(values)
        except BadInputError:
            continue
        codes = space.encode_codes(archs)
        uniq, counts = np.unique(codes, return_counts=True)
        if (counts > 1).any():
            dup = space.format(space.decode_codes(uniq[counts > 1][:1])[0])
            raise BadInputError(table.path, f"cell {dup} is listed twice")
        return codes
    return None


def _is_accuracy_of(table: RawTable, codes: np.ndarray, bench: Benchmark) -> str | None:
    """The column that is ``bench``'s accuracy on every shared network, if any."""
    space = bench.space
    bench_codes = space.encode_codes(bench.archs)
    shared, t_idx, b_idx = np.intersect1d(codes, bench_codes, return_indices=True)
    if len(shared) < min(10, bench.n_archs):
        return None
    truth = bench.val_accuracy[b_idx]
    for name, col in table.columns.items():
        diff = np.abs(col[t_idx] - truth)
        close = np.isfinite(diff) & (diff <= ACCURACY_TOLERANCE)
        if close.all():
            return name
        if close.mean() >= NEAR_MATCH:  # the accuracy with a damaged row: not a cost column
            i = int(np.flatnonzero(~close)[0])
            cell = space.format(space.decode_codes(shared[i : i + 1])[0])
            raise BadInputError(
                f"{table.path}: column {name}",
                f"is {bench.id}'s accuracy on {int(close.sum()):,} of {len(close):,} shared "
                f"networks but differs on cell {cell} ({col[t_idx][i]:g} vs {truth[i]:g}): "
                "fix that row (a near-match is neither an accuracy nor a cost)",
            )
    return None


def _name_has_task(path: str, task: str) -> bool:
    tokens = Path(path).stem.lower().split("_")
    return task.lower() in tokens


def _direction(name: str, known: bool) -> bool:
    """Whether a column is maximised (accuracies, arithmetic intensity) or minimised."""
    if not known:
        return True
    return "intensity" in name.lower()


def attach_tables(
    bench: Benchmark, sources: list[str], explicit: bool = False
) -> tuple[Benchmark, list[str]]:
    """``bench`` with the objective columns of every table in ``sources`` that belongs to
    it; also the notes on tables that could not be placed (said in errors). ``explicit``:
    a file named directly (not found in a folder) that is no table of this space is
    refused rather than skipped."""
    from dataclasses import replace

    objectives: dict[str, ObjectiveColumn] = dict(bench.objectives)
    notes: list[str] = []
    n_codes = getattr(bench.space, "n_codes", 0)
    named = {split_source(s)[1].resolve() for s in sources if split_source(s)[1].is_file()}
    for task, path in table_files(sources):
        table = read_table(path, task)
        codes = _arch_codes(table, bench)
        if codes is None:
            if explicit and path.resolve() in named:
                raise BadInputError(
                    table.path, f"no column holds {bench.space.name} cells (arch strings)"
                )
            continue
        accuracy = _is_accuracy_of(table, codes, bench)
        if accuracy is None:
            if table.task is not None:
                if table.task != bench.task:
                    continue
            elif not _name_has_task(table.path, bench.task):
                if not any(_name_has_task(table.path, t) for t in _TASK_WORDS):
                    notes.append(
                        f"the dataset of {Path(table.path).name} is not in its name: pass "
                        f"--objective-data {bench.task}=FILE"
                    )
                continue
        elif table.task is not None and table.task != bench.task:
            continue
        for name, col in table.columns.items():
            if name == accuracy:
                continue
            if name == ACCURACY:  # would replace the benchmark's own accuracy objective
                raise BadInputError(
                    f"{table.path}: column {name}",
                    f"differs from {bench.id}'s validation accuracy, which no table "
                    "replaces: rename the column",
                )
            values = np.full(n_codes, np.nan)
            values[codes] = col
            listed = np.zeros(n_codes, dtype=bool)
            listed[codes] = True
            known = accuracy is None
            unmeasured = listed & (values == NOT_MEASURED) if known else np.zeros_like(listed)
            if name in objectives and objectives[name].source != table.path:
                raise BadInputError(
                    table.path, f"column {name} is also in {objectives[name].source}"
                )
            objectives[name] = ObjectiveColumn(
                values=values, known=known, maximize=_direction(name, known),
                source=table.path, listed=listed, unmeasured=unmeasured,
            )  # fmt: skip
    return replace(bench, objectives=objectives), notes


#: task names a file name may carry (another task's table is not this one's)
_TASK_WORDS = (
    "cifar10",
    "cifar100",
    "imagenet16-120",
    "imagenet",
    "imagenet16",
)
