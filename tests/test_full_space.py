"""The whole NB201 space: canonical cells, NB-Suite-Zero files recognised by content (any
name, either layout, any subset of tasks), default proxy costs, and searches that move
in the 15,625-cell space and never query one network twice."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from nas_surrogate import load_benchmark
from nas_surrogate.benchmarks import available_benchmarks
from nas_surrogate.benchmarks.nbsz import NBSZ_TASKS
from nas_surrogate.cli import main
from nas_surrogate.proxy_names import DEFAULT_PROXY_SECONDS
from nas_surrogate.searchers import SearchProblem, make_searcher
from nas_surrogate.spaces import get_space
from nas_surrogate.spaces.nb201 import effective_cells


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "cell,canonical",
    [
        ((2, 1, 1, 2, 1, 1), (1, 1, 1, 1, 1, 1)),  # node 3 never reaches the output
        ((2, 1, 1, 1, 2, 1), (2, 1, 1, 1, 2, 1)),  # 1->2->4: already canonical
        ((0, 2, 3, 1, 1, 1), (1, 1, 3, 1, 1, 1)),  # skip to a dead end, conv into a dead end
        ((1, 4, 1, 1, 2, 2), (1, 4, 1, 1, 1, 2)),  # node 2 unreachable from the input
        ((1, 1, 1, 0, 2, 3), (1, 1, 1, 1, 1, 1)),  # nothing leaves the input
    ],
)
def test_effective_cell_by_hand(cell, canonical):
    assert tuple(effective_cells(np.array(cell))[0]) == canonical


def test_full_table_keys_are_the_canonical_forms_of_all_cells(full_data_dir):
    bench = load_benchmark("nasbench201/cifar10", full_data_dir)
    assert bench.n_archs == bench.n_networks == 9445 and bench.full_space
    assert len(bench.proxy_names) == 13 and bench.val_accuracy.max() == 91.57
    # the table's keys are canonical, and the 15,625 cells map onto exactly them
    assert (effective_cells(bench.archs) == bench.archs).all()
    space = get_space("nasbench201")
    cells = space.all_archs()
    rows = bench.index_of(cells)
    assert len(cells) == 15625 and (rows >= 0).all() and len(np.unique(rows)) == 9445
    assert space.n_networks == 9445


def test_missing_times_charge_documented_defaults(full_data_dir):
    bench = load_benchmark("nasbench201/cifar10", full_data_dir)
    expected = [DEFAULT_PROXY_SECONDS[p] for p in bench.proxy_names]
    assert np.allclose(bench.proxy_seconds, expected)
    assert "default seconds per proxy" in bench.cost_source


def _write(folder, name, doc):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(doc))


def test_layouts_are_detected_by_content_not_name(tmp_path, data_dir, full_data_dir):
    old = json.loads((data_dir / "zc_nasbench201.json").read_text())
    # old layout under another name, holding only one task
    _write(tmp_path / "a", "my_release.json", {"cifar100": old["cifar100"]})
    ids = available_benchmarks(tmp_path / "a")
    assert [b for b in ids if b.split("/")[0] in NBSZ_TASKS] == ["nasbench201/cifar100"]
    assert load_benchmark("nasbench201/cifar100", tmp_path / "a").n_archs == 725
    # the new-layout full table under a misleading name
    folder = tmp_path / "b"
    folder.mkdir()
    shutil.copy(full_data_dir / "zc_nasbench201.json", folder / "zc_nasbench301.json")
    bench = load_benchmark("nasbench201/cifar10", folder)
    assert bench.n_archs == 9445 and "new layout" in bench.source
    # an old-layout TransNAS file: micro vs macro told apart by the arch strings
    macro = json.loads((data_dir / "zc_transbench101_macro.json").read_text())
    _write(tmp_path / "c", "zc_transbench101_micro.json", {"jigsaw": macro["jigsaw"]})
    assert "transbench101_macro/jigsaw" in available_benchmarks(tmp_path / "c")


@pytest.mark.parametrize(
    "doc,fragments",
    [
        ({"cifar10": [1, 2]}, ["cifar10", "old layout", "new layout"]),
        ({"cifar10": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": 1.0}},
          "nasbench201": {"cifar100": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": 1.0}}}},
         ["mixes layouts", "'cifar10'", "'nasbench201'"]),
        ({"cifar10": {"(9, 9, 9)": {"val_accuracy": 1.0}}},
         ["(9, 9, 9)", "parses in no known space"]),
        ({"nasbench999": {"cifar10": {"(0, 1)": {"val_accuracy": 1.0}}}},
         ["nasbench999", "unknown space"]),
    ],
)  # fmt: skip
def test_bad_layouts_exit_2(capsys, tmp_path, doc, fragments):
    _write(tmp_path / "d", "zc_x.json", doc)
    code, _, err = cli(capsys, "benchmarks", "--data-dir", tmp_path / "d")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


def test_a_task_in_two_files_is_refused(capsys, tmp_path, data_dir, full_data_dir):
    folder = tmp_path / "e"
    folder.mkdir()
    shutil.copy(data_dir / "zc_nasbench201.json", folder / "old.json")
    shutil.copy(full_data_dir / "zc_nasbench201.json", folder / "full.json")
    code, _, err = cli(capsys, "proxies", "-b", "nasbench201/cifar10", "--data-dir", folder)
    assert code == 2 and "is in both" in err and "full.json" in err and "old.json" in err


def test_benchmarks_lists_the_full_table(capsys, full_data_dir):
    code, out, _ = cli(capsys, "benchmarks", "--data-dir", full_data_dir, "--format", "json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["nasbench201/cifar10"]["n_archs"] == 9445
    assert len(rows["nasbench201/cifar10"]["proxies"]) == 13
    assert "separate training run" in rows["nasbench201_full/cifar10"]["source"]


# -- searches in the cell space ------------------------------------------------------------
@pytest.fixture(scope="module")
def full(full_data_dir):
    return load_benchmark("nasbench201/cifar10", full_data_dir)


def test_problem_moves_in_cells_and_queries_networks(full):
    problem = SearchProblem(full, budget=50)
    assert len(problem.cells) == 15625 and problem.n == 9445
    cell = 1234
    nbrs = problem.neighbours(cell)
    # real single-edit neighbours: one position differs, and each is another network
    diff = (problem.cells[nbrs] != problem.cells[cell]).sum(axis=1)
    assert (diff == 1).all() and (problem.row_of(nbrs) != problem.row_of([cell])[0]).all()
    assert len(nbrs) <= 24
    ids = problem.sample(30, np.random.default_rng(0))
    assert len(np.unique(problem.row_of(ids))) == 30


@pytest.mark.parametrize("name", ["random", "evolution", "local_search"])
def test_searchers_never_query_a_network_twice(full, name):
    problem = SearchProblem(full, budget=300)
    make_searcher(name).run(problem, np.random.default_rng(1))
    ids, values = problem.history()
    rows = problem.row_of(ids)
    assert len(ids) == 300 and len(np.unique(rows)) == 300
    assert np.array_equal(values, full.val_accuracy[rows])


def test_training_free_evolution_queries_each_network_once(full):
    problem = SearchProblem(full, budget=60)
    make_searcher("evolution", objective="vote", proxy_steps=400).run(
        problem, np.random.default_rng(2)
    )
    rows = problem.row_of(problem.history()[0])
    assert len(rows) == 60 and len(np.unique(rows)) == 60


def test_proxy_costs_file_is_charged_and_reported(capsys, tmp_path, full_data_dir):
    costs = tmp_path / "costs.yaml"
    costs.write_text("nwot: 2.0\nsynflow: 0.5\n")
    argv = ["search", "-b", "nasbench201/cifar10", "--searcher", "random", "--zc-warmup", "nwot",
            "--warmup-pool", 50, "--budget", 5, "--seeds", 1, "--data-dir", full_data_dir,
            "--format", "json"]  # fmt: skip
    code, out, err = cli(capsys, *argv, "--proxy-costs", costs, "--out", tmp_path / "a")
    assert code == 0, err
    entry = json.loads(out)["searchers"][0]
    assert "user-given" in entry["proxy_costs"]
    # the warm-up scored 50 archs with nwot at 2 s each, on top of 5 trainings
    assert entry["sim_hours_median"] * 3600 == pytest.approx(5 * 3600 + 50 * 2.0)
    costs.write_text("nwot: -1\n")
    code, _, err = cli(capsys, *argv, "--proxy-costs", costs, "--out", tmp_path / "b")
    assert code == 2 and "nwot" in err and "seconds >= 0" in err
