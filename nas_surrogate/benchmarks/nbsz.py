"""NAS-Bench-Suite-Zero files (both JSON layouts and the zen zip) -> ``Benchmark``.

Layouts (see the data README): "old" ``{task: {arch: {PROXY: {score, time}, val_accuracy}}}``
and "new" ``{space: {task: {arch: {PROXY: float, val_accuracy}}}}``; ``all_benchmarks_zen.zip``
holds zen scores and val_accuracy for all 4,096 TransNAS micro cells.

Policies, each decided once here:
- every row is kept; failed or non-finite scores become NaN (``sanitize_scores``);
- a proxy with no finite score on a task is not exposed for that task (NASLib wrote
  -1e8 for every epe_nas score on most TransNAS tasks);
- accuracies are never rescaled: autoencoder/normal are in [0, 1], room_layout is a
  negated loss, the rest are percent;
- TransNAS micro = the 711 archs of the main file plus the other zen-only archs of the
  zip (4,096 in all). Rows from the main file keep its val_accuracy; zen-only rows take
  the zip's (the two sources agree to Pearson >= 0.977 on the shared 711 rows).
"""

from __future__ import annotations

import json
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.errors import BadInputError
from nas_surrogate.proxy_names import PROXY_NAMES, sanitize_scores
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

#: space -> (file name, layout, tasks)
NBSZ_FILES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "nasbench201": ("zc_nasbench201.json", "old", ("cifar10", "cifar100", "ImageNet16-120")),
    "nasbench101": ("zc_nasbench101.json", "new", ("cifar10",)),
    "nasbench301": ("zc_nasbench301.json", "old", ("cifar10",)),
    "transbench101_micro": ("zc_transbench101_micro.json", "old", TRANSNAS_TASKS),
    "transbench101_macro": ("zc_transbench101_macro.json", "old", TRANSNAS_TASKS),
}
ZEN_ZIP = "all_benchmarks_zen.zip"
SOURCE = "NAS-Bench-Suite-Zero (NASLib, Apache-2.0)"


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInputError(where, f"expected a number, got {value!r}")
    return float(value)


@lru_cache(maxsize=2)
def _read_json(path: str, digest: str) -> object:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise BadInputError(path, f"not valid JSON ({e.msg} at line {e.lineno})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BadInputError(path, f"cannot be read ({e})") from None


def read_json(path: Path) -> object:
    from nas_surrogate.cache import file_digest

    try:
        digest = file_digest(path)
    except OSError as e:
        raise BadInputError(str(path), f"cannot be read ({e.strerror})") from None
    return _read_json(str(path), digest)


def _task_records(path: Path, space: str, layout: str, task: str) -> dict[str, dict]:
    data = read_json(path)
    where = str(path)
    if layout == "new":
        if not isinstance(data, dict) or not isinstance(data.get(space), dict):
            raise BadInputError(where, f"expected a top-level object with key {space!r}")
        data = data[space]
    if not isinstance(data, dict):
        raise BadInputError(where, "expected a top-level JSON object of tasks")
    if task not in data:
        raise BadInputError(where, f"has no task {task!r} (it has: {', '.join(data)})")
    records = data[task]
    if not isinstance(records, dict) or not records:
        raise BadInputError(f"{where}: {task}", "expected a non-empty object of architectures")
    return records


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


def _read_zen(zip_path: Path, task: str) -> dict[str, dict]:
    where = str(zip_path)
    prefix = f"benchmark--transbench101_micro--{task}--"
    records: dict[str, dict] = {}
    try:
        with zipfile.ZipFile(zip_path) as z:
            names = [n for n in z.namelist() if Path(n).name.startswith(prefix)]
            chunks = sorted(names, key=lambda n: int(Path(n).stem.rsplit("--", 1)[1]))
            for name in chunks:
                try:
                    items = json.loads(z.read(name))
                except json.JSONDecodeError as e:
                    raise BadInputError(f"{where}:{name}", f"not valid JSON ({e.msg})") from None
                if not isinstance(items, list):
                    raise BadInputError(f"{where}:{name}", "expected a list of records")
                for rec in items:
                    if not isinstance(rec, dict) or "arch" not in rec:
                        raise BadInputError(f"{where}:{name}", "record without 'arch'")
                    records[rec["arch"]] = rec
    except (zipfile.BadZipFile, OSError) as e:
        raise BadInputError(where, f"not a readable zip file ({e})") from None
    if not records:
        raise BadInputError(where, f"has no zen chunks for task {task!r}")
    return records


def _merge_zen(records: dict[str, dict], zen: dict[str, dict]) -> dict[str, dict]:
    """Main-file rows gain their zen score; zen-only archs are appended with the zip's
    val_accuracy, so no architecture of either source is lost."""
    merged = {a: {**rec, "zen": zen[a]["zen"]} if a in zen else rec for a, rec in records.items()}
    merged.update({a: rec for a, rec in zen.items() if a not in records})
    return merged


def load_nbsz(data_dir: Path, space_name: str, task: str) -> Benchmark:
    """Parse one task from the NAS-Bench-Suite-Zero files in ``data_dir``."""
    file_name, layout, _ = NBSZ_FILES[space_name]
    path = data_dir / file_name
    space = get_space(space_name)
    records = _task_records(path, space_name, layout, task)
    where = f"{path}: {task}"

    if space_name == "transbench101_micro" and (data_dir / ZEN_ZIP).exists():
        records = _merge_zen(records, _read_zen(data_dir / ZEN_ZIP, task))
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
    return Benchmark(
        id=f"{space_name}/{task}",
        space=space,
        archs=archs,
        val_accuracy=val,
        proxy_names=tuple(names),
        proxy_scores=np.column_stack(scores) if names else np.empty((n, 0)),
        proxy_seconds=np.column_stack(seconds) if names else np.empty((n, 0)),
        source=f"{SOURCE}: {path.name}" + (f" + {ZEN_ZIP}" if "zen" in names else ""),
        full_space=False,
    )


def nbsz_sources(data_dir: Path, space_name: str) -> list[Path]:
    files = [data_dir / NBSZ_FILES[space_name][0]]
    if space_name == "transbench101_micro" and (data_dir / ZEN_ZIP).exists():
        files.append(data_dir / ZEN_ZIP)
    return files
