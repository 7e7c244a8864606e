"""NAS-Bench-Suite-Zero files -> ``Benchmark``, recognised by their content.

A data dir may hold any number of ``*.json`` files and zen ``*.zip`` archives, named
anything. Each JSON file is read once and its layout detected from its structure, per
file (different releases use different layouts for the same space):

- "old" ``{task: {arch: {"idx", "arch", PROXY: {"score", "time"}, ..., "val_accuracy"}}}``:
  the space is not written in the file, so it is inferred from the content: the task
  names narrow the candidates (``cifar10`` ... vs TransNAS tasks) and the arch strings
  must parse in the space (an NB301 genotype, a 56-int NB101 string, a 6-tuple with
  NB201's 5 ops or TransNAS micro's 4 ops or a macro skeleton). Only when two spaces
  fit every arch does the file name ``zc_SPACE.json`` break the tie;
- "new" ``{space: {task: {arch: {PROXY: score, ..., "val_accuracy"}}}}``.

A file may hold any subset of tasks; the ids a data dir offers are the (space, task)
pairs its files hold. A zen archive (members ``.../benchmark--SPACE--TASK--N.json``,
each a list of ``{"arch", "zen": {"score", "time"}, "val_accuracy"}``) adds zen to the
task it names; archs only the archive has are appended with its val_accuracy.

Policies, each decided once here:
- every row is kept; failed or non-finite scores become NaN (``sanitize_scores``);
- a proxy with no finite score on a task is not exposed for that task (NASLib wrote
  -1e8 for every epe_nas score on most TransNAS tasks);
- accuracies are never rescaled;
- arch strings are kept as tabulated: a cell is a cell (NAS-Bench-201 trained every one
  of its 15,625 cells). Look-ups and searches go by network (the space's canonical
  key), where the first row of each network answers; ``Benchmark.n_networks`` says how
  many distinct networks a table holds;
- a missing ``time`` is not a free proxy: ``with_default_costs`` charges the documented
  per-proxy default (``proxy_names.DEFAULT_PROXY_SECONDS``) and says so in
  ``Benchmark.cost_source``;
- the same (space, task) in two files is refused (rows of different releases must not
  be mixed), naming both files.

Bounds: a JSON file over ``MAX_JSON_BYTES``, a zip member over ``MAX_MEMBER_BYTES`` or an
archive over ``MAX_ZIP_BYTES`` decompressed is refused before it is read in full.
"""

from __future__ import annotations

import contextlib
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.errors import BadInputError
from nas_surrogate.proxy_names import PROXY_NAMES, sanitize_scores, with_default_costs
from nas_surrogate.spaces import get_space

TRANSNAS_TASKS: tuple[str, ...] = (
    "class_scene",
    "class_object",
    "autoencoder",
    "normal",
    "jigsaw",
    "room_layout",
    "segmentsemantic",
)
IMAGE_TASKS: tuple[str, ...] = ("cifar10", "cifar100", "ImageNet16-120")

#: space -> the tasks NAS-Bench-Suite-Zero publishes for it (the registered ids)
NBSZ_TASKS: dict[str, tuple[str, ...]] = {
    "nasbench201": IMAGE_TASKS,
    "nasbench101": ("cifar10",),
    "nasbench301": ("cifar10",),
    "transbench101_micro": TRANSNAS_TASKS,
    "transbench101_macro": TRANSNAS_TASKS,
}
SOURCE = "NAS-Bench-Suite-Zero (NASLib, Apache-2.0)"

