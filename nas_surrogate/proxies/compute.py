"""`nas-surrogate proxies compute`: score architectures with the torch proxies into a
resumable on-disk table (one row per arch: the scores and the seconds each took).

Rows are written through the experiments' results store: atomically, at most every 2 s
and at exit, so an interrupted run keeps what it finished and a rerun skips it. Each
arch's networks are seeded by ``seed``, so results do not depend on ``n_jobs`` or on
which archs were computed before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

from nas_surrogate.config import MAX_SEED
from nas_surrogate.deprecation import renamed
from nas_surrogate.errors import BadInputError
from nas_surrogate.io import write_json_atomic
from nas_surrogate.proxy_names import PROXY_NAMES, SPACES_WITH_NETWORKS
from nas_surrogate.settings import comma_list, setting, validate
from nas_surrogate.spaces import get_space

if TYPE_CHECKING:  # pandas is imported where a frame is made: the CLI starts without it
    import pandas as pd


def read_arch_list(spec: str, space_name: str) -> np.ndarray:
    """``all`` (the whole space) or a file with one arch string per line."""
    space = get_space(space_name)
    if spec == "all":
        return space.all_archs()
    path = Path(spec)
    try:
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    except OSError as e:
        raise BadInputError(f"--archs {spec}", f"cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise BadInputError(f"--archs {spec}", "is not a text file of arch strings") from None
    if not lines:
        raise BadInputError(f"--archs {spec}", "holds no architecture")
    return space.parse_many(lines)


def _chunk(
    archs: np.ndarray, proxies: list[str], batch_spec: dict, seed: int, device: str
) -> list[dict]:
    import torch

    from nas_surrogate.proxies import compute_proxies, load_batch, synthetic_batch

    torch.set_num_threads(1)  # one thread per worker; workers run side by side
    batch = (
        load_batch(batch_spec["path"], batch_spec["n_classes"], batch_spec["size"], device)
        if batch_spec["path"]
        else synthetic_batch(batch_spec["size"], batch_spec["n_classes"], seed, device)
    )
    scores, seconds = compute_proxies(archs, proxies, batch=batch, seed=seed, device=device)
    space = get_space("nasbench201")
    rows = []
    for arch, s, t in zip(archs, scores, seconds):
        row = {"arch": space.format(arch)}
        row.update({p: float(v) for p, v in zip(proxies, s)})
        row.update({f"{p}_seconds": float(v) for p, v in zip(proxies, t)})
        rows.append(row)
    return rows


def _checked(
    space_name: str, archs_spec: str, proxies: list[str], batch_size: int, device: str
) -> np.ndarray:
    """The archs to score, after every setting is checked (before any file is touched)."""
    from nas_surrogate.proxies.lpzero import refuse_on_nb201
    from nas_surrogate.proxies.torch_proxies import proxy_function

    if space_name not in SPACES_WITH_NETWORKS:
        raise BadInputError(
            f"--space {space_name}",
            f"networks are implemented for {', '.join(SPACES_WITH_NETWORKS)}",
        )
    for p in proxies:
        proxy_function(p)
        refuse_on_nb201(p, f"--proxies {p}")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise BadInputError(f"--device {device}", "no CUDA device is available here")
    if batch_size < 2:
        raise BadInputError("--batch-size", f"must be >= 2, got {batch_size}")
    return read_arch_list(archs_spec, space_name)


def settings_file(out: Path) -> Path:
    """``OUT.csv`` records the settings its rows were computed with in ``OUT.csv.json``."""
    return out.with_name(out.name + ".json")


def table_settings(
    space: str,
    proxies: list[str],
    batch_path: str | None,
    batch_size: int,
    n_classes: int,
    seed: int,
    device: str,
) -> dict:
    """Everything a row's numbers depend on besides its arch: a table is resumed only
    under the same (an ``lpz:FILE`` proxy by its file's content)."""
    from nas_surrogate.proxies.live import PROXY_CODE_VERSION
    from nas_surrogate.proxy_names import cache_key

    batch = "synthetic"
    if batch_path:
        from nas_surrogate.cache import file_digest

        try:
            batch = file_digest(Path(batch_path))
        except OSError as e:
            raise BadInputError(f"--batch {batch_path}", f"cannot be read ({e.strerror})") from None
    lpz = {p: cache_key(p) for p in proxies if cache_key(p) != p}
    return {"command": "proxies compute", "space": space, "batch": batch,
            "batch_size": batch_size, "n_classes": n_classes, "seed": seed, "device": device,
            "proxy_code_version": PROXY_CODE_VERSION, "lpz": lpz}  # fmt: skip


def check_table_settings(out: Path, settings: dict) -> None:
    """BadInputError when ``out`` holds rows computed under other settings, or rows whose
    settings were never recorded (a table of an older version: recompute it)."""
    import json

    if not out.is_file() or out.stat().st_size == 0:
        return
    record = settings_file(out)
    if not record.is_file():
        raise BadInputError(f"--out {out}", f"holds rows whose settings are not recorded "
                            f"({record.name} is missing); use another file")  # fmt: skip
    try:
        before = json.loads(record.read_text())
    except (OSError, ValueError) as e:
        raise BadInputError(str(record), f"not readable ({e})") from None
    before_lpz, now_lpz = before.get("lpz", {}), settings["lpz"]
    edited = [p for p in now_lpz if p in before_lpz and before_lpz[p] != now_lpz[p]]
    if edited:
        raise BadInputError(f"--out {out}", f"holds {edited[0]} scores of another version of "
                            "that file; use another --out")  # fmt: skip
    merged = {**settings, "lpz": {**before_lpz, **now_lpz}}
    changed = next((k for k in sorted(set(before) | set(merged), key=str)
                    if before.get(k) != merged.get(k)), None)  # fmt: skip
    if changed:
        raise BadInputError(f"--out {out}", f"holds rows computed with another {changed}; "
                            "use another --out")  # fmt: skip


def _check_batch(batch_path: str | None, n_classes: int, batch_size: int) -> None:
    """Read the batch file once now: a bad one is refused before the table is touched."""
    if batch_path:
        from nas_surrogate.proxies import load_batch

        load_batch(batch_path, n_classes, batch_size)


def compute_table(
    space_name: str,
    archs_spec: str,
    proxies: list[str],
    out: Path,
    batch_path: str | None = None,
    batch_size: int = 16,
    n_classes: int = 10,
    seed: int = 0,
    device: str = "cpu",
    n_jobs: int = 1,
    chunk: int = 32,
    progress: bool = True,
) -> pd.DataFrame:
    """Score the archs of ``archs_spec`` with ``proxies`` into the CSV table ``out``
    (resumed: rows already there are skipped); returns the whole table."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    from nas_surrogate import interrupt
    from nas_surrogate.store import ResultsStore

    archs = _checked(space_name, archs_spec, proxies, batch_size, device)
    _check_batch(batch_path, n_classes, batch_size)
    out = Path(out)
    if out.exists() and out.is_dir():
        raise BadInputError(f"--out {out}", "is a directory; give a .csv file")
    settings = table_settings(space_name, proxies, batch_path, batch_size, n_classes, seed, device)
    check_table_settings(out, settings)
    store = ResultsStore(out, ["arch"])
    if len(store):
        have = set(store.frame().columns)
        missing = [p for p in proxies if p not in have]
        if missing:
            store.close()
            raise BadInputError(
                f"--out {out}", f"holds a table without {missing}; use another file"
            )
    write_json_atomic(settings_file(out), settings)  # what every row of the table is
    done = store.done_keys()
    space = get_space(space_name)
    todo = np.array([a for a in archs if (space.format(a),) not in done]).reshape(
        -1, space.arch_dim
    )
    spec = {"path": batch_path, "size": batch_size, "n_classes": n_classes}
    chunks = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]
    bar = tqdm(total=len(todo), desc="proxies", disable=not progress or not len(todo), leave=False)
    try:
        results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_chunk)(c, proxies, spec, seed, device) for c in chunks
        )
        for rows in results:
            store.add_many(rows)
            bar.update(len(rows))
            interrupt.check()  # Ctrl-C stops here, with this chunk stored
    finally:
        bar.close()
        store.flush()
        store.close()
    return store.frame()


@dataclass
class ComputeConfig:
    """Every setting of ``proxies compute`` (CLI and API alike)."""

    out: str = setting(help="CSV table (resumed if it exists).", flags=("--out", "-o"))
    space: str = setting("nasbench201", "Search space.")
    archs: str = setting("all", "'all' or a file with one arch string per line.")
    proxies: list[str] = setting(
        help="Comma list (default: all 13).", cli_type=str, from_cli=comma_list,
        default_factory=lambda: list(PROXY_NAMES),
    )  # fmt: skip
    device: str = setting("cpu", "cpu or cuda")
    batch: str | None = setting(
        None, "npz with images and labels (else synthetic).", cli_type=Optional[Path],  # noqa: UP045
        from_cli=str,
    )  # fmt: skip
    batch_size: int = setting(16, "Images in the batch.", low=2, high=100_000)
    n_classes: int = setting(10, "Head size: 10, 100, 120.", low=2, high=100_000)
    seed: int = setting(0, "Base seed of every random choice.", low=0, high=MAX_SEED)
    n_jobs: int = setting(
        1, "Parallel workers, each on one thread (-1: all cores); results are identical for "
        "any value.", flags=("--n-jobs", "-j"),
    )  # fmt: skip

    def run(self, progress: bool = True) -> pd.DataFrame:
        validate(self)
        return compute_table(
            self.space, self.archs, list(self.proxies), Path(self.out), batch_path=self.batch,
            batch_size=self.batch_size, n_classes=self.n_classes, seed=self.seed,
            device=self.device, n_jobs=self.n_jobs, progress=progress,
        )  # fmt: skip


#: the old names, importable with a DeprecationWarning
__getattr__ = renamed(__name__, {"ComputeSettings": ComputeConfig})
