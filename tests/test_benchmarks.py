"""Every benchmark loads from the real files with the counts and defects the data README
documents, and the proxy correlation table matches an independent computation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from nas_surrogate import load_benchmark, proxy_correlations
from nas_surrogate.benchmarks import available_benchmarks, benchmark_ids
from nas_surrogate.spaces.nb201 import effective_cells

# (id, n archs, n archs with the main file's proxies) from shared/data/README.md
NBSZ_COUNTS = {
    "nasbench201/cifar10": 725,
    "nasbench201/cifar100": 725,
    "nasbench201/ImageNet16-120": 724,
    "nasbench101/cifar10": 500,
    "nasbench301/cifar10": 725,
    **{f"transbench101_micro/{t}": 711 for t in ("class_scene", "class_object", "autoencoder")},
    **{f"transbench101_micro/{t}": 711 for t in ("normal", "jigsaw", "room_layout")},
    "transbench101_micro/segmentsemantic": 711,
    "transbench101_macro/class_scene": 662,
    "transbench101_macro/class_object": 662,
    **{
        f"transbench101_macro/{t}": 725
        for t in ("autoencoder", "normal", "jigsaw", "room_layout", "segmentsemantic")
    },
}


def test_all_29_ids_available_with_data_dir(data_dir):
    ids = available_benchmarks(data_dir)
    assert len(ids) == 29 == len(benchmark_ids())
    assert set(NBSZ_COUNTS) <= set(ids)


def test_without_data_dir_only_demo_and_package_benchmarks(monkeypatch):
    monkeypatch.delenv("NAS_SURROGATE_DATA")
    ids = available_benchmarks(None)
    assert ids[0] == "nasbench201/cifar10"
    assert len(ids) == 11  # demo + nasbench201_full + 9 nasbenchgraph
    demo = load_benchmark("nasbench201/cifar10")
    # the embedded demo is the whole NB201 space: 9,445 networks, 13 proxies
    assert demo.n_archs == demo.n_networks == 9445 and "demo" in demo.source
    assert len(demo.proxy_names) == 13 and demo.full_space
    assert demo.val_accuracy.max() == 91.57
    assert "default seconds per proxy" in demo.cost_source


@pytest.mark.parametrize("bench_id", sorted(NBSZ_COUNTS))
def test_nbsz_counts_and_arrays(bench_id, data_dir):
    bench = load_benchmark(bench_id, data_dir)
    main_rows = NBSZ_COUNTS[bench_id]
    main_proxies = [p for p in bench.proxy_names if p != "zen"]
    if bench_id.startswith("transbench101_micro"):
        # the zen zip adds every other micro cell: 4,096 in all, none lost
        assert bench.n_archs == 4096
        assert (np.isfinite(bench.proxy_columns(["params"])).sum()) == main_rows
        assert np.isfinite(bench.proxy_columns(["zen"])).mean() > 0.9
    else:
        assert bench.n_archs == main_rows
    assert bench.space.is_valid(bench.archs).all()
    assert np.isfinite(bench.val_accuracy).all()
    assert np.isfinite(bench.proxy_columns(main_proxies)).any(axis=0).all()
    assert not np.isin(bench.proxy_scores, (-1e8, 1e8, -1e9, 1e9)).any()
    assert not np.isinf(bench.proxy_scores).any()


def test_nb201_defects_become_nan_not_dropped(data_dir):
    c10 = load_benchmark("nasbench201/cifar10", data_dir)
    row = c10.index_of(c10.space.parse("(3, 2, 4, 0, 4, 4)"))[0]  # the arch without synflow
    assert row >= 0 and np.isnan(c10.proxy_columns(["synflow"])[row, 0])
    inf_row = c10.index_of(c10.space.parse("(1, 0, 1, 4, 0, 1)"))[0]  # nwot was -inf
    assert np.isnan(c10.proxy_columns(["nwot"])[inf_row, 0])
    assert np.isfinite(c10.proxy_columns(["params"])[inf_row, 0])


def test_accuracies_are_never_rescaled(data_dir):
    room = load_benchmark("transbench101_micro/room_layout", data_dir)
    assert room.val_accuracy.max() < 0  # a negated loss, kept as published
    auto = load_benchmark("transbench101_macro/autoencoder", data_dir)
    assert auto.val_accuracy.min() >= 0 and auto.val_accuracy.max() <= 1
    scene = load_benchmark("transbench101_macro/class_scene", data_dir)
    assert scene.val_accuracy.max() > 1  # percent


def test_nbsz_failure_sentinel_proxy_is_not_exposed(data_dir):
    # NASLib wrote -1e8 for every epe_nas score on this task: no such column here
    bench = load_benchmark("transbench101_micro/class_scene", data_dir)
    assert "epe_nas" not in bench.proxy_names and "synflow" not in bench.proxy_names
    assert "zen" in bench.proxy_names


def _raw_nwot_spearman(path):
    records = json.loads(path.read_text())["cifar10"]
    pairs = [
        (r["nwot"]["score"], r["val_accuracy"])
        for r in records.values()
        if "nwot" in r and math.isfinite(r["nwot"]["score"])
    ]
    x, y = zip(*pairs)
    return stats.spearmanr(x, y).statistic, len(pairs)


def test_proxy_table_matches_independent_computation(data_dir):
    table = proxy_correlations(load_benchmark("nasbench201/cifar10", data_dir))
    nwot = table.set_index("proxy").loc["nwot"]
    expected, n = _raw_nwot_spearman(data_dir / "zc_nasbench201.json")
    assert nwot.n == n == 724
    assert nwot.spearman == pytest.approx(expected, abs=1e-12)
    assert nwot.spearman == pytest.approx(0.786, abs=0.001)  # NB-Suite-Zero's figure
    assert table.spearman.iloc[0] == table.spearman.max()  # sorted, best first


def test_nb201_full_from_analog_nasbench():
    bench = load_benchmark("nasbench201_full/cifar10")
    assert bench.n_archs == 15625 and bench.full_space
    assert len({tuple(a) for a in bench.archs}) == 15625
    assert 90 < bench.val_accuracy.max() < 100


def test_analog_nasbench_agrees_with_nbsz(data_dir):
    """Same op indexing: ranks agree (data README: Spearman 0.98 on the shared cells)."""
    full = load_benchmark("nasbench201_full/cifar10")
    nbsz = load_benchmark("nasbench201/cifar10", data_dir)
    rows = full.index_of(nbsz.archs)
    assert (rows >= 0).all()
    rho = stats.spearmanr(full.val_accuracy[rows], nbsz.val_accuracy).statistic
    assert rho > 0.97


def test_analog_import_works_without_pkg_resources():
    """A fresh venv with new setuptools has no pkg_resources; the shim covers it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['pkg_resources'] = None  # as if setuptools no longer shipped it\n"
        "from nas_surrogate.benchmarks.nb201_full import import_analognasbench\n"
        "m = import_analognasbench()\n"
        "print(len(m.AnalogNASBench().data))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "15625"


@pytest.mark.parametrize("dataset,n", [("cora", 26206), ("proteins", 2021)])
def test_nasbench_graph(dataset, n):
    bench = load_benchmark(f"nasbenchgraph/{dataset}")
    assert bench.n_archs == n and bench.full_space
    assert bench.test_accuracy is not None and set(bench.extras) == {"latency", "params"}
    assert np.isfinite(bench.val_accuracy).all() and (bench.extras["params"] > 0).all()
    # every canonical architecture is found again through the space's keys
    assert (bench.index_of(bench.archs) == np.arange(n)).all()


def test_index_of_marks_untabulated(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    everything = load_benchmark("nasbench201_full/cifar10").archs
    rows = bench.index_of(everything)
    # look-ups go by network: the 725 tabulated cells are 565 networks, and every cell
    # of the space that is one of those networks finds the first row of its network
    assert bench.n_networks == 565 and len(np.unique(rows[rows >= 0])) == 565
    hit = rows >= 0
    assert (effective_cells(everything[hit]) == effective_cells(bench.archs[rows[hit]])).all()
    assert hit.sum() > 725 and (rows == -1).sum() == 15625 - hit.sum()
