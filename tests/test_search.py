"""Searchers: budget respected, no repeated queries, valid archs only, determinism for
any --n-jobs, resume, ZC warm-up and cost accounting, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from nas_surrogate import load_benchmark
from nas_surrogate.cli import main
from nas_surrogate.searchers import SearchProblem, make_searcher

FAST_BO = {"ensemble": {"n_members": 3, "base_params": {"n_estimators": 30}}}
KEYS = ["benchmark", "searcher", "surrogate", "features", "seed"]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def fast_config(tmp_path):
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump(FAST_BO))
    return path


def run_search(capsys, tmp_path, out, *extra):
    return cli(
        capsys, "search", "-b", "nasbench201/cifar10",
        "--searcher", "random,evolution,local_search,bo,evolution:guided",
        "-f", "onehot;onehot+zc", "--budget", 25, "--seeds", 2, "--out", out,
        "--surrogate-config", fast_config(tmp_path), "--format", "json", *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same search with 1 and 2 workers (module-scoped: it is the slow part)."""
    import io
    from contextlib import redirect_stdout

    tmp = tmp_path_factory.mktemp("search")
    outs = []
    for jobs in (1, 2):
        out = tmp / f"j{jobs}"
        with redirect_stdout(io.StringIO()) as buf:
            code = main([
                "search", "-b", "nasbench201/cifar10",
                "--searcher", "random,evolution,local_search,bo,evolution:guided",
                "-f", "onehot;onehot+zc", "--budget", "25", "--seeds", "2", "--out", str(out),
                "--surrogate-config", str(fast_config(tmp)), "--format", "json", "-j", str(jobs),
            ])  # fmt: skip
        assert code == 0
        outs.append((out, json.loads(buf.getvalue())))
    return outs


def test_trajectories_respect_every_invariant(two_runs, data_dir):
    out, summary = two_runs[0]
    results = pd.read_csv(out / "results.csv")
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    for col in ["benchmark", "searcher", "surrogate", "features", "seed", "step", "arch",
                "val_accuracy", "best_val_accuracy", "sim_seconds"]:  # fmt: skip
        assert col in results.columns
    runs = results.groupby(KEYS)
    assert runs.ngroups == 7 * 2  # random, evolution, local_search, 2 bo, 2 guided; 2 seeds
    for _, run in runs:
        assert len(run) == 25  # the budget, exactly
        assert run.arch.is_unique  # never the same architecture twice
        assert list(run.step) == list(range(1, 26))
        rows = bench.index_of(bench.space.parse_many(list(run.arch)))
        assert (rows >= 0).all()  # only tabulated, valid architectures
        assert np.allclose(bench.val_accuracy[rows], run.val_accuracy)
        assert (run.best_val_accuracy == run.val_accuracy.cummax()).all()
        assert (np.diff(run.sim_seconds) >= 3600 - 1e-9).all()
    names = {e["searcher"] for e in summary["searchers"]}
    assert names == {"random", "evolution", "local_search", "bo", "evolution:guided"}


def test_identical_results_for_any_n_jobs(two_runs):
    a = pd.read_csv(two_runs[0][0] / "results.csv").drop(columns=["wall_seconds"])
    b = pd.read_csv(two_runs[1][0] / "results.csv").drop(columns=["wall_seconds"])
    pd.testing.assert_frame_equal(a, b)


def test_zc_cost_is_charged_only_with_zc_features(two_runs, data_dir):
    results = pd.read_csv(two_runs[0][0] / "results.csv")
    last = results.groupby(KEYS).sim_seconds.max().reset_index()
    plain = last[last.features != "onehot+zc"]
    assert np.allclose(plain.sim_seconds, 25 * 3600)
    with_zc = last[last.features == "onehot+zc"]
    # bo scores ~100 candidates per step, each charged its 12 proxies' seconds once
    assert (with_zc.sim_seconds > 25 * 3600 + 100).all()


def test_rerun_resumes_finished_seeds(capsys, tmp_path):
    out = tmp_path / "run"
    assert run_search(capsys, tmp_path, out, "--searcher", "random,evolution")[0] == 0
    first = pd.read_csv(out / "results.csv")
    code, stdout, _ = run_search(capsys, tmp_path, out, "--searcher", "random,evolution",
                                 "--seeds", 3)  # fmt: skip
    assert code == 0
    summary = json.loads(stdout)
    assert summary["n_units_resumed"] == 4 and summary["n_units_run"] == 2
    final = pd.read_csv(out / "results.csv")
    kept = final[final.seed < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, kept)
    assert not final.duplicated(KEYS + ["step"]).any()


