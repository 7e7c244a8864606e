"""The parse cache returns what a fresh parse returns, and is keyed by content."""

from __future__ import annotations

import shutil

import numpy as np

from nas_surrogate.benchmarks import load_benchmark
from nas_surrogate.cache import cache_dir


def _same(a, b):
    assert a.id == b.id and a.proxy_names == b.proxy_names and a.source == b.source
    assert np.array_equal(a.archs, b.archs)
    assert np.array_equal(a.val_accuracy, b.val_accuracy)
    assert np.array_equal(a.proxy_scores, b.proxy_scores, equal_nan=True)
    assert np.array_equal(a.proxy_seconds, b.proxy_seconds, equal_nan=True)


def test_cached_load_equals_fresh_parse(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "c"))
    first = load_benchmark("transbench101_micro/jigsaw", data_dir)
    files = list(cache_dir().glob("transbench101_micro--jigsaw-*.npz"))
    assert len(files) == 1
    second = load_benchmark("transbench101_micro/jigsaw", data_dir)
    _same(first, second)
    monkeypatch.setenv("NAS_SURROGATE_CACHE", "off")
    _same(first, load_benchmark("transbench101_micro/jigsaw", data_dir))


def test_changed_source_bytes_change_the_key(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "c"))
    mine = tmp_path / "data"
    mine.mkdir()
    shutil.copy(data_dir / "zc_nasbench201.json", mine)
    before = load_benchmark("nasbench201/cifar10", mine)
    text = (mine / "zc_nasbench201.json").read_text()
    (mine / "zc_nasbench201.json").write_text(
        text.replace('"val_accuracy": 86.06', '"val_accuracy": 12.5', 1)
    )
    after = load_benchmark("nasbench201/cifar10", mine)
    assert len(list(cache_dir().glob("nasbench201--cifar10-*.npz"))) == 2
    changed = np.flatnonzero(before.val_accuracy != after.val_accuracy)
    assert len(changed) == 1 and after.val_accuracy[changed[0]] == 12.5


def test_damaged_cache_entry_is_rebuilt(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "c"))
    good = load_benchmark("nasbench301/cifar10", data_dir)
    (entry,) = cache_dir().glob("nasbench301--cifar10-*.npz")
    entry.write_bytes(b"not an npz")
    _same(good, load_benchmark("nasbench301/cifar10", data_dir))


def test_truncated_or_inconsistent_entries_are_misses(tmp_path, monkeypatch, data_dir):
    import io

    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "c"))
    good = load_benchmark("nasbench301/cifar10", data_dir)
    (entry,) = cache_dir().glob("nasbench301--cifar10-*.npz")
    raw = entry.read_bytes()
    entry.write_bytes(raw[: len(raw) // 2])  # truncated zip
    _same(good, load_benchmark("nasbench301/cifar10", data_dir))
    with np.load(entry) as z:  # a well-formed npz whose arrays disagree in shape
        arrays = {k: z[k] for k in z.files}
    arrays["val_accuracy"] = arrays["val_accuracy"][:10]
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    entry.write_bytes(buf.getvalue())
    _same(good, load_benchmark("nasbench301/cifar10", data_dir))


def test_file_layouts_are_remembered_and_a_bad_entry_is_a_miss(tmp_path, monkeypatch, data_dir):
    from nas_surrogate.benchmarks import nbsz

    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "c"))
    nbsz._describe_json_cached.cache_clear()
    first = nbsz.catalog(data_dir)
    entries = list(cache_dir().glob("layout-*.json"))
    assert len(entries) == 5  # one per NB-Suite-Zero JSON file
    for entry in entries:
        entry.write_text('[["x"]]')  # malformed: ignored, recomputed
    nbsz._describe_json_cached.cache_clear()
    assert nbsz.catalog(data_dir) == first
