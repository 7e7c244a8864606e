"""Attach a table of computed proxy scores (``nas-surrogate proxies compute``) to a
benchmark, so that ``evaluate`` and ``search`` use them as its ZC columns
(``--proxy-table FILE``). Archs of the benchmark missing from the table get NaN, as a
failed proxy does; table proxies replace published ones of the same name."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.lpzero import is_lpz
from nas_surrogate.proxy_names import PROXY_NAMES, sanitize_scores


def _read(path: str) -> pd.DataFrame:
    """The table at ``path``, cached by content (a rewritten file is read again)."""
    from nas_surrogate.cache import file_digest

    try:
        digest = file_digest(Path(path))
    except OSError as e:
        raise BadInputError(f"--proxy-table {path}", f"cannot be read ({e.strerror})") from None
    return _read_cached(path, digest)


@lru_cache(maxsize=8)
def _read_cached(path: str, digest: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise BadInputError(f"--proxy-table {path}", f"cannot be read ({e})") from None
    if "arch" not in frame.columns:
        raise BadInputError(f"--proxy-table {path}", "has no 'arch' column")
    for col in frame.columns:
        if col != "arch" and frame[col].dtype.kind not in "fiu":
            bad = frame[col][pd.to_numeric(frame[col], errors="coerce").isna() & frame[col].notna()]
            raise BadInputError(
                f"--proxy-table {path}: column {col}", f"not a number: {str(bad.iloc[0])!r}"
            )
    return frame


def _proxy_columns(frame: pd.DataFrame) -> list[str]:
    """The proxy columns of a table: the known proxies and ``lpz:FILE`` expressions (not
    the ``<proxy>_seconds`` timing column written beside each)."""
    columns = set(frame.columns)
    return [
        c for c in frame.columns
        if c in PROXY_NAMES
        or (is_lpz(c) and not (c.endswith("_seconds") and c[: -len("_seconds")] in columns))
    ]  # fmt: skip


def attach_proxy_table(bench: Benchmark, path: str) -> Benchmark:
    frame = _read(str(path))
    proxies = _proxy_columns(frame)
    if not proxies:
        raise BadInputError(
            f"--proxy-table {path}", f"has no proxy column ({', '.join(PROXY_NAMES)})"
        )
    try:
        archs = bench.space.parse_many([str(a) for a in frame.arch])
    except BadInputError as e:
        raise BadInputError(f"--proxy-table {path}: {e.where}", e.why) from None
    rows = bench.index_of(archs, exact=True)  # a cell's own row where the table has it
    if (rows < 0).all():
        raise BadInputError(f"--proxy-table {path}", f"none of its archs is in {bench.id}")
    keep = rows >= 0
    names = [p for p in bench.proxy_names if p not in proxies] + proxies
    scores = np.full((bench.n_archs, len(names)), np.nan)
    seconds = np.full_like(scores, np.nan)
    for j, name in enumerate(names):
        if name in proxies:
            scores[rows[keep], j] = sanitize_scores(frame[name].to_numpy())[keep]
            col = f"{name}_seconds"
            if col in frame.columns:
                seconds[rows[keep], j] = frame[col].to_numpy()[keep]
        else:
            k = bench.proxy_names.index(name)
            scores[:, j], seconds[:, j] = bench.proxy_scores[:, k], bench.proxy_seconds[:, k]
    order = [names.index(p) for p in PROXY_NAMES if p in names]
    order += [i for i, p in enumerate(names) if is_lpz(p)]
    return replace(
        bench,
        proxy_names=tuple(names[i] for i in order),
        proxy_scores=scores[:, order],
        proxy_seconds=seconds[:, order],
        source=f"{bench.source} + proxies computed in {path} ({int(keep.sum())} archs)",
    )


def proxy_table_coverage(bench: Benchmark, path: str) -> dict[str, int]:
    """How many of ``bench``'s networks the ``--proxy-table`` file scores (``bench`` with
    the table attached): a table of 800 cells on a 9,445-network space leaves the rest
    without those proxies (median-imputed in features, outside ``--pool scored``)."""
    frame = _read(str(path))
    proxies = _proxy_columns(frame)
    scored = np.isfinite(bench.proxy_columns(proxies)).any(axis=1)
    return {"scored": int(scored.sum()), "networks": int(bench.n_archs)}


def coverage_note(coverage: dict[str, dict[str, int]], path: str | None) -> list[str]:
    """One line per benchmark the table covers only in part (the CLI prints them)."""
    return [
        f"note: --proxy-table {path} scores {c['scored']:,} of the {c['networks']:,} networks "
        f"of {bench_id}; the others have no computed proxies (median-imputed in features)"
        for bench_id, c in coverage.items()
        if c["scored"] < c["networks"]
    ]