MAX_JSON_BYTES = 1 << 30
MAX_MEMBER_BYTES = 256 << 20
MAX_ZIP_BYTES = 1 << 30
EXPECTED_LAYOUTS = (
    "expected {task: {arch: {proxy..., val_accuracy}}} (old layout) or "
    "{space: {task: {arch: {proxy..., val_accuracy}}}} (new layout)"
)
_ZEN_MEMBER = re.compile(
    r"benchmark--(?P<space>[A-Za-z0-9_]+)--(?P<task>[^/]+?)--(?P<n>\d+)\.json$"
)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInputError(where, f"expected a number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise BadInputError(where, "number out of range") from None


def _unique_keys(where: str):
    """A JSON object hook refusing a key written twice (json keeps the last one silently:
    a duplicated arch would change its accuracy, a duplicated task drop networks)."""

    def hook(pairs: list[tuple[str, object]]) -> dict:
        out = dict(pairs)
        if len(out) < len(pairs):
            seen: set[str] = set()
            dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise BadInputError(where, f"key {dup!r} appears twice in one object")
        return out

    return hook


def _loads(raw: bytes, where: str) -> object:
    """JSON with integers read as floats (a 400-digit integer is a number out of range,
    not a crash), a key written twice refused, and nesting depth errors reported as bad
    input."""
    try:
        return json.loads(raw, parse_int=float, object_pairs_hook=_unique_keys(where))
    except json.JSONDecodeError as e:
        raise BadInputError(where, f"not valid JSON ({e.msg} at line {e.lineno})") from None
    except UnicodeDecodeError:
        raise BadInputError(where, "not UTF-8 text") from None
    except RecursionError:
        raise BadInputError(where, "nested too deeply") from None
    except ValueError as e:
        raise BadInputError(where, f"not valid JSON ({e})") from None


@lru_cache(maxsize=8)
def _read_json(path: str, digest: str) -> object:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except OSError as e:
        raise BadInputError(path, f"cannot be read ({e.strerror})") from None
    if len(raw) > MAX_JSON_BYTES:
        raise BadInputError(path, f"larger than {MAX_JSON_BYTES >> 20} MiB")
    return _loads(raw, path)


def read_json(path: Path) -> object:
    from nas_surrogate.cache import file_digest

    try:
        digest = file_digest(path)
    except OSError as e:
        raise BadInputError(str(path), f"cannot be read ({e.strerror})") from None
    return _read_json(str(path), digest)


# -- layouts -------------------------------------------------------------------------------
def _first(value: object) -> object:
    return next(iter(value.values()), None) if isinstance(value, dict) else None


def _is_record(value: object) -> bool:
    return isinstance(value, dict) and "val_accuracy" in value


def split_tables(doc: object, where: str) -> tuple[str, list[tuple[str | None, str, dict]]]:
    """(layout, [(space or None for "old", task, {arch: record})]) of one parsed file."""
    if not isinstance(doc, dict) or not doc:
        raise BadInputError(where, EXPECTED_LAYOUTS)
    layouts: dict[str, str] = {}
    tables: list[tuple[str | None, str, dict]] = []
    for key, value in doc.items():
        if value == {}:  # a task (or space) with no architectures holds nothing
            continue
        first = _first(value)
        if _is_record(first):
            layouts.setdefault("old", key)
            tables.append((None, key, value))
        elif isinstance(first, dict) and _is_record(_first(first)):
            layouts.setdefault("new", key)
            for task, records in value.items():
                if records == {}:
                    continue
                if not _is_record(_first(records)):
                    raise BadInputError(f"{where}: {key}/{task}", EXPECTED_LAYOUTS)
                tables.append((key, task, records))
        else:
            raise BadInputError(f"{where}: {key}", EXPECTED_LAYOUTS)
    if len(layouts) > 1:
        raise BadInputError(
            where,
            f"mixes layouts: {layouts['old']!r} is {{arch: record}} (old) but "
            f"{layouts['new']!r} is {{task: {{arch: record}}}} (new)",
        )
    return next(iter(layouts), "old"), tables


def _parses(space_name: str, archs: list[str]) -> bool:
    space = get_space(space_name)
    try:
        for text in archs:
            space.parse(text)
    except BadInputError:
        return False
    return True


def infer_space(path: Path, tasks: list[str], records: list[dict]) -> str:
    """The space of an old-layout file, from its task names and arch strings."""
    if all(t in TRANSNAS_TASKS for t in tasks):
        candidates = ["transbench101_micro", "transbench101_macro"]
    elif all(t in IMAGE_TASKS for t in tasks):
        candidates = ["nasbench201", "nasbench301", "nasbench101"]
    else:
        candidates = list(NBSZ_TASKS)
    sample = [a for recs in records for a in list(recs)[:200]]
    fits = [s for s in candidates if _parses(s, sample)]
    if len(fits) > 1 and path.stem.removeprefix("zc_") in fits:
        return path.stem.removeprefix("zc_")
    if len(fits) > 1:
        raise BadInputError(f"{path}", f"its arch strings fit several spaces ({', '.join(fits)})")
    if not fits:
        space = get_space(candidates[0])
        for text in sample:  # name the first arch that fails in the likeliest space
            try:
                space.parse(text)
            except BadInputError as e:
                raise BadInputError(
                    f"{path}: {text}", f"parses in no known space ({space.name}: {e.why})"
                ) from None
    return fits[0]


@dataclass(frozen=True)
class TaskSource:
    """Where one (space, task) lives: a JSON file (and its layout), maybe a zen zip."""

    space: str
    task: str
    path: Path
    layout: str
    zen_zip: Path | None = None

    @property
    def id(self) -> str:
        return f"{self.space}/{self.task}"

    def files(self) -> list[Path]:
        return [self.path] + ([self.zen_zip] if self.zen_zip else [])


def describe_json(path: Path) -> list[tuple[str, str, str]]:
    """[(space, task, layout)] held by one JSON file."""
    layout, tables = split_tables(read_json(path), str(path))
    if not tables:
        return []
    if layout == "new":
        for space, _task, _ in tables:
            if space not in NBSZ_TASKS:
                known = ", ".join(NBSZ_TASKS)
                raise BadInputError(f"{path}: {space}", f"unknown space (known: {known})")
        return [(str(space), task, layout) for space, task, _ in tables]
    space = infer_space(path, [t for _, t, _ in tables], [r for _, _, r in tables])
    return [(space, task, layout) for _, task, _ in tables]


def _zen_members(z: zipfile.ZipFile, where: str) -> dict[tuple[str, str], list[zipfile.ZipInfo]]:
    members: dict[tuple[str, str], list[tuple[int, zipfile.ZipInfo]]] = {}
    total = 0
    for info in z.infolist():
        if info.is_dir() or not info.filename.endswith(".json"):
            continue
        m = _ZEN_MEMBER.search(info.filename)
        if m is None:
            raise BadInputError(
                f"{where}:{info.filename}", "expected a member named benchmark--SPACE--TASK--N.json"
            )
        if info.file_size > MAX_MEMBER_BYTES:
            raise BadInputError(f"{where}:{info.filename}", "member too large when decompressed")
        total += info.file_size
        key = (m["space"], m["task"])
        members.setdefault(key, []).append((int(m["n"]), info))
    if total > MAX_ZIP_BYTES:
        raise BadInputError(where, f"decompresses to more than {MAX_ZIP_BYTES >> 20} MiB")
    return {k: [i for _, i in sorted(v, key=lambda t: t[0])] for k, v in members.items()}


def _open_zip(path: Path):
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise BadInputError(str(path), f"not a readable zip file ({e})") from None


def describe_zip(path: Path) -> list[tuple[str, str]]:
    """[(space, task)] with zen scores in one archive."""
    with _open_zip(path) as z:
        return sorted(_zen_members(z, str(path)))


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> object:
    try:
        with z.open(info) as f:
            raw = f.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
        raise BadInputError(where, f"corrupt member ({e})") from None
    except NotImplementedError:
        raise BadInputError(where, "uses an unsupported compression method") from None
    except RuntimeError as e:  # encrypted
        raise BadInputError(where, f"cannot be read ({e})") from None
    if len(raw) > MAX_MEMBER_BYTES:
        raise BadInputError(where, "member too large when decompressed")
    return _loads(raw, where)


def read_zen(zip_path: Path, space: str, task: str) -> dict[str, dict]:
    """{arch: record} of the zen archive for one task."""
    where = str(zip_path)
    records: dict[str, dict] = {}
    with _open_zip(zip_path) as z:
        for info in _zen_members(z, where).get((space, task), []):
            at = f"{where}:{info.filename}"
            items = _read_member(z, info, at)
            if not isinstance(items, list):
                raise BadInputError(at, "expected a list of records")
            for rec in items:
                if not isinstance(rec, dict) or not isinstance(rec.get("arch"), str):
                    raise BadInputError(at, "record without a string 'arch'")
                if not isinstance(rec.get("zen"), dict):
                    raise BadInputError(f"{at}: {rec['arch']}", "missing field 'zen'")
                records[rec["arch"]] = rec
    if not records:
        raise BadInputError(where, f"has no zen chunks for {space}/{task}")
    return records


# -- the catalog of a data dir -----------------------------------------------------------
def _data_files(data_dir: Path, suffix: str) -> list[Path]:
    return sorted(p for p in data_dir.glob(f"*{suffix}") if p.is_file())


def catalog(data_dir: Path) -> dict[str, TaskSource]:
    """Every (space, task) the files of ``data_dir`` hold, by id.

    Raises BadInputError for a file of neither layout, or a task held by two files."""
    from nas_surrogate.cache import file_digest

    found: dict[str, TaskSource] = {}
    for path in _data_files(data_dir, ".json"):
        for space, task, layout in _describe_json_cached(str(path), file_digest(path)):
            key = f"{space}/{task}"
            if key in found:
                raise BadInputError(
                    key, f"is in both {found[key].path} and {path}; keep one per data dir"
                )
            found[key] = TaskSource(space, task, path, layout)
    for zpath in _data_files(data_dir, ".zip"):
        for space, task in _describe_zip_cached(str(zpath), file_digest(zpath)):
            key = f"{space}/{task}"
            if key in found:
                src = found[key]
                found[key] = TaskSource(src.space, src.task, src.path, src.layout, zpath)
    return found


@lru_cache(maxsize=64)
def _describe_json_cached(path: str, digest: str) -> tuple[tuple[str, str, str], ...]:
    """What a file holds, remembered on disk by its SHA-256 (so a command does not parse
    every file of the data dir again); an unreadable or malformed entry is a miss."""
    from nas_surrogate.cache import PARSER_VERSION, cache_dir
    from nas_surrogate.io import write_json_atomic

    root = cache_dir()
    entry = None if root is None else root / f"layout-v{PARSER_VERSION}-{digest[:32]}.json"
    if entry is not None and entry.is_file():
        try:
            rows = json.loads(entry.read_text())
            if all(isinstance(r, list) and len(r) == 3 and all(isinstance(v, str) for v in r)
                   for r in rows):  # fmt: skip
                return tuple(tuple(r) for r in rows)
        except (OSError, ValueError, TypeError):
            pass
    found = tuple(describe_json(Path(path)))
    if entry is not None:
        with contextlib.suppress(OSError):  # a read-only cache only costs speed
            write_json_atomic(entry, [list(r) for r in found])
    return found


@lru_cache(maxsize=16)
def _describe_zip_cached(path: str, digest: str) -> tuple[tuple[str, str], ...]:
    return tuple(describe_zip(Path(path)))


def holds_data(data_dir: Path) -> bool:
    """Whether ``data_dir`` has any file this loader reads."""
    return bool(_data_files(data_dir, ".json") or _data_files(data_dir, ".zip"))


# -- parsing one task ----------------------------------------------------------------------
def _task_records(src: TaskSource) -> dict[str, dict]:
    layout, tables = split_tables(read_json(src.path), str(src.path))
    for space, task, records in tables:
        if task == src.task and (space is None or space == src.space):
            return records
    raise BadInputError(str(src.path), f"has no task {src.task!r}")


def _parse_records(
    records: dict[str, dict], where: str
) -> tuple[list[str], np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """(arch strings, val_accuracy, {proxy: (scores, seconds)}) with NaN for absent."""
    archs = list(records)
    n = len(archs)
    val = np.empty(n)
    cols = {p: (np.full(n, np.nan), np.full(n, np.nan)) for p in PROXY_NAMES}
    for i, (arch, rec) in enumerate(records.items()):
        at = f"{where}/{arch}"
        if not isinstance(rec, dict):
            raise BadInputError(at, f"expected an object, got {type(rec).__name__}")
        if "val_accuracy" not in rec:
            raise BadInputError(at, "missing field 'val_accuracy'")
        val[i] = _number(rec["val_accuracy"], f"{at}/val_accuracy")
        for proxy, (scores, seconds) in cols.items():
            if proxy not in rec:
                continue
            value = rec[proxy]
            if isinstance(value, dict):
                if "score" not in value:
                    raise BadInputError(f"{at}/{proxy}", "missing field 'score'")
                scores[i] = _number(value["score"], f"{at}/{proxy}/score")
                if "time" in value:
                    seconds[i] = _number(value["time"], f"{at}/{proxy}/time")
            else:
                scores[i] = _number(value, f"{at}/{proxy}")
    if not np.isfinite(val).all():
        bad = archs[int(np.flatnonzero(~np.isfinite(val))[0])]
        raise BadInputError(f"{where}/{bad}/val_accuracy", "not a finite number")
    return archs, val, cols


def _merge_zen(records: dict[str, dict], zen: dict[str, dict]) -> dict[str, dict]:
    """Main-file rows gain their zen score; zen-only archs are appended with the zip's
    val_accuracy, so no architecture of either source is lost."""
    merged = {a: {**rec, "zen": zen[a]["zen"]} if a in zen else rec for a, rec in records.items()}
    merged.update({a: rec for a, rec in zen.items() if a not in records})
    return merged


def load_task(src: TaskSource) -> Benchmark:
    """Parse one (space, task) from its file (and zen archive)."""
    space = get_space(src.space)
    records = _task_records(src)
    if not isinstance(records, dict) or not records:
        raise BadInputError(f"{src.path}: {src.task}", "expected a non-empty object of archs")
    where = f"{src.path}: {src.task}"
    if src.zen_zip is not None:
        records = _merge_zen(records, read_zen(src.zen_zip, src.space, src.task))
    arch_strings, val, cols = _parse_records(records, where)

    archs = np.empty((len(arch_strings), space.arch_dim), dtype=np.int64)
    for i, text in enumerate(arch_strings):
        try:
            archs[i] = space.parse(text)
        except BadInputError as e:
            raise BadInputError(f"{where}/{text}", e.why) from None

    names, scores, seconds = [], [], []
    for proxy in PROXY_NAMES:
        s = sanitize_scores(cols[proxy][0])
        if np.isfinite(s).any():
            names.append(proxy)
            scores.append(s)
            seconds.append(cols[proxy][1])
    n = len(archs)
    zen_note = f" + {src.zen_zip.name}" if src.zen_zip is not None and "zen" in names else ""
    bench = Benchmark(
        id=src.id,
        space=space,
        archs=archs,
        val_accuracy=val,
        proxy_names=tuple(names),
        proxy_scores=np.column_stack(scores) if names else np.empty((n, 0)),
        proxy_seconds=np.column_stack(seconds) if names else np.empty((n, 0)),
        source=f"{SOURCE}: {src.path.name} ({src.layout} layout){zen_note}",
    )
    return with_default_costs(mark_full_space(bench))


def mark_full_space(bench: Benchmark) -> Benchmark:
    """``full_space=True`` when every network of an enumerable space is in the table."""
    from dataclasses import replace

    all_archs = getattr(bench.space, "all_archs", None)
    if all_archs is None or bench.n_networks < getattr(bench.space, "n_networks", np.inf):
        return bench
    return replace(bench, full_space=True)
