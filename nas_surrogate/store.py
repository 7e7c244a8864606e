"""A boring results store: an append-only journal of finished units, and ``results.csv``.

The source of truth is the journal beside the CSV (``results.jsonl`` for
``results.csv``): one JSON line per finished unit (all its rows), appended and fsynced
as the unit finishes, so a kill at any moment loses at most the unit being written,
whose partial last line is dropped on the next open (before anything is appended after
it). A write that fails (disk full, I/O error) leaves the journal as it was and is one
line naming the file. JSON keeps types (an integer seed stays an
integer), and a unit key seen twice counts once (the first). ``results.csv`` is
rendered from the journal atomically (temp file + rename) at most every
``flush_seconds`` and at the end; it is an output, never read back.

One writer per folder: the store holds an exclusive ``flock`` on ``results.lock`` while
open, and a second process writing the same folder is refused with exit 2 rather than
silently losing one run's units.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nas_surrogate.errors import BadInputError
from nas_surrogate.io import atomic_write


class ResultsStore:
    def __init__(
        self,
        path: Path,
        key_columns: Sequence[str],
        flush_seconds: float = 2.0,
        order_by: Sequence[str] | None = None,
    ) -> None:
        self.path = Path(path)  # results.csv
        self.journal = self.path.with_suffix(".jsonl")
        self.key_columns = list(key_columns)
        #: the row order of results.csv (default: the key columns)
        self.order_by = list(order_by or key_columns)
        self.flush_seconds = flush_seconds
        self._rows: list[dict] = []
        self._keys: set[tuple] = set()
        self._last_flush = time.monotonic()
        self._dirty = True
        self._lock_file = _lock(self.path.with_suffix(".lock"))
        if self.journal.exists():
            self._read_journal()

    def _read_journal(self) -> None:
        """Read every finished unit; a cut last line (a kill or a full disk during a
        write) is dropped from the file before anything is appended after it."""
        data = self.journal.read_bytes()
        good = 0  # byte offset just past the last complete, valid line
        lines = data.split(b"\n")
        offset = 0
        for number, raw in enumerate(lines, 1):
            end = offset + len(raw) + 1  # past its newline
            complete = end <= len(data)  # the last piece has no newline: it was cut
            offset = end
            if not raw.strip():
                if complete:
                    good = end
                continue
            try:
                entry = json.loads(raw.decode("utf-8"))
                rows = entry["rows"]
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise TypeError
                missing = [c for r in rows for c in self.key_columns if c not in r]
                if not complete:
                    raise ValueError("no newline: cut")
            except (ValueError, KeyError, TypeError, RecursionError, UnicodeDecodeError):
                if number >= len(lines) - 1:  # the unit a kill cut short: not finished
                    break
                raise BadInputError(f"{self.journal}:{number}", "not a results line") from None
            if missing:
                raise BadInputError(
                    str(self.journal), f"not a results file of this command (no {missing[0]!r})"
                )
            self._add(rows)
            good = end
        if good < len(data):
            with open(self.journal, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())

    def key(self, row: dict) -> tuple:
        return tuple(str(row[c]) for c in self.key_columns)

    def done_keys(self) -> set[tuple]:
        return set(self._keys)

    def _add(self, rows: list[dict]) -> bool:
        keys = {self.key(r) for r in rows}
        if keys & self._keys:  # already stored: counted once
            return False
        self._keys |= keys
        self._rows.extend(rows)
        return True

    def _forget(self, rows: list[dict]) -> None:
        keys = {self.key(r) for r in rows}
        self._keys -= keys
        self._rows = [r for r in self._rows if self.key(r) not in keys]

    def add(self, row: dict) -> None:
        self.add_many([row])

    def add_many(self, rows: list[dict]) -> None:
        """Rows of one finished unit, journaled together (a unit is never half-stored)."""
        if not rows or not self._add(rows):
            return
        line = json.dumps({"rows": rows}, allow_nan=True, default=_plain) + "\n"
        size = self.journal.stat().st_size if self.journal.exists() else 0
        try:
            with open(self.journal, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:  # disk full, I/O error: the journal stays as it was
            self._forget(rows)
            with contextlib.suppress(OSError):
                os.truncate(self.journal, size)
            raise BadInputError(
                str(self.journal), f"could not be written ({e.strerror or e}); the finished "
                "units before this one are kept: free space and rerun to go on",
            ) from None  # fmt: skip
        self._dirty = True
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if not self._dirty and self.path.exists():
            return
        frame = self.frame()
        atomic_write(self.path, lambda f: f.write(frame.to_csv(index=False).encode()))
        self._dirty = False
        self._last_flush = time.monotonic()

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._rows)
        if frame.empty:
            return pd.DataFrame(columns=self.key_columns)
        order = [c for c in self.order_by if c in frame.columns] or self.key_columns
        return frame.sort_values(order, kind="stable").reset_index(drop=True)

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None

    def __len__(self) -> int:
        return len(self._rows)


def _plain(value: object) -> object:
    """numpy scalars -> Python numbers for the journal."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _lock(path: Path):
    """An exclusive lock on ``path`` held until the returned file is closed (or the
    process ends); BadInputError if another process holds it."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: one writer is the user's promise
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a")  # noqa: SIM115 (held open for the store's lifetime)
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise BadInputError(
            str(path.parent), "another run is writing to this folder; wait or use another --out"
        ) from None
    return f
