"""Atomic file writes: a reader never sees a half-written output."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a temp file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get normal permissions
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))


def json_safe(value: Any) -> Any:
    """JSON-ready copy: NaN/inf -> null, numpy scalars -> Python, tuples -> lists."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(json_safe(obj), indent=2) + "\n")


def check_out_dir(out: Path, inputs: Iterable[str | Path | None] = ()) -> None:
    """BadInputError if ``out`` is, lies inside, or holds one of the ``inputs`` folders
    (the data dir): a run's files there would be read as data by every later command."""
    from nas_surrogate.errors import BadInputError

    where = Path(out).expanduser().resolve()
    for item in inputs:
        if item is None or str(item) == "":
            continue
        data = Path(item).expanduser().resolve()
        if where == data or data in where.parents or where in data.parents:
            raise BadInputError(
                f"--out {out}", f"is, is inside or holds the data folder {data}: write elsewhere"
            )


def make_out_dir(out: Path, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Create the output folder ``out``; BadInputError if it is a file (``/dev/null``),
    cannot be created or written (read-only place), or overlaps an ``inputs`` folder."""
    import os

    from nas_surrogate.errors import BadInputError

    check_out_dir(out, inputs)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out}", "exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BadInputError(f"--out {out}", f"cannot be created ({e.strerror})") from None
    if not os.access(out, os.W_OK):
        raise BadInputError(f"--out {out}", "is not writable")
    return out


#: longest wait for another process's read-change-write of the same file
LOCK_SECONDS = 120.0


@contextlib.contextmanager
def exclusive(path: Path, timeout: float = LOCK_SECONDS) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``PATH.lock`` (waiting up to ``timeout`` seconds):
    two processes that read, change and rewrite ``path`` take turns instead of one
    overwriting the other's change. No-op where flock does not exist. A lock file this
    call created is removed again when the work inside refused (raised): a refused
    command leaves nothing beside the user's file."""
    import time

    from nas_surrogate.errors import BadInputError

    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock here
        yield
        return
    lock = Path(f"{path}.lock")
    created = not lock.exists()
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BadInputError(
                        str(path), f"another process has held it for {timeout:.0f} s"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        except BaseException:
            if created:
                lock.unlink(missing_ok=True)
            raise
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def read_regular(path: Path, limit: int, what: str = "") -> bytes:
    """The bytes of ``path``, at most ``limit``: BadInputError for anything that is not a
    regular file (a FIFO would block, a device or a link to ``/dev/zero`` never end) or is
    larger; size-capped on the read itself, not on ``stat``."""
    from nas_surrogate.errors import BadInputError

    path = Path(path)
    if not path.is_file():  # follows links: a link to a device or FIFO is neither
        why = (
            "does not exist"
            if not path.exists() and not path.is_symlink()
            else "is not a regular file"
        )
        raise BadInputError(str(path), why + (f" ({what})" if what else ""))
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as e:
        raise BadInputError(str(path), f"cannot be read ({e.strerror})") from None
    if len(raw) > limit:
        raise BadInputError(str(path), f"larger than {limit} bytes")
    return raw
