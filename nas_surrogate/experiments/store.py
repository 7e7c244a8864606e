"""A boring results store: finished units in ``results.csv``, read back on rerun.

Rows are kept in memory and the whole file is rewritten atomically (temp file + rename)
at most every ``flush_seconds`` and at the end, so a kill at any moment leaves the last
complete file: finished units are never lost beyond the last flush, and never half
written or duplicated. Rerunning skips every unit whose key is already in the file.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nas_surrogate.errors import BadInputError
from nas_surrogate.io import atomic_write


class ResultsStore:
    def __init__(self, path: Path, key_columns: Sequence[str], flush_seconds: float = 2.0) -> None:
        self.path = Path(path)
        self.key_columns = list(key_columns)
        self.flush_seconds = flush_seconds
        self._rows: list[dict] = []
        self._last_flush = time.monotonic()
        self._dirty = False
        if self.path.exists():
            try:
                frame = pd.read_csv(self.path, keep_default_na=True)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
                raise BadInputError(str(self.path), f"not a readable results file ({e})") from None
            missing = [c for c in self.key_columns if c not in frame.columns]
            if missing:
                raise BadInputError(
                    str(self.path), f"not a results file of this command (no column {missing[0]!r})"
                )
            self._rows = frame.to_dict("records")

    def key(self, row: dict) -> tuple:
        return tuple(str(row[c]) for c in self.key_columns)

    def done_keys(self) -> set[tuple]:
        return {self.key(r) for r in self._rows}

    def add(self, row: dict) -> None:
        self.add_many([row])

    def add_many(self, rows: list[dict]) -> None:
        """Rows of one finished unit, stored together (a unit is never half-stored)."""
        self._rows.extend(rows)
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
        return frame.sort_values(self.key_columns, kind="stable").reset_index(drop=True)

    def __len__(self) -> int:
        return len(self._rows)
