"""Shared fixtures: the real NAS-Bench-Suite-Zero files, found the way a user's are.

Tests read ``$NAS_SURROGATE_DATA`` (the README's test command sets it to
``../shared/data/nbsz``); without it they fall back to that same path beside the repo.
The parse cache goes to a per-session temp dir so tests never touch the user's cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "nbsz"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("NAS_SURROGATE_DATA", str(DEFAULT_DATA))
    # absolute, as notebook kernels and dask workers start in other folders
    os.environ["NAS_SURROGATE_DATA"] = str(Path(os.environ["NAS_SURROGATE_DATA"]).resolve())


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["NAS_SURROGATE_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ["NAS_SURROGATE_DATA"])
    if not (path / "zc_nasbench201.json").is_file():
        pytest.fail(f"NAS-Bench-Suite-Zero files not found in {path}; set NAS_SURROGATE_DATA")
    return path


@pytest.fixture(scope="session")
def full_data_dir(data_dir: Path) -> Path:
    """The whole NB201 table (``nbsz_full/``), found beside the NB-Suite-Zero files."""
    path = Path(os.environ.get("NAS_SURROGATE_FULL_DATA", data_dir.parent / "nbsz_full"))
    if not any(path.glob("*.json")):
        pytest.fail(f"full NB201 table not found in {path}; set NAS_SURROGATE_FULL_DATA")
    return path.resolve()
