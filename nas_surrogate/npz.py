"""A user's ``.npz`` read safely: each array's shape and dtype from its ``.npy`` header,
and its uncompressed size from the zip directory, before any array is decompressed.

Why: ``np.load`` inflates an array to check it, so a 0.85 MB file holding an 840 MB
array cost 1.18 GB before it was refused, and a 12 MB file holding 12 GB ended in a
MemoryError (exit 1). The caps below are checked on the headers alone.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from nas_surrogate.errors import BadInputError

#: most values an array of a dataset or batch may hold (200 M float32: 800 MB)
MAX_VALUES = 200_000_000
#: most uncompressed bytes one member may hold (the values cap at 8 bytes each)
MAX_MEMBER_BYTES = 8 * MAX_VALUES


def _header(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    with zf.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"npy format {version} is not read here (save with numpy)")
    return tuple(int(n) for n in shape), dtype


def read_pair(
    path: str | Path, layouts: tuple[tuple[str, str], ...], where: str
) -> tuple[tuple[str, str], np.ndarray, np.ndarray]:
    """The first (data, labels) pair of ``layouts`` the file holds, and the two arrays,
    after their headers are checked against the caps. BadInputError (``where`` names the
    option) for a plain ``np.save`` file, missing arrays, or arrays over the caps."""
    names = " or ".join(f"{a} and {b}" for a, b in layouts)
    try:
        if not zipfile.is_zipfile(path):
            with open(path, "rb") as f:
                magic = f.read(6)
            if magic == b"\x93NUMPY":
                raise BadInputError(where, f"is one array (np.save); save {names} with np.savez")
            raise BadInputError(where, "not an .npz file (np.savez writes one)")
        with zipfile.ZipFile(path) as zf:
            members = {i.filename.removesuffix(".npy"): i for i in zf.infolist()}
            pair = next((p for p in layouts if set(p) <= set(members)), None)
            if pair is None:
                raise BadInputError(where, f"needs arrays {names}, has {sorted(members)[:10]}")
            for key in pair:
                shape, _ = _header(zf, members[key])
                values = int(np.prod(shape, dtype=np.int64))
                if values > MAX_VALUES or members[key].file_size > MAX_MEMBER_BYTES:
                    raise BadInputError(
                        where, f"{key} holds {values} values {shape} (at most {MAX_VALUES})"
                    )
        with np.load(path, allow_pickle=False) as z:
            return pair, z[pair[0]], z[pair[1]]
    except BadInputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise BadInputError(where, f"not a readable .npz ({e})") from None
