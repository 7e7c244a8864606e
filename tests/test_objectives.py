"""Several objectives and constraints: Pareto indicators, objective tables read by
content, the search problem's feasibility, and ``search --objectives / --constraint``
end to end on the real tables (whole NB201 CIFAR-10, HW-NAS-Bench, robustness)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nas_surrogate.benchmarks import load_benchmark
from nas_surrogate.cli import main
from nas_surrogate.errors import BadInputError
from nas_surrogate.objectives import (
    FrontNormaliser,
    Objective,
    ObjectiveView,
    attach_tables,
    hvi,
    hypervolume,
    non_dominated,
    parse_constraint,
    parse_objectives,
)
from nas_surrogate.searchers import SearchProblem, make_searcher
from nas_surrogate.searchers.problem import distinct_networks


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def shared(full_data_dir) -> Path:
    return full_data_dir.parent


@pytest.fixture(scope="module")
def hw_file(shared) -> Path:
    return shared / "hw_nasbench201" / "hw_cifar10.csv"


@pytest.fixture(scope="module")
def robust_file(shared) -> Path:
    return shared / "robustness_nasbench201" / "robustness_cifar10.csv"


@pytest.fixture(scope="module")
def full(full_data_dir, shared):
    bench = distinct_networks(load_benchmark("nasbench201/cifar10", full_data_dir))
    return attach_tables(bench, [str(shared)])[0]


def _view(bench, *objectives, constraints=()):
    cells = bench.space.all_archs()
    return ObjectiveView(
        bench, cells, bench.index_of(cells), [Objective(o) for o in objectives],
        [parse_constraint(c) for c in constraints],
    )  # fmt: skip


# -- indicators -----------------------------------------------------------------------------
def _dominated_by_any(Y):
    return np.array(
        [
            any(np.all(Y[j] <= Y[i]) and np.any(Y[j] < Y[i]) for j in range(len(Y)))
            for i in range(len(Y))
        ]  # noqa: E501
    )


@pytest.mark.parametrize("seed", range(5))
def test_non_dominated_matches_the_definition(seed):
    Y = np.random.default_rng(seed).integers(0, 6, size=(60, 3)).astype(float)
    assert np.array_equal(non_dominated(Y), ~_dominated_by_any(Y))


@pytest.mark.parametrize("m", [2, 3])
def test_hypervolume_equals_the_counted_grid_cells(m):
    """On integer points the dominated volume is a count of unit cells."""
    rng = np.random.default_rng(m)
    Y = rng.integers(0, 8, size=(12, m)).astype(float)
    ref = np.full(m, 8.0)
    grid = np.stack(np.meshgrid(*[np.arange(8)] * m, indexing="ij"), -1).reshape(-1, m)
    covered = np.any(np.all(Y[None, :, :] <= grid[:, None, :], axis=2), axis=1)
    assert hypervolume(Y, ref) == pytest.approx(covered.sum())


@pytest.mark.parametrize("m", [2, 3])
def test_hypervolume_improvement_is_the_gain_of_adding_a_point(m):
    rng = np.random.default_rng(10 + m)
    F = rng.random((8, m))
    F = F[non_dominated(F)]
    C = rng.random((30, m))
    ref = np.full(m, 1.1)
    want = [hypervolume(np.vstack([F, c]), ref) - hypervolume(F, ref) for c in C]
    assert np.allclose(hvi(C, F, ref), want)


def test_a_found_true_front_scores_one_and_less_scores_less():
    front = np.array([[0.0, 3.0], [1.0, 2.0], [2.0, 1.0], [3.0, 0.0]])
    norm = FrontNormaliser(front)
    assert norm.hv_fraction(front) == pytest.approx(1.0)
    assert norm.igd(front) == pytest.approx(0.0)
    assert 0 < norm.hv_fraction(front[[0, 2, 3]]) < 1
    assert norm.igd(front[[0, 2, 3]]) > 0
    # the ideal and nadir's extreme points lie on the reference box: they add nothing
    assert norm.hv_fraction(front[[0, 3]]) == 0


# -- tables by content ------------------------------------------------------------------------
def test_tables_attach_by_content_with_kinds(full):
    kinds = full.objective_kinds()
    assert kinds["val_accuracy"] == "evaluated, max"
    assert kinds["pixel3_latency"] == "known, min"
    assert kinds["edgegpu_energy"] == "known, min"
    assert kinds["pgd@Linf_eps-1.0"] == "evaluated, max"  # robustness: by its clean accuracy
    assert kinds["params"] == "known, min"


def test_true_fronts_of_the_issue(full):
    """HW-NAS-Bench over the 15,625 cells with NB201 accuracy: 11 edge-GPU, 38 Pixel 3
    front cells (counted independently outside the project)."""
    assert len(_view(full, "val_accuracy", "edgegpu_latency").true_front_ids) == 11
    assert len(_view(full, "val_accuracy", "pixel3_latency").true_front_ids) == 38


def test_latency_is_per_cell_and_accuracy_per_network(full):
    view = _view(full, "val_accuracy", "pixel3_latency")
    lat, acc = view.column("pixel3_latency"), view.column("val_accuracy")
    rows = view.cell_row
    same = np.flatnonzero(rows == np.bincount(rows).argmax())  # a network of many cells
    assert len(same) > 1
    assert np.ptp(acc[same]) == 0
    assert np.ptp(lat[same]) > 0


def test_edgetpu_not_measured_cells_are_no_candidates(full):
    """HW-NAS-Bench writes -1 for Edge TPU cells it could not run: never proposed."""
    view = _view(full, "val_accuracy", "edgetpu_latency")
    assert 0 < (~view.measured).sum() < len(view.measured)
    assert not view.allowed[~view.measured].any()
    assert (view.column("edgetpu_latency")[view.measured] > 0).all()


def test_a_renamed_hardware_table_needs_its_dataset(tmp_path, full_data_dir, hw_file, capsys):
    renamed = tmp_path / "device_costs.csv"
    shutil.copy(hw_file, renamed)
    bench = distinct_networks(load_benchmark("nasbench201/cifar10", full_data_dir))
    attached, notes = attach_tables(bench, [str(renamed)])
    assert "pixel3_latency" not in attached.objectives and "cifar10=" in notes[0]
    attached, _ = attach_tables(bench, [f"cifar10={renamed}"])
    assert attached.objectives["pixel3_latency"].known
    code, _, err = cli(
        capsys, "search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
        "--objective-data", renamed, "--objectives", "val_accuracy,pixel3_latency",
        "--searcher", "random", "--budget", "5", "--seeds", "1", "--out", tmp_path / "o",
    )  # fmt: skip
    assert code == 2 and "cifar10=" in err and not (tmp_path / "o").exists()


def test_a_renamed_robustness_table_is_found_by_its_accuracy(tmp_path, full_data_dir, robust_file):
    renamed = tmp_path / "attacks.csv"
    shutil.copy(robust_file, renamed)
    bench = distinct_networks(load_benchmark("nasbench201/cifar10", full_data_dir))
    col = attach_tables(bench, [str(renamed)])[0].objectives["pgd@Linf_eps-1.0"]
    assert not col.known and col.maximize


def test_headline_scores_the_queried_cells_not_their_siblings(full):
    """Querying the slowest cell of a true-front network is not finding its fast front
    cell: the headline counts what was queried (Optuna's, EvoXBench's convention);
    ``siblings=True`` is the generous convention, reported under its own name."""
    view = _view(full, "val_accuracy", "pixel3_latency")
    on_front = np.isin(view.cell_row, view.cell_row[view.true_front_ids])
    off = np.flatnonzero(
        on_front & view.allowed & ~np.isin(np.arange(len(on_front)), view.true_front_ids)
    )
    assert len(off)  # cells of front networks that are slower than their front cell
    queried = off[:1]
    assert view.score_ids(queried)["front_found"] == 0
    assert view.score_ids(queried, siblings=True)["front_found"] >= 1
    assert (
        view.score_ids(queried)["hv_fraction"]
        < view.score_ids(queried, siblings=True)["hv_fraction"]
    )


# -- search ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["random", "nsga2", "pareto_ls", "mobo"])
def test_multi_objective_searchers_run_and_never_repeat_a_network(full, name):
    problem = SearchProblem(
        full, budget=30, features="onehot+zc" if name == "mobo" else None,
        objectives=parse_objectives(["val_accuracy", "pixel3_latency"]),
    )  # fmt: skip
    make_searcher(name, surrogate_params={"n_members": 3}).run(problem, np.random.default_rng(0))
    rows = problem.row_of(problem.history()[0])
    assert len(rows) == 30 and len(set(rows.tolist())) == 30
    score = problem.view.score_ids(problem.history()[0])
    assert 0 < score["hv_fraction"] <= 1 + 1e-9


@pytest.mark.parametrize("name", ["evolution", "local_search", "bo", "nsga2", "mobo"])
def test_known_constraints_never_cost_a_query(full, name):
    problem = SearchProblem(
        full, budget=25, features="onehot+zc" if name in ("bo", "mobo") else None,
        objectives=[Objective("val_accuracy")], constraints=[parse_constraint("pixel3_latency<=5")],
    )  # fmt: skip
    make_searcher(name).run(problem, np.random.default_rng(1))
    ids = problem.history()[0]
    assert len(ids) == 25
    assert (problem.view.column("pixel3_latency")[ids] <= 5).all()


def test_bad_objectives_and_constraints(full):
    with pytest.raises(BadInputError, match="did you mean 'pixel3_latency'"):
        _view(full, "val_accuracy", "pixel3_latncy")
    with pytest.raises(BadInputError, match="NAME<=VALUE"):
        parse_constraint("pixel3_latency=<5")
    with pytest.raises(BadInputError, match="no network"):
        _view(full, "val_accuracy", constraints=["pixel3_latency<=0"])
    with pytest.raises(BadInputError, match="evaluated objective"):
        _view(full, "pixel3_latency", "params")


@pytest.mark.parametrize(
    "edit, why",
    [
        (lambda d: d.assign(pixel3_latency=d.pixel3_latency.where(d.index != 7)), "no finite"),
        (lambda d: d.assign(pixel3_latency=d.pixel3_latency.where(d.index != 7, -3.0)), "negative"),
        (lambda d: d.iloc[:800], "no row for cell"),
        (lambda d: pd.concat([d, d.iloc[:1]]), "listed twice"),
        (lambda d: d.assign(net="[[1, 2]]"), "no column holds"),
        (  # one stray word: the column used to vanish behind "did you mean"
            lambda d: d.assign(
                pixel3_latency=d.pixel3_latency.astype(object).where(d.index != 7, "slow")
            ),
            "line 9 holds 'slow', not a number",
        ),
        (lambda d: d.assign(val_accuracy=50.0), "which no table replaces"),
        (lambda d: d.iloc[:0], "hw_cifar10.csv: has a header but no rows"),
    ],
)
def test_bad_hardware_tables_exit_2_before_any_work(
    capsys, tmp_path, full_data_dir, hw_file, edit, why
):
    bad = tmp_path / "hw_cifar10.csv"
    edit(pd.read_csv(hw_file)).to_csv(bad, index=False)
    out = tmp_path / "out"
    code, _, err = cli(
        capsys, "search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
        "--objective-data", bad, "--objectives", "val_accuracy,pixel3_latency",
        "--searcher", "random", "--budget", "5", "--seeds", "1", "--out", out,
    )  # fmt: skip
    assert code == 2, err
    assert why in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_more_objectives_than_exact_hypervolume_affords_exit_2_before_work(
    capsys, tmp_path, full_data_dir, shared
):
    """Seven objectives used to run for minutes without a result (issue 36 item 8)."""
    devices = ("edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga")
    seven = "val_accuracy," + ",".join(f"{d}_latency" for d in devices)
    out = tmp_path / "o"
    code, _, err = cli(
        capsys, "search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
        "--objective-data", shared, "--objectives", seven, "--searcher", "random",
        "--budget", "5", "--seeds", "1", "--out", out,
    )  # fmt: skip
    assert code == 2 and "at most 3" in err and "--constraint" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
    with pytest.raises(BadInputError, match="at most 3"):
        parse_objectives(seven.split(",")[:4])
    assert len(parse_objectives(seven.split(",")[:3])) == 3


@pytest.mark.parametrize(
    "text, why",
    [
        (",".join(["lat"] * 40_000) + "\n" + ",".join(["1"] * 40_000) + "\n", "40000 columns"),
        ("arch,lat,lat\nx,1,2\n", "'lat' is named twice"),
        ("{" + '"a": 1, ' * 100_000 + "}\n", "first line longer than"),
    ],
)
def test_wide_or_repeated_headers_are_refused_before_parsing(
    capsys, tmp_path, full_data_dir, text, why
):
    """A data JSON as a table took 280 s, 40,000 copies of one name 16.5 s (issue 36
    item 10): the header line is checked before pandas reads the file."""
    bad = tmp_path / "costs_cifar10.csv"
    bad.write_text(text)
    code, _, err = cli(
        capsys, "search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
        "--objective-data", bad, "--objectives", "val_accuracy,lat",
        "--searcher", "random", "--budget", "5", "--seeds", "1", "--out", tmp_path / "o",
    )  # fmt: skip
    assert code == 2 and why in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_single_objective_searchers_refuse_two_objectives(capsys, tmp_path, full_data_dir, shared):
    code, _, err = cli(
        capsys, "search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
        "--objective-data", shared, "--objectives", "val_accuracy,pixel3_latency",
        "--searcher", "evolution", "--budget", "5", "--seeds", "1", "--out", tmp_path / "o",
    )  # fmt: skip
    assert code == 2 and "nsga2" in err and not (tmp_path / "o").exists()


def test_search_cli_pareto_and_constrained(capsys, tmp_path, full_data_dir, shared, full):
    out = tmp_path / "pareto"
    argv = ["search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
            "--objective-data", shared, "--objectives", "val_accuracy,edgegpu_latency",
            "--searcher", "random,nsga2,pareto_ls", "--budget", "30", "--seeds", "2",
            "--out", out, "--format", "json"]  # fmt: skip
    code, stdout, err = cli(capsys, *argv)
    assert code == 0, err
    summary = json.loads(stdout)
    entry = summary["searchers"][0]
    assert entry["true_front_size"] == 11
    assert 0 < entry["at_30"]["hv_fraction"]["median"] <= 1
    results = pd.read_csv(out / "results.csv")
    for col in ("edgegpu_latency", "hv_fraction", "igd", "front_found", "cell", "feasible"):
        assert col in results.columns
    # the headline counts the queried cells; the generous count is named as such
    view = _view(full, "val_accuracy", "edgegpu_latency")
    front_cells = set(view.true_front_ids.tolist())
    for _, run in results.groupby(["searcher", "seed"]):
        ids = view.ids_of_cells(full.space.parse_many(run.cell.tolist()))
        hits = np.cumsum([i in front_cells and i not in ids[:k] for k, i in enumerate(ids)])
        assert run.front_found.tolist() == hits.tolist()
        assert (run.front_found_networks >= run.front_found).all()
        assert (run.hv_fraction_networks >= run.hv_fraction - 1e-12).all()
    assert (out / "plots" / "fronts--nasbench201--cifar10.png").is_file()
    # same command: resumed, same numbers; -j 2 elsewhere: the same numbers; a changed
    # objective: refused
    assert cli(capsys, *argv)[0] == 0
    assert pd.read_csv(out / "results.csv").equals(results)
    par = [*argv[:-3], str(tmp_path / "par"), "-j", "2"]
    assert cli(capsys, *par)[0] == 0
    timing = ["wall_seconds"]
    assert (
        pd.read_csv(tmp_path / "par" / "results.csv")
        .drop(columns=timing)
        .equals(results.drop(columns=timing))
    )
    changed = [
        a if a != "val_accuracy,edgegpu_latency" else "val_accuracy,fpga_latency" for a in argv
    ]
    code, _, err = cli(capsys, *changed)
    assert code == 2 and "objectives" in err

    out = tmp_path / "constrained"
    code, stdout, err = cli(
        capsys, "search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
        "--objective-data", shared, "--constraint", "pixel3_latency<=5", "--searcher", "bo",
        "-f", "onehot+zc", "--budget", "20", "--seeds", "1", "--out", out, "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    entry = json.loads(stdout)["searchers"][0]
    results = pd.read_csv(out / "results.csv")
    assert (results.pixel3_latency <= 5).all() and results.feasible.all()
    assert entry["constrained_optimum"] == pytest.approx(88.06)
    assert entry["at_20"]["best_feasible"]["median"] == pytest.approx(results.val_accuracy.max())


# -- ask/tell and Optuna ------------------------------------------------------------------------
def _truth(bench, archs):
    cells = bench.space.parse_many(archs)
    acc = bench.val_accuracy[bench.index_of(cells)]
    lat = bench.objectives["pixel3_latency"].values[bench.space.encode_codes(cells)]
    return acc, lat


def test_optimizer_pareto_ask_tell_save_load(tmp_path, full):
    from nas_surrogate.optimizer import Optimizer

    def make():
        return Optimizer(
            "nasbench201", "nsga2", proxies=full, seed=3,
            objectives=["val_accuracy", "pgd@Linf_eps-1.0"],
            constraints=["pixel3_latency<=8"], searcher_params={"population": 6},
        )  # fmt: skip

    opt = make()
    assert opt.evaluated == ["val_accuracy", "pgd@Linf_eps-1.0"]
    robust = full.objectives["pgd@Linf_eps-1.0"]
    for _ in range(4):
        archs = opt.ask(3)
        acc, lat = _truth(full, archs)
        assert (lat <= 8).all()  # a known constraint is never broken by a proposal
        pgd = robust.values[full.space.encode_codes(full.space.parse_many(archs))]
        opt.tell(archs, [{"val_accuracy": a, "pgd@Linf_eps-1.0": p} for a, p in zip(acc, pgd)])
    front = opt.best
    assert front and all(set(v) == {"val_accuracy", "pgd@Linf_eps-1.0", "pixel3_latency"}
                         for _, v in front)  # fmt: skip
    values = np.array([[v["val_accuracy"], v["pgd@Linf_eps-1.0"]] for _, v in opt.history])
    Y = -values
    on_front = {a for a, _ in front}
    assert on_front == {a for (a, _), keep in zip(opt.history, non_dominated(Y)) if keep}
    with pytest.raises(BadInputError, match="values"):
        opt.tell(opt.ask(1), [[90.0]])  # one value for two evaluated columns
    opt.save(tmp_path / "s.json")
    again = Optimizer.load(tmp_path / "s.json", proxies=full)
    assert again.ask(2) == opt.ask(2)


def test_optimizer_refuses_a_single_objective_searcher_for_two(full):
    from nas_surrogate.optimizer import Optimizer

    with pytest.raises(BadInputError, match="mobo"):
        Optimizer("nasbench201", "evolution", proxies=full,
                  objectives=["val_accuracy", "pixel3_latency"])  # fmt: skip


def test_ask_tell_cli_with_objectives(capsys, tmp_path, full_data_dir, hw_file):
    state = tmp_path / "run.json"
    base = ["--state", state, "--data-dir", full_data_dir]
    code, out, err = cli(
        capsys, "ask", *base, "--searcher", "random", "--benchmark", "nasbench201/cifar10",
        "--objective-data", hw_file, "--objectives", "val_accuracy,pixel3_latency",
        "--constraint", "pixel3_latency<=6", "-k", "2", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tell"] == ["val_accuracy"]
    bench = attach_tables(load_benchmark("nasbench201/cifar10", full_data_dir), [str(hw_file)])[0]
    acc, lat = _truth(bench, doc["archs"])
    assert (lat <= 6).all()
    argv = ["tell", *base]
    for a, v in zip(doc["archs"], acc):
        argv += ["--arch", a, "--value", v]
    code, out, err = cli(capsys, *argv, "--format", "json")
    assert code == 0, err
    best = json.loads(out)["best"]
    assert {a for a, _ in best} <= set(doc["archs"])
    code, _, err = cli(capsys, "ask", *base, "--objectives", "val_accuracy,fpga_latency")
    assert code == 2 and "differs" in err


def test_nas_sampler_multi_objective_and_constrained(full):
    import optuna

    from nas_surrogate.optuna import NASSampler, suggest_arch

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        acc, lat = _truth(full, [suggest_arch(trial, "nasbench201")])
        trial.set_user_attr("latency", float(lat[0]))
        return float(acc[0]), float(lat[0])

    sampler = NASSampler("nasbench201", "nsga2", proxies=full, seed=0,
                         objectives=["val_accuracy", "pixel3_latency"],
                         searcher_params={"population": 5})  # fmt: skip
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=15)
    archs = [t.system_attrs.get("nas_surrogate:arch") for t in study.trials]
    assert len(set(archs)) == 15 and None not in archs  # every trial proposed, none twice
    Y = np.array([[-t.values[0], t.values[1]] for t in study.trials])
    assert {t.number for t in study.best_trials} == set(np.flatnonzero(non_dominated(Y)))
    # results reach the searcher before each proposal: the last one at the next trial
    assert len(sampler.optimizer.history) == 14

    def constrained(trial):
        return objective(trial)[0]

    sampler = NASSampler("nasbench201", "mobo", features="onehot+zc", proxies=full, seed=0,
                         constraints_func=lambda t: [t.user_attrs["latency"] - 5.0],
                         searcher_params={"init": 4})  # fmt: skip
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(constrained, n_trials=12)
    assert all("constraints" in t.system_attrs for t in study.trials)
    assert sampler.optimizer.evaluated == ["value", "constraint_0"]
    with pytest.raises(BadInputError, match="3 directions"):
        bad = NASSampler("nasbench201", "nsga2", proxies=full,
                         objectives=["val_accuracy", "pixel3_latency"])  # fmt: skip
        optuna.create_study(directions=["maximize"] * 3, sampler=bad).optimize(
            objective, n_trials=1, catch=()
        )


def test_nas_sampler_reads_trial_set_constraint(full):
    """Optuna 5 deprecates ``constraints_func`` for ``trial.set_constraint``."""
    import optuna

    from nas_surrogate.optuna import NASSampler, suggest_arch

    if not hasattr(optuna.trial.Trial, "set_constraint"):
        pytest.skip("this Optuna has no trial.set_constraint")
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        acc, lat = _truth(full, [suggest_arch(trial, "nasbench201")])
        trial.set_constraint("latency", float(lat[0]) - 5.0)
        return float(acc[0])

    sampler = NASSampler("nasbench201", "random", proxies=full, seed=0, n_constraints=1)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=6)
    _, told = zip(*sampler.optimizer.history)
    assert len(told) == 5 and all(set(v) >= {"value", "constraint_0"} for v in told)
    lat = [v["constraint_0"] + 5.0 for v in told]
    truth = [_truth(full, [a])[1][0] for a, _ in sampler.optimizer.history]
    assert np.allclose(lat, truth)


def test_benchmarks_lists_objectives_beside_tasks_of_other_spaces(capsys, data_dir, hw_file):
    """An NB201 table named directly refused the listing (TransNAS tasks hold no NB201
    cells); it now attaches where it belongs, and a file that fits nothing is refused."""
    code, out, err = cli(capsys, "benchmarks", "--data-dir", data_dir, "--objective-data",
                         hw_file, "--format", "json")  # fmt: skip
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["nasbench201/cifar10"]["objectives"]["pixel3_latency"] == "known, min"
    assert "pixel3_latency" not in rows["nasbench201/cifar100"]["objectives"]  # hw_cifar10
    assert "pixel3_latency" not in rows["transbench101_micro/jigsaw"]["objectives"]


def test_ask_tell_refuse_an_objective_table_edited_between_calls(
    capsys, tmp_path, full_data_dir, hw_file
):
    """The state records each objective table's content: a table edited after ``ask``
    (a latency of 0.001 written in) is refused at the next call instead of being read."""
    table = tmp_path / "hw_cifar10.csv"
    shutil.copy(hw_file, table)
    state = tmp_path / "run.json"
    base = ["--state", state, "--data-dir", full_data_dir]
    code, out, err = cli(
        capsys, "ask", *base, "--searcher", "random", "--benchmark", "nasbench201/cifar10",
        "--objective-data", table, "--objectives", "val_accuracy,pixel3_latency", "-k", "2",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    archs = json.loads(out)["archs"]
    frame = pd.read_csv(table)
    frame.loc[:, "pixel3_latency"] = 0.001
    frame.to_csv(table, index=False)
    saved = state.read_text()
    code, _, err = cli(capsys, "tell", *base, "--arch", archs[0], "--value", 90.0)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and str(table) in err, err
    assert "changed" in err
    assert state.read_text() == saved


def test_nas_sampler_refuses_more_constraint_values_than_n_constraints(full):
    """``constraints_func`` returning 2 values with ``n_constraints`` left at 1 used to
    record every trial as failed: 15 trials, 0 results, not a word."""
    import optuna

    from nas_surrogate.optuna import NASSampler, suggest_arch

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        acc, lat = _truth(full, [suggest_arch(trial, "nasbench201")])
        trial.set_user_attr("latency", float(lat[0]))
        return float(acc[0])

    def two(t):
        return [t.user_attrs["latency"] - 5.0, -1.0]

    sampler = NASSampler("nasbench201", "random", proxies=full, seed=0, constraints_func=two)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    with pytest.raises(BadInputError, match="n_constraints"):
        study.optimize(objective, n_trials=5)
    assert len(study.trials) <= 2  # refused at the trial after the first


def test_a_near_match_of_the_accuracy_is_refused_not_taken_for_costs(robust_file, full_data_dir,
                                                                      tmp_path):  # fmt: skip
    """One network's val_accs off by 0.3 points used to turn the robustness table into
    known hardware costs: pgd accuracy minimised, read for free, exit 0."""
    frame = pd.read_csv(robust_file)
    frame.loc[0, "val_accs"] += 0.3
    edited = tmp_path / "robustness_cifar10.csv"
    frame.to_csv(edited, index=False)
    bench = load_benchmark("nasbench201/cifar10", full_data_dir)
    with pytest.raises(BadInputError, match=r"val_accs.*differs") as info:
        attach_tables(bench, [str(edited)], explicit=True)
    assert str(edited) in str(info.value)


def test_ask_repeated_with_the_same_objective_folder_is_not_refused(
    capsys, tmp_path, full_data_dir, shared
):
    """The state stored the folder's table file; the same ``--objective-data FOLDER`` on
    the next call was refused as "differs", naming a non-existent --objective_data."""
    state = tmp_path / "s.json"
    argv = ["ask", "--state", state, "--searcher", "random", "--benchmark", "nasbench201/cifar10",
            "--data-dir", full_data_dir, "--objective-data", shared / "hw_nasbench201",
            "--objectives", "val_accuracy,pixel3_latency", "-k", "1"]  # fmt: skip
    first = cli(capsys, *argv)
    assert first[0] == 0, first[2]
    again = cli(capsys, *argv)
    assert again[0] == 0, again[2]
    assert again[1] != first[1]  # a new proposal, from the same state
    other = [a if a != "val_accuracy,pixel3_latency" else "val_accuracy" for a in argv]
    code, _, err = cli(capsys, *other)
    assert code == 2 and "--objectives" in err and "--objective_data" not in err


def test_a_run_with_no_feasible_query_reports_it_without_warnings(
    capsys, tmp_path, full_data_dir, shared
):
    """An evaluated constraint nobody met in 3 queries printed a numpy RuntimeWarning and
    then failed in the plot (exit 1; issue 36 item 16)."""
    import warnings

    out = tmp_path / "o"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        code, stdout, err = cli(
            capsys, "search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
            "--objective-data", shared, "--constraint", "pgd@Linf_eps-1.0>=50",
            "--searcher", "random", "--budget", "3", "--seeds", "2", "--out", out,
        )  # fmt: skip
    assert code == 0, err
    assert "none feasible" in stdout and "Warning" not in err
    results = pd.read_csv(out / "results.csv")
    assert not results.feasible.any()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["searchers"][0]["at_3"]["optimum_found"] == 0
    assert (out / "plots" / "objectives--nasbench201--cifar10.png").is_file()


@pytest.mark.parametrize(
    "line, key",
    [
        ("objectives: [val_accuracy, pixel3_latncy]", "objectives 'pixel3_latncy'"),
        ('constraint: ["pixel3_latency=<5"]', "constraint 'pixel3_latency=<5'"),
    ],
)
def test_errors_of_a_yaml_run_name_the_file_and_key_not_a_flag(
    capsys, tmp_path, full_data_dir, shared, line, key
):
    """A config's mistake was reported as ``--objectives ...`` (issue 36 item 16)."""
    config = tmp_path / "pareto.yaml"
    config.write_text(
        f"command: search\nbenchmark: [nasbench201/cifar10]\ndata_dir: {full_data_dir}\n"
        f"objective_data: {shared}\nsearcher: [random]\n{line}\nbudget: 5\nseeds: 1\n"
        f"out: {tmp_path / 'o'}\n"
    )
    code, _, err = cli(capsys, "run", config)
    assert code == 2 and err.startswith(f"error: {config}: {key}"), err
    assert "--" not in err.split(":")[1] and not (tmp_path / "o").exists()


def test_a_folder_scored_the_old_way_is_refused_not_extended(
    capsys, tmp_path, full_data_dir, shared
):
    """Rows scored on networks (before the headline moved to the queried cells) must not
    be resumed beside rows scored on cells: the folder's settings say how it scored."""
    out = tmp_path / "pareto"
    argv = ["search", "-b", "nasbench201/cifar10", "--data-dir", full_data_dir,
            "--objective-data", shared, "--objectives", "val_accuracy,edgegpu_latency",
            "--searcher", "random", "--budget", "5", "--seeds", "1", "--out", out]  # fmt: skip
    assert cli(capsys, *argv)[0] == 0
    run = json.loads((out / "run.json").read_text())
    assert run["settings"].pop("scoring") == "queried cells"
    (out / "run.json").write_text(json.dumps(run))  # as an older version wrote it
    code, _, err = cli(capsys, *[*argv[:-4], "--seeds", "2", "--out", out])
    assert code == 2 and "settings.scoring" in err