def test_budget_beyond_the_table_stops_cleanly(capsys, tmp_path):
    code, out, _ = cli(capsys, "search", "-b", "nasbench201/cifar10", "--searcher", "random",
                       "--budget", 800, "--seeds", 1, "--out", tmp_path / "o")  # fmt: skip
    assert code == 0
    assert "stopped when all were queried" in out
    results = pd.read_csv(tmp_path / "o" / "results.csv")
    assert len(results) == 565 and results.arch.is_unique  # the 725 cells are 565 networks


def test_zc_warmup_starts_from_the_best_ranked(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    problem = SearchProblem(bench, budget=5)
    searcher = make_searcher("random", zc_warmup="synflow", warmup_pool=10_000)
    searcher.run(problem, np.random.default_rng(0))
    first = problem.trajectory.rows[0]
    synflow = problem.bench.proxy_columns(["synflow"])[:, 0]  # one row per network
    assert first == int(np.nanargmax(synflow))
    # the warm-up charged every pool arch's synflow seconds, beyond the 5 trainings
    seconds = problem.bench.proxy_seconds[:, bench.proxy_names.index("synflow")]
    assert np.isfinite(seconds).all()  # a missing time is charged (the median), not free
    expected = 5 * 3600 + seconds.sum()
    assert problem.sim_seconds == pytest.approx(expected)


def test_full_space_search_uses_single_edit_mutations():
    bench = load_benchmark("nasbench201_full/cifar10")
    problem = SearchProblem(bench, budget=60)
    make_searcher("evolution", population=10).run(problem, np.random.default_rng(1))
    rows = problem.trajectory.rows
    assert len(rows) == 60 and len(set(rows)) == 60
    archs = bench.archs[rows]
    later = archs[10:]
    # every child differs from some earlier architecture in exactly one edge
    for i, child in enumerate(later, start=10):
        assert ((archs[:i] != child).sum(axis=1) == 1).any()


@pytest.mark.parametrize(
    "argv,fragments",
    [
        (["--searcher", "annealing"], ["unknown name 'annealing'"]),
        (["--searcher", "bo", "--acquisition", "pi"], ["--acquisition", "'pi'"]),
        (
            ["--searcher", "bo", "--surrogate", "xgb"],
            ["--surrogate xgb", "predictive distribution"],
        ),
        (  # mobo too: it was refused only at its first fit, after results.csv was made
            [
                "--searcher",
                "mobo",
                "--surrogate",
                "xgb",
                "--objectives",
                "val_accuracy,params:min",
                "--budget",
                "15",
            ],
            ["--surrogate xgb", "predictive distribution"],
        ),  # fmt: skip
        (["--searcher", "random", "--budget", "0"], ["--budget", "greater than or equal to 1"]),
        (["--searcher", "random:guided"], ["only evolution and local_search"]),
        (["--searcher", "random", "--zc-warmup", "nwoot"], ["--zc-warmup 'nwoot'", "vote"]),
    ],
)
def test_bad_search_input(capsys, tmp_path, argv, fragments):
    base = ["search", "-b", "nasbench201/cifar10", "--budget", "5", "--out", tmp_path / "o"]
    code, _, err = cli(capsys, *base, *argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert not (tmp_path / "o" / "results.csv").exists()


def test_feature_spec_the_space_cannot_encode(capsys, tmp_path):
    code, _, err = cli(capsys, "search", "-b", "nasbench101/cifar10", "--searcher", "bo",
                       "-f", "onehot", "--budget", 5, "--out", tmp_path / "o")  # fmt: skip
    assert code == 2 and "does not apply to space nasbench101" in err


def test_default_features_use_the_proxies_where_the_benchmark_has_them(capsys, tmp_path):
    """bo with no -f reads enc+zc on a table with proxies and enc on one without: the
    proxies are the product's point, and a default must not leave them out."""
    for bench, expected in (("nasbench201/cifar10", "enc+zc"), ("nasbenchgraph/cora", "enc")):
        out = tmp_path / bench.replace("/", "-")
        code, _, err = cli(
            capsys, "search", "-b", bench, "--searcher", "bo", "--budget", 12, "--seeds", 1,
            "--surrogate-config", fast_config(tmp_path), "--out", out,
        )  # fmt: skip
        assert code == 0, err
        assert set(pd.read_csv(out / "results.csv").features) == {expected}
    code, out, _ = cli(capsys, "search", "--help")
    assert "enc+zc where the benchmark has" in " ".join(out.split())
